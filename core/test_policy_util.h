/* SPDX-License-Identifier: MIT */
/* test_policy_util.h - helpers shared by the policy tests */

#ifndef SLUICE_TEST_POLICY_UTIL_H
#define SLUICE_TEST_POLICY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* The tests use the Lua modules of the source tree, never installed ones
 * (SLUICE_LUA_DIR of the core library names the install directory). */
#ifndef SLUICE_SOURCE_DIR
#define SLUICE_SOURCE_DIR "."
#endif
#define TEST_LUA_DIR SLUICE_SOURCE_DIR "/lua"
#define FIXTURES     SLUICE_SOURCE_DIR "/core/testdata/rules"

/* Upper bound for a runaway rule to be stopped, in seconds. */
#define RUNAWAY_SECONDS_MAX 2.0

/* A runaway test that is still running after this long is killed, so a
 * broken budget fails the test program instead of hanging it. */
#define WATCHDOG_SECONDS 20

/* Memory limit for the memory bomb tests. */
#define BOMB_MEMORY_LIMIT (16UL << 20)

/* The message of the last failed load by these helpers. */
extern char test_err[512];

/* Load a rules directory (generation 7); NULL with test_err set on failure. */
struct policy *load_dir(const char *dir, bool default_allow);
/* Load core/testdata/rules/NAME with the default verdict deny. */
struct policy *load_fixture(const char *name);
/* Load @dir and return policy_load()'s result, the message in test_err. */
int load_error(const char *dir, size_t memory_limit);
/* Load a directory with the one file 10-rule.lua; NULL with test_err set. */
struct policy *load_source(const char *source, size_t memory_limit);

/* Events as the gateway builds them. */
struct policy_event connect_event(uint16_t port, const char *name);
struct policy_event dns_event(const char *name);

bool starts_with(const char *s, const char *prefix);
double now_seconds(void);

/* End the test program if a runaway rule is not stopped in time. */
void watchdog_arm(void);

/* Temporary rules directories: create, add a file, remove with contents. */
void tmp_create(char *dir, size_t size);
void tmp_write(const char *dir, const char *name, const char *text);
void tmp_remove(const char *dir);

#endif /* SLUICE_TEST_POLICY_UTIL_H */
