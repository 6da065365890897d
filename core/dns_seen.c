// SPDX-License-Identifier: MIT
/*
 * dns_seen.c - names remembered for real addresses given to the guest
 *
 * In real mode the guest connects to addresses it got from upstream
 * answers. To attribute such a connection to a name, the DNS server
 * remembers each A record it passed on: address, owner name and expiry
 * (the record's TTL, capped by the caller). An address keeps only the name
 * of its most recent answer, so when two names share an address the later
 * answer wins.
 *
 * The table holds at most max_entries addresses. When it is full, a new
 * address evicts the entry used least recently, where both remembering and
 * a successful lookup count as use. Expired entries are not swept: they
 * fail lookups and leave when they reach the head of the LRU list. The
 * entry array grows by doubling up to the bound, so a small guest costs
 * little memory. The table does no I/O and reads no clock: callers pass
 * times in milliseconds from a monotonic clock.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dns_seen.h"
#include "util.h"

/* Maximum bound accepted by dns_seen_init(), so indexes stay in 32 bits */
#define SEEN_ENTRIES_LIMIT (1u << 24)

/* Entry slots and hash buckets of a new table */
#define SEEN_INITIAL_SIZE 64

/**
 * struct dns_seen_entry - one remembered address
 * @addr:	IPv4 address, network order
 * @hash_next:	next entry index in the same bucket, or 0
 * @lru_prev:	entry used just before this one, or 0
 * @lru_next:	entry used just after this one, or 0
 * @expires:	end of validity, milliseconds (monotonic)
 * @name:	the name, a copy
 */
struct dns_seen_entry {
	uint32_t addr;
	uint32_t hash_next;
	uint32_t lru_prev;
	uint32_t lru_next;
	int64_t expires;
	char *name;
};

static uint32_t seen_hash(const struct dns_seen *s, uint32_t addr)
{
	uint64_t h = (uint64_t)(addr ^ s->seed) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

static uint32_t *seen_bucket(struct dns_seen *s, uint32_t addr)
{
	return &s->buckets[seen_hash(s, addr) & s->bucket_mask];
}

/**
 * dns_seen_init() - set up an empty table
 * @s:			table to set up
 * @max_entries:	bound on remembered addresses, 1 to 2^24
 *
 * Return: 0 on success, -EINVAL for a bound out of range, -ENOMEM
 */
int dns_seen_init(struct dns_seen *s, uint32_t max_entries)
{
	memset(s, 0, sizeof(*s));
	if (!max_entries || max_entries > SEEN_ENTRIES_LIMIT)
		return -EINVAL;

	s->max_entries = max_entries;
	s->capacity = MIN(max_entries, SEEN_INITIAL_SIZE) + 1;
	s->entries = calloc(s->capacity, sizeof(*s->entries));
	s->buckets = calloc(SEEN_INITIAL_SIZE, sizeof(*s->buckets));
	if (!s->entries || !s->buckets) {
		dns_seen_free(s);
		return -ENOMEM;
	}
	s->bucket_mask = SEEN_INITIAL_SIZE - 1;
	if (getrandom(&s->seed, sizeof(s->seed), 0) != sizeof(s->seed))
		s->seed = (uint32_t)(uintptr_t)s ^ 0x5eed;
	return 0;
}

/**
 * dns_seen_free() - release the entries and names of a table
 * @s:	the table, zeroed or partly set up by a failed dns_seen_init() too
 */
void dns_seen_free(struct dns_seen *s)
{
	uint32_t i;

	for (i = 1; i <= s->count; i++)
		free(s->entries[i].name);
	free(s->entries);
	free(s->buckets);
	memset(s, 0, sizeof(*s));
}

static uint32_t seen_find(struct dns_seen *s, uint32_t addr)
{
	uint32_t index = *seen_bucket(s, addr);

	while (index && s->entries[index].addr != addr)
		index = s->entries[index].hash_next;
	return index;
}

static void seen_hash_insert(struct dns_seen *s, uint32_t index)
{
	uint32_t *bucket = seen_bucket(s, s->entries[index].addr);

	s->entries[index].hash_next = *bucket;
	*bucket = index;
}

static void seen_hash_remove(struct dns_seen *s, uint32_t index)
{
	uint32_t *link = seen_bucket(s, s->entries[index].addr);

	while (*link && *link != index)
		link = &s->entries[*link].hash_next;
	if (*link)
		*link = s->entries[index].hash_next;
	s->entries[index].hash_next = 0;
}

/* Double the buckets once there are more entries than buckets. A failed
 * allocation keeps the old table, which stays correct, only slower. */
static void seen_hash_grow(struct dns_seen *s)
{
	uint32_t count = s->bucket_mask + 1, i;
	uint32_t *buckets;

	if (s->count <= count)
		return;
	buckets = calloc((size_t)count * 2, sizeof(*buckets));
	if (!buckets)
		return;

	free(s->buckets);
	s->buckets = buckets;
	s->bucket_mask = count * 2 - 1;
	for (i = 1; i <= s->count; i++)
		seen_hash_insert(s, i);
}

static void seen_lru_remove(struct dns_seen *s, uint32_t index)
{
	struct dns_seen_entry *e = &s->entries[index];

	if (e->lru_prev)
		s->entries[e->lru_prev].lru_next = e->lru_next;
	else
		s->lru_head = e->lru_next;
	if (e->lru_next)
		s->entries[e->lru_next].lru_prev = e->lru_prev;
	else
		s->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = 0;
}

static void seen_lru_append(struct dns_seen *s, uint32_t index)
{
	struct dns_seen_entry *e = &s->entries[index];

	e->lru_prev = s->lru_tail;
	e->lru_next = 0;
	if (s->lru_tail)
		s->entries[s->lru_tail].lru_next = index;
	else
		s->lru_head = index;
	s->lru_tail = index;
}

/* Make room for one more entry below the bound. A failed allocation leaves
 * the table as it is, so the caller evicts instead. */
static bool seen_grow(struct dns_seen *s)
{
	uint32_t capacity = MIN((uint64_t)s->capacity * 2, s->max_entries + 1);
	struct dns_seen_entry *entries;

	if (s->count + 1 < s->capacity)
		return true;
	if (capacity <= s->capacity)
		return false;

	entries = realloc(s->entries, capacity * sizeof(*entries));
	if (!entries)
		return false;
	memset(entries + s->capacity, 0,
	       (capacity - s->capacity) * sizeof(*entries));
	s->entries = entries;
	s->capacity = capacity;
	return true;
}

/* An index for a new entry: a fresh slot, or the least recently used one */
static uint32_t seen_take(struct dns_seen *s)
{
	uint32_t index;

	if (seen_grow(s))
		return ++s->count;

	index = s->lru_head;
	seen_hash_remove(s, index);
	seen_lru_remove(s, index);
	free(s->entries[index].name);
	s->entries[index].name = NULL;
	s->evicted++;
	return index;
}

/**
 * dns_seen_remember() - remember that an address was given out for a name
 * @s:		the table
 * @addr:	IPv4 address, network order
 * @name:	the name, 1 to DNS_SEEN_NAME_MAX characters
 * @expires:	end of validity, milliseconds (monotonic), computed from the
 *		record's TTL after the caller's cap
 *
 * An address already in the table gets @name and @expires in place of its
 * old ones, even if they expire earlier. A new address evicts the least
 * recently used entry when the table contains max_entries addresses.
 *
 * Return: 0 on success, -EINVAL for an empty or too long name, -ENOMEM
 */
int dns_seen_remember(struct dns_seen *s, uint32_t addr, const char *name,
		      int64_t expires)
{
	size_t len = strnlen(name, DNS_SEEN_NAME_MAX + 1);
	struct dns_seen_entry *e;
	uint32_t index;
	char *copy;

	if (!len || len > DNS_SEEN_NAME_MAX)
		return -EINVAL;

	index = seen_find(s, addr);
	if (index) {
		e = &s->entries[index];
		if (strcmp(e->name, name)) {
			copy = strdup(name);
			if (!copy)
				return -ENOMEM;
			free(e->name);
			e->name = copy;
		}
		e->expires = expires;
		seen_lru_remove(s, index);
		seen_lru_append(s, index);
		return 0;
	}

	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	index = seen_take(s);
	e = &s->entries[index];
	e->addr = addr;
	e->expires = expires;
	e->name = copy;
	seen_hash_insert(s, index);
	seen_lru_append(s, index);
	seen_hash_grow(s);
	return 0;
}

/**
 * dns_seen_lookup() - look up the name an address was last given out for
 * @s:		the table
 * @addr:	IPv4 address, network order
 * @now:	current time, milliseconds (monotonic)
 *
 * A hit marks the entry as used, which protects it from eviction.
 *
 * Return: the name, or NULL if @addr is unknown, was evicted or expired
 * (@now at or after its expiry). The string belongs to the table and stays
 * valid until the next dns_seen_remember() or dns_seen_free().
 */
const char *dns_seen_lookup(struct dns_seen *s, uint32_t addr, int64_t now)
{
	uint32_t index = seen_find(s, addr);

	if (!index || now >= s->entries[index].expires)
		return NULL;

	seen_lru_remove(s, index);
	seen_lru_append(s, index);
	return s->entries[index].name;
}
