// SPDX-License-Identifier: MIT
/* test_flow.c - unit tests of the flow table and paused list in flow.c */

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "unit.h"

#define MANY_FLOWS 10000

static struct flow_key key(uint32_t src, uint16_t sport, uint32_t dst,
			   uint16_t dport, uint8_t proto)
{
	struct flow_key k = {src, dst, sport, dport, proto};

	return k;
}

/* Key number @i: distinct for @i below 60000 through the source port, with
 * the other fields varying too, so that the hash mixes in every field. */
static struct flow_key key_number(unsigned i)
{
	return key(htonl(0x0a00020f), (uint16_t)(1024 + i % 60000),
		   htonl(0xcb007100 + i / 60000 + (i % 7) * 256),
		   (uint16_t)(80 + i % 3), i % 2 ? IPPROTO_UDP : IPPROTO_TCP);
}

static void flow_insert_then_lookup_finds_it(void)
{
	struct flow_table t;
	struct flow f = {0};
	struct flow_key k = key(1, 2, 3, 4, IPPROTO_TCP);

	CHECK_INT(flow_table_init(&t, 16), 0);
	f.key = k;
	flow_insert(&t, &f);
	CHECK(flow_lookup(&t, &k) == &f);
	CHECK(t.all == &f);

	flow_remove(&t, &f);
	CHECK(flow_lookup(&t, &k) == NULL);
	CHECK(t.all == NULL);
	flow_table_free(&t);
	CHECK(t.buckets == NULL);
}

/* Each field of the key takes part in the match. */
static void flow_lookup_matches_whole_key(void)
{
	struct flow_key k = key(1, 2, 3, 4, IPPROTO_TCP);
	struct flow_key near[] = {
	    key(9, 2, 3, 4, IPPROTO_TCP), key(1, 9, 3, 4, IPPROTO_TCP),
	    key(1, 2, 9, 4, IPPROTO_TCP), key(1, 2, 3, 9, IPPROTO_TCP),
	    key(1, 2, 3, 4, IPPROTO_UDP),
	};
	struct flow_table t;
	struct flow f = {0};
	size_t i;

	CHECK_INT(flow_table_init(&t, 16), 0);
	f.key = k;
	flow_insert(&t, &f);
	for (i = 0; i < sizeof(near) / sizeof(near[0]); i++)
		CHECK(flow_lookup(&t, &near[i]) == NULL);
	CHECK(flow_lookup(&t, &k) == &f);
	flow_table_free(&t);
}

/* With every key in one bucket (mask 0), only the key comparison
 * distinguishes the flows, so each field must take part in it. */
static void flow_lookup_separates_colliding_keys(void)
{
	struct flow_key keys[] = {
	    key(1, 2, 3, 4, IPPROTO_TCP), key(9, 2, 3, 4, IPPROTO_TCP),
	    key(1, 9, 3, 4, IPPROTO_TCP), key(1, 2, 9, 4, IPPROTO_TCP),
	    key(1, 2, 3, 9, IPPROTO_TCP), key(1, 2, 3, 4, IPPROTO_UDP),
	};
	struct flow f[sizeof(keys) / sizeof(keys[0])];
	struct flow_table t;
	size_t i;

	memset(f, 0, sizeof(f));
	CHECK_INT(flow_table_init(&t, 16), 0);
	t.mask = 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		f[i].key = keys[i];
		flow_insert(&t, &f[i]);
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK(flow_lookup(&t, &keys[i]) == &f[i]);

	flow_remove(&t, &f[0]);
	CHECK(flow_lookup(&t, &keys[0]) == NULL);
	for (i = 1; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK(flow_lookup(&t, &keys[i]) == &f[i]);
	flow_table_free(&t);
}

static void flow_ids_increase_and_are_unique(void)
{
	struct flow_table t;
	struct flow f[3];
	uint64_t standalone;
	unsigned i;

	memset(f, 0, sizeof(f));
	CHECK_INT(flow_table_init(&t, 16), 0);
	for (i = 0; i < 3; i++) {
		f[i].key = key_number(i);
		flow_insert(&t, &f[i]);
		CHECK(f[i].id != 0);
	}
	CHECK(f[1].id > f[0].id);
	CHECK(f[2].id > f[1].id);

	/* Rule events draw from the same counter, so ids never repeat. */
	standalone = flow_next_id();
	CHECK(standalone > f[2].id);
	CHECK(flow_next_id() > standalone);

	/* A flow inserted again after removal gets a new id. */
	flow_remove(&t, &f[0]);
	flow_insert(&t, &f[0]);
	CHECK(f[0].id > standalone);
	flow_table_free(&t);
}

static void flow_counts_follow_protocol(void)
{
	struct flow_table t;
	struct flow tcp1 = {0}, tcp2 = {0}, udp1 = {0};

	CHECK_INT(flow_table_init(&t, 16), 0);
	tcp1.key = key(1, 1, 2, 80, IPPROTO_TCP);
	tcp2.key = key(1, 2, 2, 80, IPPROTO_TCP);
	udp1.key = key(1, 1, 2, 53, IPPROTO_UDP);
	flow_insert(&t, &tcp1);
	flow_insert(&t, &tcp2);
	flow_insert(&t, &udp1);
	CHECK_INT(t.tcp_count, 2);
	CHECK_INT(t.udp_count, 1);

	flow_remove(&t, &tcp1);
	CHECK_INT(t.tcp_count, 1);
	CHECK_INT(t.udp_count, 1);
	flow_remove(&t, &udp1);
	CHECK_INT(t.tcp_count, 1);
	CHECK_INT(t.udp_count, 0);
	flow_table_free(&t);
}

/* The list of all flows is newest first and survives removal from its
 * middle, head and tail. */
static void flow_all_list_stays_linked(void)
{
	struct flow_table t;
	struct flow f[3];
	unsigned i;

	memset(f, 0, sizeof(f));
	CHECK_INT(flow_table_init(&t, 16), 0);
	for (i = 0; i < 3; i++) {
		f[i].key = key_number(i);
		flow_insert(&t, &f[i]);
	}
	CHECK(t.all == &f[2]);
	CHECK(f[2].next == &f[1]);
	CHECK(f[1].next == &f[0]);
	CHECK(f[0].next == NULL);

	flow_remove(&t, &f[1]);
	CHECK(t.all == &f[2]);
	CHECK(f[2].next == &f[0]);
	CHECK(f[0].prev == &f[2]);

	flow_remove(&t, &f[2]);
	CHECK(t.all == &f[0]);
	CHECK(f[0].prev == NULL);

	flow_remove(&t, &f[0]);
	CHECK(t.all == NULL);
	flow_table_free(&t);
}

static void flow_table_finds_10000_flows(void)
{
	struct flow_table t;
	struct flow *f;
	unsigned i, listed = 0;
	struct flow *it;

	f = calloc(MANY_FLOWS, sizeof(*f));
	CHECK(f != NULL);
	CHECK_INT(flow_table_init(&t, MANY_FLOWS), 0);
	for (i = 0; i < MANY_FLOWS; i++) {
		f[i].key = key_number(i);
		flow_insert(&t, &f[i]);
		if (i)
			CHECK(f[i].id > f[i - 1].id);
	}
	CHECK_INT(t.tcp_count + t.udp_count, MANY_FLOWS);
	CHECK_INT(t.udp_count, MANY_FLOWS / 2);
	for (it = t.all; it; it = it->next)
		listed++;
	CHECK_INT(listed, MANY_FLOWS);

	for (i = 0; i < MANY_FLOWS; i++) {
		struct flow_key k = key_number(i);

		CHECK(flow_lookup(&t, &k) == &f[i]);
	}

	/* Remove every third flow; the rest stay findable. */
	for (i = 0; i < MANY_FLOWS; i += 3)
		flow_remove(&t, &f[i]);
	for (i = 0; i < MANY_FLOWS; i++) {
		struct flow_key k = key_number(i);

		if (i % 3 == 0)
			CHECK(flow_lookup(&t, &k) == NULL);
		else
			CHECK(flow_lookup(&t, &k) == &f[i]);
	}
	CHECK_INT(t.tcp_count + t.udp_count, MANY_FLOWS - (MANY_FLOWS + 2) / 3);
	flow_table_free(&t);
	free(f);
}

/* A table sized for few flows still works with many (long chains). */
static void flow_small_table_holds_many_flows(void)
{
	struct flow_table t;
	struct flow *f;
	unsigned i;

	f = calloc(1000, sizeof(*f));
	CHECK(f != NULL);
	CHECK_INT(flow_table_init(&t, 1), 0);
	for (i = 0; i < 1000; i++) {
		f[i].key = key_number(i);
		flow_insert(&t, &f[i]);
	}
	for (i = 0; i < 1000; i++) {
		struct flow_key k = key_number(i);

		CHECK(flow_lookup(&t, &k) == &f[i]);
	}
	flow_table_free(&t);
	free(f);
}

static void flow_lookup_after_remove_fails(void)
{
	struct flow_table t;
	struct flow a = {0}, b = {0};

	CHECK_INT(flow_table_init(&t, 16), 0);
	a.key = key(1, 1000, 2, 80, IPPROTO_TCP);
	b.key = key(1, 1001, 2, 80, IPPROTO_TCP);
	flow_insert(&t, &a);
	flow_insert(&t, &b);

	flow_remove(&t, &a);
	CHECK(flow_lookup(&t, &a.key) == NULL);
	CHECK(flow_lookup(&t, &b.key) == &b);
	CHECK(a.next == NULL);
	CHECK(a.prev == NULL);
	CHECK(a.hnext == NULL);
	flow_table_free(&t);
}

static void flow_paused_list_add_is_idempotent(void)
{
	struct flow_list l = {NULL};
	struct flow a = {0}, b = {0};

	flow_list_add(&l, &a);
	CHECK(a.paused);
	CHECK(l.head == &a);
	flow_list_add(&l, &a);
	CHECK(l.head == &a);
	CHECK(a.pnext == NULL); /* not linked to itself */

	flow_list_add(&l, &b);
	flow_list_add(&l, &a);
	CHECK(l.head == &b);
	CHECK(b.pnext == &a);
	CHECK(a.pnext == NULL);
	CHECK(a.pprev == &b);
}

static void flow_paused_list_del_is_idempotent(void)
{
	struct flow_list l = {NULL};
	struct flow a = {0}, b = {0}, c = {0};

	/* Removing a flow that was never added leaves the list alone. */
	flow_list_add(&l, &a);
	flow_list_del(&l, &b);
	CHECK(l.head == &a);

	flow_list_add(&l, &b);
	flow_list_add(&l, &c); /* list: c, b, a */
	flow_list_del(&l, &b);
	CHECK(!b.paused);
	CHECK(c.pnext == &a);
	CHECK(a.pprev == &c);
	flow_list_del(&l, &b);
	CHECK(l.head == &c);
	CHECK(c.pnext == &a);

	flow_list_del(&l, &c);
	CHECK(l.head == &a);
	CHECK(a.pprev == NULL);
	flow_list_del(&l, &a);
	flow_list_del(&l, &a);
	CHECK(l.head == NULL);
	CHECK(!a.paused);

	/* A removed flow can be added again. */
	flow_list_add(&l, &a);
	CHECK(l.head == &a);
	CHECK(a.paused);
}

UNIT_MAIN(UNIT_TEST(flow_insert_then_lookup_finds_it),
	  UNIT_TEST(flow_lookup_matches_whole_key),
	  UNIT_TEST(flow_lookup_separates_colliding_keys),
	  UNIT_TEST(flow_ids_increase_and_are_unique),
	  UNIT_TEST(flow_counts_follow_protocol),
	  UNIT_TEST(flow_all_list_stays_linked),
	  UNIT_TEST(flow_table_finds_10000_flows),
	  UNIT_TEST(flow_small_table_holds_many_flows),
	  UNIT_TEST(flow_lookup_after_remove_fails),
	  UNIT_TEST(flow_paused_list_add_is_idempotent),
	  UNIT_TEST(flow_paused_list_del_is_idempotent))
