// SPDX-License-Identifier: MIT
/* bench_policy.c - time one connect decision through the rule engine bridge */

/*
 * Writes a rules directory of N files (50 by default) to a temporary
 * directory, each with one connect handler of the chosen kind:
 *
 *   matchers	checks a sluice.ports() set and a sluice.domains() set, as
 *		an allow list does (the default)
 *   compare	compares the port and the name with ==
 *   scoped	the same allow list as matchers, given as the handler's
 *		names and ports scope, so the engine skips the handlers
 *		whose scope does not cover the event without calling them
 *   empty	returns nil at once, to show the cost of dispatch alone
 *   bridge	no rule files, and a stand-in engine whose decide() returns
 *		a constant verdict, to show the cost of the C bridge alone
 *		(event table, protected call, verdict read back)
 *
 * Then times policy_decide() on four connect events: one that the first
 * file allows, one that the file in the middle allows, one that the last
 * file allows, and one that no file matches (every handler runs, the
 * default applies). The kinds that match names also time that last event
 * with a name never seen before in each decision, because the domain sets
 * remember the names they have looked up. Each decision is timed on its
 * own with CLOCK_MONOTONIC and the median and 99th percentile are printed
 * in microseconds.
 *
 * The number of iterations is bounded (at most 1,000,000) and the program
 * stops by itself.
 */

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "policy.h"

#define BENCH_ITERATIONS_MAX 1000000L

static const char usage[] =
    "usage: bench_policy [-n ITERATIONS] [-r RULE_FILES] [-k KIND] "
    "-l LUA_DIR\n"
    "  -n  decisions timed per event (default 20000, at most 1000000)\n"
    "  -r  rule files in the generated directory (default 50)\n"
    "  -k  handler kind: matchers (default), scoped, compare, empty or "
    "bridge\n"
    "  -l  directory that contains sluice/init.lua\n";

static void bench_write_handler(FILE *f, const char *kind, int i)
{
	if (!strcmp(kind, "empty")) {
		fprintf(f, "return {\n"
			   "  connect = function(c) end,\n"
			   "}\n");
	} else if (!strcmp(kind, "compare")) {
		fprintf(
		    f,
		    "local sluice = require \"sluice\"\n"
		    "\n"
		    "return {\n"
		    "  connect = function(c)\n"
		    "    if c.port == 443 and (c.name == \"svc%d.example.com\" "
		    "or c.name == \"api.svc%d.example.net\") then\n"
		    "      return sluice.allow{ reason = \"service %d\" }\n"
		    "    end\n"
		    "  end,\n"
		    "}\n",
		    i, i, i);
	} else if (!strcmp(kind, "scoped")) {
		fprintf(f,
			"local sluice = require \"sluice\"\n"
			"\n"
			"return {\n"
			"  connect = {\n"
			"    names = { \"svc%d.example.com\", "
			"\"*.svc%d.example.net\" },\n"
			"    ports = { 80, 443, \"8000-8099\" },\n"
			"    handler = function(c)\n"
			"      return sluice.allow{ reason = \"service %d\" }\n"
			"    end,\n"
			"  },\n"
			"}\n",
			i, i, i);
	} else {
		fprintf(f,
			"local sluice = require \"sluice\"\n"
			"\n"
			"local names = sluice.domains{ \"svc%d.example.com\", "
			"\"*.svc%d.example.net\" }\n"
			"local web = sluice.ports(80, 443, \"8000-8099\")\n"
			"\n"
			"return {\n"
			"  connect = function(c)\n"
			"    if web:contains(c.port) and names:match(c.name) "
			"then\n"
			"      return sluice.allow{ reason = \"service %d\" }\n"
			"    end\n"
			"  end,\n"
			"}\n",
			i, i, i);
	}
}

/* Stand-in engine for -k bridge: the bridge's calls, constant results. */
static const char bench_stub_engine[] =
    "local Generation = {}\n"
    "Generation.__index = Generation\n"
    "local tags = {}\n"
    "function Generation:add_file() return true end\n"
    "function Generation:finish() return true end\n"
    "function Generation:decide(event)\n"
    "  return { action = 'deny', default = true, tags = tags,\n"
    "           reason = 'no rule matched', generation = 1 }\n"
    "end\n"
    "function Generation:order() return {} end\n"
    "function Generation:counters() return {} end\n"
    "return { new = function(opts) return setmetatable({}, Generation) "
    "end }\n";

static int bench_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

/* Write DIR/lua/sluice/{init,engine,pattern}.lua with the stand-in engine;
 * the bridge loads sluice.pattern for the string metatable. */
static int bench_write_stub(const char *dir, char *lua_dir, size_t size)
{
	char path[512];

	snprintf(lua_dir, size, "%s/lua", dir);
	snprintf(path, sizeof(path), "%s/sluice", lua_dir);
	if (mkdir(lua_dir, 0700) || mkdir(path, 0700))
		return -errno;
	snprintf(path, sizeof(path), "%s/sluice/init.lua", lua_dir);
	if (bench_write_file(path, "return {}\n"))
		return -errno;
	snprintf(path, sizeof(path), "%s/sluice/pattern.lua", lua_dir);
	if (bench_write_file(path, "return { string = string }\n"))
		return -errno;
	snprintf(path, sizeof(path), "%s/sluice/engine.lua", lua_dir);
	return bench_write_file(path, bench_stub_engine);
}

static int bench_write_rules(const char *dir, int files, const char *kind)
{
	char path[512];
	FILE *f;
	int i;

	for (i = 0; i < files && strcmp(kind, "bridge"); i++) {
		snprintf(path, sizeof(path), "%s/%03d-service.lua", dir, i);
		f = fopen(path, "w");
		if (!f)
			return -errno;
		bench_write_handler(f, kind, i);
		if (fclose(f))
			return -errno;
	}
	return 0;
}

static int bench_remove_entry(const char *path, const struct stat *st, int flag,
			      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static double bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int bench_compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Time @iterations decisions of @ev; print median and p99. With @fresh,
 * each decision gets a connect name that no decision had before.
 */
static int bench_event(struct policy *p, const char *label,
		       const struct policy_event *ev, const char *expected,
		       long iterations, double *samples, bool fresh)
{
	struct policy_event each = *ev;
	char name[64];
	struct verdict v;
	double start;
	long i;

	policy_decide(p, ev, &v);
	if (strcmp(verdict_action_name(v.action), expected) || v.failed) {
		fprintf(stderr, "%s: verdict %s (%s), expected %s\n", label,
			verdict_action_name(v.action), v.error, expected);
		return -1;
	}

	for (i = 0; i < iterations / 10; i++)
		policy_decide(p, ev, &v);
	for (i = 0; i < iterations; i++) {
		if (fresh) {
			snprintf(name, sizeof(name), "n%ld.unknown.example.org",
				 i);
			each.connect.name = name;
		}
		start = bench_now_us();
		policy_decide(p, &each, &v);
		samples[i] = bench_now_us() - start;
	}

	qsort(samples, (size_t)iterations, sizeof(*samples), bench_compare);
	printf("%-28s median %6.2f us   p99 %6.2f us   (%ld decisions)\n",
	       label, samples[iterations / 2], samples[iterations * 99 / 100],
	       iterations);
	return 0;
}

int main(int argc, char **argv)
{
	struct policy_opts opts = {.generation = 1};
	struct policy_event ev = {
	    .type = POLICY_EVENT_CONNECT,
	    .time = 1700000000.0,
	    .src = "10.0.2.15",
	    .src_port = 40000,
	    .connect = {.proto = "tcp", .dst = "198.18.0.7", .port = 443},
	};
	char dir[] = "/tmp/sluice-bench-policy-XXXXXX", err[512], last[64];
	char label[64];
	char stub_dir[128];
	const char *kind = "matchers";
	long iterations = 20000;
	int files = 50, opt, ret = 1;
	struct policy_stats st;
	struct policy *p = NULL;
	double *samples = NULL;

	while ((opt = getopt(argc, argv, "n:r:k:l:")) != -1) {
		switch (opt) {
		case 'n':
			iterations = strtol(optarg, NULL, 10);
			break;
		case 'r':
			files = atoi(optarg);
			break;
		case 'k':
			kind = optarg;
			break;
		case 'l':
			opts.lua_dir = optarg;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!opts.lua_dir || iterations < 100 ||
	    iterations > BENCH_ITERATIONS_MAX || files < 1 || files > 1000 ||
	    (strcmp(kind, "matchers") && strcmp(kind, "scoped") &&
	     strcmp(kind, "compare") && strcmp(kind, "empty") &&
	     strcmp(kind, "bridge"))) {
		fputs(usage, stderr);
		return 2;
	}

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (bench_write_rules(dir, files, kind)) {
		perror(dir);
		goto out;
	}
	if (!strcmp(kind, "bridge")) {
		/* The stub lives beside the (empty) rules: no *.lua there. */
		if (bench_write_stub(dir, stub_dir, sizeof(stub_dir))) {
			perror(dir);
			goto out;
		}
		opts.lua_dir = stub_dir;
		files = 0;
	}
	opts.rules_dir = dir;
	if (policy_load(&opts, &p, err, sizeof(err))) {
		fprintf(stderr, "cannot load the rules: %s\n", err);
		goto out;
	}
	samples = calloc((size_t)iterations, sizeof(*samples));
	if (!samples)
		goto out;

	if (!strcmp(kind, "bridge"))
		printf("bridge alone: stand-in engine, constant verdict\n");
	else
		printf("%d rule files, one %s connect handler in each, "
		       "default deny\n",
		       files, kind);
	if (strcmp(kind, "empty") && strcmp(kind, "bridge")) {
		ev.connect.name = "api.svc0.example.net";
		if (bench_event(p, "allowed by the first file", &ev, "allow",
				iterations, samples, false))
			goto out;
		snprintf(label, sizeof(label), "allowed by file %d", files / 2);
		snprintf(last, sizeof(last), "svc%d.example.com",
			 files / 2 - 1);
		ev.connect.name = last;
		if (files >= 4 && bench_event(p, label, &ev, "allow",
					      iterations, samples, false))
			goto out;
		snprintf(last, sizeof(last), "svc%d.example.com", files - 1);
		ev.connect.name = last;
		if (bench_event(p, "allowed by the last file", &ev, "allow",
				iterations, samples, false))
			goto out;
	}
	ev.connect.name = "unknown.example.org";
	if (bench_event(p, "no match, default deny", &ev, "deny", iterations,
			samples, false))
		goto out;
	if ((!strcmp(kind, "matchers") || !strcmp(kind, "scoped")) &&
	    bench_event(p, "no match, new name each time", &ev, "deny",
			iterations, samples, true))
		goto out;

	policy_stats(p, &st);
	printf("Lua state memory after the run: %zu KiB\n",
	       st.memory_used >> 10);
	ret = 0;
out:
	free(samples);
	policy_unref(p);
	nftw(dir, bench_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return ret;
}
