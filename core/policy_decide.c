// SPDX-License-Identifier: MIT
/* policy_decide.c - rule decisions: event tables in, verdicts out */

/*
 * policy_decide() pushes the event as a Lua table, calls the engine's
 * decide function through policy_pcall() and copies the verdict table back
 * into struct verdict. It never fails: any error becomes the fail-closed
 * verdict (deny, SERVFAIL for dns).
 */

#include <errno.h>
#include <string.h>

#include <arpa/inet.h>

#include <lauxlib.h>
#include <lua.h>

#include "log.h"
#include "policy.h"
#include "policy_internal.h"
#include "stats.h"

static const char *const verdict_action_names[] = {
    [VERDICT_ALLOW] = "allow",
    [VERDICT_DENY] = "deny",
    [VERDICT_REWRITE] = "rewrite",
    [VERDICT_INTERCEPT] = "intercept",
    [VERDICT_PASSTHROUGH] = "passthrough",
};

/**
 * verdict_action_name() - name of a verdict action as the rules spell it
 * @action:	the action
 *
 * Return: "allow", "deny", ..., or "invalid" for a value out of range
 */
const char *verdict_action_name(enum verdict_action action)
{
	if ((unsigned)action >=
	    sizeof(verdict_action_names) / sizeof(*verdict_action_names))
		return "invalid";
	return verdict_action_names[action];
}

/**
 * policy_rcode_name() - name of a DNS rcode that verdicts use
 * @rcode:	POLICY_RCODE_* number
 *
 * Return: "SERVFAIL", "NXDOMAIN", "REFUSED", or NULL for other numbers
 */
const char *policy_rcode_name(int rcode)
{
	switch (rcode) {
	case POLICY_RCODE_SERVFAIL:
		return "SERVFAIL";
	case POLICY_RCODE_NXDOMAIN:
		return "NXDOMAIN";
	case POLICY_RCODE_REFUSED:
		return "REFUSED";
	default:
		return NULL;
	}
}

static int policy_action_parse(const char *name, enum verdict_action *action)
{
	unsigned i;

	for (i = 0;
	     i < sizeof(verdict_action_names) / sizeof(*verdict_action_names);
	     i++) {
		if (!strcmp(name, verdict_action_names[i])) {
			*action = (enum verdict_action)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int policy_rcode_parse(const char *name)
{
	if (!strcmp(name, "NXDOMAIN"))
		return POLICY_RCODE_NXDOMAIN;
	if (!strcmp(name, "REFUSED"))
		return POLICY_RCODE_REFUSED;
	if (!strcmp(name, "SERVFAIL"))
		return POLICY_RCODE_SERVFAIL;
	return -EINVAL;
}

void policy_copy(char *dst, size_t size, const char *src, size_t len)
{
	if (!size)
		return;
	if (len < size) {
		memcpy(dst, src, len);
		dst[len] = '\0';
		return;
	}
	memcpy(dst, src, size - 1);
	dst[size - 1] = '\0';
	if (size > 4)
		memcpy(dst + size - 4, "...", 3);
}

/* Set field @key of the table at the top to @value, or clear it for NULL. */
static void policy_set_string(lua_State *L, const char *key, const char *value)
{
	lua_pushstring(L, value);
	lua_setfield(L, -2, key);
}

static void policy_set_integer(lua_State *L, const char *key, lua_Integer value)
{
	lua_pushinteger(L, value);
	lua_setfield(L, -2, key);
}

/* Registry keys of the tables that carry events, one per event type. */
static const char policy_event_tables[POLICY_EVENT_DNS + 1];

/*
 * Push the event table in the shape the contract gives. The table of each
 * event type is made once per state and refilled for every event: every
 * field of the type is set (or cleared), so nothing is left of the event
 * before. Rules never see this table itself, only the engine's read-only
 * view of it, which shows nothing once decide() has returned.
 */
static void policy_push_event(lua_State *L, const struct policy_event *ev)
{
	const void *key;

	if ((unsigned)ev->type > POLICY_EVENT_DNS)
		luaL_error(L, "unknown event type %d", (int)ev->type);
	key = &policy_event_tables[ev->type];
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, key) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_createtable(L, 0, 9);
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, key);
	}
	policy_set_integer(L, "id", (lua_Integer)ev->id);
	lua_pushnumber(L, ev->time);
	lua_setfield(L, -2, "time");

	switch (ev->type) {
	case POLICY_EVENT_CONNECT:
		policy_set_string(L, "event", "connect");
		policy_set_string(L, "proto", ev->connect.proto);
		policy_set_string(L, "src", ev->src);
		policy_set_integer(L, "src_port", ev->src_port);
		policy_set_string(L, "dst", ev->connect.dst);
		policy_set_integer(L, "port", ev->connect.port);
		policy_set_string(L, "name", ev->connect.name);
		break;
	case POLICY_EVENT_DNS:
		policy_set_string(L, "event", "dns");
		policy_set_string(L, "name", ev->dns.name);
		policy_set_string(L, "type", ev->dns.type);
		policy_set_string(L, "class", ev->dns.klass);
		policy_set_string(L, "client", ev->src);
		policy_set_string(L, "proto", ev->dns.proto);
		break;
	default:
		luaL_error(L, "unknown event type %d", (int)ev->type);
	}
}

void policy_get_string(lua_State *L, int idx, const char *key, char *dst,
		       size_t size)
{
	const char *s;
	size_t len;

	dst[0] = '\0';
	if (lua_getfield(L, idx, key) == LUA_TSTRING) {
		s = lua_tolstring(L, -1, &len);
		policy_copy(dst, size, s, len);
	}
	lua_pop(L, 1);
}

/* Join the strings of the array at the top into @dst, comma-separated,
 * and pop the array. */
static void policy_join_tags(lua_State *L, char *dst, size_t size)
{
	lua_Integer i, n = (lua_Integer)lua_rawlen(L, -1);
	size_t used = 0, len;
	const char *s;

	dst[0] = '\0';
	for (i = 1; i <= n; i++) {
		if (lua_rawgeti(L, -1, i) == LUA_TSTRING) {
			s = lua_tolstring(L, -1, &len);
			if (used && used < size - 1)
				dst[used++] = ',';
			policy_copy(dst + used, size - used, s, len);
			used += strlen(dst + used);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* Copy the audit array at the top into @v and pop it. */
static void policy_read_audit(lua_State *L, struct verdict *v)
{
	lua_Integer i, n = (lua_Integer)lua_rawlen(L, -1);
	struct verdict_audit *a;
	char action[16];

	for (i = 1; i <= n; i++) {
		if (lua_rawgeti(L, -1, i) != LUA_TTABLE)
			luaL_error(L,
				   "sluice.engine: audit entry %I is not a "
				   "table",
				   i);
		if (v->audit_count == VERDICT_AUDIT_MAX) {
			v->audit_dropped++;
			lua_pop(L, 1);
			continue;
		}
		a = &v->audit[v->audit_count++];
		policy_get_string(L, -1, "rule", a->rule, sizeof(a->rule));
		policy_get_string(L, -1, "reason", a->reason,
				  sizeof(a->reason));
		policy_get_string(L, -1, "action", action, sizeof(action));
		if (policy_action_parse(action, &a->action))
			luaL_error(L,
				   "sluice.engine: audit entry %I has "
				   "action '%s'",
				   i, action);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* DNS rewrite fields of the table at the top: answer = {"192.0.2.1", ...}
 * and ttl = seconds. */
static void policy_read_rewrite(lua_State *L, struct verdict *v)
{
	lua_Integer i, n, ttl;

	if (lua_getfield(L, -1, "answer") == LUA_TTABLE) {
		n = (lua_Integer)lua_rawlen(L, -1);
		if (n > VERDICT_ANSWERS_MAX) {
			log_ratelimited(LOG_WARN,
					"policy: dns rewrite has %lld answers, "
					"only the first %d are used",
					(long long)n, VERDICT_ANSWERS_MAX);
			n = VERDICT_ANSWERS_MAX;
		}
		for (i = 1; i <= n; i++) {
			if (lua_rawgeti(L, -1, i) != LUA_TSTRING ||
			    inet_pton(AF_INET, lua_tostring(L, -1),
				      &v->answers[v->answer_count]) != 1)
				luaL_error(L,
					   "sluice.engine: rewrite answer "
					   "%I is not an IPv4 address",
					   i);
			v->answer_count++;
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);

	if (lua_getfield(L, -1, "ttl") == LUA_TNUMBER) {
		ttl = lua_tointeger(L, -1);
		v->ttl = ttl < 0	    ? 0
			 : ttl > UINT32_MAX ? UINT32_MAX
					    : (uint32_t)ttl;
	}
	lua_pop(L, 1);
}

/* Copy the verdict table at @idx into @v; raises on a malformed one. */
static void policy_read_verdict(lua_State *L, int idx, struct verdict *v)
{
	const char *s;

	if (!lua_istable(L, idx))
		luaL_error(L, "sluice.engine: decide() returned a %s value",
			   luaL_typename(L, idx));

	if (lua_getfield(L, idx, "action") != LUA_TSTRING ||
	    policy_action_parse(lua_tostring(L, -1), &v->action))
		luaL_error(L, "sluice.engine: verdict has no valid action");
	lua_pop(L, 1);

	policy_get_string(L, idx, "rule", v->rule, sizeof(v->rule));
	policy_get_string(L, idx, "reason", v->reason, sizeof(v->reason));
	policy_get_string(L, idx, "error", v->error, sizeof(v->error));
	v->failed = v->error[0] != '\0';

	lua_getfield(L, idx, "default");
	v->is_default = lua_toboolean(L, -1);
	lua_pop(L, 1);

	if (lua_getfield(L, idx, "status") == LUA_TNUMBER)
		v->status = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);

	if (lua_getfield(L, idx, "rcode") == LUA_TSTRING) {
		s = lua_tostring(L, -1);
		v->rcode = policy_rcode_parse(s);
		if (v->rcode < 0)
			luaL_error(L, "sluice.engine: unknown rcode '%s'", s);
	}
	lua_pop(L, 1);

	if (lua_getfield(L, idx, "tags") == LUA_TTABLE)
		policy_join_tags(L, v->tags, sizeof(v->tags));
	else
		lua_pop(L, 1);

	if (lua_getfield(L, idx, "rewrite") == LUA_TTABLE)
		policy_read_rewrite(L, v);
	lua_pop(L, 1);

	if (lua_getfield(L, idx, "audit") == LUA_TTABLE)
		policy_read_audit(L, v);
	else
		lua_pop(L, 1);
}

/**
 * struct policy_decide_args - arguments of policy_decide_protected()
 * @p:		the generation
 * @ev:		the event
 * @v:		the verdict to fill
 */
struct policy_decide_args {
	struct policy *p;
	const struct policy_event *ev;
	struct verdict *v;
};

/* Registry key of the table that decide() fills with each decision. */
static const char policy_decision_table;

static int policy_decide_protected(lua_State *L)
{
	struct policy_decide_args *a = lua_touserdata(L, 1);

	lua_rawgeti(L, LUA_REGISTRYINDEX, a->p->decide_ref);
	lua_rawgeti(L, LUA_REGISTRYINDEX, a->p->gen_ref);
	policy_push_event(L, a->ev);
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &policy_decision_table) !=
	    LUA_TTABLE) {
		lua_pop(L, 1);
		lua_createtable(L, 0, 16);
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &policy_decision_table);
	}
	lua_call(L, 3, 1);
	policy_read_verdict(L, lua_gettop(L), a->v);
	return 0;
}

/* Count a failure that escaped the engine on the handler's counter. */
static void policy_count_error(struct policy *p, const char *rule)
{
	struct policy_error_count *c;
	unsigned i;

	if (!rule[0])
		return;
	for (i = 0; i < p->c_error_count; i++) {
		if (!strcmp(p->c_errors[i].rule, rule)) {
			p->c_errors[i].errors++;
			return;
		}
	}
	if (p->c_error_count == POLICY_C_ERRORS_MAX)
		return;
	c = &p->c_errors[p->c_error_count++];
	snprintf(c->rule, sizeof(c->rule), "%s", rule);
	c->errors = 1;
}

/* Overwrite @v with the fail-closed verdict for @type; same reason as the
 * engine's own fail-closed verdict. */
static void policy_fail_closed(struct verdict *v, enum policy_event_type type,
			       const char *rule, const char *error)
{
	memset(v, 0, sizeof(*v));
	v->action = VERDICT_DENY;
	v->failed = true;
	if (type == POLICY_EVENT_DNS)
		v->rcode = POLICY_RCODE_SERVFAIL;
	snprintf(v->reason, sizeof(v->reason), "rule error");
	snprintf(v->rule, sizeof(v->rule), "%s", rule);
	policy_copy(v->error, sizeof(v->error), error, strlen(error));
}

static int policy_interrupted_tags_protected(lua_State *L)
{
	struct policy_decide_args *a = lua_touserdata(L, 1);

	lua_rawgeti(L, LUA_REGISTRYINDEX, a->p->gen_ref);
	lua_getfield(L, -1, "interrupted_tags");
	lua_insert(L, -2);
	lua_call(L, 1, 1);
	if (lua_istable(L, -1))
		policy_join_tags(L, a->v->tags, sizeof(a->v->tags));
	return 0;
}

/**
 * policy_decide() - run the rules of one generation on one event
 * @p:		the generation, or NULL (then every event is denied)
 * @ev:		the event
 * @v:		filled with the verdict
 *
 * Never fails: an error in a rule, the engine or the bridge, a spent
 * instruction budget or the memory limit give the fail-closed verdict
 * (deny, rcode SERVFAIL for dns) with @v->failed and @v->error set. The
 * generation stays usable afterwards.
 */
void policy_decide(struct policy *p, const struct policy_event *ev,
		   struct verdict *v)
{
	struct policy_decide_args args = {p, ev, v};
	char err[sizeof(v->error)];
	int ret;

	if (!p) {
		policy_fail_closed(v, ev->type, "", "no rules are loaded");
		return;
	}

	memset(v, 0, sizeof(*v));
	p->stats.decisions++;
	ret = policy_pcall(p, policy_decide_protected, &args, err, sizeof(err));
	if (ret == -ETIME) {
		policy_fail_closed(v, ev->type, p->budget_handler, err);
		p->stats.budget_exhausted++;
		stats.policy_budget_exhausted++;
		policy_count_error(p, p->budget_handler);
		/* Keep the tags that rules had added before the budget ran out. */
		if (policy_pcall(p, policy_interrupted_tags_protected, &args,
				 err, sizeof(err)))
			log_ratelimited(LOG_WARN,
					"policy: cannot read the tags of a "
					"stopped decision: %s",
					err);
	} else if (ret) {
		policy_fail_closed(v, ev->type, "", err);
	} else if (v->failed) {
		/* The engine already built the fail-closed verdict. */
		policy_error_copy(p, v->error, err, sizeof(err));
		memcpy(v->error, err, sizeof(v->error));
		lua_gc(p->L, LUA_GCCOLLECT);
	}

	if (p->alloc_failed) {
		p->stats.memory_errors++;
		stats.policy_memory_errors++;
	}
	if (v->failed)
		p->stats.failures++;
	else if (v->is_default)
		p->stats.defaults++;
	v->generation = p->generation;
}
