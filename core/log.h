/* SPDX-License-Identifier: MIT */
/* log.h - leveled logging to stderr with flow tags and rate limiting */

#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

#include <stdbool.h>
#include <stdint.h>

/**
 * enum log_level - severity of a log line, most severe first
 * @LOG_ERR:	an operation failed and was abandoned
 * @LOG_WARN:	something unexpected was handled (a drop, a refusal)
 * @LOG_INFO:	lifecycle events: start, stop, guest connect, reload
 * @LOG_DEBUG:	per-flow and per-packet detail
 */
enum log_level {
	LOG_ERR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

/**
 * struct log_ratelimit - state of one rate-limited call site
 * @window_start:	start of the current window, seconds (monotonic)
 * @printed:		lines printed in the current window
 * @suppressed:		lines dropped since the last printed line
 * @fmt:		format of the call site's message, to name it when
 *			log_ratelimit_flush() reports suppressed lines
 * @level:		level of the call site's message
 * @next:		next call site with suppressed lines
 * @listed:		the call site is on the list of log_ratelimit_flush()
 * @first:		text of the first line suppressed since the last report,
 *			or empty
 */
struct log_ratelimit {
	int64_t window_start;
	unsigned printed;
	unsigned long suppressed;
	const char *fmt;
	enum log_level level;
	struct log_ratelimit *next;
	bool listed;
	char first[160];
};

/* Lines a rate-limited call site may print per window, and the window. */
#define LOG_RATELIMIT_BURST 5
#define LOG_RATELIMIT_SECONDS 10

extern enum log_level log_max_level;

void log_init(enum log_level max_level);
int log_level_parse(const char *name, enum log_level *level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_msg_errno(enum log_level level, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool log_ratelimit_allow(struct log_ratelimit *rl, unsigned long *suppressed);
void log_ratelimit_note(struct log_ratelimit *rl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_ratelimit_flush(bool all);

/* The level test comes first, so arguments cost nothing when it is off. */
#define log_at(level, ...)                                                     \
	do {                                                                   \
		if ((level) <= log_max_level)                                  \
			log_msg((level), __VA_ARGS__);                         \
	} while (0)

#define log_err(...)   log_at(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_at(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)

/* The _perror variants append ": strerror(errno)". */
#define log_err_perror(...)  log_msg_errno(LOG_ERR, errno, __VA_ARGS__)
#define log_warn_perror(...) log_msg_errno(LOG_WARN, errno, __VA_ARGS__)

/**
 * log_ratelimited() - log at most LOG_RATELIMIT_BURST lines per window from
 * this call site, then report how many were suppressed
 *
 * The count is printed before the call site's next line, or by
 * log_ratelimit_flush() once the window is over, with the text of the
 * first suppressed line (the only one that is formatted).
 */
#define log_ratelimited(severity, format, ...)                                 \
	do {                                                                   \
		static struct log_ratelimit rl_ = {.fmt = (format),            \
						   .level = (severity)};       \
		unsigned long dropped_;                                        \
		if ((severity) > log_max_level)                                \
			break;                                                 \
		if (!log_ratelimit_allow(&rl_, &dropped_)) {                   \
			if (rl_.suppressed == 1)                               \
				log_ratelimit_note(&rl_, format,               \
						   ##__VA_ARGS__);             \
			break;                                                 \
		}                                                              \
		if (dropped_)                                                  \
			log_msg((severity),                                    \
				"(%lu similar message%s suppressed)",          \
				dropped_, dropped_ == 1 ? "" : "s");           \
		log_msg((severity), format, ##__VA_ARGS__);                    \
	} while (0)

#endif /* SLUICE_LOG_H */
