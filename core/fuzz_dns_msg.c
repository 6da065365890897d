// SPDX-License-Identifier: MIT
/* fuzz_dns_msg.c - libFuzzer target for the DNS codec (dns_msg.c, dns_rewrite.c) */

/*
 * Each input is used twice: as a guest query (parse, then reply, then the
 * reply through the rewriter) and as an upstream response to the query
 * that its own question makes. Besides the sanitizers, the target aborts
 * when a property of the codec fails:
 *  - a parsed name converts back to the same wire form and query;
 *  - a reply to a valid query fits its limit and rewrites without error;
 *  - rewriting a rewritten reply with no filter changes nothing.
 * Bits of the message id choose the transport and the EDNS size, so the
 * message bytes need no extra header.
 */

#include <stdlib.h>
#include <string.h>

#include "dns_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

/* Keep, drop or replace by a value derived from the record */
static enum dns_addr_verdict fuzz_filter(struct dns_addr_record *rec, void *ctx)
{
	size_t owner_len = strlen(rec->owner);
	unsigned *calls = ctx;

	FUZZ_CHECK(owner_len < 1024);
	FUZZ_CHECK(rec->addr_len == (rec->type == DNS_TYPE_A ? 4u : 16u));
	(*calls)++;

	switch ((rec->addr[rec->addr_len - 1] + owner_len) % 3) {
	case 0:
		return DNS_ADDR_KEEP;
	case 1:
		return DNS_ADDR_DROP;
	default:
		memset(rec->addr, 0xc6, rec->addr_len);
		rec->ttl = (uint32_t)owner_len;
		return DNS_ADDR_REPLACE;
	}
}

static enum dns_transport fuzz_transport(const uint8_t *data, size_t size)
{
	return size > 1 && (data[1] & 1) ? DNS_TRANSPORT_TCP
					 : DNS_TRANSPORT_UDP;
}

/*
 * A parsed name converts back to the same wire form, ignoring case, and an
 * upstream query for it parses to the same question.
 */
static void fuzz_check_name(const struct dns_query *q)
{
	uint8_t wire[DNS_NAME_WIRE_MAX], query[DNS_UDP_MAX_PLAIN];
	char type[DNS_MNEMONIC_SIZE], qclass[DNS_MNEMONIC_SIZE];
	struct dns_query back;
	int len = dns_name_from_text(q->name, wire);
	size_t i;

	FUZZ_CHECK(len > 0 && (size_t)len == q->qname_len);
	for (i = 0; i < q->qname_len; i++) {
		uint8_t c = q->qname[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 'a' - 'A');
		FUZZ_CHECK(wire[i] == c);
	}

	len = dns_query_write(query, sizeof(query), q->id, q->name, q->qtype,
			      q->qclass, q->edns.udp_size);
	FUZZ_CHECK(len > 0);
	FUZZ_CHECK(dns_query_parse(query, (size_t)len, &back) == DNS_PARSE_OK);
	FUZZ_CHECK(!strcmp(back.name, q->name) && back.qtype == q->qtype &&
		   back.qclass == q->qclass);

	FUZZ_CHECK(dns_type_str(q->qtype, type)[0] != '\0');
	FUZZ_CHECK(dns_class_str(q->qclass, qclass)[0] != '\0');
}

static void fuzz_query(const uint8_t *data, size_t size)
{
	static uint8_t reply[DNS_TCP_MAX], out[DNS_TCP_MAX];
	static const uint8_t txt[] = {4, 'f', 'u', 'z', 'z'};
	const uint8_t addr[4] = {198, 18, 0, 1};
	enum dns_transport transport = fuzz_transport(data, size);
	enum dns_parse_status status;
	unsigned i, answers, calls = 0;
	struct dns_reply r;
	struct dns_query q;
	int len;

	status = dns_query_parse(data, size, &q);
	if (status == DNS_PARSE_DROP)
		return;
	if (status == DNS_PARSE_OK)
		fuzz_check_name(&q);

	FUZZ_CHECK(dns_reply_init(&r, reply, sizeof(reply), &q, transport,
				  (uint16_t)status) == 0);
	answers = status == DNS_PARSE_OK ? q.id % 64 : 0;
	for (i = 0; i < answers; i++)
		dns_reply_add_a(&r, addr, i);
	if (answers)
		dns_reply_add_rr(&r, DNS_TYPE_TXT, 1, txt, sizeof(txt));
	len = dns_reply_finish(&r);
	FUZZ_CHECK(len >= DNS_HEADER_LEN);
	FUZZ_CHECK(transport == DNS_TRANSPORT_TCP || len <= DNS_UDP_MAX_EDNS);

	if (status != DNS_PARSE_OK)
		return;
	len = dns_response_rewrite(reply, (size_t)len, &q, transport,
				   fuzz_filter, &calls, out, sizeof(out));
	FUZZ_CHECK(len > 0);
}

/*
 * Make the guest query that @data answers: its header and question with QR
 * and opcode cleared and no other records. Returns false when the question
 * does not parse.
 */
static bool fuzz_matching_query(const uint8_t *data, size_t size,
				struct dns_query *q)
{
	static uint8_t copy[DNS_TCP_MAX];

	if (size < DNS_HEADER_LEN || size > sizeof(copy))
		return false;
	memcpy(copy, data, size);
	copy[2] &= 0x07;
	memset(copy + 6, 0, 6);

	/* Trailing records make this FORMERR, but the question is parsed */
	dns_query_parse(copy, size, q);
	if (!q->has_question)
		return false;

	q->edns.present = data[0] & 1;
	q->edns.version = 0;
	q->edns.udp_size = (uint16_t)(data[0] << 8 | data[1]);
	q->edns.dnssec_ok = data[0] & 2;
	return true;
}

static void fuzz_rewrite(const uint8_t *data, size_t size)
{
	static uint8_t out[DNS_TCP_MAX], again[DNS_TCP_MAX];
	enum dns_transport transport = fuzz_transport(data, size);
	unsigned calls = 0;
	struct dns_query q;
	int len, len2;

	if (!fuzz_matching_query(data, size, &q))
		return;

	len = dns_response_rewrite(data, size, &q, transport, fuzz_filter,
				   &calls, out, sizeof(out));
	if (len < 0)
		return;
	FUZZ_CHECK(len >= DNS_HEADER_LEN);
	FUZZ_CHECK(transport == DNS_TRANSPORT_TCP || len <= DNS_UDP_MAX_EDNS);

	len2 = dns_response_rewrite(out, (size_t)len, &q, transport, NULL, NULL,
				    again, sizeof(again));
	FUZZ_CHECK(len2 == len);
	FUZZ_CHECK(!memcmp(out, again, (size_t)len));
}

static void fuzz_tcp_frame(const uint8_t *data, size_t size)
{
	const uint8_t *msg;
	size_t msg_len;
	ssize_t used;

	used = dns_tcp_frame_get(data, size, &msg, &msg_len);
	if (used > 0)
		FUZZ_CHECK((size_t)used == msg_len + 2 && (size_t)used <= size);
}

/**
 * LLVMFuzzerTestOneInput() - libFuzzer entry point
 * @data:	one input, used as a query and as an upstream response
 * @size:	bytes in @data
 *
 * Return: 0, as libFuzzer requires
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_query(data, size);
	fuzz_rewrite(data, size);
	fuzz_tcp_frame(data, size);
	return 0;
}
