// SPDX-License-Identifier: MIT
/* policy_host.c - sluice.host: the core's C front for sluice's verdict constructors */

/*
 * A rule that returns sluice.allow{reason = "..."} builds a verdict on
 * every event. sluice.verdict keeps the verdicts each rule line built and
 * hands back the same (immutable) verdict when that line builds it again.
 * Finding the rule line and the kept verdict takes a handful of debug and
 * table calls, which in Lua cost about as much as the rest of a decision,
 * so the core does them in C. Everything else stays in sluice.verdict's
 * own Lua code, which busted runs alone.
 *
 * constructor(action, callers, no_reason, build_at) returns the __call
 * metamethod of one verdict constructor. Called as ctor(args), it:
 *   1. finds the first Lua function on the stack above it and its current
 *      line (a C function called in tail position keeps its caller's
 *      frame, so "return sluice.allow()" still shows the rule's line);
 *   2. derives the reuse key from args as reuse_key() in sluice/verdict.lua
 *      does: no_reason for no arguments or an empty table, the reason for a
 *      plain table whose only field is a string reason;
 *   3. returns callers[fn][line][action][key] when it exists;
 *   4. otherwise returns build_at(action, args, extra, fn, line), the Lua
 *      path that checks the arguments, builds the verdict and keeps it.
 * Like the pairs() front that busted uses, it returns the verdict and two
 * nils.
 */

#include <stdbool.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "policy_internal.h"

/* Upvalues of a constructor front. */
enum {
	FRONT_ACTION = 1,
	FRONT_CALLERS,
	FRONT_NO_REASON,
	FRONT_BUILD_AT,
};

/* Stack slots while a front runs. */
enum {
	SLOT_ARGS = 2,
	SLOT_FN,
	SLOT_LINE,
};

/* Push the first Lua function above the front and its current line, or
 * two nils. */
static void policy_front_caller(lua_State *L)
{
	lua_Debug ar;
	int level;

	for (level = 1; lua_getstack(L, level, &ar); level++) {
		lua_getinfo(L, "fl", &ar);
		if (!lua_iscfunction(L, -1)) {
			lua_pushinteger(L, ar.currentline);
			return;
		}
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	lua_pushnil(L);
}

/* Push the reuse key of the arguments, or return false (nothing pushed). */
static bool policy_front_key(lua_State *L)
{
	size_t len;
	const char *key;

	if (lua_isnoneornil(L, SLOT_ARGS)) {
		lua_pushvalue(L, lua_upvalueindex(FRONT_NO_REASON));
		return true;
	}
	if (!lua_istable(L, SLOT_ARGS))
		return false;
	if (lua_getmetatable(L, SLOT_ARGS)) {
		lua_pop(L, 1);
		return false;
	}

	lua_pushnil(L);
	if (!lua_next(L, SLOT_ARGS)) {
		lua_pushvalue(L, lua_upvalueindex(FRONT_NO_REASON));
		return true;
	}
	/* key, value on top */
	if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING) {
		lua_pop(L, 2);
		return false;
	}
	key = lua_tolstring(L, -2, &len);
	if (len != 6 || memcmp(key, "reason", 6)) {
		lua_pop(L, 2);
		return false;
	}
	lua_pushvalue(L, -2);
	if (lua_next(L, SLOT_ARGS)) {
		lua_pop(L, 4); /* next key and value, reason key and value */
		return false;
	}
	lua_remove(L, -2); /* the "reason" key: the reason is the reuse key */
	return true;
}

/* Push the verdict kept for this call, or return false (nothing pushed). */
static bool policy_front_reused(lua_State *L)
{
	int top = lua_gettop(L), key;

	if (lua_isnil(L, SLOT_FN) || !policy_front_key(L))
		return false;
	key = lua_gettop(L);

	lua_pushvalue(L, SLOT_FN);
	if (lua_rawget(L, lua_upvalueindex(FRONT_CALLERS)) != LUA_TTABLE)
		goto miss; /* no line of this function seen yet */
	if (lua_rawgeti(L, -1, lua_tointeger(L, SLOT_LINE)) != LUA_TTABLE)
		goto miss; /* no call site on this line seen yet */
	lua_pushvalue(L, lua_upvalueindex(FRONT_ACTION));
	if (lua_rawget(L, -2) != LUA_TTABLE)
		goto miss; /* nothing of this action kept here */
	lua_pushvalue(L, key);
	if (lua_rawget(L, -2) == LUA_TNIL)
		goto miss;

	lua_replace(L, top + 1);
	lua_settop(L, top + 1);
	return true;
miss:
	lua_settop(L, top);
	return false;
}

static int policy_front_call(lua_State *L)
{
	bool extra = lua_gettop(L) > SLOT_ARGS;

	lua_settop(L, SLOT_ARGS);
	policy_front_caller(L);
	if (extra || !policy_front_reused(L)) {
		lua_pushvalue(L, lua_upvalueindex(FRONT_BUILD_AT));
		lua_pushvalue(L, lua_upvalueindex(FRONT_ACTION));
		lua_pushvalue(L, SLOT_ARGS);
		lua_pushboolean(L, extra);
		lua_pushvalue(L, SLOT_FN);
		lua_pushvalue(L, SLOT_LINE);
		lua_call(L, 5, 1);
	}
	lua_pushnil(L);
	lua_pushnil(L);
	return 3;
}

/* constructor(action, callers, no_reason, build_at) -> __call function */
static int policy_front_new(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TSTRING);
	luaL_checktype(L, 2, LUA_TTABLE);
	luaL_checkany(L, 3);
	luaL_checktype(L, 4, LUA_TFUNCTION);
	lua_settop(L, 4);
	lua_pushcclosure(L, policy_front_call, 4);
	return 1;
}

void policy_open_host(lua_State *L)
{
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, policy_front_new);
	lua_setfield(L, -2, "constructor");
}
