// SPDX-License-Identifier: MIT
/* test_policy_util.c - rules directories, events and a watchdog for the policy tests */

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test_policy_util.h"

char test_err[512];

struct policy *load_dir(const char *dir, bool default_allow)
{
	struct policy_opts opts = {
	    .rules_dir = dir,
	    .lua_dir = TEST_LUA_DIR,
	    .default_allow = default_allow,
	    .generation = 7,
	};
	struct policy *p = NULL;

	test_err[0] = '\0';
	if (policy_load(&opts, &p, test_err, sizeof(test_err))) {
		fprintf(stderr, "policy_load(%s): %s\n", dir, test_err);
		return NULL;
	}
	return p;
}

struct policy *load_fixture(const char *name)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/%s", FIXTURES, name);
	return load_dir(dir, false);
}

/* Load @dir and return the error code, with the message in test_err. */
int load_error(const char *dir, size_t memory_limit)
{
	struct policy_opts opts = {
	    .rules_dir = dir,
	    .lua_dir = TEST_LUA_DIR,
	    .memory_limit = memory_limit,
	};
	struct policy *p = NULL;
	int ret;

	test_err[0] = '\0';
	ret = policy_load(&opts, &p, test_err, sizeof(test_err));
	if (!ret)
		policy_unref(p);
	return ret;
}

struct policy_event connect_event(uint16_t port, const char *name)
{
	struct policy_event ev = {
	    .type = POLICY_EVENT_CONNECT,
	    .id = 1,
	    .time = 1700000000.0,
	    .src = "10.0.2.15",
	    .src_port = 40000,
	    .connect = {.proto = "tcp",
			.dst = "192.0.2.7",
			.name = name,
			.port = port},
	};

	return ev;
}

struct policy_event dns_event(const char *name)
{
	struct policy_event ev = {
	    .type = POLICY_EVENT_DNS,
	    .id = 2,
	    .time = 1700000000.0,
	    .src = "10.0.2.15",
	    .dns = {.name = name, .type = "A", .klass = "IN", .proto = "udp"},
	};

	return ev;
}

bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void watchdog_fired(int sig)
{
	static const char msg[] = "runaway rule was not stopped within "
				  "the watchdog time\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

void watchdog_arm(void)
{
	signal(SIGALRM, watchdog_fired);
	alarm(WATCHDOG_SECONDS);
}

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Temporary rules directories, removed by tmp_remove(). */
void tmp_create(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/sluice-test-policy-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(2);
	}
}

void tmp_write(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(2);
	}
}

static int tmp_remove_entry(const char *path, const struct stat *st, int flag,
			    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tmp_remove(const char *dir)
{
	nftw(dir, tmp_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A one-file rules directory; returns the policy or NULL (test_err is set). */
struct policy *load_source(const char *source, size_t memory_limit)
{
	struct policy_opts opts = {
	    .lua_dir = TEST_LUA_DIR,
	    .memory_limit = memory_limit,
	    .generation = 1,
	};
	struct policy *p = NULL;
	char dir[64];

	tmp_create(dir, sizeof(dir));
	tmp_write(dir, "10-rule.lua", source);
	opts.rules_dir = dir;
	test_err[0] = '\0';
	if (policy_load(&opts, &p, test_err, sizeof(test_err)))
		p = NULL;
	tmp_remove(dir);
	return p;
}
