// SPDX-License-Identifier: MIT
/*
 * dns_pool.c - the pool of synthetic addresses handed out for DNS names
 *
 * In synthetic mode the guest gets, for each allowed name, an address from
 * a private range, and a later connection to that address is attributed to
 * the name. Entry i of the pool is the address first + i. Indexes 0 and
 * size - 1 (network and broadcast address) are never handed out, so index 0
 * also serves as the "none" value in hash chains and the LRU list.
 *
 * A new name takes the next never-used address. When none is left, it takes
 * the entry answered least recently, provided that no connection holds a
 * reference to it and that its last answer is more than twice the TTL old.
 * A guest caches an answer for the TTL, so an address must not move to
 * another name while some guest cache may still map the old name to it.
 * The LRU list is ordered by last answer, because each bind moves its entry
 * to the tail. A referenced entry stays in the list and the search steps
 * over it, so a bind costs at most one step per referenced old entry.
 *
 * Entries are allocated in chunks when their addresses are first used, so
 * an unused /15 costs a few kilobytes. Names are copied. The pool does no
 * I/O and reads no clock: callers pass the time in milliseconds from a
 * monotonic clock.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dns_pool.h"
#include "util.h"

/* Maximum entries per chunk, as a shift: 256 entries of 88 bytes on x86-64 */
#define POOL_CHUNK_SHIFT_MAX 8

/* Buckets of a new pool. The table doubles as names are bound */
#define POOL_BUCKETS_MIN 64

/**
 * struct dns_pool_entry - one address of the pool and the name bound to it
 * @name:		copy of the bound name, or NULL until first bound
 * @hash:		hash of @name, kept for rehashing
 * @hash_next:		next entry index in the same bucket, or 0
 * @lru_prev:		entry answered just before this one, or 0
 * @lru_next:		entry answered just after this one, or 0
 * @refs:		connections that hold the address
 * @last_answered:	time of the last bind of @name, milliseconds
 * @resolved_expires:	end of validity of @resolved, milliseconds
 * @resolved_count:	addresses in @resolved
 * @resolved:		real addresses of @name, network order
 */
struct dns_pool_entry {
	char *name;
	uint32_t hash;
	uint32_t hash_next;
	uint32_t lru_prev;
	uint32_t lru_next;
	uint32_t refs;
	int64_t last_answered;
	int64_t resolved_expires;
	unsigned resolved_count;
	uint32_t resolved[DNS_POOL_RESOLVED_MAX];
};

static uint32_t pool_hash(const struct dns_pool *p, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull ^ p->seed;

	for (; *name; name++) {
		h ^= (uint8_t)*name;
		h *= 0x100000001b3ull;
	}
	h ^= h >> 31;
	h *= 0x9e3779b97f4a7c15ull;
	h ^= h >> 29;
	return (uint32_t)h;
}

static struct dns_pool_entry *pool_entry(const struct dns_pool *p,
					 uint32_t index)
{
	uint32_t mask = (1u << p->chunk_shift) - 1;

	return &p->chunks[index >> p->chunk_shift][index & mask];
}

/* Index of a bound entry for an address in network order, or 0 */
static uint32_t pool_index(const struct dns_pool *p, uint32_t addr)
{
	uint32_t index = ntohl(addr) - p->first;

	if (index == 0 || index >= p->next_unused)
		return 0;
	return index;
}

/**
 * dns_pool_init() - set up an empty pool
 * @p:		pool to set up
 * @network:	first address of the range, network order, host bits clear
 * @prefix:	prefix length, DNS_POOL_PREFIX_MIN to DNS_POOL_PREFIX_MAX
 * @ttl:	TTL of synthetic answers, seconds. An unreferenced entry is
 *		reused for another name 2 * @ttl after its last answer
 *
 * Return: 0 on success, -EINVAL for a prefix out of range or host bits set
 * in @network, -ENOMEM
 */
int dns_pool_init(struct dns_pool *p, uint32_t network, unsigned prefix,
		  uint32_t ttl)
{
	uint32_t first = ntohl(network);
	uint32_t size, chunk_count;

	memset(p, 0, sizeof(*p));
	if (prefix < DNS_POOL_PREFIX_MIN || prefix > DNS_POOL_PREFIX_MAX)
		return -EINVAL;
	size = 1u << (32 - prefix);
	if (first & (size - 1))
		return -EINVAL;

	p->first = first;
	p->size = size;
	p->ttl = ttl;
	p->hold_ms = 2 * (int64_t)ttl * 1000;
	p->next_unused = 1;
	p->chunk_shift = MIN(POOL_CHUNK_SHIFT_MAX, 32 - prefix);
	chunk_count = size >> p->chunk_shift;

	p->chunks = calloc(chunk_count, sizeof(*p->chunks));
	p->buckets = calloc(POOL_BUCKETS_MIN, sizeof(*p->buckets));
	if (!p->chunks || !p->buckets) {
		dns_pool_free(p);
		return -ENOMEM;
	}
	p->bucket_mask = POOL_BUCKETS_MIN - 1;
	if (getrandom(&p->seed, sizeof(p->seed), 0) != sizeof(p->seed))
		p->seed = (uint64_t)(uintptr_t)p ^ 0x5eed5eed;
	return 0;
}

/**
 * dns_pool_free() - release the entries, names and tables of a pool
 * @p:	the pool, zeroed or partly set up by a failed dns_pool_init() too
 */
void dns_pool_free(struct dns_pool *p)
{
	uint32_t i;

	for (i = 1; i < p->next_unused; i++)
		free(pool_entry(p, i)->name);

	if (p->chunks) {
		for (i = 0; i < p->size >> p->chunk_shift; i++)
			free(p->chunks[i]);
	}
	free(p->chunks);
	free(p->buckets);
	memset(p, 0, sizeof(*p));
}

static uint32_t pool_find(const struct dns_pool *p, const char *name,
			  uint32_t hash)
{
	uint32_t index = p->buckets[hash & p->bucket_mask];

	while (index) {
		const struct dns_pool_entry *e = pool_entry(p, index);

		if (e->hash == hash && !strcmp(e->name, name))
			return index;
		index = e->hash_next;
	}
	return 0;
}

static void pool_hash_insert(struct dns_pool *p, uint32_t index)
{
	struct dns_pool_entry *e = pool_entry(p, index);
	uint32_t *bucket = &p->buckets[e->hash & p->bucket_mask];

	e->hash_next = *bucket;
	*bucket = index;
}

static void pool_hash_remove(struct dns_pool *p, uint32_t index)
{
	struct dns_pool_entry *e = pool_entry(p, index);
	uint32_t *link = &p->buckets[e->hash & p->bucket_mask];

	while (*link && *link != index)
		link = &pool_entry(p, *link)->hash_next;
	if (*link)
		*link = e->hash_next;
	e->hash_next = 0;
}

/* Double the buckets once there are more bound names than buckets. A failed
 * allocation keeps the old table, which stays correct, only slower. */
static void pool_hash_grow(struct dns_pool *p)
{
	uint32_t count = p->bucket_mask + 1, i;
	uint32_t *buckets;

	if (p->bound <= count || count >= p->size)
		return;
	buckets = calloc((size_t)count * 2, sizeof(*buckets));
	if (!buckets)
		return;

	free(p->buckets);
	p->buckets = buckets;
	p->bucket_mask = count * 2 - 1;
	for (i = 1; i < p->next_unused; i++)
		pool_hash_insert(p, i);
}

static void pool_lru_remove(struct dns_pool *p, uint32_t index)
{
	struct dns_pool_entry *e = pool_entry(p, index);

	if (e->lru_prev)
		pool_entry(p, e->lru_prev)->lru_next = e->lru_next;
	else
		p->lru_head = e->lru_next;
	if (e->lru_next)
		pool_entry(p, e->lru_next)->lru_prev = e->lru_prev;
	else
		p->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = 0;
}

static void pool_lru_append(struct dns_pool *p, uint32_t index)
{
	struct dns_pool_entry *e = pool_entry(p, index);

	e->lru_prev = p->lru_tail;
	e->lru_next = 0;
	if (p->lru_tail)
		pool_entry(p, p->lru_tail)->lru_next = index;
	else
		p->lru_head = index;
	p->lru_tail = index;
}

/* Take the next never-used address and allocate its chunk. Return its
 * index, or 0 if the range is used up or the allocation failed (*err is
 * then -ENOMEM). */
static uint32_t pool_take_unused(struct dns_pool *p, int *err)
{
	uint32_t index = p->next_unused;
	struct dns_pool_entry **chunk;

	if (index >= p->size - 1)
		return 0;

	chunk = &p->chunks[index >> p->chunk_shift];
	if (!*chunk) {
		*chunk = calloc((size_t)1 << p->chunk_shift, sizeof(**chunk));
		if (!*chunk) {
			*err = -ENOMEM;
			return 0;
		}
	}
	p->next_unused++;
	return index;
}

/* Index of the entry answered least recently that no connection holds and
 * whose last answer is old enough, or 0. The list is in answer order, so
 * the first entry that is too young ends the search. */
static uint32_t pool_take_lru(const struct dns_pool *p, int64_t now)
{
	uint32_t index = p->lru_head;

	while (index) {
		const struct dns_pool_entry *e = pool_entry(p, index);

		if (now - e->last_answered <= p->hold_ms)
			return 0;
		if (!e->refs)
			return index;
		index = e->lru_next;
	}
	return 0;
}

/* Take an address for a new name: a never-used one, else a reusable one */
static uint32_t pool_take(struct dns_pool *p, int64_t now, int *err)
{
	uint32_t index;

	index = pool_take_unused(p, err);
	if (index || *err)
		return index;

	index = pool_take_lru(p, now);
	if (!index) {
		p->full++;
		*err = -ENOSPC;
		return 0;
	}

	/* The old name loses its address, and its resolved cache goes with it
	 */
	pool_hash_remove(p, index);
	pool_lru_remove(p, index);
	free(pool_entry(p, index)->name);
	pool_entry(p, index)->name = NULL;
	p->bound--;
	p->reused++;
	return index;
}

/**
 * dns_pool_bind() - get the address for a name, binding one if needed
 * @p:		the pool
 * @name:	the name, 1 to DNS_POOL_NAME_MAX characters. Names are
 *		compared byte for byte, so callers pass one case
 *		(dns_query_parse() gives lower case)
 * @now:	current time, milliseconds (monotonic)
 * @addr:	the address, network order
 *
 * A name that is bound keeps its address. Each call counts as an answer
 * for @name, which delays the reuse of its address to 2 * TTL after @now.
 *
 * Return: 0 on success, -EINVAL for an empty or too long name, -ENOSPC if
 * every address is bound and none may be reused yet, -ENOMEM
 */
int dns_pool_bind(struct dns_pool *p, const char *name, int64_t now,
		  uint32_t *addr)
{
	size_t len = strnlen(name, DNS_POOL_NAME_MAX + 1);
	struct dns_pool_entry *e;
	uint32_t hash, index;
	char *copy;
	int err = 0;

	if (!len || len > DNS_POOL_NAME_MAX)
		return -EINVAL;

	hash = pool_hash(p, name);
	index = pool_find(p, name, hash);
	if (index) {
		pool_entry(p, index)->last_answered = now;
		pool_lru_remove(p, index);
		pool_lru_append(p, index);
		*addr = htonl(p->first + index);
		return 0;
	}

	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	index = pool_take(p, now, &err);
	if (!index) {
		free(copy);
		return err;
	}

	e = pool_entry(p, index);
	e->name = copy;
	e->hash = hash;
	e->refs = 0;
	e->last_answered = now;
	e->resolved_count = 0;
	e->resolved_expires = 0;
	pool_hash_insert(p, index);
	pool_lru_append(p, index);
	p->bound++;
	pool_hash_grow(p);

	*addr = htonl(p->first + index);
	return 0;
}

/**
 * dns_pool_name() - look up the name bound to an address
 * @p:		the pool
 * @addr:	the address, network order
 *
 * Return: the name, or NULL if @addr is outside the pool or was never
 * handed out. The string belongs to the pool and changes when the address
 * is reused for another name, which cannot happen while a reference from
 * dns_pool_ref() is held.
 */
const char *dns_pool_name(const struct dns_pool *p, uint32_t addr)
{
	uint32_t index = pool_index(p, addr);

	return index ? pool_entry(p, index)->name : NULL;
}

/**
 * dns_pool_contains() - check whether an address is in the pool's range
 * @p:		the pool
 * @addr:	the address, network order
 *
 * Return: true for every address of the range, network and broadcast
 * address and unbound addresses included, so a caller can reject a
 * connection to a synthetic address that has no name
 */
bool dns_pool_contains(const struct dns_pool *p, uint32_t addr)
{
	return p->size && ntohl(addr) - p->first < p->size;
}

/**
 * dns_pool_ref() - keep an address bound to its name
 * @p:		the pool
 * @addr:	a bound address, network order
 *
 * A referenced address is never reused for another name.
 *
 * Return: 0 on success, -ENOENT if @addr is not bound, -EOVERFLOW if the
 * reference count is at its maximum
 */
int dns_pool_ref(struct dns_pool *p, uint32_t addr)
{
	uint32_t index = pool_index(p, addr);
	struct dns_pool_entry *e;

	if (!index)
		return -ENOENT;
	e = pool_entry(p, index);
	if (e->refs == UINT32_MAX)
		return -EOVERFLOW;
	e->refs++;
	return 0;
}

/**
 * dns_pool_unref() - drop a reference taken with dns_pool_ref()
 * @p:		the pool
 * @addr:	the address, network order
 *
 * Return: 0 on success, -ENOENT if @addr is not bound, -EINVAL if it holds
 * no reference
 */
int dns_pool_unref(struct dns_pool *p, uint32_t addr)
{
	uint32_t index = pool_index(p, addr);
	struct dns_pool_entry *e;

	if (!index)
		return -ENOENT;
	e = pool_entry(p, index);
	if (!e->refs)
		return -EINVAL;
	e->refs--;
	return 0;
}

/**
 * dns_pool_resolved_set() - cache the real addresses of a bound name
 * @p:		the pool
 * @addr:	a bound address, network order
 * @addrs:	real addresses, network order
 * @count:	entries in @addrs. Only the first DNS_POOL_RESOLVED_MAX are
 *		kept, and 0 clears the cache
 * @expires:	end of validity, milliseconds (monotonic)
 *
 * The cache is dropped when the address is reused for another name.
 *
 * Return: 0 on success, -ENOENT if @addr is not bound
 */
int dns_pool_resolved_set(struct dns_pool *p, uint32_t addr,
			  const uint32_t *addrs, unsigned count,
			  int64_t expires)
{
	uint32_t index = pool_index(p, addr);
	struct dns_pool_entry *e;

	if (!index)
		return -ENOENT;
	e = pool_entry(p, index);
	e->resolved_count = MIN(count, DNS_POOL_RESOLVED_MAX);
	if (e->resolved_count)
		memcpy(e->resolved, addrs,
		       e->resolved_count * sizeof(*e->resolved));
	e->resolved_expires = expires;
	return 0;
}

/**
 * dns_pool_resolved_get() - get the cached real addresses of a bound name
 * @p:		the pool
 * @addr:	the address, network order
 * @now:	current time, milliseconds (monotonic)
 * @addrs:	set to the cached addresses, network order, when the return
 *		value is not 0, and valid until the entry changes
 *
 * Return: number of addresses, 0 if @addr is not bound, nothing is cached
 * or the cache expired (@now at or after its expiry)
 */
unsigned dns_pool_resolved_get(const struct dns_pool *p, uint32_t addr,
			       int64_t now, const uint32_t **addrs)
{
	uint32_t index = pool_index(p, addr);
	const struct dns_pool_entry *e;

	if (!index)
		return 0;
	e = pool_entry(p, index);
	if (!e->resolved_count || now >= e->resolved_expires)
		return 0;
	*addrs = e->resolved;
	return e->resolved_count;
}
