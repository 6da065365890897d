// SPDX-License-Identifier: MIT
/*
 * flow.c - the table of TCP and UDP flows between the guest and upstream
 *
 * Flows are embedded in the protocol modules' own structures (struct
 * tcp_flow, struct udp_flow) and found by their 5-tuple through a chained
 * hash table with a random seed. The table does not allocate per flow and
 * does not enforce limits: the protocol modules check their caps before
 * inserting, so each refusal is counted where it happens.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "flow.h"
#include "util.h"

static uint64_t flow_last_id;

/**
 * flow_next_id() - a new id for a flow or rule event
 *
 * Return: ids counting up from 1, unique for the process lifetime
 */
uint64_t flow_next_id(void)
{
	return ++flow_last_id;
}

static uint32_t flow_hash(const struct flow_table *t, const struct flow_key *k)
{
	uint64_t h = t->seed;

	h ^= (uint64_t)k->src << 32 | k->dst;
	h *= 0x9e3779b97f4a7c15ull;
	h ^= (uint64_t)k->sport << 24 | (uint64_t)k->dport << 8 | k->proto;
	h *= 0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	return (uint32_t)h & t->mask;
}

static bool flow_key_equal(const struct flow_key *a, const struct flow_key *b)
{
	return a->src == b->src && a->dst == b->dst && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto;
}

/**
 * flow_table_init() - allocate an empty table
 * @t:		table to set up
 * @expected:	number of flows expected at most; sizes the buckets
 *
 * Return: 0 on success, -ENOMEM
 */
int flow_table_init(struct flow_table *t, unsigned expected)
{
	uint32_t n = 64;

	memset(t, 0, sizeof(*t));
	while (n < expected && n < (1u << 20))
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	t->mask = n - 1;
	if (getrandom(&t->seed, sizeof(t->seed), 0) != sizeof(t->seed))
		t->seed = (uint32_t)(uintptr_t)t ^ 0x5eed;
	return 0;
}

/**
 * flow_table_free() - release the buckets; the flows belong to their modules
 * @t:	the table
 */
void flow_table_free(struct flow_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
}

/**
 * flow_lookup() - find a flow by its 5-tuple
 * @t:	the table
 * @k:	the key
 *
 * Return: the flow, or NULL
 */
struct flow *flow_lookup(const struct flow_table *t, const struct flow_key *k)
{
	struct flow *f;

	for (f = t->buckets[flow_hash(t, k)]; f; f = f->hnext) {
		if (flow_key_equal(&f->key, k))
			return f;
	}
	return NULL;
}

/**
 * flow_insert() - add a flow whose key is set; assigns its id
 * @t:	the table
 * @f:	the flow, not yet in any table
 */
void flow_insert(struct flow_table *t, struct flow *f)
{
	uint32_t b = flow_hash(t, &f->key);

	f->id = flow_next_id();
	f->hnext = t->buckets[b];
	t->buckets[b] = f;

	f->prev = NULL;
	f->next = t->all;
	if (t->all)
		t->all->prev = f;
	t->all = f;

	if (f->key.proto == 6)
		t->tcp_count++;
	else
		t->udp_count++;
}

/**
 * flow_start() - set up a new flow's generic part and insert it
 * @t:		the table
 * @f:		the flow, zeroed
 * @key:	its 5-tuple
 * @ops:	its protocol operations
 */
void flow_start(struct flow_table *t, struct flow *f,
		const struct flow_key *key, const struct flow_ops *ops)
{
	f->key = *key;
	f->ops = ops;
	f->started = f->last_active = now_ms();
	f->started_wall = wall_time();
	flow_insert(t, f);
}

/**
 * flow_remove() - take a flow out of the table
 * @t:	the table
 * @f:	a flow in @t
 */
void flow_remove(struct flow_table *t, struct flow *f)
{
	struct flow **pp = &t->buckets[flow_hash(t, &f->key)];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;

	if (f->prev)
		f->prev->next = f->next;
	else
		t->all = f->next;
	if (f->next)
		f->next->prev = f->prev;
	f->next = f->prev = f->hnext = NULL;

	if (f->key.proto == 6)
		t->tcp_count--;
	else
		t->udp_count--;
}

/**
 * flow_list_add() - append a flow to a paused list unless it is in one
 * @l:	the list
 * @f:	the flow
 */
void flow_list_add(struct flow_list *l, struct flow *f)
{
	if (f->paused)
		return;
	f->paused = true;
	f->pprev = NULL;
	f->pnext = l->head;
	if (l->head)
		l->head->pprev = f;
	l->head = f;
}

/**
 * flow_list_del() - remove a flow from a paused list if it is in it
 * @l:	the list
 * @f:	the flow
 */
void flow_list_del(struct flow_list *l, struct flow *f)
{
	if (!f->paused)
		return;
	if (f->pprev)
		f->pprev->pnext = f->pnext;
	else
		l->head = f->pnext;
	if (f->pnext)
		f->pnext->pprev = f->pprev;
	f->paused = false;
	f->pnext = f->pprev = NULL;
}
