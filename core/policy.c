// SPDX-License-Identifier: MIT
/* policy.c - rule engine bridge: a sandboxed Lua state per rules generation */

/*
 * How it works
 *
 * policy_load() builds one rules generation: a fresh Lua 5.4 state whose
 * allocator enforces a byte limit, hardened before any Lua code runs:
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
 * Rule files are read here: the *.lua files at the top level of the rules
 * directory, in byte order of their names, each handed to gen:add_file().
 * Helper modules are read by the read_module callback, from subdirectories
 * only. A module path never goes through "..", starts at "/" or resolves
 * (through symlinks) to a file outside the rules directory.
 *
 * Every entry into Lua goes through policy_pcall(): a protected call with
 * an instruction budget enforced by a count hook. When the budget is
 * spent, the hook records the rule position and switches to a count of 1,
 * raising the same error before every following instruction, so a pcall
 * inside a rule cannot swallow it. A failed call is followed by a full
 * garbage collection. policy_decide() never fails: any error becomes the
 * fail-closed verdict (deny, SERVFAIL for dns).
 *
 * Limits: the budget counts VM instructions, not time spent inside C
 * library functions. NOTE: Lua's pattern matcher is C code, so one call
 * with a backtracking pattern is not interrupted: here (2-core AMD EPYC
 * VM, Lua 5.4.4) string.rep("a", 3000):find(".-.-.-b") in a handler ran
 * for over two minutes. When a rule matches a pattern against an event
 * field (a name, later a path or a header), the guest chooses the subject.
 * Only the memory limit bounds string.rep and table growth.
 *
 * Reference counts are plain integers: the gateway is single-threaded.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "log.h"
#include "policy.h"

/* Instructions between two calls of the budget hook. */
#define POLICY_HOOK_STEP 1000UL

/* Per-rule error counters kept on the C side, for failures that escape
 * the engine (budget, memory). */
#define POLICY_C_ERRORS_MAX 64

/* Registry key of the table of loaded sluice modules. */
#define POLICY_LOADED_KEY "sluice.policy.loaded"

/**
 * struct policy_error_count - failures counted by the bridge for one handler
 * @rule:	"file.lua:LINE" where the handler is defined
 * @errors:	failures of that handler that escaped the engine
 */
struct policy_error_count {
	char rule[128];
	uint64_t errors;
};

/**
 * struct policy - one rules generation
 * @L:			the Lua state, owned
 * @refs:		reference count, the state is closed at zero
 * @generation:		number stamped on verdicts
 * @default_allow:	default verdict when no rule decides
 * @budget:		instructions per protected call
 * @hook_step:		count of the budget hook before the budget is spent
 * @rules_dir:		rules directory as given
 * @rules_real:		@rules_dir with symlinks resolved, for containment
 * @lua_dir:		directory holding the sluice modules
 * @module_source:	"@" @lua_dir "/", the source prefix of sluice modules
 * @gen_ref:		registry reference of the engine generation object
 * @decide_ref:		registry reference of its decide function
 * @mem_used:		bytes allocated by the Lua state
 * @mem_limit:		limit on @mem_used
 * @alloc_failed:	an allocation was refused during the current call
 * @steps:		instructions counted in the current call
 * @exhausted:		the budget of the current call is spent
 * @budget_error:	"file.lua:LINE: ..." error raised after exhaustion
 * @budget_handler:	"file.lua:LINE" of the handler that was running
 * @stats:		totals reported by policy_stats()
 * @c_errors:		per-handler failures that escaped the engine
 * @c_error_count:	entries used in @c_errors
 */
struct policy {
	lua_State *L;
	unsigned refs;
	unsigned generation;
	bool default_allow;
	unsigned long budget;
	int hook_step;
	char *rules_dir;
	char rules_real[PATH_MAX];
	char *lua_dir;
	char *module_source;
	int gen_ref;
	int decide_ref;
	size_t mem_used;
	size_t mem_limit;
	bool alloc_failed;
	unsigned long steps;
	bool exhausted;
	char budget_error[256];
	char budget_handler[128];
	struct policy_stats stats;
	struct policy_error_count c_errors[POLICY_C_ERRORS_MAX];
	unsigned c_error_count;
};

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

/* Copy @src into @dst of @size bytes, marking a cut string with "...". */
static void policy_copy(char *dst, size_t size, const char *src, size_t len)
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

static struct policy *policy_of(lua_State *L)
{
	return *(struct policy **)lua_getextraspace(L);
}

/*
 * Allocator of every state: refuses growth past mem_limit, so Lua raises
 * its memory error (after an emergency collection and one more try).
 */
static void *policy_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
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

static int policy_panic(lua_State *L)
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

/* Count hook: charge the budget, and once it is spent fail every step. */
static void policy_hook(lua_State *L, lua_Debug *ar)
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

/*
 * Copy @msg into @err; when the memory limit was hit, replace Lua's "not
 * enough memory" with the limit, so the operator knows which knob it is.
 */
static void policy_error_copy(const struct policy *p, const char *msg,
			      char *err, size_t errlen)
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

/*
 * Run @fn(@arg) in protected mode under a fresh instruction budget.
 * Return: 0, or -ETIME (budget), -ENOMEM (memory limit), -EINVAL (any
 * other error) with the message in @err.
 */
static int policy_pcall(struct policy *p, lua_CFunction fn, void *arg,
			char *err, size_t errlen)
{
	lua_State *L = p->L;
	int status, ret = 0;

	p->steps = 0;
	p->exhausted = false;
	p->alloc_failed = false;
	lua_sethook(L, policy_hook, LUA_MASKCOUNT, p->hook_step);

	lua_settop(L, 0);
	lua_pushcfunction(L, fn);
	lua_pushlightuserdata(L, arg);
	status = lua_pcall(L, 1, 0, 0);
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

/*
 * Read the regular file @path (at most POLICY_FILE_MAX bytes) and push its
 * content as a string. On failure push a message naming @display.
 * Return: 0 or a negative errno. Only raises Lua memory errors, and does
 * so while no descriptor is open.
 */
static int policy_slurp(lua_State *L, const char *path, const char *display)
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

	log_ratelimited(LOG_INFO, "rules: %s", line);
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

	lua_newtable(L);
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

/* Protected: harden the state, load the engine, create the generation. */
static int policy_setup_protected(lua_State *L)
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

/* Call gen:METHOD(...) with the arguments on top; raises what it returns
 * as an error when its first result is false or nil. */
static void policy_gen_method(lua_State *L, struct policy *p,
			      const char *method, int nargs)
{
	int base = lua_gettop(L) - nargs;

	lua_rawgeti(L, LUA_REGISTRYINDEX, p->gen_ref);
	lua_getfield(L, -1, method);
	lua_insert(L, base + 1);
	lua_insert(L, base + 2);
	lua_call(L, nargs + 1, 2);
	if (lua_toboolean(L, -2))
		return;
	if (!lua_isstring(L, -1))
		luaL_error(L, "sluice.engine: %s() failed without a message",
			   method);
	lua_error(L);
}

/**
 * struct policy_file_args - one rule file for policy_add_file_protected()
 * @p:		the generation
 * @name:	file name inside the rules directory
 */
struct policy_file_args {
	struct policy *p;
	const char *name;
};

static int policy_add_file_protected(lua_State *L)
{
	struct policy_file_args *a = lua_touserdata(L, 1);
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", a->p->rules_dir,
			     a->name) >= sizeof(path))
		return luaL_error(L, "%s: path is too long", a->name);

	lua_pushstring(L, a->name);
	if (policy_slurp(L, path, a->name))
		return lua_error(L);
	policy_gen_method(L, a->p, "add_file", 2);
	return 0;
}

static int policy_finish_protected(lua_State *L)
{
	policy_gen_method(L, lua_touserdata(L, 1), "finish", 0);
	return 0;
}

static int policy_name_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool policy_is_rule_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 4 && !strcmp(name + len - 4, ".lua");
}

static void policy_names_free(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/*
 * List the rule files of @dir: regular files (symlinks followed) named
 * *.lua, not hidden, in byte order. Return: 0 or a negative errno with
 * the message in @err.
 */
static int policy_list_rules(const char *dir, char ***out, size_t *count,
			     char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret = 0;

	d = opendir(dir);
	if (!d) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open rules directory: %s",
			 dir, strerror(errno));
		return ret;
	}

	names = calloc(POLICY_FILES_MAX, sizeof(*names));
	if (!names) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", dir);
		goto out;
	}

	while ((errno = 0, de = readdir(d))) {
		if (!policy_is_rule_name(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0)) {
			ret = -errno;
			snprintf(err, errlen, "%s: cannot read: %s", de->d_name,
				 strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			log_debug("policy: %s/%s is not a regular file, "
				  "skipped",
				  dir, de->d_name);
			continue;
		}
		if (n == POLICY_FILES_MAX) {
			ret = -E2BIG;
			snprintf(err, errlen, "%s: more than %d rule files",
				 dir, POLICY_FILES_MAX);
			goto out;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			ret = -ENOMEM;
			snprintf(err, errlen, "%s: out of memory", dir);
			goto out;
		}
		n++;
	}
	if (errno) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot read rules directory: %s",
			 dir, strerror(errno));
	}

out:
	closedir(d);
	if (ret) {
		policy_names_free(names, n);
		return ret;
	}
	qsort(names, n, sizeof(*names), policy_name_compare);
	*out = names;
	*count = n;
	return 0;
}

static void policy_free(struct policy *p)
{
	if (!p)
		return;
	if (p->L)
		lua_close(p->L);
	free(p->rules_dir);
	free(p->lua_dir);
	free(p->module_source);
	free(p);
}

/* Allocate @p and its Lua state from @opts. */
static int policy_create(const struct policy_opts *opts, struct policy **out,
			 char *err, size_t errlen)
{
	struct policy *p;

	p = calloc(1, sizeof(*p));
	if (!p)
		goto nomem;
	p->generation = opts->generation;
	p->default_allow = opts->default_allow;
	p->budget = opts->budget ? opts->budget : POLICY_BUDGET_DEFAULT;
	p->hook_step =
	    (int)(p->budget < POLICY_HOOK_STEP ? p->budget : POLICY_HOOK_STEP);
	p->mem_limit =
	    opts->memory_limit ? opts->memory_limit : POLICY_MEMORY_DEFAULT;
	p->gen_ref = LUA_NOREF;
	p->decide_ref = LUA_NOREF;

	p->rules_dir = strdup(opts->rules_dir);
	p->lua_dir = strdup(opts->lua_dir);
	if (!p->rules_dir || !p->lua_dir ||
	    asprintf(&p->module_source, "@%s/", opts->lua_dir) < 0) {
		p->module_source = NULL;
		goto nomem;
	}

	if (!realpath(opts->rules_dir, p->rules_real)) {
		int ret = -errno;

		snprintf(err, errlen, "%s: cannot open rules directory: %s",
			 opts->rules_dir, strerror(errno));
		policy_free(p);
		return ret;
	}

	p->L = lua_newstate(policy_alloc, p);
	if (!p->L) {
		snprintf(err, errlen,
			 "memory limit of %zu bytes is too small "
			 "for a Lua state",
			 p->mem_limit);
		policy_free(p);
		return -ENOMEM;
	}
	*(struct policy **)lua_getextraspace(p->L) = p;
	lua_atpanic(p->L, policy_panic);

	*out = p;
	return 0;

nomem:
	snprintf(err, errlen, "out of memory");
	policy_free(p);
	return -ENOMEM;
}

/**
 * policy_load() - build a rules generation from a rules directory
 * @opts:	directories, default verdict, limits and generation number
 * @out:	set to the new generation, with one reference, on success
 * @err:	set to the reason on failure: "file.lua:LINE: message" for an
 *		error in a rule file
 * @errlen:	size of @err
 *
 * Loads sluice.engine from @opts->lua_dir into a new hardened Lua state,
 * adds each rule file in name order and calls finish(). The budget and
 * the memory limit apply while the files load too.
 *
 * Return: 0 on success; -ENOENT and other errno values for unreadable
 * directories or files, -EFBIG for a file over POLICY_FILE_MAX, -ETIME if
 * a file spent the instruction budget, -ENOMEM for the memory limit,
 * -EINVAL for any error in the rules or the engine
 */
int policy_load(const struct policy_opts *opts, struct policy **out, char *err,
		size_t errlen)
{
	struct policy_file_args args;
	struct policy *p = NULL;
	char **names = NULL;
	size_t count = 0, i;
	int ret;

	ret = policy_create(opts, &p, err, errlen);
	if (ret)
		return ret;

	ret = policy_pcall(p, policy_setup_protected, p, err, errlen);
	if (ret)
		goto fail;

	ret = policy_list_rules(p->rules_dir, &names, &count, err, errlen);
	if (ret)
		goto fail;
	args.p = p;
	for (i = 0; i < count; i++) {
		args.name = names[i];
		ret = policy_pcall(p, policy_add_file_protected, &args, err,
				   errlen);
		if (ret)
			goto fail;
	}

	ret = policy_pcall(p, policy_finish_protected, p, err, errlen);
	if (ret)
		goto fail;

	/* Garbage of the load is not charged to the first events. Each event
	 * leaves only short-lived tables behind, which is the case the
	 * generational mode is for: on this workload it cut the 99th
	 * percentile of a decision by a factor of about 5 (bench_policy). */
	lua_gc(p->L, LUA_GCCOLLECT);
	lua_gc(p->L, LUA_GCGEN, 0, 0);
	policy_names_free(names, count);
	p->refs = 1;
	*out = p;
	return 0;

fail:
	policy_names_free(names, count);
	policy_free(p);
	return ret;
}

/**
 * policy_reload() - replace a generation with a freshly loaded one
 * @current:	the generation in force (may point to NULL); replaced and
 *		its reference dropped only on success
 * @opts:	as for policy_load()
 * @err:	set to the reason on failure
 * @errlen:	size of @err
 *
 * Return: 0 on success, else the error of policy_load(), with *@current
 * unchanged
 */
int policy_reload(struct policy **current, const struct policy_opts *opts,
		  char *err, size_t errlen)
{
	struct policy *fresh;
	int ret;

	ret = policy_load(opts, &fresh, err, errlen);
	if (ret)
		return ret;

	policy_unref(*current);
	*current = fresh;
	return 0;
}

/**
 * policy_ref() - take a reference on a generation
 * @p:		the generation
 *
 * Return: @p
 */
struct policy *policy_ref(struct policy *p)
{
	p->refs++;
	return p;
}

/**
 * policy_unref() - drop a reference, closing the Lua state at zero
 * @p:		the generation, or NULL
 */
void policy_unref(struct policy *p)
{
	if (!p || --p->refs)
		return;
	policy_free(p);
}

/**
 * policy_generation() - number of a generation
 * @p:		the generation
 *
 * Return: the generation number given to policy_load()
 */
unsigned policy_generation(const struct policy *p)
{
	return p->generation;
}

static void policy_set_string(lua_State *L, const char *key, const char *value)
{
	if (!value)
		return;
	lua_pushstring(L, value);
	lua_setfield(L, -2, key);
}

static void policy_set_integer(lua_State *L, const char *key, lua_Integer value)
{
	lua_pushinteger(L, value);
	lua_setfield(L, -2, key);
}

/* Push the event table in the shape the contract gives. */
static void policy_push_event(lua_State *L, const struct policy_event *ev)
{
	lua_createtable(L, 0, 9);
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

/* Copy string field @key of the table at @idx, "" if it is not a string. */
static void policy_get_string(lua_State *L, int idx, const char *key, char *dst,
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

static int policy_decide_protected(lua_State *L)
{
	struct policy_decide_args *a = lua_touserdata(L, 1);

	lua_rawgeti(L, LUA_REGISTRYINDEX, a->p->decide_ref);
	lua_rawgeti(L, LUA_REGISTRYINDEX, a->p->gen_ref);
	policy_push_event(L, a->ev);
	lua_call(L, 2, 1);
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
		policy_count_error(p, p->budget_handler);
	} else if (ret) {
		policy_fail_closed(v, ev->type, "", err);
	} else if (v->failed) {
		/* The engine already built the fail-closed verdict. */
		policy_error_copy(p, v->error, err, sizeof(err));
		memcpy(v->error, err, sizeof(v->error));
		lua_gc(p->L, LUA_GCCOLLECT);
	}

	if (p->alloc_failed)
		p->stats.memory_errors++;
	if (v->failed)
		p->stats.failures++;
	v->generation = p->generation;
}

/**
 * struct policy_order_args - arguments of policy_order_protected()
 * @p:		the generation
 * @out:	where the lines go
 */
struct policy_order_args {
	struct policy *p;
	FILE *out;
};

static int policy_order_protected(lua_State *L)
{
	struct policy_order_args *a = lua_touserdata(L, 1);
	lua_Integer i, h;

	lua_rawgeti(L, LUA_REGISTRYINDEX, a->p->gen_ref);
	lua_getfield(L, -1, "order");
	lua_insert(L, -2);
	lua_call(L, 1, 1);
	luaL_checktype(L, -1, LUA_TTABLE);

	for (i = 1; lua_rawgeti(L, -1, i) == LUA_TTABLE; i++) {
		lua_getfield(L, -1, "file");
		lua_getfield(L, -2, "mode");
		fprintf(a->out, "%3lld  %s  (%s)", (long long)i,
			luaL_optstring(L, -2, "?"), luaL_optstring(L, -1, "?"));
		lua_pop(L, 2);

		lua_getfield(L, -1, "handlers");
		for (h = 1;
		     lua_istable(L, -1) && lua_rawgeti(L, -1, h) == LUA_TSTRING;
		     h++) {
			fprintf(a->out, "%s%s", h == 1 ? "  " : ", ",
				lua_tostring(L, -1));
			lua_pop(L, 1);
		}
		fputc('\n', a->out);
		lua_settop(L, 2);
	}
	return 0;
}

/**
 * policy_print_order() - print the effective rule order, for sluice check
 * @p:		the generation
 * @out:	stream to print to
 *
 * One line per rule file: position, file name, mode (enforce or audit)
 * and the events it handles.
 *
 * Return: 0, or a negative errno if the engine failed (logged)
 */
int policy_print_order(struct policy *p, FILE *out)
{
	struct policy_order_args args = {p, out};
	char err[256];
	int ret;

	ret = policy_pcall(p, policy_order_protected, &args, err, sizeof(err));
	if (ret)
		log_err("policy: cannot list the rule order: %s", err);
	return ret;
}

/**
 * struct policy_counter_args - arguments of policy_counters_protected()
 * @p:		the generation
 * @out:	array to fill
 * @max:	entries in @out
 * @total:	set to the number of counters available
 */
struct policy_counter_args {
	struct policy *p;
	struct policy_rule_counter *out;
	size_t max;
	size_t total;
};

static int policy_counters_protected(lua_State *L)
{
	struct policy_counter_args *a = lua_touserdata(L, 1);
	struct policy_rule_counter *c;
	lua_Integer i;

	lua_rawgeti(L, LUA_REGISTRYINDEX, a->p->gen_ref);
	lua_getfield(L, -1, "counters");
	lua_insert(L, -2);
	lua_call(L, 1, 1);
	luaL_checktype(L, -1, LUA_TTABLE);

	for (i = 1; lua_rawgeti(L, -1, i) == LUA_TTABLE; i++) {
		if (a->total < a->max) {
			c = &a->out[a->total];
			policy_get_string(L, -1, "rule", c->rule,
					  sizeof(c->rule));
			lua_getfield(L, -1, "hits");
			c->hits = (uint64_t)lua_tointeger(L, -1);
			lua_getfield(L, -2, "errors");
			c->errors = (uint64_t)lua_tointeger(L, -1);
			lua_pop(L, 2);
		}
		a->total++;
		lua_pop(L, 1);
	}
	return 0;
}

/* Add the bridge's own error counts to the engine's counters. */
static void policy_counters_merge(struct policy *p,
				  struct policy_counter_args *a)
{
	size_t filled = a->total < a->max ? a->total : a->max, j;
	unsigned i;

	for (i = 0; i < p->c_error_count; i++) {
		for (j = 0; j < filled; j++) {
			if (!strcmp(a->out[j].rule, p->c_errors[i].rule))
				break;
		}
		if (j < filled) {
			a->out[j].errors += p->c_errors[i].errors;
			continue;
		}
		if (filled < a->max) {
			memset(&a->out[filled], 0, sizeof(*a->out));
			snprintf(a->out[filled].rule, sizeof(a->out->rule),
				 "%s", p->c_errors[i].rule);
			a->out[filled].errors = p->c_errors[i].errors;
			filled++;
		}
		a->total++;
	}
}

/**
 * policy_counters() - per-rule hit and error counters of a generation
 * @p:		the generation
 * @out:	array to fill, in the engine's order, then failures that only
 *		the bridge saw (spent budget)
 * @max:	entries in @out
 *
 * Return: number of counters available, which may exceed @max (only
 * @max are written), or a negative errno if the engine failed
 */
int policy_counters(struct policy *p, struct policy_rule_counter *out,
		    size_t max)
{
	struct policy_counter_args args = {p, out, max, 0};
	char err[256];
	int ret;

	ret =
	    policy_pcall(p, policy_counters_protected, &args, err, sizeof(err));
	if (ret) {
		log_err("policy: cannot read rule counters: %s", err);
		return ret;
	}
	policy_counters_merge(p, &args);
	return args.total > INT_MAX ? INT_MAX : (int)args.total;
}

/**
 * policy_stats() - totals of a generation
 * @p:		the generation
 * @st:		filled with the totals
 */
void policy_stats(const struct policy *p, struct policy_stats *st)
{
	*st = p->stats;
	st->memory_used = p->mem_used;
	st->memory_limit = p->mem_limit;
}
