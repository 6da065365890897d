// SPDX-License-Identifier: MIT
/* test_dns_seen.c - unit tests for the table of names seen for addresses */

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "dns_seen.h"
#include "unit.h"

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return htonl((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 |
		     d);
}

/* The i-th address of 198.18.0.0/15, for i below 2^17 */
static uint32_t nth_addr(uint32_t i)
{
	return htonl(0xc6120000u | (i & 0x1ffff));
}

static void seen_remember_then_lookup(void)
{
	struct dns_seen s;

	CHECK_INT(dns_seen_init(&s, 16), 0);
	CHECK_INT(dns_seen_remember(&s, ip4(192, 0, 2, 10), "a.example", 1000),
		  0);
	CHECK_INT(dns_seen_remember(&s, ip4(192, 0, 2, 11), "b.example", 1000),
		  0);
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 10), 0), "a.example");
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 11), 0), "b.example");
	CHECK(dns_seen_lookup(&s, ip4(192, 0, 2, 12), 0) == NULL);
	CHECK_INT(s.count, 2);
	dns_seen_free(&s);
}

static void seen_lookup_fails_after_expiry(void)
{
	struct dns_seen s;

	CHECK_INT(dns_seen_init(&s, 16), 0);
	CHECK_INT(dns_seen_remember(&s, ip4(192, 0, 2, 10), "a.example", 5000),
		  0);
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 10), 4999), "a.example");
	CHECK(dns_seen_lookup(&s, ip4(192, 0, 2, 10), 5000) == NULL);
	CHECK(dns_seen_lookup(&s, ip4(192, 0, 2, 10), 9000) == NULL);

	/* A new answer makes the address valid again */
	CHECK_INT(dns_seen_remember(&s, ip4(192, 0, 2, 10), "a.example", 20000),
		  0);
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 10), 9000), "a.example");
	CHECK_INT(s.count, 1);
	dns_seen_free(&s);
}

static void seen_newer_name_overwrites(void)
{
	struct dns_seen s;

	CHECK_INT(dns_seen_init(&s, 16), 0);
	CHECK_INT(
	    dns_seen_remember(&s, ip4(192, 0, 2, 10), "old.example", 9000), 0);
	CHECK_INT(
	    dns_seen_remember(&s, ip4(192, 0, 2, 10), "new.example", 3000), 0);
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 10), 0), "new.example");
	CHECK_INT(s.count, 1);

	/* The newer answer's expiry applies, even though it is earlier */
	CHECK(dns_seen_lookup(&s, ip4(192, 0, 2, 10), 3000) == NULL);
	dns_seen_free(&s);
}

static void seen_evicts_least_recently_used(void)
{
	struct dns_seen s;
	uint32_t i;

	CHECK_INT(dns_seen_init(&s, 4), 0);
	for (i = 1; i <= 4; i++)
		CHECK_INT(
		    dns_seen_remember(&s, ip4(192, 0, 2, i), "x.example", 1000),
		    0);

	/* A lookup of .1 makes .2 the least recently used */
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 1), 0), "x.example");
	CHECK_INT(dns_seen_remember(&s, ip4(192, 0, 2, 5), "y.example", 1000),
		  0);
	CHECK_INT(s.count, 4);
	CHECK_INT(s.evicted, 1);
	CHECK(dns_seen_lookup(&s, ip4(192, 0, 2, 2), 0) == NULL);
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 1), 0), "x.example");
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 3), 0), "x.example");
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 4), 0), "x.example");
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 5), 0), "y.example");

	/* Remembering .3 again protects it; .1 is now the oldest */
	CHECK_INT(dns_seen_remember(&s, ip4(192, 0, 2, 3), "z.example", 1000),
		  0);
	CHECK_INT(dns_seen_remember(&s, ip4(192, 0, 2, 6), "w.example", 1000),
		  0);
	CHECK(dns_seen_lookup(&s, ip4(192, 0, 2, 1), 0) == NULL);
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 3), 0), "z.example");
	CHECK_INT(s.evicted, 2);
	dns_seen_free(&s);
}

static void seen_bound_of_one_keeps_latest(void)
{
	struct dns_seen s;

	CHECK_INT(dns_seen_init(&s, 1), 0);
	CHECK_INT(dns_seen_remember(&s, ip4(192, 0, 2, 1), "a.example", 1000),
		  0);
	CHECK_INT(dns_seen_remember(&s, ip4(192, 0, 2, 2), "b.example", 1000),
		  0);
	CHECK(dns_seen_lookup(&s, ip4(192, 0, 2, 1), 0) == NULL);
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 2), 0), "b.example");
	CHECK_INT(s.count, 1);
	dns_seen_free(&s);
}

/* 131,072 addresses through a table bounded at 65,536: the newest stay */
static void seen_many_entries_keep_newest(void)
{
	enum { BOUND = 65536, TOTAL = 131072 };
	struct dns_seen s;
	char name[32];
	const char *found;
	uint32_t i;
	bool ok = true;

	CHECK_INT(dns_seen_init(&s, BOUND), 0);
	for (i = 0; i < TOTAL && ok; i++) {
		snprintf(name, sizeof(name), "h%u.example", i);
		ok = dns_seen_remember(&s, nth_addr(i), name, 1000) == 0;
	}
	CHECK(ok);
	CHECK_INT(s.count, BOUND);
	CHECK_INT(s.evicted, TOTAL - BOUND);

	for (i = 0; i < TOTAL - BOUND && ok; i++)
		ok = dns_seen_lookup(&s, nth_addr(i), 0) == NULL;
	if (!ok)
		fprintf(stderr, "evicted address %u is still found\n", i - 1);
	CHECK(ok);

	for (i = TOTAL - BOUND; i < TOTAL && ok; i++) {
		snprintf(name, sizeof(name), "h%u.example", i);
		found = dns_seen_lookup(&s, nth_addr(i), 0);
		ok = found && !strcmp(found, name);
	}
	if (!ok)
		fprintf(stderr, "address %u lost its name\n", i - 1);
	CHECK(ok);
	dns_seen_free(&s);
}

static void seen_rejects_bad_arguments(void)
{
	char name[DNS_SEEN_NAME_MAX + 2];
	struct dns_seen s;

	CHECK_INT(dns_seen_init(&s, 0), -EINVAL);
	CHECK_INT(dns_seen_init(&s, (1u << 24) + 1), -EINVAL);

	CHECK_INT(dns_seen_init(&s, 8), 0);
	CHECK_INT(dns_seen_remember(&s, ip4(192, 0, 2, 1), "", 1000), -EINVAL);
	memset(name, 'a', DNS_SEEN_NAME_MAX + 1);
	name[DNS_SEEN_NAME_MAX + 1] = '\0';
	CHECK_INT(dns_seen_remember(&s, ip4(192, 0, 2, 1), name, 1000),
		  -EINVAL);
	CHECK_INT(s.count, 0);

	name[DNS_SEEN_NAME_MAX] = '\0';
	CHECK_INT(dns_seen_remember(&s, ip4(192, 0, 2, 1), name, 1000), 0);
	CHECK_STR(dns_seen_lookup(&s, ip4(192, 0, 2, 1), 0), name);
	dns_seen_free(&s);
}

UNIT_MAIN(UNIT_TEST(seen_remember_then_lookup),
	  UNIT_TEST(seen_lookup_fails_after_expiry),
	  UNIT_TEST(seen_newer_name_overwrites),
	  UNIT_TEST(seen_evicts_least_recently_used),
	  UNIT_TEST(seen_bound_of_one_keeps_latest),
	  UNIT_TEST(seen_many_entries_keep_newest),
	  UNIT_TEST(seen_rejects_bad_arguments))
