/* SPDX-License-Identifier: MIT */
/* policy_internal.h - internals shared by the files of the policy module */

#ifndef SLUICE_POLICY_INTERNAL_H
#define SLUICE_POLICY_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "policy.h"

/* Per-rule error counters kept on the C side, for failures that escape
 * the engine (budget, memory). */
#define POLICY_C_ERRORS_MAX 64

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
 * @digest:		FNV-1a hash of the options and of every file read
 *			while loading (names and contents), to tell an
 *			unchanged reload
 * @alloc_failed:	an allocation was refused during the current call
 * @steps:		instructions counted in the current call
 * @loading:		the generation is loading, and its protected calls
 *			count instructions from the start, so that whether a
 *			rule file loads does not depend on timing
 * @counting:		the current call runs under the budget's count hook
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
	uint64_t digest;
	bool alloc_failed;
	unsigned long steps;
	bool loading;
	volatile bool counting;
	bool exhausted;
	char budget_error[256];
	char budget_handler[128];
	struct policy_stats stats;
	struct policy_error_count c_errors[POLICY_C_ERRORS_MAX];
	unsigned c_error_count;
};

/* policy_sandbox.c */

/**
 * policy_alloc() - allocate memory for a Lua state within its memory limit
 * @ud:		the generation (struct policy)
 * @ptr:	block to resize or free, or NULL
 * @osize:	size of @ptr
 * @nsize:	new size, 0 to free @ptr
 *
 * Refuses growth past the generation's mem_limit, so Lua raises its memory
 * error (after an emergency collection and one more try). Sets the
 * generation's alloc_failed whenever it refuses or fails an allocation.
 *
 * Return: the block, or NULL when @ptr was freed or the allocation was
 * refused or failed
 */
void *policy_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/**
 * policy_panic() - log the error of an unprotected Lua call and abort
 * @L:		the state
 *
 * Every Lua state has this as its panic handler.
 *
 * Return: does not return
 */
int policy_panic(lua_State *L);

/**
 * policy_error_copy() - copy a Lua error message, naming the memory limit
 * @p:		the generation
 * @msg:	the message
 * @err:	destination
 * @errlen:	size of @err
 *
 * When the memory limit was hit, replaces Lua's "not enough memory" with
 * the limit, so the operator knows which knob it is.
 */
void policy_error_copy(const struct policy *p, const char *msg, char *err,
		       size_t errlen);

/**
 * policy_hook() - count hook of the instruction budget
 * @L:		the state of a generation
 * @ar:		unused
 *
 * Charges the generation's budget; once it is spent, raises the budget
 * error before every following instruction, so a pcall inside a rule
 * cannot swallow it.
 */
void policy_hook(lua_State *L, lua_Debug *ar);

/**
 * policy_pcall() - run @fn(@arg) in protected mode under a fresh budget
 * @p:		the generation
 * @fn:		the function, called with @arg as its only argument, a light
 *		userdata
 * @arg:	argument of @fn
 * @err:	set to the message on failure
 * @errlen:	size of @err
 *
 * The instruction budget and the memory limit apply to the call. The
 * budget counts from the call's first instruction while the generation
 * loads or when the watch is unavailable, and otherwise from the moment
 * policy_watch_start()'s watch finds the call running long. The Lua
 * stack is empty before and after it, and a failed call is followed by a
 * full garbage collection.
 *
 * Return: 0, or -ETIME (budget), -ENOMEM (memory limit), -EINVAL (any
 * other error) with the message in @err
 */
int policy_pcall(struct policy *p, lua_CFunction fn, void *arg, char *err,
		 size_t errlen);

/* policy_watch.c */

/**
 * policy_watch_start() - start the CPU-time watch of protected calls
 *
 * Sets up, once per process, the timer and signal handler that install the
 * budget's count hook in calls that run long. Logs a warning when that
 * fails.
 *
 * Return: true when the watch runs, false when each call must count its
 * instructions from the start
 */
bool policy_watch_start(void);

/**
 * policy_watch_enter() - tell the watch that a protected call of @p starts
 * @p:		the generation
 */
void policy_watch_enter(struct policy *p);

/**
 * policy_watch_leave() - tell the watch that the protected call ended
 *
 * After it returns, the watch no longer touches the generation's hook.
 */
void policy_watch_leave(void);

/**
 * policy_slurp() - push the content of a regular file as a Lua string
 * @L:		the state
 * @path:	the file, at most POLICY_FILE_MAX bytes
 * @display:	name of the file in error messages
 *
 * On failure pushes a message naming @display instead. Only raises Lua
 * memory errors, and does so while no descriptor is open.
 *
 * Return: 0 or a negative errno
 */
int policy_slurp(lua_State *L, const char *path, const char *display);

/**
 * policy_digest_add() - mix bytes into the generation's digest
 * @p:		the generation being loaded
 * @data:	bytes
 * @len:	number of bytes
 */
void policy_digest_add(struct policy *p, const void *data, size_t len);

/**
 * policy_setup_protected() - harden a new state and create the generation
 * @L:		the state; its only argument is the generation as a light
 *		userdata
 *
 * Opens the libraries, hardens the state, loads sluice and sluice.engine,
 * routes string methods through sluice.pattern, seals the globals and
 * calls engine.new(). Sets the gen_ref and decide_ref fields of the
 * generation. Runs through policy_pcall(), which reports errors.
 *
 * Return: 0, the number of Lua results
 */
int policy_setup_protected(lua_State *L);

/* policy_decide.c */

/**
 * policy_copy() - copy a string of known length into a fixed buffer
 * @dst:	destination, NUL-terminated unless @size is 0
 * @size:	bytes in @dst
 * @src:	source, which need not be NUL-terminated
 * @len:	bytes in @src
 *
 * A string cut to fit ends in "..." when @size is over 4.
 */
void policy_copy(char *dst, size_t size, const char *src, size_t len);

/**
 * policy_get_string() - copy a string field of a Lua table
 * @L:		the state
 * @idx:	stack index of the table
 * @key:	field name
 * @dst:	destination, "" if the field is not a string
 * @size:	bytes in @dst, at least 1
 *
 * A value cut to fit is marked as by policy_copy().
 */
void policy_get_string(lua_State *L, int idx, const char *key, char *dst,
		       size_t size);

/**
 * policy_open_host() - push the sluice.host module of the core
 * @L:		the state being set up
 *
 * The module contains constructor(), the C front of sluice.verdict's verdict
 * constructors (policy_host.c).
 */
void policy_open_host(lua_State *L);

#endif /* SLUICE_POLICY_INTERNAL_H */
