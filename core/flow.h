/* SPDX-License-Identifier: MIT */
/* flow.h - the table of TCP and UDP flows between the guest and upstream */

#ifndef SLUICE_FLOW_H
#define SLUICE_FLOW_H

#include <stdbool.h>
#include <stdint.h>

struct flow;
struct policy;

/**
 * struct flow_key - what identifies a flow: the guest's 5-tuple
 * @src:	guest address, network order
 * @dst:	destination address as the guest addressed it, network order
 * @sport:	guest port, host order
 * @dport:	destination port, host order
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 */
struct flow_key {
	uint32_t src;
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto;
};

/**
 * struct flow_ops - what the protocol module does for the generic code
 * @reap:	close the flow if it has been idle too long at @now
 *		(milliseconds, monotonic); may free the flow
 * @reset:	the guest is gone: free the flow without sending anything
 *		to the guest
 * @resume:	the guest queue drained: restart host-side reads
 */
struct flow_ops {
	void (*reap)(struct flow *f, int64_t now);
	void (*reset)(struct flow *f);
	void (*resume)(struct flow *f);
};

/**
 * struct flow - the part of every flow that the table and policy see
 * @key:		5-tuple
 * @id:			unique id, shared with rule events and audit entries
 * @ops:		protocol operations
 * @hnext:		next flow in the same hash bucket
 * @next:		next flow in the table's list of all flows
 * @prev:		previous flow in that list
 * @pnext:		next flow in the gateway's paused list
 * @pprev:		previous flow in the paused list
 * @paused:		the flow is in the paused list
 * @name:		DNS name the destination is attributed to, or NULL
 * @upstream:		address dialled for the flow (or refused by the
 *			guard), network order, 0 before the dial
 * @policy:		rules generation that decided the flow (a reference),
 *			or NULL
 * @bytes_up:		payload bytes from the guest to upstream
 * @bytes_down:		payload bytes from upstream to the guest
 * @started:		creation time, milliseconds (monotonic)
 * @last_active:	time of the last data, milliseconds (monotonic)
 * @started_wall:	creation time, seconds since the epoch
 */
struct flow {
	struct flow_key key;
	uint64_t id;
	const struct flow_ops *ops;
	struct flow *hnext;
	struct flow *next;
	struct flow *prev;
	struct flow *pnext;
	struct flow *pprev;
	bool paused;
	char *name;
	uint32_t upstream;
	struct policy *policy;
	uint64_t bytes_up;
	uint64_t bytes_down;
	int64_t started;
	int64_t last_active;
	double started_wall;
};

/**
 * struct flow_list - an intrusive list of flows through @pnext/@pprev
 * @head:	first flow, or NULL
 */
struct flow_list {
	struct flow *head;
};

/**
 * struct flow_table - hash table and list of all flows
 * @buckets:	hash buckets
 * @mask:	number of buckets minus one (a power of two minus one)
 * @seed:	random hash seed, so the guest cannot choose colliding keys
 * @all:	list of all flows, newest first
 * @tcp_count:	TCP flows in the table
 * @udp_count:	UDP flows in the table
 */
struct flow_table {
	struct flow **buckets;
	uint32_t mask;
	uint32_t seed;
	struct flow *all;
	unsigned tcp_count;
	unsigned udp_count;
};

int flow_table_init(struct flow_table *t, unsigned expected);
void flow_table_free(struct flow_table *t);
struct flow *flow_lookup(const struct flow_table *t, const struct flow_key *k);
void flow_insert(struct flow_table *t, struct flow *f);
void flow_start(struct flow_table *t, struct flow *f,
		const struct flow_key *key, const struct flow_ops *ops);
void flow_remove(struct flow_table *t, struct flow *f);
uint64_t flow_next_id(void);

void flow_list_add(struct flow_list *l, struct flow *f);
void flow_list_del(struct flow_list *l, struct flow *f);

#endif /* SLUICE_FLOW_H */
