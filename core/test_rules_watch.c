// SPDX-License-Identifier: MIT
/* test_rules_watch.c - rules directory watch: settle time, subdirectories */

#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "rules_watch.h"
#include "unit.h"

/* Settle time used by the tests, in seconds. */
#define SETTLE 0.1

/**
 * struct watch_test - one test's loop, directory and observations
 * @loop:	private event loop
 * @dir:	temporary rules directory
 * @watch:	the watch under test
 * @reloads:	callback runs so far
 * @stop_at:	loop stops when @reloads reaches this
 * @deadline:	stops the loop when the test takes too long
 * @step:	drives the test's file changes
 * @steps:	how many times @step has run
 * @action:	called from @step with the step number
 */
struct watch_test {
	struct ev_loop *loop;
	char dir[64];
	struct rules_watch *watch;
	int reloads;
	int stop_at;
	ev_timer deadline;
	ev_timer step;
	int steps;
	void (*action)(struct watch_test *t, int step);
};

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(2);
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void on_reload(void *arg)
{
	struct watch_test *t = arg;

	t->reloads++;
	if (t->reloads == t->stop_at)
		ev_break(t->loop, EVBREAK_ALL);
}

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void on_step(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct watch_test *t = w->data;

	(void)loop;
	(void)revents;
	t->action(t, t->steps++);
}

/* Set up a watched temporary directory; @interval spaces the steps. */
static int watch_test_start(struct watch_test *t, double interval,
			    void (*action)(struct watch_test *, int))
{
	memset(t, 0, sizeof(*t));
	t->loop = ev_loop_new(EVFLAG_AUTO);
	snprintf(t->dir, sizeof(t->dir), "/tmp/sluice-test-watch-XXXXXX");
	if (!t->loop || !mkdtemp(t->dir))
		return -1;
	write_file(t->dir, "10-base.lua", "return {}\n");
	t->action = action;
	t->stop_at = -1;
	ev_timer_init(&t->step, on_step, interval, interval);
	t->step.data = t;
	ev_timer_start(t->loop, &t->step);
	return rules_watch_start(t->loop, t->dir, SETTLE, on_reload, t,
				 &t->watch);
}

/* Run the loop until @stop_at reloads or @seconds pass. */
static void watch_test_run(struct watch_test *t, int stop_at, double seconds)
{
	t->stop_at = stop_at;
	ev_timer_init(&t->deadline, on_deadline, seconds, 0);
	ev_timer_start(t->loop, &t->deadline);
	ev_run(t->loop, 0);
	ev_timer_stop(t->loop, &t->deadline);
}

static void watch_test_end(struct watch_test *t)
{
	ev_timer_stop(t->loop, &t->step);
	rules_watch_stop(t->watch);
	ev_loop_destroy(t->loop);
	remove_tree(t->dir);
}

static void burst_of_writes(struct watch_test *t, int step)
{
	char name[32];

	if (step >= 5)
		return;
	snprintf(name, sizeof(name), "%02d-rule.lua", step + 20);
	write_file(t->dir, name, "return {}\n");
}

static void watch_burst_gives_one_reload(void)
{
	struct watch_test t;

	/* Five writes 20 ms apart, each inside the 100 ms settle time. */
	CHECK_INT(watch_test_start(&t, 0.02, burst_of_writes), 0);
	watch_test_run(&t, -1, 1.0);
	CHECK_INT(t.steps > 5, 1);
	CHECK_INT(t.reloads, 1);
	watch_test_end(&t);
}

static void rename_onto_rule(struct watch_test *t, int step)
{
	char from[256], to[256];

	if (step)
		return;
	write_file(t->dir, ".10-base.lua.tmp", "return { }\n");
	snprintf(from, sizeof(from), "%s/.10-base.lua.tmp", t->dir);
	snprintf(to, sizeof(to), "%s/10-base.lua", t->dir);
	rename(from, to);
}

static void watch_rename_triggers_reload(void)
{
	struct watch_test t;

	CHECK_INT(watch_test_start(&t, 0.02, rename_onto_rule), 0);
	watch_test_run(&t, 1, 1.0);
	CHECK_INT(t.reloads, 1);
	watch_test_end(&t);
}

static void editor_temporaries(struct watch_test *t, int step)
{
	if (step)
		return;
	write_file(t->dir, ".10-base.lua.swp", "swap");
	write_file(t->dir, "10-base.lua~", "backup");
	write_file(t->dir, "#10-base.lua#", "autosave");
	write_file(t->dir, "4913", "");
}

static void watch_ignores_editor_temporaries(void)
{
	struct watch_test t;

	CHECK_INT(watch_test_start(&t, 0.02, editor_temporaries), 0);
	watch_test_run(&t, 1, 0.5);
	CHECK_INT(t.reloads, 0);
	watch_test_end(&t);
}

static void subdirectory_then_module(struct watch_test *t, int step)
{
	char lib[128];

	snprintf(lib, sizeof(lib), "%s/lib", t->dir);
	if (step == 0)
		mkdir(lib, 0700);
	else if (step == 10)
		write_file(lib, "net.lua", "return {}\n");
}

static void watch_follows_new_subdirectory(void)
{
	struct watch_test t;

	/* mkdir at 0 ms (reload 1 at about 100 ms), module at 300 ms. */
	CHECK_INT(watch_test_start(&t, 0.03, subdirectory_then_module), 0);
	watch_test_run(&t, 2, 2.0);
	CHECK_INT(t.reloads, 2);
	CHECK_INT(rules_watch_dirs(t.watch), 2);
	watch_test_end(&t);
}

static void steady_writes(struct watch_test *t, int step)
{
	(void)step;
	write_file(t->dir, "10-base.lua", "return {}\n");
}

static void watch_steady_changes_still_reload(void)
{
	struct watch_test t;

	/* A write every 30 ms never leaves 100 ms of quiet; the cap of ten
	 * settle times must still give a reload within about 1 s. */
	CHECK_INT(watch_test_start(&t, 0.03, steady_writes), 0);
	watch_test_run(&t, 1, 2.0);
	CHECK_INT(t.reloads, 1);
	watch_test_end(&t);
}

static void remove_and_recreate(struct watch_test *t, int step)
{
	if (step == 0)
		remove_tree(t->dir);
	else if (step == 5) {
		mkdir(t->dir, 0700);
		write_file(t->dir, "10-base.lua", "return {}\n");
	}
}

static void watch_survives_directory_removal(void)
{
	struct watch_test t;

	/* Removed at 0 ms: reload 1. Recreated at 500 ms and picked up by
	 * the retry timer about 1 s after the removal: reload 2. */
	CHECK_INT(watch_test_start(&t, 0.1, remove_and_recreate), 0);
	watch_test_run(&t, 2, 3.0);
	CHECK_INT(t.reloads, 2);
	CHECK_INT(rules_watch_dirs(t.watch), 1);
	watch_test_end(&t);
}

static void watch_missing_directory_fails(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct rules_watch *w = NULL;

	CHECK(loop);
	CHECK_INT(rules_watch_start(loop, "/tmp/sluice-test-no-such-dir", 0,
				    on_reload, NULL, &w),
		  -ENOENT);
	CHECK(!w);
	ev_loop_destroy(loop);
}

UNIT_MAIN(UNIT_TEST(watch_burst_gives_one_reload),
	  UNIT_TEST(watch_rename_triggers_reload),
	  UNIT_TEST(watch_ignores_editor_temporaries),
	  UNIT_TEST(watch_follows_new_subdirectory),
	  UNIT_TEST(watch_steady_changes_still_reload),
	  UNIT_TEST(watch_survives_directory_removal),
	  UNIT_TEST(watch_missing_directory_fails))
