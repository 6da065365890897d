// SPDX-License-Identifier: MIT
/* rules_watch.c - inotify watch on the rules directory that triggers reloads */

/*
 * How it works
 *
 * One inotify descriptor, read from an ev_io watcher, watches the rules
 * directory and every subdirectory below it (helper modules live there),
 * up to RULES_WATCH_DEPTH_MAX levels and RULES_WATCH_DIRS_MAX directories.
 * New subdirectories are added as they appear.
 *
 * Each relevant event restarts a settle timer. Relevant events are a file
 * written and closed, created, deleted or renamed, and a directory added
 * or removed. The callback runs once the directory has been quiet for the
 * settle time, so an editor's burst of events gives one reload. A stream
 * of changes that never pauses still reloads after
 * RULES_WATCH_MAX_DELAY_FACTOR settle times.
 *
 * Events on editor temporaries are ignored: hidden names (".x.lua.swp",
 * ".#x.lua") except those starting with ".." (the atomic swap directories
 * that Kubernetes uses for mounted config maps), names ending in "~",
 * names starting with "#", and vim's "4913" probe file.
 *
 * If the rules directory itself is deleted or renamed, the callback runs
 * (the reload then fails and the rules in force stay) and the watcher
 * tries to watch the path again every RULES_WATCH_RETRY_SECONDS; when it
 * is back, another reload follows.
 *
 * SIGHUP is not handled here: the gateway calls its reload entry point
 * directly on SIGHUP.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "rules_watch.h"

#define RULES_WATCH_MASK                                                       \
	(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM |              \
	 IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/**
 * struct rules_watch_dir - one watched directory
 * @wd:		inotify watch descriptor
 * @depth:	0 for the rules directory, 1 for its subdirectories, ...
 * @path:	path of the directory, malloc'd
 */
struct rules_watch_dir {
	int wd;
	int depth;
	char *path;
};

/**
 * struct rules_watch - watch on one rules directory
 * @loop:		event loop the watchers run on
 * @root:		the rules directory, malloc'd
 * @fd:			inotify descriptor
 * @io:			readability of @fd
 * @settle_timer:	runs the callback after the settle time
 * @retry_timer:	re-adds the watch after the directory disappeared
 * @settle:		settle time in seconds
 * @burst_start:	loop time of the first event not yet reloaded, or 0
 * @fn:			reload entry point
 * @arg:		argument of @fn
 * @dirs:		watched directories
 * @dir_count:		entries used in @dirs
 * @root_lost:		the rules directory is not watched
 * @full_warned:	the limit on watched directories was logged
 */
struct rules_watch {
	struct ev_loop *loop;
	char *root;
	int fd;
	ev_io io;
	ev_timer settle_timer;
	ev_timer retry_timer;
	double settle;
	double burst_start;
	rules_watch_fn fn;
	void *arg;
	struct rules_watch_dir dirs[RULES_WATCH_DIRS_MAX];
	unsigned dir_count;
	bool root_lost;
	bool full_warned;
};

static struct rules_watch_dir *rules_watch_find(struct rules_watch *w, int wd)
{
	unsigned i;

	for (i = 0; i < w->dir_count; i++) {
		if (w->dirs[i].wd == wd)
			return &w->dirs[i];
	}
	return NULL;
}

/* Forget @d (the kernel already dropped its watch, or will). */
static void rules_watch_forget(struct rules_watch *w, struct rules_watch_dir *d)
{
	free(d->path);
	*d = w->dirs[--w->dir_count];
}

static bool rules_watch_is_dir(int dfd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return !fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
	       S_ISDIR(st.st_mode);
}

/*
 * Watch @path and the directories below it. Symlinks are not followed
 * below the rules directory itself.
 * Return: 0 or a negative errno for @path itself; errors below it are
 * logged and skipped.
 */
static int rules_watch_add_tree(struct rules_watch *w, const char *path,
				int depth)
{
	uint32_t mask = RULES_WATCH_MASK | (depth ? IN_DONT_FOLLOW : 0);
	struct rules_watch_dir *d;
	char sub[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int wd;

	if (w->dir_count == RULES_WATCH_DIRS_MAX) {
		if (!w->full_warned)
			log_warn("rules: more than %d directories under %s, "
				 "changes in %s and others are not seen",
				 RULES_WATCH_DIRS_MAX, w->root, path);
		w->full_warned = true;
		return -ENOSPC;
	}

	wd = inotify_add_watch(w->fd, path, mask);
	if (wd < 0)
		return -errno;
	d = rules_watch_find(w, wd);
	if (!d) {
		d = &w->dirs[w->dir_count++];
		d->wd = wd;
		d->path = NULL;
	}
	free(d->path);
	d->path = strdup(path);
	d->depth = depth;

	if (depth >= RULES_WATCH_DEPTH_MAX)
		return 0;
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !rules_watch_is_dir(dirfd(dir), de))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
				     de->d_name) >= sizeof(sub))
			continue;
		if (rules_watch_add_tree(w, sub, depth + 1))
			log_debug("rules: cannot watch %s", sub);
	}
	closedir(dir);
	return 0;
}

static void rules_watch_clear(struct rules_watch *w)
{
	while (w->dir_count) {
		inotify_rm_watch(w->fd, w->dirs[0].wd);
		rules_watch_forget(w, &w->dirs[0]);
	}
}

/* Run the callback after @settle quiet seconds (see the top of the file). */
static void rules_watch_schedule(struct rules_watch *w)
{
	double now = ev_now(w->loop);

	if (!w->burst_start)
		w->burst_start = now;
	else if (now - w->burst_start >=
		 w->settle * RULES_WATCH_MAX_DELAY_FACTOR)
		return; /* the timer runs soon; do not push it back */

	w->settle_timer.repeat = w->settle;
	ev_timer_again(w->loop, &w->settle_timer);
}

static void rules_watch_settled(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct rules_watch *w = t->data;

	(void)revents;
	ev_timer_stop(loop, t);
	w->burst_start = 0;
	log_debug("rules: %s changed, reloading", w->root);
	w->fn(w->arg);
}

static void rules_watch_lost_root(struct rules_watch *w)
{
	if (w->root_lost)
		return;
	log_warn("rules: %s was removed or renamed, watching for it to "
		 "come back",
		 w->root);
	rules_watch_clear(w);
	w->root_lost = true;
	ev_timer_again(w->loop, &w->retry_timer);
}

static void rules_watch_retry(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct rules_watch *w = t->data;

	(void)revents;
	if (rules_watch_add_tree(w, w->root, 0))
		return;

	log_info("rules: watching %s again", w->root);
	w->root_lost = false;
	ev_timer_stop(loop, t);
	rules_watch_schedule(w);
}

/* Editor temporaries that never affect the loaded rules. */
static bool rules_watch_name_ignored(const char *name)
{
	size_t len = strlen(name);

	if (name[0] == '.' && name[1] != '.')
		return true;
	if (name[0] == '#' || (len && name[len - 1] == '~'))
		return true;
	return !strcmp(name, "4913");
}

/* Handle one event. Return: true if it calls for a reload. */
static bool rules_watch_event(struct rules_watch *w,
			      const struct inotify_event *ev)
{
	struct rules_watch_dir *d;
	char path[PATH_MAX];

	if (ev->mask & IN_Q_OVERFLOW) {
		log_warn("rules: inotify queue overflow, watching %s anew",
			 w->root);
		rules_watch_clear(w);
		if (rules_watch_add_tree(w, w->root, 0))
			rules_watch_lost_root(w);
		return true;
	}

	d = rules_watch_find(w, ev->wd);
	if (!d)
		return false;

	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
		if (!d->depth) {
			rules_watch_lost_root(w);
			return true;
		}
		if (ev->mask & IN_MOVE_SELF) {
			/* The watch follows the directory wherever it went
			 * and the paths below it changed: start over. */
			rules_watch_clear(w);
			if (rules_watch_add_tree(w, w->root, 0))
				rules_watch_lost_root(w);
			return true;
		}
		rules_watch_forget(w, d);
		return ev->mask & IN_DELETE_SELF;
	}

	if (!ev->len)
		return false;
	if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) &&
	    d->depth < RULES_WATCH_DEPTH_MAX &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s", d->path, ev->name) <
		sizeof(path))
		rules_watch_add_tree(w, path, d->depth + 1);

	return (ev->mask & IN_ISDIR) || !rules_watch_name_ignored(ev->name);
}

static void rules_watch_readable(struct ev_loop *loop, ev_io *io, int revents)
{
	char buf[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	struct rules_watch *w = io->data;
	const struct inotify_event *ev;
	bool reload = false;
	ssize_t n;
	char *p;

	(void)loop;
	(void)revents;
	for (;;) {
		n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			reload |= rules_watch_event(w, ev);
		}
	}
	if (n < 0 && errno != EAGAIN)
		log_ratelimited(LOG_WARN, "rules: reading inotify events: %s",
				strerror(errno));

	if (reload)
		rules_watch_schedule(w);
}

/**
 * rules_watch_start() - watch a rules directory and call @fn after changes
 * @loop:	event loop to run the watchers on
 * @dir:	the rules directory
 * @settle:	quiet seconds before @fn runs, 0 for
 *		RULES_WATCH_SETTLE_DEFAULT
 * @fn:		reload entry point
 * @arg:	passed to @fn
 * @out:	set to the new watch
 *
 * Return: 0, or a negative errno: from inotify_init1(), or from
 * inotify_add_watch() on @dir (-ENOENT if it does not exist, -ENOTDIR)
 */
int rules_watch_start(struct ev_loop *loop, const char *dir, double settle,
		      rules_watch_fn fn, void *arg, struct rules_watch **out)
{
	struct rules_watch *w;
	int ret;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = -1;
	w->root = strdup(dir);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (!w->root || w->fd < 0) {
		ret = w->root ? -errno : -ENOMEM;
		goto fail;
	}
	w->loop = loop;
	w->settle = settle > 0 ? settle : RULES_WATCH_SETTLE_DEFAULT;
	w->fn = fn;
	w->arg = arg;

	ret = rules_watch_add_tree(w, dir, 0);
	if (ret)
		goto fail;

	ev_io_init(&w->io, rules_watch_readable, w->fd, EV_READ);
	w->io.data = w;
	ev_io_start(loop, &w->io);
	ev_init(&w->settle_timer, rules_watch_settled);
	w->settle_timer.data = w;
	ev_init(&w->retry_timer, rules_watch_retry);
	w->retry_timer.repeat = RULES_WATCH_RETRY_SECONDS;
	w->retry_timer.data = w;

	*out = w;
	return 0;

fail:
	rules_watch_clear(w);
	if (w->fd >= 0)
		close(w->fd);
	free(w->root);
	free(w);
	return ret;
}

/**
 * rules_watch_stop() - stop watching and free the watch
 * @w:		the watch, or NULL; a reload not yet run is dropped
 */
void rules_watch_stop(struct rules_watch *w)
{
	if (!w)
		return;
	ev_io_stop(w->loop, &w->io);
	ev_timer_stop(w->loop, &w->settle_timer);
	ev_timer_stop(w->loop, &w->retry_timer);
	rules_watch_clear(w);
	close(w->fd);
	free(w->root);
	free(w);
}

/**
 * rules_watch_dirs() - number of directories being watched
 * @w:		the watch
 *
 * Return: the rules directory and its subdirectories that have a watch,
 * 0 while the rules directory is missing
 */
unsigned rules_watch_dirs(const struct rules_watch *w)
{
	return w->dir_count;
}
