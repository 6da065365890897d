// SPDX-License-Identifier: MIT
/* log.c - leveled logging to stderr with flow tags and rate limiting */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

enum log_level log_max_level = LOG_INFO;

/* Rate-limited call sites that have suppressed lines not yet reported. */
static struct log_ratelimit *log_suppressing;

static const char *const log_level_names[] = {
	[LOG_ERR] = "error",
	[LOG_WARN] = "warning",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

/**
 * log_init() - set the most verbose level that is printed
 * @max_level:	lines above this level are discarded
 */
void log_init(enum log_level max_level)
{
	log_max_level = max_level;
}

/**
 * log_level_parse() - parse a level name as given on the command line
 * @name:	"error", "warning", "info" or "debug"
 * @level:	set to the parsed level
 *
 * Return: 0 on success, -EINVAL for an unknown name
 */
int log_level_parse(const char *name, enum log_level *level)
{
	unsigned i;

	for (i = 0; i < sizeof(log_level_names) / sizeof(*log_level_names);
	     i++) {
		if (!strcasecmp(name, log_level_names[i])) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void log_write(enum log_level level, int errnum, const char *fmt,
		      va_list ap)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ sluice %s: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L,
		     log_level_names[level]);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (errnum && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s",
			 strerror(errnum));

	/* One fputs per line, so lines from a crash handler do not mix. */
	fprintf(stderr, "%s\n", line);
}

/**
 * log_msg() - print one line if @level is enabled
 * @level:	severity
 * @fmt:	printf format of the message, without a trailing newline
 */
void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_max_level)
		return;
	va_start(ap, fmt);
	log_write(level, 0, fmt, ap);
	va_end(ap);
}

/**
 * log_msg_errno() - print one line with strerror(@errnum) appended
 * @level:	severity
 * @errnum:	error number to describe, usually errno
 * @fmt:	printf format of the message
 */
void log_msg_errno(enum log_level level, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (level > log_max_level)
		return;
	va_start(ap, fmt);
	log_write(level, errnum, fmt, ap);
	va_end(ap);
}

/**
 * log_ratelimit_allow() - decide whether a rate-limited call site may print
 * @rl:		state of the call site
 * @suppressed:	set to the number of lines suppressed before this one, to be
 *		reported when the call is allowed
 *
 * Return: true if the line may be printed
 */
bool log_ratelimit_allow(struct log_ratelimit *rl, unsigned long *suppressed)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec - rl->window_start >= LOG_RATELIMIT_SECONDS) {
		rl->window_start = ts.tv_sec;
		rl->printed = 0;
	}

	if (rl->printed >= LOG_RATELIMIT_BURST) {
		if (!rl->listed) {
			rl->next = log_suppressing;
			log_suppressing = rl;
			rl->listed = true;
		}
		rl->suppressed++;
		return false;
	}

	rl->printed++;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	rl->first[0] = '\0';
	return true;
}

/**
 * log_ratelimit_note() - record the text of a call site's first suppressed line
 * @rl:		state of the call site
 * @fmt:	printf format of the line
 *
 * log_ratelimited() calls it for the first line of a burst that it does
 * not print, so that the report of the burst shows what was suppressed.
 */
void log_ratelimit_note(struct log_ratelimit *rl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rl->first, sizeof(rl->first), fmt, ap);
	va_end(ap);
}

/* Length of the part of @fmt before its first conversion. */
static int log_format_prefix(const char *fmt)
{
	const char *conversion = strchr(fmt, '%');

	return conversion ? (int)(conversion - fmt) : (int)strlen(fmt);
}

/**
 * log_ratelimit_flush() - report lines that rate-limited call sites suppressed
 * @all:	report every count, as at exit; otherwise only the counts of
 *		call sites whose window is over
 *
 * A call site that suppressed lines and then went quiet would otherwise
 * never report them. Each report shows the first suppressed line, or the
 * start of the call site's format (up to its first conversion) when
 * log_ratelimit_note() did not record one.
 */
void log_ratelimit_flush(bool all)
{
	struct log_ratelimit **link = &log_suppressing, *rl;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	while ((rl = *link)) {
		if (rl->suppressed && !all &&
		    ts.tv_sec - rl->window_start < LOG_RATELIMIT_SECONDS) {
			link = &rl->next;
			continue;
		}

		if (rl->suppressed && rl->level <= log_max_level && rl->first[0])
			log_msg(rl->level,
				"(%lu similar message%s suppressed, the first: "
				"%s)",
				rl->suppressed, rl->suppressed == 1 ? "" : "s",
				rl->first);
		else if (rl->suppressed && rl->level <= log_max_level)
			log_msg(rl->level,
				"(%lu similar message%s suppressed: %.*s...)",
				rl->suppressed, rl->suppressed == 1 ? "" : "s",
				log_format_prefix(rl->fmt), rl->fmt);
		rl->suppressed = 0;
		rl->first[0] = '\0';
		rl->listed = false;
		*link = rl->next;
	}
}
