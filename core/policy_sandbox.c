// SPDX-License-Identifier: MIT
/* policy_sandbox.c - hardened Lua state with memory and instruction limits */

/*
 * How it works
 *
 * Each rules generation gets a fresh Lua 5.4 state whose allocator
 * enforces a byte limit, hardened before any Lua code runs:
 *
 *   - only the base, string, table, math, utf8 and (until the engine is
 *     loaded) debug libraries are opened;
 *   - string.dump is deleted from the real string table, which rules can
 *     reach through ("").dump, and the string metatable is hidden behind
 *     __metatable = false;
 *   - the global load only accepts text chunks, whatever mode it is given;
 *   - the global setmetatable rejects a metatable with a __gc field,
 *     because Lua runs finalizers with hooks disabled, so the instruction
 *     budget could not stop a looping finalizer;
 *   - require is replaced by a loader that only reads sluice and
 *     sluice.* modules from the Lua module directory.
 *
 * Then sluice.engine and sluice are loaded (they capture load, require,
 * pcall and debug.getinfo as upvalues) and debug, require, dofile,
 * loadfile and collectgarbage are removed from the globals. The engine
 * gives each rule file its own environment built from an allow list.
 *
 * Helper modules are read by the read_module callback, from subdirectories
 * only. A module path never goes through "..", starts at "/" or resolves
 * (through symlinks) to a file outside the rules directory.
 *
 * Every entry into Lua goes through policy_pcall(): a protected call with
 * an instruction budget enforced by a count hook. While a generation
 * loads, the hook counts from the first instruction, so a rule file loads
 * or fails the same way every time. Later calls (decisions) get the hook
 * from policy_watch.c only once they have run for a few milliseconds of
 * CPU time, because a count hook slows every instruction. When the budget
 * is spent, the hook records the rule position and switches to a count of
 * 1, raising the same error before every following instruction, so a pcall
 * inside a rule cannot swallow it. A failed call is followed by a full
 * garbage collection.
 *
 * Limits: the budget counts VM instructions, not time spent inside C
 * library functions. Lua's pattern matcher is C code, so one call with a
 * backtracking pattern is not interrupted: on a 2-core AMD EPYC VM with
 * Lua 5.4.4, string.rep("a", 3000):find(".-.-.-b") in a handler ran for
 * over two minutes, and the guest chooses the subject when a rule matches
 * an event field. So rules get the pattern functions of
 * sluice/pattern.lua, which refuse a pattern too costly for its subject,
 * and policy_guard_string_methods() routes method calls on strings to
 * them too. Only the memory limit bounds string.rep and table growth.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "log.h"
#include "policy.h"
#include "policy_internal.h"

/* Registry key of the table of loaded sluice modules. */
#define POLICY_LOADED_KEY "sluice.policy.loaded"

static struct policy *policy_of(lua_State *L)
{
	return *(struct policy **)lua_getextraspace(L);
}

void *policy_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct policy *p = ud;
	size_t old = ptr ? osize : 0;
	void *grown;

	if (!nsize) {
		free(ptr);
		p->mem_used -= old;
		return NULL;
	}

	if (nsize > old && nsize - old > p->mem_limit - p->mem_used) {
		p->alloc_failed = true;
		return NULL;
	}

	grown = realloc(ptr, nsize);
	if (!grown) {
		p->alloc_failed = true;
		return NULL;
	}
	p->mem_used = p->mem_used - old + nsize;
	return grown;
}

int policy_panic(lua_State *L)
{
	const char *msg = lua_tostring(L, -1);

	log_err("policy: unprotected Lua error: %s",
		msg ? msg : "(no message)");
	abort();
	return 0;
}

/* A frame of sluice's own modules or a C function, not of a rule. */
static bool policy_frame_is_rule(const struct policy *p, const lua_Debug *d)
{
	if (!strcmp(d->what, "C"))
		return false;
	return strncmp(d->source, p->module_source, strlen(p->module_source)) !=
	       0;
}

/*
 * Record where the budget ran out: the innermost rule frame for the error
 * message and the outermost one (the handler the engine called) for the
 * per-rule error counter.
 */
static void policy_budget_locate(struct policy *p, lua_State *L)
{
	char where[128] = "rules engine";
	bool found = false;
	lua_Debug d;
	int level;

	p->budget_handler[0] = '\0';
	for (level = 0; lua_getstack(L, level, &d); level++) {
		if (!lua_getinfo(L, "Sl", &d) || !policy_frame_is_rule(p, &d))
			continue;
		if (!found)
			snprintf(where, sizeof(where), "%s:%d", d.short_src,
				 d.currentline);
		found = true;
		if (d.linedefined > 0)
			snprintf(p->budget_handler, sizeof(p->budget_handler),
				 "%s:%d", d.short_src, d.linedefined);
	}

	snprintf(p->budget_error, sizeof(p->budget_error),
		 "%s: instruction budget of %lu exhausted", where, p->budget);
}

void policy_hook(lua_State *L, lua_Debug *ar)
{
	struct policy *p = policy_of(L);

	(void)ar;
	if (!p->exhausted) {
		p->steps += (unsigned long)p->hook_step;
		if (p->steps < p->budget)
			return;

		p->exhausted = true;
		policy_budget_locate(p, L);
		lua_sethook(L, policy_hook, LUA_MASKCOUNT, 1);
	}

	lua_pushstring(L, p->budget_error);
	lua_error(L);
}

void policy_error_copy(const struct policy *p, const char *msg, char *err,
		       size_t errlen)
{
	static const char oom[] = "not enough memory";
	size_t len = strlen(msg);

	if (p->alloc_failed && len >= sizeof(oom) - 1 &&
	    !strcmp(msg + len - (sizeof(oom) - 1), oom)) {
		snprintf(err, errlen, "%.*smemory limit of %zu bytes exceeded",
			 (int)(len - (sizeof(oom) - 1)), msg, p->mem_limit);
		return;
	}
	policy_copy(err, errlen, msg, len);
}

/* Copy the error of a failed protected call into @err. */
static void policy_error_text(struct policy *p, int status, char *err,
			      size_t errlen)
{
	const char *msg = lua_tostring(p->L, -1);

	if (p->exhausted)
		snprintf(err, errlen, "%s", p->budget_error);
	else if (msg)
		policy_error_copy(p, msg, err, errlen);
	else if (status == LUA_ERRMEM)
		snprintf(err, errlen, "memory limit of %zu bytes exceeded",
			 p->mem_limit);
	else
		snprintf(err, errlen, "error object is a %s value",
			 luaL_typename(p->L, -1));
}

int policy_pcall(struct policy *p, lua_CFunction fn, void *arg, char *err,
		 size_t errlen)
{
	lua_State *L = p->L;
	int status, ret = 0;

	p->steps = 0;
	p->exhausted = false;
	p->alloc_failed = false;
	if (!p->loading && policy_watch_start())
		policy_watch_enter(p);
	else
		lua_sethook(L, policy_hook, LUA_MASKCOUNT, p->hook_step);

	lua_settop(L, 0);
	lua_pushcfunction(L, fn);
	lua_pushlightuserdata(L, arg);
	status = lua_pcall(L, 1, 0, 0);
	policy_watch_leave();
	lua_sethook(L, NULL, 0, 0);
	if (status == LUA_OK)
		goto out;

	policy_error_text(p, status, err, errlen);
	if (p->exhausted)
		ret = -ETIME;
	else if (status == LUA_ERRMEM || p->alloc_failed)
		ret = -ENOMEM;
	else
		ret = -EINVAL;
	lua_settop(L, 0);
	lua_gc(L, LUA_GCCOLLECT);
out:
	lua_settop(L, 0);
	return ret;
}

void policy_digest_add(struct policy *p, const void *data, size_t len)
{
	const unsigned char *b = data;
	size_t i;

	for (i = 0; i < len; i++) {
		p->digest ^= b[i];
		p->digest *= 0x100000001b3ULL; /* FNV-1a, 64 bits */
	}
}

int policy_slurp(lua_State *L, const char *path, const char *display)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	ssize_t n;
	int fd, ret = 0;

	if (stat(path, &st)) {
		ret = -errno;
		lua_pushfstring(L, "%s: cannot read: %s", display,
				strerror(errno));
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		lua_pushfstring(L, "%s: not a regular file", display);
		return -EINVAL;
	}
	if ((unsigned long long)st.st_size > POLICY_FILE_MAX) {
		lua_pushfstring(L,
				"%s: file is %I bytes, more than the limit "
				"of %I bytes",
				display, (lua_Integer)st.st_size,
				(lua_Integer)POLICY_FILE_MAX);
		return -EFBIG;
	}

	/* The buffer comes first, so a memory error cannot leak the fd. */
	buf = lua_newuserdatauv(L, (size_t)st.st_size + 1, 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (ret)
		goto fail;

	policy_digest_add(policy_of(L), display, strlen(display) + 1);
	policy_digest_add(policy_of(L), buf, got);
	lua_pushlstring(L, buf, got);
	lua_remove(L, -2);
	return 0;

fail:
	lua_pop(L, 1);
	lua_pushfstring(L, "%s: cannot read: %s", display, strerror(-ret));
	return ret;
}

/*
 * Check a dotted module name: segments of letters, digits, '_' and '-'.
 * Return: number of segments, 0 if the name is invalid.
 */
static unsigned policy_module_segments(const char *name)
{
	unsigned segments = 1;
	size_t seglen = 0;
	const char *c;

	for (c = name; *c; c++) {
		if (*c == '.') {
			if (!seglen)
				return 0;
			segments++;
			seglen = 0;
			continue;
		}
		if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
		    !(*c >= '0' && *c <= '9') && *c != '_' && *c != '-')
			return 0;
		seglen++;
	}
	return seglen ? segments : 0;
}

/* Turn "lib.net" into "lib/net.lua". Return: 0, or -ENAMETOOLONG. */
static int policy_module_path(const char *name, char *out, size_t size)
{
	size_t i, len = strlen(name);

	if (len + sizeof(".lua") > size)
		return -ENAMETOOLONG;
	for (i = 0; i < len; i++)
		out[i] = name[i] == '.' ? '/' : name[i];
	memcpy(out + len, ".lua", sizeof(".lua"));
	return 0;
}

/*
 * require() during engine load: loads "sluice" (sluice/init.lua) and
 * "sluice.NAME" (sluice/NAME.lua) from the Lua module directory, text
 * only, once each. Every other name is an error.
 */
static int policy_require(lua_State *L)
{
	struct policy *p = policy_of(L);
	const char *name = luaL_checkstring(L, 1);
	char rel[PATH_MAX], path[PATH_MAX];
	const char *source;
	size_t len;

	if (strcmp(name, "sluice") &&
	    (strncmp(name, "sluice.", 7) || !policy_module_segments(name)))
		return luaL_error(L,
				  "module '%s' not found: only sluice "
				  "modules can be required here",
				  name);

	lua_getfield(L, LUA_REGISTRYINDEX, POLICY_LOADED_KEY);
	if (lua_getfield(L, -1, name) != LUA_TNIL)
		return 1;
	lua_pop(L, 1);

	if (!strcmp(name, "sluice"))
		snprintf(rel, sizeof(rel), "sluice/init.lua");
	else if (policy_module_path(name, rel, sizeof(rel)))
		return luaL_error(L, "module name '%s' is too long", name);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", p->lua_dir, rel) >=
	    sizeof(path))
		return luaL_error(L, "module path of '%s' is too long", name);

	if (policy_slurp(L, path, path))
		return lua_error(L);
	source = lua_tolstring(L, -1, &len);
	lua_pushfstring(L, "@%s", path);
	if (luaL_loadbufferx(L, source, len, lua_tostring(L, -1), "t"))
		return lua_error(L);

	lua_pushstring(L, name);
	lua_pushstring(L, path);
	lua_call(L, 2, 1);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, 2, name); /* loaded[name] = module */
	return 1;
}

/*
 * read_module(modname) for the engine: source and chunk name of a helper
 * module in a subdirectory of the rules directory, or nothing if there is
 * no such file. Raises an error for a name or path that is not allowed and
 * for a file that cannot be read, so the rule's error message gives the
 * reason.
 */
static int policy_read_module(lua_State *L)
{
	struct policy *p = policy_of(L);
	const char *name = luaL_checkstring(L, 1);
	char rel[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
	size_t rootlen = strlen(p->rules_real);

	if (policy_module_segments(name) < 2)
		return luaL_error(L,
				  "invalid module name '%s': helper modules "
				  "are DIR.NAME, from a subdirectory of the "
				  "rules directory",
				  name);
	if (policy_module_path(name, rel, sizeof(rel)) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", p->rules_dir, rel) >=
		sizeof(path))
		return luaL_error(L, "module name '%s' is too long", name);

	if (!realpath(path, real)) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return luaL_error(L, "%s: %s", rel, strerror(errno));
	}
	if (strncmp(real, p->rules_real, rootlen) || real[rootlen] != '/')
		return luaL_error(L,
				  "%s: resolves to %s, outside the rules "
				  "directory",
				  rel, real);

	if (policy_slurp(L, real, rel))
		return lua_error(L);
	lua_pushfstring(L, "@%s", rel);
	return 2;
}

/* print() for rules: one log line, control characters replaced. */
static int policy_print(lua_State *L)
{
	char line[512];
	size_t used = 0, len, i;
	int n = lua_gettop(L), arg;
	const char *s;

	for (arg = 1; arg <= n && used < sizeof(line) - 1; arg++) {
		s = luaL_tolstring(L, arg, &len);
		if (arg > 1)
			line[used++] = ' ';
		for (i = 0; i < len && used < sizeof(line) - 1; i++) {
			unsigned char c = (unsigned char)s[i];

			line[used++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		}
		lua_pop(L, 1);
	}
	line[used] = '\0';

	/* Name the rule line that printed: "10-a.lua:4: " (or "" when the
	 * caller is not a Lua function). */
	luaL_where(L, 1);
	log_ratelimited(LOG_INFO, "rules: %s%s", lua_tostring(L, -1), line);
	lua_pop(L, 1);
	return 0;
}

/* load() that forces mode "t": arguments are (chunk, chunkname, mode, env). */
static int policy_load_text(lua_State *L)
{
	int nargs = lua_gettop(L);

	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_pushliteral(L, "t");
	if (nargs >= 4)
		lua_pushvalue(L, 4);
	lua_call(L, nargs >= 4 ? 4 : 3, LUA_MULTRET);
	return lua_gettop(L) - nargs;
}

/* setmetatable() that rejects finalizers (see the top of this file). */
static int policy_setmetatable(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "__gc metamethods are not "
					     "allowed in rules");
		lua_pop(L, 1);
	}

	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 2, 1);
	return 1;
}

/* Replace global @name by C closure @fn with the original as upvalue. */
static void policy_wrap_global(lua_State *L, const char *name, lua_CFunction fn)
{
	lua_getglobal(L, name);
	lua_pushcclosure(L, fn, 1);
	lua_setglobal(L, name);
}

static void policy_open_libs(lua_State *L)
{
	static const luaL_Reg libs[] = {
	    {LUA_GNAME, luaopen_base},	     {LUA_STRLIBNAME, luaopen_string},
	    {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
	    {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_DBLIBNAME, luaopen_debug},
	};
	size_t i;

	for (i = 0; i < sizeof(libs) / sizeof(*libs); i++) {
		luaL_requiref(L, libs[i].name, libs[i].func, 1);
		lua_pop(L, 1);
	}
}

/* Close the holes that exist in every state, before any Lua code runs. */
static void policy_harden(lua_State *L)
{
	static const char *const removed[] = {"dofile", "loadfile", "require"};
	size_t i;

	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);

	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);

	policy_wrap_global(L, "load", policy_load_text);
	policy_wrap_global(L, "setmetatable", policy_setmetatable);
	for (i = 0; i < sizeof(removed) / sizeof(*removed); i++) {
		lua_pushnil(L);
		lua_setglobal(L, removed[i]);
	}

	/* Loaded modules, starting with what the core gives sluice.verdict. */
	lua_newtable(L);
	policy_open_host(L);
	lua_setfield(L, -2, "sluice.host");
	lua_setfield(L, LUA_REGISTRYINDEX, POLICY_LOADED_KEY);
	lua_register(L, "require", policy_require);
}

/*
 * Method calls on strings (name:find(...)) look functions up through the
 * string metatable's __index, the real string table. Point it at the
 * string library of rule files, whose pattern functions refuse patterns
 * too costly for their subject (sluice/pattern.lua), so both ways of
 * calling are checked.
 */
static void policy_guard_string_methods(lua_State *L)
{
	lua_getglobal(L, "require");
	lua_pushliteral(L, "sluice.pattern");
	lua_call(L, 1, 1);
	if (lua_getfield(L, -1, "string") != LUA_TTABLE)
		luaL_error(L, "sluice.pattern: no string table");
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);	/* string metatable (C API: no __metatable) */
	lua_pushvalue(L, -3);		/* the checked string table */
	lua_setfield(L, -2, "__index");
	lua_pop(L, 4);			/* metatable, "", table, module */
}

/* After the engine captured what it needs: drop the dangerous globals. */
static void policy_seal(lua_State *L)
{
	static const char *const removed[] = {LUA_DBLIBNAME, "require",
					      "collectgarbage"};
	size_t i;

	for (i = 0; i < sizeof(removed) / sizeof(*removed); i++) {
		lua_pushnil(L);
		lua_setglobal(L, removed[i]);
	}

	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_pushnil(L);
	lua_setfield(L, -2, LUA_DBLIBNAME);
	lua_pop(L, 1);
}

/* Call engine.new{...}; leaves the generation object on the stack. */
static void policy_engine_new(lua_State *L, struct policy *p)
{
	lua_getfield(L, -1, "new");
	lua_createtable(L, 0, 4);
	lua_pushstring(L, p->default_allow ? "allow" : "deny");
	lua_setfield(L, -2, "default");
	lua_pushinteger(L, p->generation);
	lua_setfield(L, -2, "generation");
	lua_pushcfunction(L, policy_read_module);
	lua_setfield(L, -2, "read_module");
	lua_pushcfunction(L, policy_print);
	lua_setfield(L, -2, "print");
	lua_call(L, 1, 1);
	if (!lua_istable(L, -1) && !lua_isuserdata(L, -1))
		luaL_error(L, "sluice.engine: new() returned a %s value",
			   luaL_typename(L, -1));
}

int policy_setup_protected(lua_State *L)
{
	struct policy *p = lua_touserdata(L, 1);

	policy_open_libs(L);
	policy_harden(L);

	/* Load sluice too, so it captures debug.getinfo before the seal. */
	lua_getglobal(L, "require");
	lua_pushliteral(L, "sluice");
	lua_call(L, 1, 0);
	lua_getglobal(L, "require");
	lua_pushliteral(L, "sluice.engine");
	lua_call(L, 1, 1);
	if (!lua_istable(L, -1))
		return luaL_error(L,
				  "sluice.engine: module returned a %s "
				  "value, expected a table",
				  luaL_typename(L, -1));
	policy_guard_string_methods(L);
	policy_seal(L);

	policy_engine_new(L, p);
	if (lua_getfield(L, -1, "decide") != LUA_TFUNCTION)
		return luaL_error(L, "sluice.engine: generation has no "
				     "decide function");
	p->decide_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	p->gen_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}
