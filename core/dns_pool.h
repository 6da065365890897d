/* SPDX-License-Identifier: MIT */
/* dns_pool.h - the pool of synthetic addresses handed out for DNS names */

#ifndef SLUICE_DNS_POOL_H
#define SLUICE_DNS_POOL_H

#include <stdbool.h>
#include <stdint.h>

/* Maximum length of a bound name, in characters of dotted text */
#define DNS_POOL_NAME_MAX 253

/* Real addresses cached per entry by dns_pool_resolved_set() */
#define DNS_POOL_RESOLVED_MAX 8

/* Minimum and maximum prefix length accepted by dns_pool_init() */
#define DNS_POOL_PREFIX_MIN 8
#define DNS_POOL_PREFIX_MAX 30

struct dns_pool_entry;

/**
 * struct dns_pool - synthetic addresses bound to names. Callers read only
 *		     the counters, and the other fields are private
 * @first:		first address of the range (the network address), host
 *			order
 * @size:		addresses in the range, network and broadcast included
 * @ttl:		TTL of synthetic answers, seconds
 * @hold_ms:		time an unreferenced entry stays bound after its
 *			last answer: twice @ttl, milliseconds
 * @next_unused:	index of the next never-used address
 * @chunk_shift:	log2 of the entries per chunk
 * @chunks:		entries by index in chunks of 1 << @chunk_shift,
 *			allocated when the first of their addresses is used
 * @buckets:		hash table from names to entry indexes, where 0
 *			ends a chain
 * @bucket_mask:	number of buckets minus one
 * @seed:		random hash seed, so names cannot be chosen to collide
 * @lru_head:		index of the entry answered least recently, or 0
 * @lru_tail:		index of the entry answered most recently, or 0
 * @bound:		entries bound to a name
 * @reused:		entries taken from one name and given to another
 * @full:		binds that failed with -ENOSPC
 */
struct dns_pool {
	uint32_t first;
	uint32_t size;
	uint32_t ttl;
	int64_t hold_ms;
	uint32_t next_unused;
	unsigned chunk_shift;
	struct dns_pool_entry **chunks;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint64_t seed;
	uint32_t lru_head;
	uint32_t lru_tail;
	uint32_t bound;
	uint64_t reused;
	uint64_t full;
};

int dns_pool_init(struct dns_pool *p, uint32_t network, unsigned prefix,
		  uint32_t ttl);
void dns_pool_free(struct dns_pool *p);

int dns_pool_bind(struct dns_pool *p, const char *name, int64_t now,
		  uint32_t *addr);
const char *dns_pool_name(const struct dns_pool *p, uint32_t addr);
bool dns_pool_contains(const struct dns_pool *p, uint32_t addr);

int dns_pool_ref(struct dns_pool *p, uint32_t addr);
int dns_pool_unref(struct dns_pool *p, uint32_t addr);

int dns_pool_resolved_set(struct dns_pool *p, uint32_t addr,
			  const uint32_t *addrs, unsigned count,
			  int64_t expires);
unsigned dns_pool_resolved_get(const struct dns_pool *p, uint32_t addr,
			       int64_t now, const uint32_t **addrs);

#endif /* SLUICE_DNS_POOL_H */
