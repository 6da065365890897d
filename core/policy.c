// SPDX-License-Identifier: MIT
/* policy.c - rule engine bridge: a sandboxed Lua state per rules generation */

/*
 * How it works
 *
 * policy_load() builds one rules generation: a fresh Lua 5.4 state whose
 * allocator enforces a byte limit, hardened before any Lua code runs, with
 * sluice.engine loaded into it (policy_sandbox.c).
 *
 * Rule files are read here: the *.lua files at the top level of the rules
 * directory, in byte order of their names, each handed to gen:add_file().
 *
 * The module is split by concept, with policy_internal.h declaring what
 * the files share:
 *   - policy.c: loading, reloading and references of a generation, its
 *     rule order, counters and statistics;
 *   - policy_sandbox.c: the allocator with the memory limit, hardening,
 *     the restricted require and read_module, the instruction budget and
 *     policy_pcall();
 *   - policy_decide.c: event tables in, verdicts out, and the fail-closed
 *     verdict.
 *
 * Reference counts are plain integers: the gateway is single-threaded.
 */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>
#include <lua.h>

#include "log.h"
#include "policy.h"
#include "policy_internal.h"

/* Instructions between two calls of the budget hook. */
#define POLICY_HOOK_STEP 1000UL

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
	p->digest = 0xcbf29ce484222325ULL; /* FNV-1a offset basis */
	policy_digest_add(p, &p->default_allow, sizeof(p->default_allow));
	policy_digest_add(p, &p->budget, sizeof(p->budget));
	policy_digest_add(p, &p->mem_limit, sizeof(p->mem_limit));

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
	/* sluice's own modules are loaded, so from here on the budget counts
	 * each rule file from its first instruction. */
	p->loading = true;
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
	p->loading = false;
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
 * When the new generation read the same files with the same contents and
 * options as *@current, *@current stays with its counters and the new one
 * is dropped. So a SIGHUP for log rotation, or a touched file, does not
 * start a new generation.
 *
 * Return: 0 on success, POLICY_UNCHANGED if *@current stays, else the
 * error of policy_load(), with *@current unchanged
 */
int policy_reload(struct policy **current, const struct policy_opts *opts,
		  char *err, size_t errlen)
{
	struct policy *fresh;
	int ret;

	ret = policy_load(opts, &fresh, err, errlen);
	if (ret)
		return ret;

	if (*current && (*current)->digest == fresh->digest &&
	    !strcmp((*current)->rules_dir, fresh->rules_dir) &&
	    !strcmp((*current)->lua_dir, fresh->lua_dir)) {
		policy_unref(fresh);
		return POLICY_UNCHANGED;
	}
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

/**
 * struct policy_order_args - arguments of policy_order_protected()
 * @p:		the generation
 * @out:	where the lines go
 */
struct policy_order_args {
	struct policy *p;
	FILE *out;
	int files;
};

/* Return the length of the longest file name in the order table on top of
 * the stack, so that the columns line up. */
static int policy_order_name_width(lua_State *L)
{
	size_t width = 0, len;
	lua_Integer i;

	for (i = 1; lua_rawgeti(L, -1, i) == LUA_TTABLE; i++) {
		lua_getfield(L, -1, "file");
		luaL_optlstring(L, -1, "?", &len);
		if (len > width)
			width = len;
		lua_pop(L, 2);
	}
	lua_pop(L, 1);
	return width > 64 ? 64 : (int)width;
}

static int policy_order_protected(lua_State *L)
{
	struct policy_order_args *a = lua_touserdata(L, 1);
	lua_Integer i, h;
	int width;

	lua_rawgeti(L, LUA_REGISTRYINDEX, a->p->gen_ref);
	lua_getfield(L, -1, "order");
	lua_insert(L, -2);
	lua_call(L, 1, 1);
	luaL_checktype(L, -1, LUA_TTABLE);
	width = policy_order_name_width(L);

	for (i = 1; lua_rawgeti(L, -1, i) == LUA_TTABLE; i++) {
		lua_getfield(L, -1, "file");
		lua_getfield(L, -2, "mode");
		fprintf(a->out, "%3lld  %-*s  %-9s", (long long)i, width,
			luaL_optstring(L, -2, "?"),
			!strcmp(luaL_optstring(L, -1, "?"), "audit") ? "(audit)"
								   : "(enforce)");
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
	a->files = (int)(i - 1);
	return 0;
}

/**
 * policy_error_path() - put the rules directory in front of a rule error
 * @dir:	the rules directory
 * @err:	an error of policy_load() or policy_reload()
 * @buf:	buffer for the result
 * @size:	size of @buf
 *
 * Rule errors name files relative to the rules directory ("10-a.lua:7:
 * ..."), as rule ids in the audit log do. For people and editors, this
 * gives "DIR/10-a.lua:7: ..."; other errors are copied unchanged.
 *
 * Return: @buf
 */
const char *policy_error_path(const char *dir, const char *err, char *buf,
			      size_t size)
{
	const char *colon = strstr(err, ".lua:");

	if (colon && err[0] != '/' && !memchr(err, ' ', (size_t)(colon - err)))
		snprintf(buf, size, "%s/%s", dir, err);
	else
		snprintf(buf, size, "%s", err);
	return buf;
}

/**
 * policy_print_order() - print the effective rule order, for sluice check
 * @p:		the generation
 * @out:	stream to print to
 *
 * One line per rule file: position, file name, mode (enforce or audit)
 * and the events it handles.
 *
 * Return: the number of rule files, or a negative errno if the engine
 * failed (logged)
 */
int policy_print_order(struct policy *p, FILE *out)
{
	struct policy_order_args args = {p, out, 0};
	char err[256];
	int ret;

	ret = policy_pcall(p, policy_order_protected, &args, err, sizeof(err));
	if (ret) {
		log_err("policy: cannot list the rule order: %s", err);
		return ret;
	}
	return args.files;
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
