/* SPDX-License-Identifier: MIT */
/* rules_watch.h - inotify watch on the rules directory that triggers reloads */

#ifndef SLUICE_RULES_WATCH_H
#define SLUICE_RULES_WATCH_H

#include <ev.h>

/* Quiet time after the last change before the reload, in seconds. */
#define RULES_WATCH_SETTLE_DEFAULT 0.2

/* A burst of changes delays the reload by at most this many settle times. */
#define RULES_WATCH_MAX_DELAY_FACTOR 10

/* Seconds between attempts to watch a rules directory that disappeared. */
#define RULES_WATCH_RETRY_SECONDS 1.0

/* Limits on the watched tree: subdirectory depth and directories. */
#define RULES_WATCH_DEPTH_MAX 8
#define RULES_WATCH_DIRS_MAX  256

struct rules_watch;

/**
 * typedef rules_watch_fn - reload entry point called after changes settle
 * @arg:	the argument given to rules_watch_start()
 */
typedef void (*rules_watch_fn)(void *arg);

int rules_watch_start(struct ev_loop *loop, const char *dir, double settle,
		      rules_watch_fn fn, void *arg, struct rules_watch **out);
void rules_watch_stop(struct rules_watch *w);
unsigned rules_watch_dirs(const struct rules_watch *w);

#endif /* SLUICE_RULES_WATCH_H */
