// SPDX-License-Identifier: MIT
/* test_dns_pool.c - unit tests for the synthetic address pool */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dns_pool.h"
#include "unit.h"

/* TTL of synthetic answers in these tests, and the reuse delay it implies */
#define TEST_TTL     10
#define TEST_HOLD_MS (2 * TEST_TTL * 1000)

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return htonl((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 |
		     d);
}

/* Bind the names "n1" to "n6", filling a /29 pool, at time @now */
static int fill_small_pool(struct dns_pool *p, int64_t now, uint32_t addrs[6])
{
	char name[16];
	int i, err;

	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "n%d", i + 1);
		err = dns_pool_bind(p, name, now, &addrs[i]);
		if (err)
			return err;
	}
	return 0;
}

static void pool_bind_same_name_same_address(void)
{
	struct dns_pool p;
	uint32_t a1, a2;

	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 0), 15, TEST_TTL), 0);
	CHECK_INT(dns_pool_bind(&p, "example.com", 0, &a1), 0);
	CHECK_INT(dns_pool_bind(&p, "example.com", 5000, &a2), 0);
	CHECK_INT(a1, a2);
	CHECK_INT(p.bound, 1);
	CHECK_STR(dns_pool_name(&p, a1), "example.com");
	dns_pool_free(&p);
}

static void pool_bind_distinct_names_distinct_addresses(void)
{
	struct dns_pool p;
	uint32_t a1, a2, a3;

	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 0), 15, TEST_TTL), 0);
	CHECK_INT(dns_pool_bind(&p, "a.example", 0, &a1), 0);
	CHECK_INT(dns_pool_bind(&p, "b.example", 0, &a2), 0);
	CHECK_INT(dns_pool_bind(&p, "A.example", 0, &a3), 0);
	CHECK(a1 != a2);
	CHECK(a1 != a3);
	CHECK(a2 != a3);
	CHECK_INT(a1, ip4(198, 18, 0, 1));
	CHECK_STR(dns_pool_name(&p, a1), "a.example");
	CHECK_STR(dns_pool_name(&p, a2), "b.example");
	CHECK_STR(dns_pool_name(&p, a3), "A.example");
	dns_pool_free(&p);
}

static void pool_skips_network_and_broadcast(void)
{
	struct dns_pool p;
	uint32_t addrs[6], extra;
	int i;

	CHECK_INT(dns_pool_init(&p, ip4(198, 51, 100, 8), 29, TEST_TTL), 0);
	CHECK_INT(fill_small_pool(&p, 0, addrs), 0);
	for (i = 0; i < 6; i++) {
		CHECK_INT(addrs[i], ip4(198, 51, 100, 9 + i));
		CHECK(addrs[i] != ip4(198, 51, 100, 8));
		CHECK(addrs[i] != ip4(198, 51, 100, 15));
	}

	/* Long after every answer expired, reuse still avoids both ends */
	CHECK_INT(dns_pool_bind(&p, "late", 10 * TEST_HOLD_MS, &extra), 0);
	CHECK(extra != ip4(198, 51, 100, 8));
	CHECK(extra != ip4(198, 51, 100, 15));
	CHECK(dns_pool_name(&p, ip4(198, 51, 100, 8)) == NULL);
	CHECK(dns_pool_name(&p, ip4(198, 51, 100, 15)) == NULL);
	dns_pool_free(&p);
}

static void pool_exhausted_returns_enospc(void)
{
	struct dns_pool p;
	uint32_t addrs[6], extra = 0;

	CHECK_INT(dns_pool_init(&p, ip4(198, 51, 100, 8), 29, TEST_TTL), 0);
	CHECK_INT(fill_small_pool(&p, 0, addrs), 0);
	CHECK_INT(dns_pool_bind(&p, "n7", 1000, &extra), -ENOSPC);
	CHECK_INT(p.full, 1);
	CHECK_INT(p.bound, 6);

	/* Names already bound still get their address */
	CHECK_INT(dns_pool_bind(&p, "n3", 1000, &extra), 0);
	CHECK_INT(extra, addrs[2]);
	dns_pool_free(&p);
}

static void pool_reuses_only_after_twice_ttl(void)
{
	struct dns_pool p;
	uint32_t addrs[6], addr;

	CHECK_INT(dns_pool_init(&p, ip4(198, 51, 100, 8), 29, TEST_TTL), 0);
	CHECK_INT(fill_small_pool(&p, 0, addrs), 0);

	/* Exactly 2 * TTL after the last answer is not yet "more than" */
	CHECK_INT(dns_pool_bind(&p, "new1", TEST_HOLD_MS, &addr), -ENOSPC);

	CHECK_INT(dns_pool_bind(&p, "new1", TEST_HOLD_MS + 1, &addr), 0);
	CHECK_INT(addr, addrs[0]);
	CHECK_STR(dns_pool_name(&p, addr), "new1");
	CHECK_INT(p.reused, 1);
	CHECK_INT(p.bound, 6);

	/* The old name is gone, so binding it again takes another address */
	CHECK_INT(dns_pool_bind(&p, "n1", TEST_HOLD_MS + 1, &addr), 0);
	CHECK_INT(addr, addrs[1]);
	CHECK_STR(dns_pool_name(&p, addrs[1]), "n1");
	dns_pool_free(&p);
}

static void pool_reuses_least_recently_answered(void)
{
	struct dns_pool p;
	uint32_t addrs[6], addr;

	CHECK_INT(dns_pool_init(&p, ip4(198, 51, 100, 8), 29, TEST_TTL), 0);
	CHECK_INT(fill_small_pool(&p, 0, addrs), 0);

	/* Answering n1 and n2 again makes n3 the least recently answered */
	CHECK_INT(dns_pool_bind(&p, "n1", 5000, &addr), 0);
	CHECK_INT(dns_pool_bind(&p, "n2", 6000, &addr), 0);

	CHECK_INT(dns_pool_bind(&p, "x", TEST_HOLD_MS + 1, &addr), 0);
	CHECK_INT(addr, addrs[2]);
	CHECK_INT(dns_pool_bind(&p, "y", TEST_HOLD_MS + 1, &addr), 0);
	CHECK_INT(addr, addrs[3]);
	CHECK_INT(dns_pool_bind(&p, "z", TEST_HOLD_MS + 1, &addr), 0);
	CHECK_INT(addr, addrs[4]);
	CHECK_INT(dns_pool_bind(&p, "w", TEST_HOLD_MS + 1, &addr), 0);
	CHECK_INT(addr, addrs[5]);

	/* n1 was answered at 5000, so its address is held until 25000 */
	CHECK_INT(dns_pool_bind(&p, "v", TEST_HOLD_MS + 1, &addr), -ENOSPC);
	CHECK_INT(dns_pool_bind(&p, "v", 5000 + TEST_HOLD_MS + 1, &addr), 0);
	CHECK_INT(addr, addrs[0]);
	dns_pool_free(&p);
}

static void pool_never_reuses_referenced_entry(void)
{
	struct dns_pool p;
	uint32_t addrs[6], addr;
	int64_t late = 10 * TEST_HOLD_MS;
	int i;

	CHECK_INT(dns_pool_init(&p, ip4(198, 51, 100, 8), 29, TEST_TTL), 0);
	CHECK_INT(fill_small_pool(&p, 0, addrs), 0);
	CHECK_INT(dns_pool_ref(&p, addrs[0]), 0);

	/* The search steps over the held n1 and takes n2 */
	CHECK_INT(dns_pool_bind(&p, "x", late, &addr), 0);
	CHECK_INT(addr, addrs[1]);
	CHECK_STR(dns_pool_name(&p, addrs[0]), "n1");

	/* With every old entry held, nothing may be reused */
	for (i = 2; i < 6; i++)
		CHECK_INT(dns_pool_ref(&p, addrs[i]), 0);
	CHECK_INT(dns_pool_bind(&p, "y", late, &addr), -ENOSPC);

	/* Two references on n1: one release is not enough */
	CHECK_INT(dns_pool_ref(&p, addrs[0]), 0);
	CHECK_INT(dns_pool_unref(&p, addrs[0]), 0);
	CHECK_INT(dns_pool_bind(&p, "y", late, &addr), -ENOSPC);
	CHECK_INT(dns_pool_unref(&p, addrs[0]), 0);
	CHECK_INT(dns_pool_bind(&p, "y", late, &addr), 0);
	CHECK_INT(addr, addrs[0]);
	CHECK_STR(dns_pool_name(&p, addrs[0]), "y");
	dns_pool_free(&p);
}

static void pool_ref_rejects_unbound_and_extra_unref(void)
{
	struct dns_pool p;
	uint32_t addr;

	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 0), 15, TEST_TTL), 0);
	CHECK_INT(dns_pool_ref(&p, ip4(198, 18, 0, 1)), -ENOENT);
	CHECK_INT(dns_pool_unref(&p, ip4(198, 18, 0, 1)), -ENOENT);
	CHECK_INT(dns_pool_ref(&p, ip4(192, 0, 2, 1)), -ENOENT);

	CHECK_INT(dns_pool_bind(&p, "a.example", 0, &addr), 0);
	CHECK_INT(dns_pool_unref(&p, addr), -EINVAL);
	CHECK_INT(dns_pool_ref(&p, addr), 0);
	CHECK_INT(dns_pool_unref(&p, addr), 0);
	CHECK_INT(dns_pool_unref(&p, addr), -EINVAL);
	dns_pool_free(&p);
}

static void pool_unbound_address_has_no_name(void)
{
	struct dns_pool p;
	uint32_t addr;

	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 0), 15, TEST_TTL), 0);
	CHECK(dns_pool_name(&p, ip4(198, 18, 0, 1)) == NULL);
	CHECK_INT(dns_pool_bind(&p, "a.example", 0, &addr), 0);

	CHECK(dns_pool_name(&p, ip4(198, 18, 0, 0)) == NULL);
	CHECK(dns_pool_name(&p, ip4(198, 18, 0, 2)) == NULL);
	CHECK(dns_pool_name(&p, ip4(198, 19, 255, 255)) == NULL);
	CHECK(dns_pool_name(&p, ip4(198, 17, 255, 255)) == NULL);
	CHECK(dns_pool_name(&p, ip4(198, 20, 0, 1)) == NULL);
	CHECK(dns_pool_name(&p, ip4(192, 0, 2, 1)) == NULL);
	dns_pool_free(&p);
}

static void pool_contains_whole_range(void)
{
	struct dns_pool p;

	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 0), 15, TEST_TTL), 0);
	CHECK(dns_pool_contains(&p, ip4(198, 18, 0, 0)));
	CHECK(dns_pool_contains(&p, ip4(198, 18, 0, 1)));
	CHECK(dns_pool_contains(&p, ip4(198, 19, 255, 255)));
	CHECK(!dns_pool_contains(&p, ip4(198, 17, 255, 255)));
	CHECK(!dns_pool_contains(&p, ip4(198, 20, 0, 0)));
	CHECK(!dns_pool_contains(&p, ip4(0, 0, 0, 0)));
	CHECK(!dns_pool_contains(&p, ip4(255, 255, 255, 255)));
	dns_pool_free(&p);
}

static void pool_init_rejects_bad_network(void)
{
	struct dns_pool p;

	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 0), 7, TEST_TTL), -EINVAL);
	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 0), 31, TEST_TTL), -EINVAL);
	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 0), 32, TEST_TTL), -EINVAL);
	CHECK_INT(dns_pool_init(&p, ip4(198, 19, 0, 0), 15, TEST_TTL), -EINVAL);
	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 1), 24, TEST_TTL), -EINVAL);

	/* A /30 leaves two usable addresses */
	CHECK_INT(dns_pool_init(&p, ip4(198, 51, 100, 4), 30, TEST_TTL), 0);
	dns_pool_free(&p);
}

static void pool_bind_checks_name_length(void)
{
	char name[DNS_POOL_NAME_MAX + 2];
	struct dns_pool p;
	uint32_t addr;

	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 0), 15, TEST_TTL), 0);
	CHECK_INT(dns_pool_bind(&p, "", 0, &addr), -EINVAL);

	memset(name, 'a', DNS_POOL_NAME_MAX + 1);
	name[DNS_POOL_NAME_MAX + 1] = '\0';
	CHECK_INT(dns_pool_bind(&p, name, 0, &addr), -EINVAL);

	name[DNS_POOL_NAME_MAX] = '\0';
	CHECK_INT(dns_pool_bind(&p, name, 0, &addr), 0);
	CHECK_STR(dns_pool_name(&p, addr), name);
	CHECK_INT(p.bound, 1);
	dns_pool_free(&p);
}

static void pool_resolved_cache_expires(void)
{
	const uint32_t real[2] = {ip4(192, 0, 2, 10), ip4(192, 0, 2, 11)};
	const uint32_t *got = NULL;
	struct dns_pool p;
	uint32_t addr;

	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 0), 15, TEST_TTL), 0);
	CHECK_INT(dns_pool_bind(&p, "a.example", 0, &addr), 0);
	CHECK_INT(dns_pool_resolved_get(&p, addr, 0, &got), 0);

	CHECK_INT(dns_pool_resolved_set(&p, addr, real, 2, 3000), 0);
	CHECK_INT(dns_pool_resolved_get(&p, addr, 2999, &got), 2);
	CHECK(got != NULL);
	CHECK_INT(got[0], real[0]);
	CHECK_INT(got[1], real[1]);
	CHECK_INT(dns_pool_resolved_get(&p, addr, 3000, &got), 0);

	/* Binding the name again keeps the cache */
	CHECK_INT(dns_pool_resolved_set(&p, addr, real, 1, 9000), 0);
	CHECK_INT(dns_pool_bind(&p, "a.example", 4000, &addr), 0);
	CHECK_INT(dns_pool_resolved_get(&p, addr, 4000, &got), 1);

	CHECK_INT(dns_pool_resolved_set(&p, addr, real, 0, 9000), 0);
	CHECK_INT(dns_pool_resolved_get(&p, addr, 4000, &got), 0);
	CHECK_INT(dns_pool_resolved_set(&p, ip4(198, 18, 0, 9), real, 1, 9000),
		  -ENOENT);
	dns_pool_free(&p);
}

static void pool_resolved_cache_keeps_first_max(void)
{
	uint32_t real[DNS_POOL_RESOLVED_MAX + 3];
	const uint32_t *got = NULL;
	struct dns_pool p;
	uint32_t addr;
	unsigned i;

	for (i = 0; i < DNS_POOL_RESOLVED_MAX + 3; i++)
		real[i] = ip4(203, 0, 113, i + 1);

	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 0), 15, TEST_TTL), 0);
	CHECK_INT(dns_pool_bind(&p, "many.example", 0, &addr), 0);
	CHECK_INT(dns_pool_resolved_set(&p, addr, real,
					DNS_POOL_RESOLVED_MAX + 3, 1000),
		  0);
	CHECK_INT(dns_pool_resolved_get(&p, addr, 0, &got),
		  DNS_POOL_RESOLVED_MAX);
	CHECK_MEM(got, real, DNS_POOL_RESOLVED_MAX * sizeof(*real));
	dns_pool_free(&p);
}

static void pool_reuse_drops_resolved_cache(void)
{
	const uint32_t real = ip4(192, 0, 2, 10);
	const uint32_t *got = NULL;
	struct dns_pool p;
	uint32_t addrs[6], addr;

	CHECK_INT(dns_pool_init(&p, ip4(198, 51, 100, 8), 29, TEST_TTL), 0);
	CHECK_INT(fill_small_pool(&p, 0, addrs), 0);
	CHECK_INT(
	    dns_pool_resolved_set(&p, addrs[0], &real, 1, 100 * TEST_HOLD_MS),
	    0);

	CHECK_INT(dns_pool_bind(&p, "other", TEST_HOLD_MS + 1, &addr), 0);
	CHECK_INT(addr, addrs[0]);
	CHECK_INT(dns_pool_resolved_get(&p, addr, TEST_HOLD_MS + 1, &got), 0);
	dns_pool_free(&p);
}

/* 100,000 names on the default /15: each maps back to its own name */
static void pool_many_names_stay_consistent(void)
{
	enum { COUNT = 100000 };
	uint32_t *addrs = calloc(COUNT, sizeof(*addrs));
	uint8_t *seen = calloc(1u << 17, 1);
	struct dns_pool p;
	char name[32];
	uint32_t i, addr, offset;
	bool ok = true;

	CHECK(addrs != NULL);
	CHECK(seen != NULL);
	CHECK_INT(dns_pool_init(&p, ip4(198, 18, 0, 0), 15, TEST_TTL), 0);
	for (i = 0; i < COUNT && ok; i++) {
		snprintf(name, sizeof(name), "host%u.example", i);
		ok = dns_pool_bind(&p, name, i, &addrs[i]) == 0;
	}
	if (!ok)
		fprintf(stderr, "bind of name %u failed\n", i - 1);
	CHECK(ok);
	CHECK_INT(p.bound, COUNT);

	for (i = 0; i < COUNT && ok; i++) {
		const char *bound = dns_pool_name(&p, addrs[i]);

		snprintf(name, sizeof(name), "host%u.example", i);
		offset = ntohl(addrs[i]) - ntohl(ip4(198, 18, 0, 0));
		ok = bound && !strcmp(bound, name) && offset < (1u << 17) &&
		     !seen[offset];
		if (ok)
			seen[offset] = 1;
		ok = ok && dns_pool_bind(&p, name, COUNT, &addr) == 0 &&
		     addr == addrs[i];
	}
	if (!ok)
		fprintf(stderr, "name %u does not map back\n", i - 1);
	CHECK(ok);
	CHECK_INT(p.bound, COUNT);

	dns_pool_free(&p);
	free(addrs);
	free(seen);
}

UNIT_MAIN(UNIT_TEST(pool_bind_same_name_same_address),
	  UNIT_TEST(pool_bind_distinct_names_distinct_addresses),
	  UNIT_TEST(pool_skips_network_and_broadcast),
	  UNIT_TEST(pool_exhausted_returns_enospc),
	  UNIT_TEST(pool_reuses_only_after_twice_ttl),
	  UNIT_TEST(pool_reuses_least_recently_answered),
	  UNIT_TEST(pool_never_reuses_referenced_entry),
	  UNIT_TEST(pool_ref_rejects_unbound_and_extra_unref),
	  UNIT_TEST(pool_unbound_address_has_no_name),
	  UNIT_TEST(pool_contains_whole_range),
	  UNIT_TEST(pool_init_rejects_bad_network),
	  UNIT_TEST(pool_bind_checks_name_length),
	  UNIT_TEST(pool_resolved_cache_expires),
	  UNIT_TEST(pool_resolved_cache_keeps_first_max),
	  UNIT_TEST(pool_reuse_drops_resolved_cache),
	  UNIT_TEST(pool_many_names_stay_consistent))
