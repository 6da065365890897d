// SPDX-License-Identifier: MIT
/* test_policy_sandbox.c - rule engine bridge: sandbox escapes, instruction budget, memory cap */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "policy.h"
#include "policy_internal.h"
#include "test_policy_util.h"
#include "unit.h"

/**
 * struct chunk_buffer - bytes collected by chunk_write()
 * @data:	malloc'd bytes
 * @len:	bytes used
 */
struct chunk_buffer {
	unsigned char *data;
	size_t len;
};

static int chunk_write(lua_State *L, const void *p, size_t size, void *ud)
{
	struct chunk_buffer *b = ud;

	(void)L;
	b->data = realloc(b->data, b->len + size);
	if (!b->data)
		return 1;
	memcpy(b->data + b->len, p, size);
	b->len += size;
	return 0;
}

/* Lua string literal of a binary chunk compiled in a separate state. */
static char *bytecode_literal(void)
{
	struct chunk_buffer b = {NULL, 0};
	char *literal, *out;
	lua_State *L;
	size_t i;

	L = luaL_newstate();
	if (luaL_loadstring(L, "return 'from bytecode'") ||
	    lua_dump(L, chunk_write, &b, 0) || !b.len) {
		fprintf(stderr, "cannot compile the binary chunk\n");
		exit(2);
	}
	lua_close(L);

	literal = malloc(b.len * 4 + 3);
	out = literal;
	*out++ = '"';
	for (i = 0; i < b.len; i++)
		out += sprintf(out, "\\%03u", b.data[i]);
	*out++ = '"';
	*out = '\0';
	free(b.data);
	return literal;
}

/**
 * struct escape_case - a sandbox escape attempt and the line it sits on
 * @name:	printed when the case fails
 * @code:	one line of Lua
 */
struct escape_case {
	const char *name;
	const char *code;
};

static const struct escape_case escape_cases[] = {
    {"os.execute", "os.execute('true')"},
    {"io.open", "io.open('/etc/hostname')"},
    {"debug.getinfo", "debug.getinfo(1)"},
    {"string.dump", "string.dump(function() end)"},
    {"string method dump", "('').dump(function() end)"},
    {"string metatable", "getmetatable('').__index = {}"},
    {"collectgarbage", "collectgarbage('collect')"},
    {"require os", "require 'os'"},
    {"require dot dot", "require '../outside'"},
    {"require symlink", "require 'lib.escape'"},
    {"package.loaded", "package.loaded.os.execute('true')"},
    {"gc metamethod", "setmetatable({}, {__gc = function() end})"},
    {"dofile", "dofile('/etc/hostname')"},
    {"loadfile", "loadfile('/etc/hostname')"},
    {"binary chunk", NULL}, /* filled with bytecode_literal() */
    {"binary chunk mode b", NULL},
};

/* Rules directory with one rule file around @code, a module outside the
 * directory and a symlink to it in lib/. */
static void escape_dir(char *dir, size_t size, const char *file_text)
{
	char path[512];

	tmp_create(dir, size);
	tmp_write(dir, "outside.lua", "return { escaped = true }\n");
	snprintf(path, sizeof(path), "%s/rules", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/rules/lib", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/rules/lib/escape.lua", dir);
	if (symlink("../../outside.lua", path)) {
		perror(path);
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/rules", dir);
	tmp_write(path, "10-escape.lua", file_text);
}

static const char *escape_code(size_t i, char *buf, size_t size,
			       const char *bytecode)
{
	if (escape_cases[i].code)
		return escape_cases[i].code;
	if (!strcmp(escape_cases[i].name, "binary chunk"))
		snprintf(buf, size, "assert(load(%s))", bytecode);
	else
		snprintf(buf, size, "assert(load(%s, 'x', 'b'))", bytecode);
	return buf;
}

/* Load and run one escape inside a connect handler, at line 5. */
static int escape_at_decide(const char *code, struct verdict *v)
{
	char dir[64], rules[128], text[4096];
	struct policy_event ev = connect_event(443, NULL);
	struct policy *p;

	snprintf(text, sizeof(text),
		 "local sluice = require 'sluice'\n"
		 "\n"
		 "return {\n"
		 "  connect = function(ev)\n"
		 "    %s\n"
		 "    return sluice.allow{ reason = 'escaped' }\n"
		 "  end,\n"
		 "}\n",
		 code);
	escape_dir(dir, sizeof(dir), text);
	snprintf(rules, sizeof(rules), "%s/rules", dir);
	p = load_dir(rules, false);
	tmp_remove(dir);
	if (!p)
		return -1;
	policy_decide(p, &ev, v);
	policy_unref(p);
	return 0;
}

static void policy_sandbox_control_can_pass(void)
{
	struct verdict v;

	/* Shows that the escape harness would notice a working escape. */
	CHECK_INT(escape_at_decide("local harmless = string.rep('x', 2)", &v),
		  0);
	CHECK_STR(v.reason, "escaped");
	CHECK_STR(verdict_action_name(v.action), "allow");
}

static void escape_fails_at_decide(const char *code)
{
	struct verdict v;

	CHECK_INT(escape_at_decide(code, &v), 0);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK(v.failed);
	CHECK(starts_with(v.error, "10-escape.lua:5:"));
	CHECK(strcmp(v.reason, "escaped"));
}

static void escape_fails_at_load(const char *code)
{
	char dir[64], rules[128], text[4200];
	int ret;

	snprintf(text, sizeof(text), "local x\n%s\nreturn {}\n", code);
	escape_dir(dir, sizeof(dir), text);
	snprintf(rules, sizeof(rules), "%s/rules", dir);
	ret = load_error(rules, 0);
	tmp_remove(dir);
	CHECK(ret < 0);
	CHECK(starts_with(test_err, "10-escape.lua:2:"));
}

/* Run @check on the code of every escape case and name the cases that
 * failed a check. */
static void escape_cases_run(void (*check)(const char *code))
{
	char *bytecode = bytecode_literal();
	char code[4096];
	int before;
	size_t i;

	for (i = 0; i < sizeof(escape_cases) / sizeof(*escape_cases); i++) {
		before = unit_failed_checks;
		test_err[0] = '\0';
		check(escape_code(i, code, sizeof(code), bytecode));
		if (unit_failed_checks != before)
			fprintf(stderr, "  in escape case: %s (error: %s)\n",
				escape_cases[i].name, test_err);
	}
	free(bytecode);
}

static void policy_sandbox_escapes_fail_at_decide(void)
{
	escape_cases_run(escape_fails_at_decide);
}

static void policy_sandbox_escapes_fail_at_load(void)
{
	escape_cases_run(escape_fails_at_load);
}

static void policy_module_symlink_outside_rejected(void)
{
	char dir[64], rules[128];
	int ret;

	escape_dir(dir, sizeof(dir),
		   "local escape = require 'lib.escape'\nreturn {}\n");
	snprintf(rules, sizeof(rules), "%s/rules", dir);
	ret = load_error(rules, 0);
	tmp_remove(dir);
	CHECK_INT(ret, -EINVAL);
	CHECK(starts_with(test_err, "10-escape.lua:1:"));
	CHECK(strstr(test_err, "lib/escape.lua: resolves to "));
	CHECK(strstr(test_err, "outside the rules directory"));
}

static void policy_module_symlink_inside_allowed(void)
{
	struct policy_event ev = connect_event(443, NULL);
	char dir[64], path[256];
	struct policy *p;
	struct verdict v;

	tmp_create(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/shared", dir);
	mkdir(path, 0700);
	tmp_write(path, "ports.lua", "return { web = 443 }\n");
	snprintf(path, sizeof(path), "%s/lib", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/lib/ports.lua", dir);
	CHECK_INT(symlink("../shared/ports.lua", path), 0);
	tmp_write(dir, "10-web.lua",
		  "local sluice = require 'sluice'\n"
		  "local ports = require 'lib.ports'\n"
		  "return { connect = function(ev)\n"
		  "  if ev.port == ports.web then return sluice.allow() end\n"
		  "end }\n");
	p = load_dir(dir, false);
	tmp_remove(dir);
	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "allow");
	policy_unref(p);
}

static void policy_top_level_module_name_rejected(void)
{
	char dir[64];
	int ret;

	tmp_create(dir, sizeof(dir));
	tmp_write(dir, "05-helper.lua", "return {}\n");
	tmp_write(dir, "10-rule.lua",
		  "local h = require '05-helper'\n"
		  "return {}\n");
	ret = load_error(dir, 0);
	tmp_remove(dir);
	CHECK_INT(ret, -EINVAL);
	CHECK(starts_with(test_err, "10-rule.lua:1:"));
	CHECK(strstr(test_err, "subdirectory"));
}

static void policy_infinite_loop_fails_closed(void)
{
	struct policy_rule_counter counters[8];
	struct policy_event ev = connect_event(443, NULL);
	struct policy_stats st;
	struct policy *p;
	struct verdict v;
	double start, elapsed;
	int n, i;

	p = load_source("local sluice = require 'sluice'\n"
			"return {\n"
			"  connect = function(ev)\n"
			"    while true do end\n"
			"  end,\n"
			"  dns = function(q) return sluice.allow() end,\n"
			"}\n",
			0);
	CHECK(p);

	watchdog_arm();
	start = now_seconds();
	policy_decide(p, &ev, &v);
	elapsed = now_seconds() - start;
	alarm(0);
	CHECK(elapsed < RUNAWAY_SECONDS_MAX);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK(v.failed);
	CHECK_STR(v.error, "10-rule.lua:4: instruction budget of 1000000 "
			   "exhausted");

	ev = dns_event("example.com");
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "allow");
	CHECK(!v.failed);

	policy_stats(p, &st);
	CHECK_INT(st.budget_exhausted, 1);
	CHECK_INT(st.failures, 1);
	CHECK_INT(st.decisions, 2);
	CHECK_INT(st.defaults, 0);

	n = policy_counters(p, counters, 8);
	CHECK(n > 0);
	CHECK(n <= 8);
	for (i = 0; i < n; i++)
		if (!strcmp(counters[i].rule, "10-rule.lua:3"))
			break;
	CHECK(i < n);
	CHECK_INT(counters[i].errors, 1);
	policy_unref(p);
}

/* A backtracking pattern on a long subject would run for minutes inside
 * one C call, out of the budget's reach; it must fail closed at once. */
static void pattern_bomb(const char *call)
{
	struct policy_event ev = connect_event(443, NULL);
	char source[512];
	struct policy *p;
	struct verdict v;
	double start, elapsed;

	snprintf(source, sizeof(source),
		 "local sluice = require 'sluice'\n"
		 "return {\n"
		 "  connect = function(ev)\n"
		 "    local s = string.rep('a', 3000)\n"
		 "    if %s then return sluice.allow() end\n"
		 "  end,\n"
		 "  dns = function(q) return sluice.allow() end,\n"
		 "}\n",
		 call);
	p = load_source(source, 0);
	CHECK(p);

	watchdog_arm();
	start = now_seconds();
	policy_decide(p, &ev, &v);
	elapsed = now_seconds() - start;
	alarm(0);
	CHECK(elapsed < RUNAWAY_SECONDS_MAX);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK(v.failed);
	CHECK(starts_with(v.error, "10-rule.lua:5:"));
	CHECK(strstr(v.error, "too costly"));

	ev = dns_event("example.com");
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "allow");
	policy_unref(p);
}

static void policy_pattern_bomb_function_call_fails_closed(void)
{
	pattern_bomb("string.find(s, '.-.-.-b')");
}

static void policy_pattern_bomb_method_call_fails_closed(void)
{
	pattern_bomb("s:match('.-.-.-b')");
}

static void policy_pcall_cannot_swallow_budget(void)
{
	struct policy_event ev = connect_event(443, NULL);
	struct policy *p;
	struct verdict v;
	double start;

	p = load_source("local sluice = require 'sluice'\n"
			"return {\n"
			"  connect = function(ev)\n"
			"    while true do\n"
			"      pcall(function() while true do end end)\n"
			"    end\n"
			"  end,\n"
			"  dns = function(q) return sluice.allow() end,\n"
			"}\n",
			0);
	CHECK(p);

	watchdog_arm();
	start = now_seconds();
	policy_decide(p, &ev, &v);
	alarm(0);
	CHECK(now_seconds() - start < RUNAWAY_SECONDS_MAX);
	CHECK(v.failed);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK(starts_with(v.error, "10-rule.lua:5: instruction budget"));

	ev = dns_event("example.com");
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "allow");
	policy_unref(p);
}

/* A decision's budget counts only once the CPU-time watch finds it running
 * long: a short decision over a small budget passes, a looping one fails. */
static void policy_budget_counts_only_long_calls(void)
{
	struct policy_event ev = connect_event(443, NULL);
	struct policy_opts opts = {
	    .lua_dir = TEST_LUA_DIR, .generation = 1, .budget = 10000};
	struct policy *p = NULL;
	struct verdict v;
	char dir[64];
	double start;

	CHECK(policy_watch_start());
	tmp_create(dir, sizeof(dir));
	tmp_write(dir, "10-rule.lua",
		  "local sluice = require 'sluice'\n"
		  "return { connect = function(ev)\n"
		  "  local n = 0\n"
		  "  for i = 1, 10000 do n = n + i end\n"
		  "  if ev.port == 443 then return sluice.allow() end\n"
		  "  while true do end\n"
		  "end }\n");
	opts.rules_dir = dir;
	CHECK_INT(policy_load(&opts, &p, test_err, sizeof(test_err)), 0);
	tmp_remove(dir);
	if (!p)
		return;

	policy_decide(p, &ev, &v);
	CHECK(!v.failed);
	CHECK_STR(verdict_action_name(v.action), "allow");

	ev.connect.port = 80;
	watchdog_arm();
	start = now_seconds();
	policy_decide(p, &ev, &v);
	alarm(0);
	CHECK(now_seconds() - start < RUNAWAY_SECONDS_MAX);
	CHECK(v.failed);
	CHECK_STR(v.error,
		  "10-rule.lua:6: instruction budget of 10000 exhausted");
	policy_unref(p);
}

/* Loading counts from the first instruction: a rule file whose top level
 * runs past the budget fails every time, however quickly it runs. */
static void policy_load_budget_counts_from_start(void)
{
	struct policy_opts opts = {
	    .lua_dir = TEST_LUA_DIR, .generation = 1, .budget = 10000};
	struct policy *p = NULL;
	char dir[64];
	int i;

	tmp_create(dir, sizeof(dir));
	tmp_write(dir, "10-rule.lua",
		  "local n = 0\n"
		  "for i = 1, 10000 do n = n + i end\n"
		  "return {}\n");
	opts.rules_dir = dir;
	for (i = 0; i < 5; i++) {
		CHECK_INT(policy_load(&opts, &p, test_err, sizeof(test_err)),
			  -ETIME);
		CHECK_STR(test_err,
			  "10-rule.lua:2: instruction budget of 10000 exhausted");
	}
	tmp_remove(dir);
}

static void policy_dns_budget_gives_servfail(void)
{
	struct policy_event ev = dns_event("example.com");
	struct policy *p;
	struct verdict v;

	p = load_source("return {\n"
			"  dns = function(q)\n"
			"    local n = 0\n"
			"    while true do n = n + 1 end\n"
			"  end,\n"
			"}\n",
			0);
	CHECK(p);
	watchdog_arm();
	policy_decide(p, &ev, &v);
	alarm(0);
	CHECK(v.failed);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK_INT(v.rcode, POLICY_RCODE_SERVFAIL);
	policy_unref(p);
}

static void policy_load_loop_hits_budget(void)
{
	struct policy *p;
	double start;

	watchdog_arm();
	start = now_seconds();
	p = load_source("local n = 0\n"
			"while true do n = n + 1 end\n",
			0);
	alarm(0);
	CHECK(now_seconds() - start < RUNAWAY_SECONDS_MAX);
	CHECK(!p);
	CHECK_STR(test_err, "10-rule.lua:2: instruction budget of 1000000 "
		       "exhausted");
}

/* Run a memory bomb in a connect handler, then a normal dns decision. */
static void memory_bomb(const char *bomb_line)
{
	struct policy_event ev = connect_event(443, NULL);
	struct policy_stats st;
	char source[1024];
	struct policy *p;
	struct verdict v;
	double start;

	snprintf(source, sizeof(source),
		 "local sluice = require 'sluice'\n"
		 "return {\n"
		 "  connect = function(ev)\n"
		 "    %s\n"
		 "  end,\n"
		 "  dns = function(q) return sluice.allow() end,\n"
		 "}\n",
		 bomb_line);
	p = load_source(source, BOMB_MEMORY_LIMIT);
	CHECK(p);

	watchdog_arm();
	start = now_seconds();
	policy_decide(p, &ev, &v);
	alarm(0);
	CHECK(now_seconds() - start < RUNAWAY_SECONDS_MAX);
	CHECK(v.failed);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK(strstr(v.error, "memory limit of 16777216 bytes exceeded"));

	policy_stats(p, &st);
	CHECK_INT(st.memory_errors, 1);
	CHECK(st.memory_used < BOMB_MEMORY_LIMIT / 2);

	ev = dns_event("example.com");
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "allow");
	CHECK(!v.failed);
	policy_unref(p);
}

static void policy_string_growth_hits_memory_limit(void)
{
	memory_bomb("local s = 'x' while true do s = s .. s end");
}

static void policy_table_growth_hits_memory_limit(void)
{
	memory_bomb("local t = {} for i = 1, math.huge do t[i] = {i} end");
}

static void policy_huge_string_rep_hits_memory_limit(void)
{
	memory_bomb("local s = string.rep('x', 1 << 30)");
}

UNIT_MAIN(UNIT_TEST(policy_sandbox_control_can_pass),
	  UNIT_TEST(policy_sandbox_escapes_fail_at_decide),
	  UNIT_TEST(policy_sandbox_escapes_fail_at_load),
	  UNIT_TEST(policy_module_symlink_outside_rejected),
	  UNIT_TEST(policy_module_symlink_inside_allowed),
	  UNIT_TEST(policy_top_level_module_name_rejected),
	  UNIT_TEST(policy_infinite_loop_fails_closed),
	  UNIT_TEST(policy_pattern_bomb_function_call_fails_closed),
	  UNIT_TEST(policy_pattern_bomb_method_call_fails_closed),
	  UNIT_TEST(policy_pcall_cannot_swallow_budget),
	  UNIT_TEST(policy_budget_counts_only_long_calls),
	  UNIT_TEST(policy_load_budget_counts_from_start),
	  UNIT_TEST(policy_dns_budget_gives_servfail),
	  UNIT_TEST(policy_load_loop_hits_budget),
	  UNIT_TEST(policy_string_growth_hits_memory_limit),
	  UNIT_TEST(policy_table_growth_hits_memory_limit),
	  UNIT_TEST(policy_huge_string_rep_hits_memory_limit))
