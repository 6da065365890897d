// SPDX-License-Identifier: MIT
/* audit.c - JSON-lines audit log of decisions, finished flows and reloads */

/*
 * Each record is one JSON object on one line, keys in a fixed order, keys
 * with no value (no rule, no reason, no name) left out. Every line has
 * "time" (RFC 3339, UTC, milliseconds) and "event": "connect" or "dns"
 * for decisions, "flow" for finished flows, "reload" for reload results.
 *
 * Lines are built in a static line buffer and appended to a userspace
 * buffer of AUDIT_BUFFER_SIZE bytes. That buffer is written when the next
 * line does not fit, by audit_flush() and by audit_close(). The gateway
 * must call audit_flush() at least every 200 ms and audit_close() on
 * SIGTERM and SIGINT. Lines still buffered when the process dies without
 * audit_close() are lost.
 *
 * Strings are escaped for JSON: quote, backslash and control characters
 * are escaped, DEL as \u007f, and bytes that are not valid UTF-8 become
 * U+FFFD. A write error is logged (rate-limited) and counted, the buffered
 * lines are discarded and the gateway carries on.
 *
 * NOTE: the log takes what it is given. Callers must not pass secrets:
 * substituted credentials and header values are never handed to this
 * module, only their placeholders.
 *
 * One audit log per process, used from one thread.
 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "audit.h"
#include "log.h"

/**
 * struct audit_line - one line under construction
 * @buf:	the text
 * @len:	bytes used in @buf
 * @first:	no key has been written yet in the current object
 * @overflow:	the line did not fit in @buf and is dropped
 */
struct audit_line {
	char buf[AUDIT_LINE_MAX];
	size_t len;
	bool first;
	bool overflow;
};

/**
 * struct audit_log - the process's audit log
 * @path:	file name given to audit_open(), NULL when closed
 * @fd:		open file, -1 when closed
 * @buf:	lines not written yet
 * @len:	bytes used in @buf
 * @pending:	lines in @buf
 * @stats:	counters
 * @line:	line under construction
 */
struct audit_log {
	char *path;
	int fd;
	char buf[AUDIT_BUFFER_SIZE];
	size_t len;
	uint64_t pending;
	struct audit_stats stats;
	struct audit_line line;
};

static struct audit_log audit = {.fd = -1};

static int audit_open_fd(const char *path)
{
	if (!strcmp(path, "-"))
		return dup(STDOUT_FILENO);
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

/**
 * audit_open() - start writing the audit log to a file
 * @path:	file to append to, created with mode 0640 if missing; "-"
 *		for standard output
 *
 * Return: 0, -EBUSY if a log is already open, or a negative errno from
 * open()
 */
int audit_open(const char *path)
{
	int fd;

	if (audit.path)
		return -EBUSY;

	fd = audit_open_fd(path);
	if (fd < 0) {
		log_err_perror("audit: cannot open %s", path);
		return -errno;
	}
	audit.path = strdup(path);
	if (!audit.path) {
		close(fd);
		return -ENOMEM;
	}
	audit.fd = fd;
	audit.len = 0;
	audit.pending = 0;
	log_info("audit: appending to %s", path);
	return 0;
}

/**
 * audit_flush() - write the buffered lines
 *
 * Return: 0, or a negative errno if the write failed (the lines are then
 * discarded, counted and the error logged)
 */
int audit_flush(void)
{
	size_t done = 0;
	ssize_t n;
	int ret = 0;

	if (audit.fd < 0 || !audit.len)
		return 0;

	while (done < audit.len) {
		n = write(audit.fd, audit.buf + done, audit.len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}

	if (ret) {
		audit.stats.write_errors++;
		audit.stats.lines_dropped += audit.pending;
		log_ratelimited(
		    LOG_WARN, "audit: cannot write to %s, %llu lines lost: %s",
		    audit.path, (unsigned long long)audit.pending,
		    strerror(-ret));
	} else {
		audit.stats.lines += audit.pending;
	}
	audit.len = 0;
	audit.pending = 0;
	return ret;
}

/**
 * audit_reopen() - reopen the log file by name, after log rotation
 *
 * Writes the buffered lines to the old file first. If the file cannot be
 * opened, the old one stays in use.
 *
 * Return: 0, -EBADF if no log is open, or a negative errno from open()
 */
int audit_reopen(void)
{
	int fd;

	if (!audit.path)
		return -EBADF;

	audit_flush();
	fd = audit_open_fd(audit.path);
	if (fd < 0) {
		log_err_perror("audit: cannot reopen %s, still writing to the "
			       "old file",
			       audit.path);
		return -errno;
	}
	close(audit.fd);
	audit.fd = fd;
	return 0;
}

/**
 * audit_close() - write the buffered lines and close the log
 */
void audit_close(void)
{
	if (!audit.path)
		return;
	audit_flush();
	if (close(audit.fd))
		log_warn_perror("audit: error closing %s", audit.path);
	audit.fd = -1;
	free(audit.path);
	audit.path = NULL;
}

/**
 * audit_stats() - counters of the audit log since the process started
 * @st:		filled with the counters
 */
void audit_stats(struct audit_stats *st)
{
	*st = audit.stats;
}

static void line_put(struct audit_line *l, const char *s, size_t n)
{
	if (l->overflow || n > sizeof(l->buf) - l->len) {
		l->overflow = true;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static void line_puts(struct audit_line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

static void line_begin(struct audit_line *l)
{
	l->len = 0;
	l->overflow = false;
	l->first = true;
	line_puts(l, "{");
}

/* Length of the valid UTF-8 sequence at @s, or 0 if it is not valid. */
static size_t utf8_sequence(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 2;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3;
	else
		return 0;

	/* Second-byte ranges that exclude overlong forms, surrogates and
	 * code points above U+10FFFF (RFC 3629, section 4). */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;

	if (len < need + 1 || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i <= need; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return need + 1;
}

/* Append @s as a JSON string: escaped, invalid UTF-8 as U+FFFD. */
static void line_json_string(struct audit_line *l, const char *s)
{
	const unsigned char *c = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n;
	char esc[8];

	line_puts(l, "\"");
	while (i < len) {
		n = utf8_sequence(c + i, len - i);
		if (!n) {
			line_puts(l, "\xef\xbf\xbd");
			i++;
			continue;
		}
		if (n > 1 || (c[i] >= 0x20 && c[i] != '"' && c[i] != '\\' &&
			      c[i] != 0x7f)) {
			line_put(l, s + i, n);
			i += n;
			continue;
		}

		switch (c[i]) {
		case '"':
			line_puts(l, "\\\"");
			break;
		case '\\':
			line_puts(l, "\\\\");
			break;
		case '\n':
			line_puts(l, "\\n");
			break;
		case '\r':
			line_puts(l, "\\r");
			break;
		case '\t':
			line_puts(l, "\\t");
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c[i]);
			line_puts(l, esc);
		}
		i++;
	}
	line_puts(l, "\"");
}

static void line_key(struct audit_line *l, const char *key)
{
	if (!l->first)
		line_puts(l, ",");
	l->first = false;
	line_puts(l, "\"");
	line_puts(l, key);
	line_puts(l, "\":");
}

/* "key":"value", left out when @value is NULL or empty. */
static void line_string(struct audit_line *l, const char *key,
			const char *value)
{
	if (!value || !value[0])
		return;
	line_key(l, key);
	line_json_string(l, value);
}

static void line_uint(struct audit_line *l, const char *key, uint64_t value)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)value);
	line_key(l, key);
	line_puts(l, num);
}

static void line_true(struct audit_line *l, const char *key)
{
	line_key(l, key);
	line_puts(l, "true");
}

/* "key":"2024-05-01T12:00:00.250Z" for @t seconds since the epoch. */
static void line_time(struct audit_line *l, const char *key, double t)
{
	long long ms = isfinite(t) && t > 0 ? llround(t * 1000.0) : 0;
	time_t secs = (time_t)(ms / 1000);
	char text[96];
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(text, sizeof(text), "\"%04d-%02d-%02dT%02d:%02d:%02d.%03uZ\"",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
	line_key(l, key);
	line_puts(l, text);
}

/* Append a finished line to the output buffer. */
static void line_end(struct audit_line *l)
{
	line_puts(l, "}\n");
	if (l->overflow) {
		audit.stats.lines_dropped++;
		log_ratelimited(LOG_WARN,
				"audit: record longer than %u bytes dropped",
				AUDIT_LINE_MAX);
		return;
	}

	if (l->len > sizeof(audit.buf) - audit.len)
		audit_flush();
	memcpy(audit.buf + audit.len, l->buf, l->len);
	audit.len += l->len;
	audit.pending++;
}

static double audit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Comma-separated tags as a JSON array. */
static void line_tags(struct audit_line *l, const char *tags)
{
	const char *start = tags, *comma;
	char tag[sizeof(((struct verdict *)0)->tags)];
	size_t n;

	if (!tags[0])
		return;
	line_key(l, "tags");
	line_puts(l, "[");
	while (start) {
		comma = strchr(start, ',');
		n = comma ? (size_t)(comma - start) : strlen(start);
		memcpy(tag, start, n);
		tag[n] = '\0';
		if (start != tags)
			line_puts(l, ",");
		line_json_string(l, tag);
		start = comma ? comma + 1 : NULL;
	}
	line_puts(l, "]");
}

static void line_answers(struct audit_line *l, const struct verdict *v)
{
	char text[INET_ADDRSTRLEN];
	unsigned i;

	if (!v->answer_count)
		return;
	line_key(l, "answers");
	line_puts(l, "[");
	for (i = 0; i < v->answer_count; i++) {
		inet_ntop(AF_INET, &v->answers[i], text, sizeof(text));
		if (i)
			line_puts(l, ",");
		line_json_string(l, text);
	}
	line_puts(l, "]");
	if (v->ttl)
		line_uint(l, "ttl", v->ttl);
}

static void line_audit_entries(struct audit_line *l, const struct verdict *v)
{
	const struct verdict_audit *a;
	unsigned i;

	if (!v->audit_count)
		return;
	line_key(l, "audit");
	line_puts(l, "[");
	for (i = 0; i < v->audit_count; i++) {
		a = &v->audit[i];
		line_puts(l, i ? ",{" : "{");
		l->first = true;
		line_string(l, "verdict", verdict_action_name(a->action));
		line_string(l, "rule", a->rule);
		line_string(l, "reason", a->reason);
		line_puts(l, "}");
	}
	line_puts(l, "]");
	l->first = false;
}

static void line_event(struct audit_line *l, const struct policy_event *ev)
{
	switch (ev->type) {
	case POLICY_EVENT_CONNECT:
		line_string(l, "event", "connect");
		line_uint(l, "id", ev->id);
		line_string(l, "proto", ev->connect.proto);
		line_string(l, "src", ev->src);
		line_uint(l, "src_port", ev->src_port);
		line_string(l, "dst", ev->connect.dst);
		line_uint(l, "port", ev->connect.port);
		line_string(l, "name", ev->connect.name);
		break;
	case POLICY_EVENT_DNS:
		line_string(l, "event", "dns");
		line_uint(l, "id", ev->id);
		line_string(l, "proto", ev->dns.proto);
		line_string(l, "src", ev->src);
		line_string(l, "name", ev->dns.name);
		line_string(l, "qtype", ev->dns.type);
		line_string(l, "qclass", ev->dns.klass);
		break;
	default:
		line_string(l, "event", "unknown");
		line_uint(l, "id", ev->id);
	}
}

/**
 * audit_decision() - log one decision: the event and its verdict
 * @ev:		the event as the rules saw it; its time is the line's time
 * @v:		the verdict from policy_decide()
 */
void audit_decision(const struct policy_event *ev, const struct verdict *v)
{
	struct audit_line *l = &audit.line;

	if (audit.fd < 0)
		return;

	line_begin(l);
	line_time(l, "time", ev->time);
	line_event(l, ev);
	line_string(l, "verdict", verdict_action_name(v->action));
	if (v->is_default)
		line_true(l, "default");
	line_string(l, "rule", v->rule);
	line_string(l, "reason", v->reason);
	if (v->status)
		line_uint(l, "status", (uint64_t)v->status);
	line_string(l, "rcode", policy_rcode_name(v->rcode));
	line_answers(l, v);
	line_tags(l, v->tags);
	line_string(l, "error", v->error);
	line_audit_entries(l, v);
	line_uint(l, "generation", v->generation);
	line_end(l);
}

/**
 * audit_flow() - log a finished flow with its byte counts and duration
 * @flow:	the flow; its end time is the line's time
 */
void audit_flow(const struct audit_flow *flow)
{
	struct audit_line *l = &audit.line;
	char duration[32];

	if (audit.fd < 0)
		return;

	snprintf(duration, sizeof(duration), "%.3f",
		 flow->end > flow->start ? flow->end - flow->start : 0.0);

	line_begin(l);
	line_time(l, "time", flow->end);
	line_string(l, "event", "flow");
	line_uint(l, "id", flow->id);
	line_string(l, "proto", flow->proto);
	line_string(l, "src", flow->src);
	line_uint(l, "src_port", flow->src_port);
	line_string(l, "dst", flow->dst);
	line_uint(l, "port", flow->port);
	line_string(l, "name", flow->name);
	line_string(l, "upstream", flow->upstream);
	line_uint(l, "bytes_from_guest", flow->bytes_from_guest);
	line_uint(l, "bytes_to_guest", flow->bytes_to_guest);
	line_key(l, "duration");
	line_puts(l, duration);
	line_string(l, "close", flow->close_reason);
	line_uint(l, "generation", flow->generation);
	line_end(l);
}

/**
 * audit_lifecycle() - log that sluice started or is stopping
 * @time:	seconds since the epoch, 0 for now
 * @what:	"start" or "stop"
 * @version:	sluice's version
 * @pid:	sluice's process id
 *
 * Ids and generation numbers start again with each process, so these
 * lines mark where one run of sluice ends in an appended audit log.
 */
void audit_lifecycle(double time, const char *what, const char *version,
		     long pid)
{
	struct audit_line *l = &audit.line;

	if (audit.fd < 0)
		return;

	line_begin(l);
	line_time(l, "time", time > 0 ? time : audit_now());
	line_string(l, "event", what);
	line_string(l, "version", version);
	line_uint(l, "pid", (uint64_t)pid);
	line_end(l);
}

/**
 * audit_reload() - log the result of loading a rules generation
 * @time:	seconds since the epoch, 0 for now
 * @generation:	number of the generation that was loaded
 * @error:	NULL if it loaded and is now in force, else the reason
 *		("file.lua:LINE: message"); the previous rules stay in force
 */
void audit_reload(double time, unsigned generation, const char *error)
{
	struct audit_line *l = &audit.line;

	if (audit.fd < 0)
		return;

	line_begin(l);
	line_time(l, "time", time > 0 ? time : audit_now());
	line_string(l, "event", "reload");
	line_uint(l, "generation", generation);
	line_key(l, "ok");
	line_puts(l, error ? "false" : "true");
	line_string(l, "error", error);
	line_end(l);
}
