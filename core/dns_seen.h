/* SPDX-License-Identifier: MIT */
/* dns_seen.h - names remembered for real addresses given to the guest */

#ifndef SLUICE_DNS_SEEN_H
#define SLUICE_DNS_SEEN_H

#include <stdint.h>

/* Maximum length of a remembered name, in characters of dotted text */
#define DNS_SEEN_NAME_MAX 253

struct dns_seen_entry;

/**
 * struct dns_seen - a bounded table from IPv4 address to the name that
 *		     last resolved to it. Callers read only the counters,
 *		     and the other fields are private
 * @entries:		entry array. Index 0 is unused, so that 0 means none
 * @capacity:		slots in @entries, index 0 included
 * @count:		entries in use, at indexes 1 to @count
 * @max_entries:	bound on @count
 * @buckets:		hash table from addresses to entry indexes
 * @bucket_mask:	number of buckets minus one
 * @seed:		random hash seed, so addresses cannot be chosen to
 *			collide
 * @lru_head:		index of the entry used least recently, or 0
 * @lru_tail:		index of the entry used most recently, or 0
 * @evicted:		entries evicted to make room for new addresses
 */
struct dns_seen {
	struct dns_seen_entry *entries;
	uint32_t capacity;
	uint32_t count;
	uint32_t max_entries;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint32_t seed;
	uint32_t lru_head;
	uint32_t lru_tail;
	uint64_t evicted;
};

int dns_seen_init(struct dns_seen *s, uint32_t max_entries);
void dns_seen_free(struct dns_seen *s);
int dns_seen_remember(struct dns_seen *s, uint32_t addr, const char *name,
		      int64_t expires);
const char *dns_seen_lookup(struct dns_seen *s, uint32_t addr, int64_t now);

#endif /* SLUICE_DNS_SEEN_H */
