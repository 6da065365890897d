/* SPDX-License-Identifier: MIT */
/* policy.h - rule engine bridge: a sandboxed Lua state per rules generation */

#ifndef SLUICE_POLICY_H
#define SLUICE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Defaults for the operator limits (--rule-budget, --rule-memory). */
#define POLICY_BUDGET_DEFAULT 1000000UL
#define POLICY_MEMORY_DEFAULT (64UL << 20)

/* Largest rule file or helper module that is loaded, in bytes. */
#define POLICY_FILE_MAX (1UL << 20)

/* Most rule files in one rules directory. */
#define POLICY_FILES_MAX 1024

/* DNS response codes that a dns verdict can carry (RFC 1035, 4.1.1). */
#define POLICY_RCODE_SERVFAIL 2
#define POLICY_RCODE_NXDOMAIN 3
#define POLICY_RCODE_REFUSED  5

struct policy;

/**
 * struct policy_opts - what policy_load() needs to build one generation
 * @rules_dir:		directory of *.lua rule files, helper modules in its
 *			subdirectories
 * @lua_dir:		directory that contains sluice/init.lua and
 *			sluice/engine.lua
 * @default_allow:	verdict when no rule decides: allow if true, else deny
 * @budget:		Lua VM instructions per event (and per rule file load),
 *			0 for POLICY_BUDGET_DEFAULT
 * @memory_limit:	bytes the Lua state may allocate, 0 for
 *			POLICY_MEMORY_DEFAULT
 * @generation:		number stamped on every verdict of this generation
 */
struct policy_opts {
	const char *rules_dir;
	const char *lua_dir;
	bool default_allow;
	unsigned long budget;
	size_t memory_limit;
	unsigned generation;
};

/**
 * enum policy_event_type - kind of event handed to the rules
 * @POLICY_EVENT_CONNECT:	a new TCP connection or UDP flow
 * @POLICY_EVENT_DNS:		a DNS query to the gateway
 */
enum policy_event_type {
	POLICY_EVENT_CONNECT,
	POLICY_EVENT_DNS,
	/* TODO: tls and http events are not built yet. */
};

/**
 * struct policy_event - one event, in the fields the rules see
 * @type:		which member of the union is valid
 * @id:			unique per process
 * @time:		seconds since the epoch
 * @src:		guest address text ("client" in dns events)
 * @src_port:		guest port (connect events only)
 * @connect:		connect event fields
 * @connect.proto:	"tcp" or "udp"
 * @connect.dst:	destination IPv4 text as the guest addressed it
 * @connect.name:	DNS name the destination is attributed to, or NULL
 * @connect.port:	destination port
 * @dns:		dns event fields
 * @dns.name:		query name, lower case, no trailing dot
 * @dns.type:		query type text ("A", "AAAA", "TYPE123")
 * @dns.klass:		query class text ("IN", "CLASS5")
 * @dns.proto:		"udp" or "tcp"
 */
struct policy_event {
	enum policy_event_type type;
	uint64_t id;
	double time;
	const char *src;
	uint16_t src_port;
	union {
		struct {
			const char *proto, *dst, *name;
			uint16_t port;
		} connect;
		struct {
			const char *name, *type, *klass, *proto;
		} dns;
	};
};

/**
 * enum verdict_action - what happens to the event
 * @VERDICT_ALLOW:		let it through
 * @VERDICT_DENY:		block it (RST, DNS error, HTTP error response)
 * @VERDICT_REWRITE:		let it through with changes (DNS answer, HTTP
 *				head)
 * @VERDICT_INTERCEPT:		terminate TLS and inspect HTTP (tls only)
 * @VERDICT_PASSTHROUGH:	relay TLS without inspection (tls only)
 */
enum verdict_action {
	VERDICT_ALLOW,
	VERDICT_DENY,
	VERDICT_REWRITE,
	VERDICT_INTERCEPT,
	VERDICT_PASSTHROUGH,
};

/* Sizes of the fixed arrays in struct verdict. */
#define VERDICT_ANSWERS_MAX 8
#define VERDICT_AUDIT_MAX   4

/**
 * struct verdict_audit - a verdict that an audit-mode file would have given
 * @rule:	"file.lua:LINE" of its constructor call
 * @reason:	its reason, or ""
 * @action:	its action
 */
struct verdict_audit {
	char rule[128];
	char reason[256];
	enum verdict_action action;
};

/**
 * struct verdict - the outcome of policy_decide(), without pointers into Lua
 * @action:		what to do
 * @is_default:		no rule decided and the configured default applied
 * @failed:		a rule or the engine failed and this is the fail-closed
 *			verdict (deny, SERVFAIL for dns)
 * @status:		HTTP status of a deny, 0 if none
 * @rcode:		DNS rcode of a deny (POLICY_RCODE_*), 0 if none
 * @generation:		rules generation that decided
 * @rule:		"file.lua:LINE" of the deciding rule, or ""
 * @reason:		reason given by the rule or the default, or ""
 * @error:		"file.lua:LINE: message" when @failed, else ""
 * @tags:		comma-separated tags of log verdicts seen on the way
 * @answers:		dns rewrite: IPv4 answers in network byte order
 * @answer_count:	entries used in @answers
 * @ttl:		dns rewrite: TTL of the answers in seconds, 0 if the
 *			rule gave none
 * @audit:		would-be verdicts of audit-mode files, in file order
 * @audit_count:	entries used in @audit
 * @audit_dropped:	would-be verdicts that did not fit in @audit
 *
 * Strings that do not fit are truncated (the end of a cut string is
 * marked with "...").
 */
struct verdict {
	enum verdict_action action;
	bool is_default;
	bool failed;
	int status;
	int rcode;
	unsigned generation;
	char rule[128];
	char reason[256];
	char error[256];
	char tags[256];
	uint32_t answers[VERDICT_ANSWERS_MAX];
	unsigned answer_count;
	uint32_t ttl;
	struct verdict_audit audit[VERDICT_AUDIT_MAX];
	unsigned audit_count;
	unsigned audit_dropped;
};

/**
 * struct policy_rule_counter - decisions and failures of one rule
 * @rule:	"file.lua:LINE" (a verdict constructor call for hits, a
 *		handler definition for errors)
 * @hits:	verdicts returned from there (log verdicts too)
 * @errors:	failures of the handler defined there
 */
struct policy_rule_counter {
	char rule[128];
	uint64_t hits;
	uint64_t errors;
};

/**
 * struct policy_stats - totals of one generation
 * @decisions:		policy_decide() calls
 * @defaults:		decisions that no rule made (the default verdict)
 * @failures:		fail-closed verdicts, whatever the cause
 * @budget_exhausted:	events stopped by the instruction budget
 * @memory_errors:	events in which an allocation hit the memory limit
 * @memory_used:	bytes the Lua state has allocated now
 * @memory_limit:	the limit on @memory_used
 */
struct policy_stats {
	uint64_t decisions;
	uint64_t defaults;
	uint64_t failures;
	uint64_t budget_exhausted;
	uint64_t memory_errors;
	size_t memory_used;
	size_t memory_limit;
};

int policy_load(const struct policy_opts *opts, struct policy **out, char *err,
		size_t errlen);
/* policy_reload() found the same rules: the generation in force stays. */
#define POLICY_UNCHANGED 1

int policy_reload(struct policy **current, const struct policy_opts *opts,
		  char *err, size_t errlen);
struct policy *policy_ref(struct policy *p);
void policy_unref(struct policy *p);
unsigned policy_generation(const struct policy *p);

void policy_decide(struct policy *p, const struct policy_event *ev,
		   struct verdict *v);

int policy_print_order(struct policy *p, FILE *out);
const char *policy_error_path(const char *dir, const char *err, char *buf,
			      size_t size);
int policy_counters(struct policy *p, struct policy_rule_counter *out,
		    size_t max);
void policy_stats(const struct policy *p, struct policy_stats *st);

const char *verdict_action_name(enum verdict_action action);
const char *policy_rcode_name(int rcode);

#endif /* SLUICE_POLICY_H */
