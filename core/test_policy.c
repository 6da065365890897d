// SPDX-License-Identifier: MIT
/* test_policy.c - rule engine bridge: loading, verdicts, counters, reload */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "policy.h"
#include "test_policy_util.h"
#include "unit.h"
static void policy_allow_by_name(void)
{
	struct policy_event ev = connect_event(443, "www.example.com");
	struct policy *p = load_fixture("basic");
	struct verdict v;

	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "allow");
	CHECK_STR(v.rule, "30-allow.lua:6");
	CHECK_STR(v.reason, "web");
	CHECK(!v.is_default);
	CHECK(!v.failed);
	CHECK_STR(v.error, "");
	CHECK_INT(v.generation, 7);
	policy_unref(p);
}

/* Scoped handlers get the name and port of events from the core. A dns
 * event has no port and still reaches a dns handler scoped by name. */
static void policy_scoped_handlers_through_c(void)
{
	struct policy_event ev = connect_event(443, "api.example.com");
	struct policy *p = load_source(
	    "local sluice = require \"sluice\"\n"
	    "return {\n"
	    "  connect = { names = \"*.example.com\", ports = { 443 },\n"
	    "    handler = function(c) return sluice.allow() end },\n"
	    "  dns = { names = \"example.com\",\n"
	    "    handler = function(q) return sluice.allow() end },\n"
	    "}\n",
	    0);
	struct verdict v;

	CHECK(p);
	if (!p)
		return;
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "allow");
	CHECK_STR(v.rule, "10-rule.lua:4");

	ev.connect.port = 80;
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK(v.is_default);
	CHECK(!v.failed);

	ev = connect_event(443, NULL);
	policy_decide(p, &ev, &v);
	CHECK(v.is_default);
	CHECK(!v.failed);

	ev = dns_event("example.com");
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "allow");
	CHECK(!v.failed);
	policy_unref(p);
}

/* The line of a constructor called through pcall() (a C function) and of
 * one called again at the same place, as the core's constructor front
 * finds them. */
static void policy_constructor_line_through_c(void)
{
	struct policy_event ev = connect_event(443, "www.example.com");
	struct policy *p = load_source(
	    "local sluice = require \"sluice\"\n"
	    "return { connect = function(c)\n"
	    "  local _, first = pcall(sluice.allow, { reason = \"again\" })\n"
	    "  local _, second = pcall(sluice.allow, { reason = \"again\" })\n"
	    "  if c.port == 443 then return first end\n"
	    "  return second\n"
	    "end }\n",
	    0);
	struct verdict v;
	int i;

	CHECK(p);
	for (i = 0; i < 3; i++) {
		ev.connect.port = i == 1 ? 80 : 443;
		policy_decide(p, &ev, &v);
		CHECK_STR(verdict_action_name(v.action), "allow");
		CHECK_STR(v.rule, i == 1 ? "10-rule.lua:4" : "10-rule.lua:3");
		CHECK_STR(v.reason, "again");
	}
	policy_unref(p);
}

/* Port, expected action, reason, rule and error prefix of one call of the
 * constructor front test. */
struct front_case {
	uint16_t port;
	const char *action;
	const char *reason;
	const char *rule;
	const char *error;
};

/* The core's constructor front gives the same verdicts and errors as the
 * Lua constructors, also when a call site is hit again. */
static void policy_constructor_front_cases(void)
{
	static const struct front_case cases[] = {
	    {1, "deny", "rule error", "10-rule.lua:2",
	     "10-rule.lua:3: allow: takes one table argument"},
	    {2, "deny", "inherited", "10-rule.lua:4", ""},
	    {3, "deny", "port 3", "10-rule.lua:5", ""},
	    {4, "deny", "rule error", "10-rule.lua:2",
	     "10-rule.lua:6: deny: reason must not contain control"},
	    {5, "deny", "rule error", "10-rule.lua:2",
	     "10-rule.lua:7: deny: unknown field 'extra'"},
	    {6, "allow", "", "10-rule.lua:8", ""},
	    {7, "allow", "seven", "10-rule.lua:9", ""},
	};
	struct policy_event ev = connect_event(0, "www.example.com");
	struct policy *p = load_source(
	    "local sluice = require \"sluice\"\n"
	    "return { connect = function(c)\n"
	    "  if c.port == 1 then return sluice.allow({}, 5) end\n"
	    "  if c.port == 2 then return sluice.deny(setmetatable({}, "
	    "{ __index = { reason = \"inherited\" } })) end\n"
	    "  if c.port == 3 then return sluice.deny{ reason = \"port \" .. "
	    "c.port } end\n"
	    "  if c.port == 4 then return sluice.deny{ reason = \"a\\nb\" } "
	    "end\n"
	    "  if c.port == 5 then return sluice.deny{ reason = \"x\", extra = "
	    "1 } end\n"
	    "  if c.port == 6 then return sluice.allow{} end\n"
	    "  if c.port == 7 then return sluice.allow{ reason = \"seven\" } "
	    "end\n"
	    "end }\n",
	    0);
	struct verdict v;
	size_t i, round;

	CHECK(p);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
			ev.connect.port = cases[i].port;
			policy_decide(p, &ev, &v);
			CHECK_STR(verdict_action_name(v.action),
				  cases[i].action);
			CHECK_STR(v.reason, cases[i].reason);
			CHECK_STR(v.rule, cases[i].rule);
			CHECK(starts_with(v.error, cases[i].error));
		}
	}
	policy_unref(p);
}

/* Each event shows only its own fields, though the bridge refills one
 * table per event type. */
static void policy_event_fields_do_not_linger(void)
{
	struct policy_event named = connect_event(443, "www.example.com");
	struct policy_event unnamed = connect_event(80, NULL);
	struct policy_event dns = {
	    .type = POLICY_EVENT_DNS,
	    .src = "10.0.2.15",
	    .dns = {.name = "example.org", .type = "A", .klass = "IN",
		    .proto = "udp"},
	};
	struct policy *p = load_source(
	    "local sluice = require \"sluice\"\n"
	    "local function show(e, last)\n"
	    "  return sluice.deny{ reason = tostring(e.event) .. \" \" .. "
	    "tostring(e.name) .. \" \" .. tostring(last) }\n"
	    "end\n"
	    "return { connect = function(c) return show(c, c.port) end,\n"
	    "  dns = function(q) return show(q, q.type) end }\n",
	    0);
	struct verdict v;

	CHECK(p);
	policy_decide(p, &named, &v);
	CHECK_STR(v.reason, "connect www.example.com 443");
	policy_decide(p, &unnamed, &v);
	CHECK_STR(v.reason, "connect nil 80");
	policy_decide(p, &dns, &v);
	CHECK_STR(v.reason, "dns example.org A");
	policy_decide(p, &named, &v);
	CHECK_STR(v.reason, "connect www.example.com 443");
	policy_unref(p);
}

/* Rule errors get the rules directory in front, other errors do not. */
static void policy_error_path_prefixes_rule_errors(void)
{
	char buf[128];

	CHECK_STR(policy_error_path("rules", "10-a.lua:3: boom", buf,
				    sizeof(buf)),
		  "rules/10-a.lua:3: boom");
	CHECK_STR(policy_error_path("/etc/sluice", "lib/net.lua:4: x", buf,
				    sizeof(buf)),
		  "/etc/sluice/lib/net.lua:4: x");
	CHECK_STR(policy_error_path("rules", "/abs/10-a.lua:3: boom", buf,
				    sizeof(buf)),
		  "/abs/10-a.lua:3: boom");
	CHECK_STR(policy_error_path("rules", "cannot read 10-a.lua: denied",
				    buf, sizeof(buf)),
		  "cannot read 10-a.lua: denied");
}

/* Tags that rules added before the budget ran out stay in the verdict. */
static void policy_budget_keeps_tags(void)
{
	struct policy_event ev = connect_event(443, "www.example.com");
	struct policy_opts opts = {.lua_dir = TEST_LUA_DIR, .generation = 1};
	struct policy *p = NULL;
	struct verdict v;
	char dir[64];

	tmp_create(dir, sizeof(dir));
	tmp_write(dir, "05-tag.lua",
		  "local sluice = require \"sluice\"\n"
		  "return { connect = function(c) return sluice.log{ \"seen\" } "
		  "end }\n");
	tmp_write(dir, "10-loop.lua",
		  "return { connect = function(c)\n"
		  "  if c.port == 443 then while true do end end\n"
		  "end }\n");
	opts.rules_dir = dir;
	CHECK_INT(policy_load(&opts, &p, test_err, sizeof(test_err)), 0);
	tmp_remove(dir);

	policy_decide(p, &ev, &v);
	CHECK(v.failed);
	CHECK(strstr(v.error, "instruction budget") != NULL);
	CHECK_STR(v.tags, "seen");
	ev.connect.port = 80;
	policy_decide(p, &ev, &v);
	CHECK(!v.failed);
	CHECK(v.is_default);
	CHECK_STR(v.tags, "seen");
	policy_unref(p);
}

/* An error inside a sluice module names the rule line that called it. */
static void policy_module_error_names_rule_line(void)
{
	struct policy_event ev = connect_event(443, "www.example.com");
	struct policy *p = load_source(
	    "local sluice = require \"sluice\"\n"
	    "local names = sluice.domains{ \"example.com\" }\n"
	    "return { connect = function(c)\n"
	    "  if names.match(c.name) then return sluice.allow() end\n"
	    "end }\n",
	    0);
	struct verdict v;

	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK(v.failed);
	CHECK(starts_with(v.error, "10-rule.lua:4: attempt to index a nil "
				   "value (field 'memo') (in sluice/match.lua:"));
	CHECK(strstr(v.error, "call methods with a colon") != NULL);
	policy_unref(p);
}

/* A field the event type does not have is an error at the rule's line, on
 * the first event and on later ones alike. */
static void policy_unknown_event_field_fails_closed(void)
{
	struct policy_event ev = connect_event(443, "www.example.com");
	struct policy *p = load_source(
	    "local sluice = require \"sluice\"\n"
	    "return { connect = function(c)\n"
	    "  if c.port == 443 and c.prot == \"tcp\" then\n"
	    "    return sluice.allow()\n"
	    "  end\n"
	    "end }\n",
	    0);
	struct verdict v;
	int i;

	CHECK(p);
	for (i = 0; i < 2; i++) {
		policy_decide(p, &ev, &v);
		CHECK_STR(verdict_action_name(v.action), "deny");
		CHECK(v.failed);
		CHECK(starts_with(v.error,
				  "10-rule.lua:3: connect events have no field "
				  "'prot'"));
	}
	ev.connect.port = 80;
	policy_decide(p, &ev, &v);
	CHECK(v.is_default);
	CHECK(!v.failed);
	policy_unref(p);
}

static void policy_deny_with_reason(void)
{
	struct policy_event ev = connect_event(25, "mail.example.com");
	struct policy *p = load_fixture("basic");
	struct verdict v;

	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK_STR(v.rule, "10-deny.lua:6");
	CHECK_STR(v.reason, "no outgoing mail");
	CHECK_INT(v.rcode, 0);
	CHECK_INT(v.status, 0);
	CHECK(!v.is_default);
	CHECK(!v.failed);
	policy_unref(p);
}

static void policy_default_deny_when_unmatched(void)
{
	struct policy_event ev = connect_event(22, NULL);
	struct policy *p = load_fixture("basic");
	struct verdict v;

	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK(v.is_default);
	CHECK(!v.failed);
	CHECK_STR(v.reason, "no rule matched");
	CHECK_STR(v.rule, "");
	policy_unref(p);
}

static void policy_default_allow_when_configured(void)
{
	struct policy_event ev = connect_event(22, NULL);
	struct policy *p = load_dir(FIXTURES "/basic", true);
	struct verdict v;

	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "allow");
	CHECK(v.is_default);
	CHECK_STR(v.reason, "");
	policy_unref(p);
}

static void policy_log_tags_accumulate(void)
{
	struct policy_event ev = connect_event(443, "www.example.com");
	struct policy *p = load_fixture("basic");
	struct verdict v;

	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(v.tags, "named,proto-tcp");

	ev = connect_event(443, NULL);
	policy_decide(p, &ev, &v);
	CHECK_STR(v.tags, "");
	policy_unref(p);
}

static void policy_dns_deny_uses_rule_rcode(void)
{
	struct policy_event ev = dns_event("blocked.example");
	struct policy *p = load_fixture("basic");
	struct verdict v;

	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK_INT(v.rcode, POLICY_RCODE_REFUSED);
	CHECK_STR(v.rule, "10-deny.lua:12");
	CHECK_STR(v.reason, "blocked name");
	policy_unref(p);
}

static void policy_dns_default_deny_nxdomain(void)
{
	struct policy_event ev = dns_event("unknown.example.net");
	struct policy *p = load_fixture("basic");
	struct verdict v;

	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK(v.is_default);
	CHECK_INT(v.rcode, POLICY_RCODE_NXDOMAIN);

	ev = dns_event("api.example.com");
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "allow");
	CHECK_INT(v.rcode, 0);
	policy_unref(p);
}

static void policy_audit_mode_records_verdict(void)
{
	struct policy_event ev = connect_event(8080, NULL);
	struct policy *p = load_fixture("audit");
	struct verdict v;

	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "allow");
	CHECK_STR(v.rule, "20-allow.lua:5");
	CHECK_INT(v.audit_count, 1);
	CHECK_STR(v.audit[0].rule, "10-audit.lua:8");
	CHECK_STR(verdict_action_name(v.audit[0].action), "deny");
	CHECK_STR(v.audit[0].reason, "would block 8080");

	ev = connect_event(80, NULL);
	policy_decide(p, &ev, &v);
	CHECK_INT(v.audit_count, 0);
	policy_unref(p);
}

static void policy_files_load_in_byte_order(void)
{
	struct policy_event ev = connect_event(80, NULL);
	struct policy *p = load_fixture("order");
	struct verdict v;

	/* .hidden.lua and notes.lua.txt would fail to load. */
	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(v.tags, "10-first,9-second,A-upper,a-lower");
	policy_unref(p);
}

static void policy_print_order_lists_files(void)
{
	struct policy *p = load_fixture("audit");
	char text[512] = "";
	size_t n;
	FILE *f;

	CHECK(p);
	f = tmpfile();
	CHECK(f);
	CHECK_INT(policy_print_order(p, f), 2);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	CHECK_STR(text, "  1  10-audit.lua  (audit)    connect\n"
			"  2  20-allow.lua  (enforce)  connect\n");
	policy_unref(p);
}

static void policy_runtime_error_in_file_fails_load(void)
{
	CHECK_INT(load_error(FIXTURES "/broken", 0), -EINVAL);
	CHECK(starts_with(test_err, "20-broken.lua:3: "));
	CHECK(strstr(test_err, "settings"));
}

static void policy_syntax_error_fails_load(void)
{
	CHECK_INT(load_error(FIXTURES "/syntax", 0), -EINVAL);
	CHECK(starts_with(test_err, "10-syntax.lua:5: "));
}

static void policy_non_table_file_fails_load(void)
{
	CHECK_INT(load_error(FIXTURES "/nontable", 0), -EINVAL);
	CHECK(starts_with(test_err, "10-string.lua:"));
}

static void policy_missing_directory_fails_load(void)
{
	CHECK_INT(load_error(FIXTURES "/no-such-directory", 0), -ENOENT);
	CHECK(strstr(test_err, "no-such-directory"));
}

static void policy_missing_lua_dir_fails_load(void)
{
	struct policy_opts opts = {
	    .rules_dir = FIXTURES "/basic",
	    .lua_dir = FIXTURES "/no-such-lua-dir",
	};
	struct policy *p = NULL;

	CHECK_INT(policy_load(&opts, &p, test_err, sizeof(test_err)), -EINVAL);
	CHECK(strstr(test_err, "no-such-lua-dir/sluice/init.lua"));
	CHECK(!p);
}

static void policy_oversized_file_fails_load(void)
{
	char dir[64], *big;
	int ret;

	big = malloc(POLICY_FILE_MAX + 2);
	CHECK(big);
	memset(big, '-', POLICY_FILE_MAX + 1);
	big[POLICY_FILE_MAX + 1] = '\0';
	tmp_create(dir, sizeof(dir));
	tmp_write(dir, "10-big.lua", big);
	free(big);

	ret = load_error(dir, 0);
	tmp_remove(dir);
	CHECK_INT(ret, -EINVAL);
	CHECK(starts_with(test_err, "10-big.lua: file is "));
	CHECK(strstr(test_err, "more than the limit"));
}

static void policy_helper_module_from_subdirectory(void)
{
	struct policy_event ev = connect_event(443, NULL);
	struct policy *p = load_fixture("helper");
	struct verdict v;

	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "allow");
	CHECK_STR(v.rule, "10-web.lua:7");

	ev = connect_event(22, NULL);
	policy_decide(p, &ev, &v);
	CHECK(v.is_default);
	policy_unref(p);
}

static void policy_event_fields_reach_rules(void)
{
	struct policy_event ev = connect_event(443, "www.example.com");
	struct policy *p = load_fixture("fields");
	struct verdict v;

	CHECK(p);
	ev.id = 42;
	ev.time = 1700000000.25;
	policy_decide(p, &ev, &v);
	CHECK_STR(v.reason, "fields match");

	ev = dns_event("example.com");
	ev.id = 43;
	ev.time = 1700000001.5;
	ev.dns.type = "AAAA";
	policy_decide(p, &ev, &v);
	CHECK_STR(v.reason, "fields match");
	policy_unref(p);
}

static void policy_dns_rewrite_answers(void)
{
	struct policy_event ev = dns_event("intranet.example");
	struct policy *p = load_fixture("rewrite");
	struct verdict v;

	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "rewrite");
	CHECK_INT(v.answer_count, 2);
	CHECK_INT(ntohl(v.answers[0]), 0xc000020a);
	CHECK_INT(ntohl(v.answers[1]), 0xc000020b);
	CHECK_INT(v.ttl, 60);
	policy_unref(p);
}

static void policy_handler_error_fails_closed(void)
{
	struct policy_event ev = connect_event(443, NULL);
	struct policy_stats st;
	struct policy *p;
	struct verdict v;

	p = load_source("return {\n"
			"  connect = function(ev)\n"
			"    return ev.name:upper()\n"
			"  end,\n"
			"}\n",
			0);
	CHECK(p);
	policy_decide(p, &ev, &v);
	CHECK(v.failed);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK(starts_with(v.error, "10-rule.lua:3: "));
	CHECK_INT(v.rcode, 0);

	policy_stats(p, &st);
	CHECK_INT(st.failures, 1);
	CHECK_INT(st.budget_exhausted, 0);
	policy_unref(p);
}

static void policy_counters_count_hits(void)
{
	struct policy_rule_counter counters[16];
	struct policy_event ev = connect_event(25, NULL);
	struct policy *p = load_fixture("basic");
	struct policy_stats st;
	struct verdict v;
	int n, i;

	CHECK(p);
	policy_decide(p, &ev, &v);
	policy_decide(p, &ev, &v);
	ev = connect_event(443, "www.example.com");
	policy_decide(p, &ev, &v);
	ev = connect_event(8443, "unknown.example.org");
	policy_decide(p, &ev, &v);
	CHECK(v.is_default);

	policy_stats(p, &st);
	CHECK_INT(st.decisions, 4);
	CHECK_INT(st.defaults, 1);

	n = policy_counters(p, counters, 16);
	CHECK(n >= 2);
	CHECK(n <= 16);
	for (i = 0; i < n; i++)
		if (!strcmp(counters[i].rule, "10-deny.lua:6"))
			break;
	CHECK(i < n);
	CHECK_INT(counters[i].hits, 2);
	for (i = 0; i < n; i++)
		if (!strcmp(counters[i].rule, "30-allow.lua:6"))
			break;
	CHECK(i < n);
	CHECK_INT(counters[i].hits, 1);
	policy_unref(p);
}

/* A reload that reads the same files keeps the generation and its
 * counters; a changed file or option makes a new generation. */
static void policy_reload_unchanged_keeps_generation(void)
{
	struct policy_event ev = connect_event(443, "www.example.com");
	struct policy_opts opts = {.lua_dir = TEST_LUA_DIR, .generation = 1};
	struct policy_stats st;
	struct policy *current = NULL, *first;
	struct verdict v;
	char dir[64];

	tmp_create(dir, sizeof(dir));
	tmp_write(dir, "10-a.lua",
		  "local sluice = require \"sluice\"\n"
		  "return { connect = function(c) return sluice.allow() end }\n");
	opts.rules_dir = dir;
	CHECK_INT(policy_reload(&current, &opts, test_err, sizeof(test_err)), 0);
	first = current;
	policy_decide(current, &ev, &v);

	opts.generation = 2;
	CHECK_INT(policy_reload(&current, &opts, test_err, sizeof(test_err)),
		  POLICY_UNCHANGED);
	CHECK(current == first);
	CHECK_INT(policy_generation(current), 1);
	policy_stats(current, &st);
	CHECK_INT(st.decisions, 1);

	opts.default_allow = true;
	CHECK_INT(policy_reload(&current, &opts, test_err, sizeof(test_err)), 0);
	CHECK_INT(policy_generation(current), 2);

	tmp_write(dir, "10-a.lua",
		  "local sluice = require \"sluice\"\n"
		  "return { connect = function(c) return sluice.deny() end }\n");
	opts.generation = 3;
	CHECK_INT(policy_reload(&current, &opts, test_err, sizeof(test_err)), 0);
	CHECK_INT(policy_generation(current), 3);
	policy_decide(current, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "deny");
	policy_unref(current);
	tmp_remove(dir);
}

static void policy_reload_keeps_old_on_error(void)
{
	struct policy_opts opts = {
	    .rules_dir = FIXTURES "/basic",
	    .lua_dir = TEST_LUA_DIR,
	    .generation = 1,
	};
	struct policy *current = NULL, *first;

	CHECK_INT(policy_reload(&current, &opts, test_err, sizeof(test_err)), 0);
	CHECK(current);
	first = current;

	opts.rules_dir = FIXTURES "/broken";
	opts.generation = 2;
	CHECK_INT(policy_reload(&current, &opts, test_err, sizeof(test_err)), -EINVAL);
	CHECK(current == first);
	CHECK_INT(policy_generation(current), 1);

	opts.rules_dir = FIXTURES "/audit";
	opts.generation = 3;
	CHECK_INT(policy_reload(&current, &opts, test_err, sizeof(test_err)), 0);
	CHECK_INT(policy_generation(current), 3);
	policy_unref(current);
}

static void policy_reference_keeps_generation(void)
{
	struct policy_event ev = connect_event(25, NULL);
	struct policy *p = load_fixture("basic");
	struct verdict v;

	CHECK(p);
	CHECK(policy_ref(p) == p);
	policy_unref(p);
	policy_decide(p, &ev, &v);
	CHECK_STR(v.reason, "no outgoing mail");
	policy_unref(p);
}

static void policy_null_generation_denies(void)
{
	struct policy_event ev = dns_event("example.com");
	struct verdict v;

	policy_decide(NULL, &ev, &v);
	CHECK_STR(verdict_action_name(v.action), "deny");
	CHECK(v.failed);
	CHECK_INT(v.rcode, POLICY_RCODE_SERVFAIL);
	CHECK_STR(v.error, "no rules are loaded");
}

static void policy_small_memory_limit_fails_load(void)
{
	CHECK_INT(load_error(FIXTURES "/basic", 16 << 10), -ENOMEM);
	CHECK(strstr(test_err, "memory limit"));
}

UNIT_MAIN(UNIT_TEST(policy_allow_by_name), UNIT_TEST(policy_deny_with_reason),
	  UNIT_TEST(policy_default_deny_when_unmatched),
	  UNIT_TEST(policy_default_allow_when_configured),
	  UNIT_TEST(policy_log_tags_accumulate),
	  UNIT_TEST(policy_dns_deny_uses_rule_rcode),
	  UNIT_TEST(policy_dns_default_deny_nxdomain),
	  UNIT_TEST(policy_audit_mode_records_verdict),
	  UNIT_TEST(policy_files_load_in_byte_order),
	  UNIT_TEST(policy_print_order_lists_files),
	  UNIT_TEST(policy_runtime_error_in_file_fails_load),
	  UNIT_TEST(policy_syntax_error_fails_load),
	  UNIT_TEST(policy_non_table_file_fails_load),
	  UNIT_TEST(policy_missing_directory_fails_load),
	  UNIT_TEST(policy_missing_lua_dir_fails_load),
	  UNIT_TEST(policy_oversized_file_fails_load),
	  UNIT_TEST(policy_helper_module_from_subdirectory),
	  UNIT_TEST(policy_event_fields_reach_rules),
	  UNIT_TEST(policy_dns_rewrite_answers),
	  UNIT_TEST(policy_handler_error_fails_closed),
	  UNIT_TEST(policy_constructor_line_through_c),
	  UNIT_TEST(policy_scoped_handlers_through_c),
	  UNIT_TEST(policy_constructor_front_cases),
	  UNIT_TEST(policy_event_fields_do_not_linger),
	  UNIT_TEST(policy_unknown_event_field_fails_closed),
	  UNIT_TEST(policy_module_error_names_rule_line),
	  UNIT_TEST(policy_budget_keeps_tags),
	  UNIT_TEST(policy_error_path_prefixes_rule_errors),
	  UNIT_TEST(policy_counters_count_hits),
	  UNIT_TEST(policy_reload_keeps_old_on_error),
	  UNIT_TEST(policy_reload_unchanged_keeps_generation),
	  UNIT_TEST(policy_reference_keeps_generation),
	  UNIT_TEST(policy_null_generation_denies),
	  UNIT_TEST(policy_small_memory_limit_fails_load))
