// SPDX-License-Identifier: MIT
/* test_audit.c - audit log: exact JSON lines, escaping, buffering, rotation */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "audit.h"
#include "unit.h"

static char path[64];
static char text[8192];

/* Open the audit log on a fresh temporary file. */
static int log_start(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/sluice-test-audit-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	close(fd);
	return audit_open(path);
}

/* Read the file at @file into text. */
static const char *file_text(const char *file)
{
	size_t n = 0;
	FILE *f;

	text[0] = '\0';
	f = fopen(file, "r");
	if (!f)
		return text;
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* Close the log and return what it wrote. */
static const char *log_finish(void)
{
	audit_close();
	file_text(path);
	unlink(path);
	return text;
}

static struct policy_event connect_event(void)
{
	struct policy_event ev = {
	    .type = POLICY_EVENT_CONNECT,
	    .id = 42,
	    .time = 1700000000.25,
	    .src = "10.0.2.15",
	    .src_port = 40000,
	    .connect = {.proto = "tcp",
			.dst = "192.0.2.7",
			.name = "www.example.com",
			.port = 443},
	};

	return ev;
}

static struct policy_event dns_event(const char *name)
{
	struct policy_event ev = {
	    .type = POLICY_EVENT_DNS,
	    .id = 43,
	    .time = 0,
	    .src = "10.0.2.15",
	    .dns = {.name = name, .type = "A", .klass = "IN", .proto = "udp"},
	};

	return ev;
}

static void audit_connect_allow_line(void)
{
	struct policy_event ev = connect_event();
	struct verdict v = {
	    .action = VERDICT_ALLOW,
	    .generation = 7,
	    .rule = "30-allow.lua:6",
	    .reason = "web",
	    .tags = "named,proto-tcp",
	};

	CHECK_INT(log_start(), 0);
	audit_decision(&ev, &v);
	CHECK_STR(
	    log_finish(),
	    "{\"time\":\"2023-11-14T22:13:20.250Z\",\"event\":\"connect\","
	    "\"id\":42,\"proto\":\"tcp\",\"src\":\"10.0.2.15\","
	    "\"src_port\":40000,\"dst\":\"192.0.2.7\",\"port\":443,"
	    "\"name\":\"www.example.com\",\"verdict\":\"allow\","
	    "\"rule\":\"30-allow.lua:6\",\"reason\":\"web\","
	    "\"tags\":[\"named\",\"proto-tcp\"],\"generation\":7}\n");
}

static void audit_dns_default_deny_line(void)
{
	struct policy_event ev = dns_event("unknown.example.net");
	struct verdict v = {
	    .action = VERDICT_DENY,
	    .is_default = true,
	    .rcode = POLICY_RCODE_NXDOMAIN,
	    .generation = 3,
	    .reason = "no rule matched",
	};

	CHECK_INT(log_start(), 0);
	audit_decision(&ev, &v);
	CHECK_STR(log_finish(),
		  "{\"time\":\"1970-01-01T00:00:00.000Z\",\"event\":\"dns\","
		  "\"id\":43,\"proto\":\"udp\",\"src\":\"10.0.2.15\","
		  "\"name\":\"unknown.example.net\",\"qtype\":\"A\","
		  "\"qclass\":\"IN\",\"verdict\":\"deny\",\"default\":true,"
		  "\"reason\":\"no rule matched\",\"rcode\":\"NXDOMAIN\","
		  "\"generation\":3}\n");
}

static void audit_failed_decision_has_error(void)
{
	struct policy_event ev = dns_event("example.com");
	struct verdict v = {
	    .action = VERDICT_DENY,
	    .failed = true,
	    .rcode = POLICY_RCODE_SERVFAIL,
	    .generation = 1,
	    .error = "10-rule.lua:4: instruction budget of 1000000 "
		     "exhausted",
	};

	CHECK_INT(log_start(), 0);
	audit_decision(&ev, &v);
	CHECK_STR(log_finish(),
		  "{\"time\":\"1970-01-01T00:00:00.000Z\",\"event\":\"dns\","
		  "\"id\":43,\"proto\":\"udp\",\"src\":\"10.0.2.15\","
		  "\"name\":\"example.com\",\"qtype\":\"A\",\"qclass\":\"IN\","
		  "\"verdict\":\"deny\",\"rcode\":\"SERVFAIL\","
		  "\"error\":\"10-rule.lua:4: instruction budget of 1000000 "
		  "exhausted\",\"generation\":1}\n");
}

static void audit_rewrite_and_audit_entries(void)
{
	struct policy_event ev = dns_event("intranet.example");
	struct verdict v = {
	    .action = VERDICT_REWRITE,
	    .generation = 2,
	    .rule = "10-rewrite.lua:5",
	    .answer_count = 2,
	    .ttl = 60,
	    .audit_count = 2,
	    .audit = {{.rule = "05-audit.lua:8",
		       .reason = "would block",
		       .action = VERDICT_DENY},
		      {.rule = "06-audit.lua:3", .action = VERDICT_ALLOW}},
	};

	v.answers[0] = htonl(0xc000020a);
	v.answers[1] = htonl(0xc000020b);
	CHECK_INT(log_start(), 0);
	audit_decision(&ev, &v);
	CHECK_STR(
	    log_finish(),
	    "{\"time\":\"1970-01-01T00:00:00.000Z\",\"event\":\"dns\","
	    "\"id\":43,\"proto\":\"udp\",\"src\":\"10.0.2.15\","
	    "\"name\":\"intranet.example\",\"qtype\":\"A\","
	    "\"qclass\":\"IN\",\"verdict\":\"rewrite\","
	    "\"rule\":\"10-rewrite.lua:5\","
	    "\"answers\":[\"192.0.2.10\",\"192.0.2.11\"],\"ttl\":60,"
	    "\"audit\":[{\"verdict\":\"deny\",\"rule\":\"05-audit.lua:8\","
	    "\"reason\":\"would block\"},{\"verdict\":\"allow\","
	    "\"rule\":\"06-audit.lua:3\"}],\"generation\":2}\n");
}

static void audit_escapes_quotes_and_controls(void)
{
	CHECK_INT(log_start(), 0);
	audit_reload(1.0, 5, "a\"b\\c\nd\re\tf\x01g\x1fh\x7fi/j");
	CHECK_STR(
	    log_finish(),
	    "{\"time\":\"1970-01-01T00:00:01.000Z\",\"event\":\"reload\","
	    "\"generation\":5,\"ok\":false,"
	    "\"error\":\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh\\u007fi/j\"}"
	    "\n");
}

static void audit_replaces_invalid_utf8(void)
{
	/* A lone 0xff, a cut 3-byte sequence, an overlong '/', a UTF-16
	 * surrogate, a code point above U+10FFFF; then valid 2-, 3- and
	 * 4-byte sequences, which pass unchanged. */
	CHECK_INT(log_start(), 0);
	audit_reload(1.0, 5,
		     "A\xff"
		     "B\xe2\x82"
		     "C\xc0\xaf"
		     "D\xed\xa0\x80"
		     "E\xf4\x90\x80\x80"
		     "F\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	CHECK_STR(log_finish(),
		  "{\"time\":\"1970-01-01T00:00:01.000Z\",\"event\":\"reload\","
		  "\"generation\":5,\"ok\":false,\"error\":\""
		  "A\xef\xbf\xbd"
		  "B\xef\xbf\xbd\xef\xbf\xbd"
		  "C\xef\xbf\xbd\xef\xbf\xbd"
		  "D\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		  "E\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		  "F\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}\n");
}

static void audit_flow_line(void)
{
	struct audit_flow flow = {
	    .id = 42,
	    .proto = "tcp",
	    .src = "10.0.2.15",
	    .src_port = 40000,
	    .dst = "192.0.2.7",
	    .port = 443,
	    .name = "www.example.com",
	    .bytes_from_guest = 517,
	    .bytes_to_guest = 1048576,
	    .start = 1700000000.25,
	    .end = 1700000002.5,
	    .close_reason = "fin",
	    .generation = 7,
	};

	CHECK_INT(log_start(), 0);
	audit_flow(&flow);
	CHECK_STR(log_finish(),
		  "{\"time\":\"2023-11-14T22:13:22.500Z\",\"event\":\"flow\","
		  "\"id\":42,\"proto\":\"tcp\",\"src\":\"10.0.2.15\","
		  "\"src_port\":40000,\"dst\":\"192.0.2.7\",\"port\":443,"
		  "\"name\":\"www.example.com\",\"bytes_from_guest\":517,"
		  "\"bytes_to_guest\":1048576,\"duration\":2.250,"
		  "\"close\":\"fin\",\"generation\":7}\n");
}

static void audit_reload_ok_line(void)
{
	CHECK_INT(log_start(), 0);
	audit_reload(1714564800.999, 12, NULL);
	CHECK_STR(log_finish(),
		  "{\"time\":\"2024-05-01T12:00:00.999Z\",\"event\":\"reload\","
		  "\"generation\":12,\"ok\":true}\n");
}

static void audit_reload_without_time_uses_now(void)
{
	const char *line;

	CHECK_INT(log_start(), 0);
	audit_reload(0, 1, NULL);
	line = log_finish();
	CHECK(!strncmp(line, "{\"time\":\"20", 11));
	CHECK(strstr(line, "Z\",\"event\":\"reload\""));
}

static void audit_buffers_until_flush(void)
{
	struct audit_stats before, after;
	struct stat st;

	audit_stats(&before);
	CHECK_INT(log_start(), 0);
	audit_reload(1.0, 1, NULL);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_size, 0);

	CHECK_INT(audit_flush(), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK(st.st_size > 0);
	audit_stats(&after);
	CHECK_INT(after.lines - before.lines, 1);
	log_finish();
}

static void audit_close_writes_buffered_lines(void)
{
	int i;

	CHECK_INT(log_start(), 0);
	for (i = 0; i < 3; i++)
		audit_reload(1.0, (unsigned)i, NULL);
	log_finish();
	CHECK_STR(text,
		  "{\"time\":\"1970-01-01T00:00:01.000Z\",\"event\":\"reload\","
		  "\"generation\":0,\"ok\":true}\n"
		  "{\"time\":\"1970-01-01T00:00:01.000Z\",\"event\":\"reload\","
		  "\"generation\":1,\"ok\":true}\n"
		  "{\"time\":\"1970-01-01T00:00:01.000Z\",\"event\":\"reload\","
		  "\"generation\":2,\"ok\":true}\n");
}

static void audit_full_buffer_is_written(void)
{
	unsigned lines = AUDIT_BUFFER_SIZE / 64 + 10, i;
	struct stat st;

	CHECK_INT(log_start(), 0);
	for (i = 0; i < lines; i++)
		audit_reload(1.0, i, NULL);
	CHECK_INT(stat(path, &st), 0);
	CHECK(st.st_size > 0);
	log_finish();
}

static void audit_reopen_follows_rotation(void)
{
	char rotated[80];

	CHECK_INT(log_start(), 0);
	audit_reload(1.0, 1, NULL);
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	CHECK_INT(rename(path, rotated), 0);
	CHECK_INT(audit_reopen(), 0);
	audit_reload(1.0, 2, NULL);
	log_finish();
	CHECK_STR(text,
		  "{\"time\":\"1970-01-01T00:00:01.000Z\",\"event\":\"reload\","
		  "\"generation\":2,\"ok\":true}\n");

	file_text(rotated);
	unlink(rotated);
	CHECK_STR(text,
		  "{\"time\":\"1970-01-01T00:00:01.000Z\",\"event\":\"reload\","
		  "\"generation\":1,\"ok\":true}\n");
}

static void audit_write_error_is_counted(void)
{
	struct audit_stats before, after;

	if (access("/dev/full", W_OK)) {
		printf("skip audit_write_error_is_counted: no /dev/full\n");
		return;
	}
	audit_stats(&before);
	CHECK_INT(audit_open("/dev/full"), 0);
	audit_reload(1.0, 1, NULL);
	audit_reload(1.0, 2, NULL);
	CHECK_INT(audit_flush(), -ENOSPC);
	audit_close();
	audit_stats(&after);
	CHECK_INT(after.write_errors - before.write_errors, 1);
	CHECK_INT(after.lines_dropped - before.lines_dropped, 2);
	CHECK_INT(after.lines - before.lines, 0);
}

static void audit_second_open_is_rejected(void)
{
	CHECK_INT(log_start(), 0);
	CHECK_INT(audit_open(path), -EBUSY);
	log_finish();
}

static void audit_closed_log_ignores_records(void)
{
	struct audit_stats before, after;

	audit_stats(&before);
	audit_reload(1.0, 1, NULL);
	CHECK_INT(audit_flush(), 0);
	CHECK_INT(audit_reopen(), -EBADF);
	audit_stats(&after);
	CHECK_INT(after.lines, before.lines);
}

UNIT_MAIN(UNIT_TEST(audit_connect_allow_line),
	  UNIT_TEST(audit_dns_default_deny_line),
	  UNIT_TEST(audit_failed_decision_has_error),
	  UNIT_TEST(audit_rewrite_and_audit_entries),
	  UNIT_TEST(audit_escapes_quotes_and_controls),
	  UNIT_TEST(audit_replaces_invalid_utf8), UNIT_TEST(audit_flow_line),
	  UNIT_TEST(audit_reload_ok_line),
	  UNIT_TEST(audit_reload_without_time_uses_now),
	  UNIT_TEST(audit_buffers_until_flush),
	  UNIT_TEST(audit_close_writes_buffered_lines),
	  UNIT_TEST(audit_full_buffer_is_written),
	  UNIT_TEST(audit_reopen_follows_rotation),
	  UNIT_TEST(audit_write_error_is_counted),
	  UNIT_TEST(audit_second_open_is_rejected),
	  UNIT_TEST(audit_closed_log_ignores_records))
