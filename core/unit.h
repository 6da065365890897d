/* SPDX-License-Identifier: MIT */
/* unit.h - minimal unit test harness for the core/test_*.c programs */

#ifndef SLUICE_UNIT_H
#define SLUICE_UNIT_H

#include <stdio.h>
#include <string.h>

/*
 * Each test program defines its tests as plain functions and lists them in
 * UNIT_MAIN(UNIT_TEST(fn), ...), which defines main() and runs them. A failed check prints the file,
 * line and the expression, marks the current test failed and returns from it.
 */

static int unit_failed_checks;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			unit_failed_checks++;                                  \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_INT(actual, expected)                                            \
	do {                                                                   \
		long long a_ = (long long)(actual);                            \
		long long e_ = (long long)(expected);                          \
		if (a_ != e_) {                                                \
			fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n",  \
				__FILE__, __LINE__, #actual, a_, e_);          \
			unit_failed_checks++;                                  \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_STR(actual, expected)                                            \
	do {                                                                   \
		const char *a_ = (actual);                                     \
		const char *e_ = (expected);                                   \
		if (!a_ || strcmp(a_, e_)) {                                   \
			fprintf(stderr,                                        \
				"%s:%d: %s is \"%s\", expected \"%s\"\n",      \
				__FILE__, __LINE__, #actual,                   \
				a_ ? a_ : "(null)", e_);                       \
			unit_failed_checks++;                                  \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_MEM(actual, expected, len)                                       \
	do {                                                                   \
		if (memcmp((actual), (expected), (len))) {                     \
			fprintf(stderr, "%s:%d: %s differs from %s\n",         \
				__FILE__, __LINE__, #actual, #expected);       \
			unit_failed_checks++;                                  \
			return;                                                \
		}                                                              \
	} while (0)

/**
 * struct unit_test - one named test function
 * @name:	printed in the result line
 * @fn:		the test
 */
struct unit_test {
	const char *name;
	void (*fn)(void);
};

#define UNIT_TEST(fn) {#fn, fn}

/**
 * unit_run() - run every test in a table and print one line each
 * @tests:	the table
 * @count:	entries in @tests
 *
 * Return: 0 if all passed, 1 otherwise (the ctest exit status)
 */
static inline int unit_run(const struct unit_test *tests, size_t count)
{
	size_t i, failed = 0;

	for (i = 0; i < count; i++) {
		int before = unit_failed_checks;

		tests[i].fn();
		if (unit_failed_checks != before) {
			failed++;
			printf("FAIL %s\n", tests[i].name);
		} else {
			printf("ok   %s\n", tests[i].name);
		}
	}
	printf("%zu passed, %zu failed\n", count - failed, failed);
	return failed ? 1 : 0;
}

#define UNIT_MAIN(...)                                                         \
	int main(void)                                                         \
	{                                                                      \
		static const struct unit_test tests_[] = {__VA_ARGS__};        \
		return unit_run(tests_, sizeof(tests_) / sizeof(*tests_));     \
	}

#endif /* SLUICE_UNIT_H */
