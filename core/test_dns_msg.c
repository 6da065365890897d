// SPDX-License-Identifier: MIT
/* test_dns_msg.c - unit tests of the DNS codec (dns_msg.c, dns_rewrite.c) */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_msg.h"
#include "unit.h"

/* A message under construction; tests never build more than a few KiB */
struct msg {
	uint8_t b[8192];
	size_t len;
};

static void msg_u8(struct msg *m, unsigned v)
{
	m->b[m->len++] = (uint8_t)v;
}

static void msg_u16(struct msg *m, unsigned v)
{
	msg_u8(m, v >> 8);
	msg_u8(m, v & 0xff);
}

static void msg_u32(struct msg *m, uint32_t v)
{
	msg_u16(m, v >> 16);
	msg_u16(m, v & 0xffff);
}

static void msg_bytes(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void msg_fill(struct msg *m, uint8_t byte, size_t n)
{
	memset(m->b + m->len, byte, n);
	m->len += n;
}

/* Append "a.b" as uncompressed labels and the root label; "" is the root */
static void msg_name(struct msg *m, const char *dotted)
{
	const char *p = dotted;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		msg_u8(m, (unsigned)n);
		msg_bytes(m, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	msg_u8(m, 0);
}

static void msg_ptr(struct msg *m, unsigned offset)
{
	msg_u16(m, 0xc000 | offset);
}

static void msg_header(struct msg *m, unsigned id, unsigned flags, unsigned qd,
		       unsigned an, unsigned ns, unsigned ar)
{
	m->len = 0;
	msg_u16(m, id);
	msg_u16(m, flags);
	msg_u16(m, qd);
	msg_u16(m, an);
	msg_u16(m, ns);
	msg_u16(m, ar);
}

static void msg_set_u16(struct msg *m, size_t at, unsigned v)
{
	m->b[at] = (uint8_t)(v >> 8);
	m->b[at + 1] = (uint8_t)v;
}

/* A guest query with RD set, one question and no other records */
static void msg_query(struct msg *m, const char *name, unsigned type,
		      unsigned qclass)
{
	msg_header(m, 0x1234, DNS_FLAG_RD, 1, 0, 0, 0);
	msg_name(m, name);
	msg_u16(m, type);
	msg_u16(m, qclass);
}

/* Append an OPT record; @flags contains the DO bit (0x8000) */
static void msg_opt(struct msg *m, unsigned udp_size, unsigned version,
		    unsigned flags)
{
	msg_u8(m, 0);
	msg_u16(m, DNS_TYPE_OPT);
	msg_u16(m, udp_size);
	msg_u32(m, (uint32_t)version << 16 | flags);
	msg_u16(m, 0);
}

/* Append a record header with a compression pointer as the owner; the
 * caller appends rdlen bytes of rdata */
static void msg_rr_ptr(struct msg *m, unsigned owner, unsigned type,
		       uint32_t ttl, unsigned rdlen)
{
	msg_ptr(m, owner);
	msg_u16(m, type);
	msg_u16(m, DNS_CLASS_IN);
	msg_u32(m, ttl);
	msg_u16(m, rdlen);
}

/* Parse a message from a heap copy of exactly its size, for ASan */
static enum dns_parse_status parse_exact(const uint8_t *data, size_t len,
					 struct dns_query *q)
{
	uint8_t *copy = calloc(1, len ? len : 1);
	enum dns_parse_status status;

	if (!copy)
		abort();
	if (len)
		memcpy(copy, data, len);
	status = dns_query_parse(copy, len, q);
	free(copy);
	return status;
}

static enum dns_parse_status parse_msg(const struct msg *m, struct dns_query *q)
{
	return parse_exact(m->b, m->len, q);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/**
 * struct walked_rr - a record located in a message by walk_records()
 * @owner:	offset of the owner name
 * @type:	record type
 * @rclass:	record class
 * @ttl:	time to live
 * @rdata:	offset of the rdata
 * @rdlen:	rdata length
 */
struct walked_rr {
	size_t owner;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	size_t rdata;
	uint16_t rdlen;
};

/* Skip a name in a message the codec wrote, without following pointers */
static size_t walk_name(const uint8_t *m, size_t pos)
{
	while (m[pos]) {
		if ((m[pos] & 0xc0) == 0xc0)
			return pos + 2;
		pos += (size_t)m[pos] + 1;
	}
	return pos + 1;
}

/* Locate every record after the question; returns how many were found */
static size_t walk_records(const uint8_t *m, size_t len, struct walked_rr *rr,
			   size_t max)
{
	size_t pos = DNS_HEADER_LEN, total, i;

	total = (size_t)get16(m + 6) + get16(m + 8) + get16(m + 10);
	for (i = 0; i < get16(m + 4); i++)
		pos = walk_name(m, pos) + 4;

	for (i = 0; i < total && i < max && pos < len; i++) {
		rr[i].owner = pos;
		pos = walk_name(m, pos);
		rr[i].type = get16(m + pos);
		rr[i].rclass = get16(m + pos + 2);
		rr[i].ttl = get32(m + pos + 4);
		rr[i].rdlen = get16(m + pos + 8);
		rr[i].rdata = pos + 10;
		pos += 10 + rr[i].rdlen;
	}
	return pos == len ? i : (size_t)-1;
}

/* Expand a name at @pos of a message into dotted text, following pointers */
static const char *expand_name(const uint8_t *m, size_t pos, char *text)
{
	size_t out = 0;
	int jumps = 0;

	while (m[pos] && jumps < 20) {
		if ((m[pos] & 0xc0) == 0xc0) {
			pos = (size_t)(m[pos] & 0x3f) << 8 | m[pos + 1];
			jumps++;
			continue;
		}
		if (out)
			text[out++] = '.';
		memcpy(text + out, m + pos + 1, m[pos]);
		out += m[pos];
		pos += (size_t)m[pos] + 1;
	}
	text[out] = '\0';
	return text;
}

static void query_parse_plain_a(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);
	CHECK_INT(q.id, 0x1234);
	CHECK_INT(q.flags, DNS_FLAG_RD);
	CHECK(q.has_question);
	CHECK_STR(q.name, "example.com");
	CHECK_INT(q.qtype, DNS_TYPE_A);
	CHECK_INT(q.qclass, DNS_CLASS_IN);
	CHECK_INT(q.qname_len, 13);
	CHECK_MEM(q.qname, "\7example\3com\0", 13);
	CHECK(!q.edns.present);
}

static void query_parse_lowercases_name(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "WwW.ExAmple.COM", DNS_TYPE_A, DNS_CLASS_IN);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);
	CHECK_STR(q.name, "www.example.com");
	CHECK_MEM(q.qname, "\3WwW\7ExAmple\3COM", 16);
}

static void query_parse_name_has_no_trailing_dot(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "a.b", DNS_TYPE_A, DNS_CLASS_IN);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);
	CHECK_STR(q.name, "a.b");
}

static void query_parse_root_name_is_empty(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "", DNS_TYPE_NS, DNS_CLASS_IN);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);
	CHECK_STR(q.name, "");
	CHECK_INT(q.qname_len, 1);
}

/* A query for example.com whose additional record has the given owner */
static void msg_query_with_extra_owner(struct msg *m, const uint8_t *owner,
				       size_t owner_len)
{
	msg_query(m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(m, 10, 1);
	msg_bytes(m, owner, owner_len);
	msg_u16(m, DNS_TYPE_TXT);
	msg_u16(m, DNS_CLASS_IN);
	msg_u32(m, 0);
	msg_u16(m, 0);
}

static void query_parse_pointer_to_earlier_name_accepted(void)
{
	const uint8_t owner[] = {0xc0, DNS_HEADER_LEN};
	struct dns_query q;
	struct msg m;

	msg_query_with_extra_owner(&m, owner, sizeof(owner));

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);
}

static void query_parse_rejects_pointer_to_itself(void)
{
	struct dns_query q;
	uint8_t owner[2];
	struct msg m;

	/* The owner starts right after the 29-byte header and question */
	owner[0] = 0xc0;
	owner[1] = 29;
	msg_query_with_extra_owner(&m, owner, sizeof(owner));

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

static void query_parse_rejects_pointer_into_own_name(void)
{
	struct dns_query q;
	uint8_t owner[4];
	struct msg m;

	/* "a" followed by a pointer back to the "a" label: a backward loop */
	owner[0] = 1;
	owner[1] = 'a';
	owner[2] = 0xc0;
	owner[3] = 29;
	msg_query_with_extra_owner(&m, owner, sizeof(owner));

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

static void query_parse_rejects_forward_pointer(void)
{
	struct dns_query q;
	uint8_t owner[2];
	struct msg m;

	/* Points at the type field that follows the owner */
	owner[0] = 0xc0;
	owner[1] = 31;
	msg_query_with_extra_owner(&m, owner, sizeof(owner));

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

static void query_parse_rejects_pointer_into_header(void)
{
	struct dns_query q;
	struct msg m;

	msg_header(&m, 1, 0, 1, 0, 0, 0);
	msg_ptr(&m, 2);
	msg_u16(&m, DNS_TYPE_A);
	msg_u16(&m, DNS_CLASS_IN);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
	CHECK(!q.has_question);
}

/* Question of three 63-byte labels and one of @last bytes */
static void msg_query_long_name(struct msg *m, size_t last)
{
	int i;

	msg_header(m, 7, 0, 1, 0, 0, 0);
	for (i = 0; i < 3; i++) {
		msg_u8(m, 63);
		msg_fill(m, 'a', 63);
	}
	msg_u8(m, (unsigned)last);
	msg_fill(m, 'b', last);
	msg_u8(m, 0);
	msg_u16(m, DNS_TYPE_A);
	msg_u16(m, DNS_CLASS_IN);
}

static void query_parse_name_of_255_bytes_accepted(void)
{
	struct dns_query q;
	struct msg m;

	msg_query_long_name(&m, 61);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);
	CHECK_INT(q.qname_len, 255);
	CHECK_INT(strlen(q.name), 253);
	CHECK_INT(q.name[252], 'b');
}

static void query_parse_name_of_256_bytes_rejected(void)
{
	struct dns_query q;
	struct msg m;

	msg_query_long_name(&m, 62);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
	CHECK(!q.has_question);
}

static void query_parse_label_of_63_bytes_accepted(void)
{
	struct dns_query q;
	struct msg m;

	msg_header(&m, 1, 0, 1, 0, 0, 0);
	msg_u8(&m, 63);
	msg_fill(&m, 'x', 63);
	msg_u8(&m, 0);
	msg_u16(&m, DNS_TYPE_A);
	msg_u16(&m, DNS_CLASS_IN);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);
	CHECK_INT(strlen(q.name), 63);
}

static void query_parse_label_of_64_bytes_rejected(void)
{
	struct dns_query q;
	struct msg m;

	/* A length byte of 64 has the label type bits 01 */
	msg_header(&m, 1, 0, 1, 0, 0, 0);
	msg_u8(&m, 64);
	msg_fill(&m, 'x', 64);
	msg_u8(&m, 0);
	msg_u16(&m, DNS_TYPE_A);
	msg_u16(&m, DNS_CLASS_IN);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

static void query_parse_rejects_label_type_10(void)
{
	struct dns_query q;
	struct msg m;

	msg_header(&m, 1, 0, 1, 0, 0, 0);
	msg_u8(&m, 0x81);
	msg_u8(&m, 'x');
	msg_u8(&m, 0);
	msg_u16(&m, DNS_TYPE_A);
	msg_u16(&m, DNS_CLASS_IN);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

/* Query for one label holding @label verbatim */
static enum dns_parse_status parse_single_label(const char *label, size_t n)
{
	struct dns_query q;
	struct msg m;

	msg_header(&m, 1, 0, 1, 0, 0, 0);
	msg_u8(&m, (unsigned)n);
	msg_bytes(&m, label, n);
	msg_u8(&m, 0);
	msg_u16(&m, DNS_TYPE_A);
	msg_u16(&m, DNS_CLASS_IN);
	return parse_msg(&m, &q);
}

static void query_parse_rejects_dot_in_label(void)
{
	CHECK_INT(parse_single_label("evil.com", 8), DNS_PARSE_FORMERR);
}

static void query_parse_rejects_unprintable_label_bytes(void)
{
	CHECK_INT(parse_single_label("a\0b", 3), DNS_PARSE_FORMERR);
	CHECK_INT(parse_single_label("a b", 3), DNS_PARSE_FORMERR);
	CHECK_INT(parse_single_label("a\nb", 3), DNS_PARSE_FORMERR);
	CHECK_INT(parse_single_label("a\\b", 3), DNS_PARSE_FORMERR);
	CHECK_INT(parse_single_label("a\x7f", 2), DNS_PARSE_FORMERR);
	CHECK_INT(parse_single_label("caf\xc3\xa9", 5), DNS_PARSE_FORMERR);
}

static void query_parse_accepts_underscore_and_star(void)
{
	CHECK_INT(parse_single_label("_sip", 4), DNS_PARSE_OK);
	CHECK_INT(parse_single_label("*", 1), DNS_PARSE_OK);
	CHECK_INT(parse_single_label("xn--caf-dma", 11), DNS_PARSE_OK);
}

static void query_parse_zero_questions_formerr(void)
{
	struct dns_query q;
	struct msg m;

	msg_header(&m, 0x4242, DNS_FLAG_RD, 0, 0, 0, 0);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
	CHECK_INT(q.id, 0x4242);
	CHECK(!q.has_question);
}

static void query_parse_two_questions_formerr(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "a.example", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 4, 2);
	msg_name(&m, "b.example");
	msg_u16(&m, DNS_TYPE_A);
	msg_u16(&m, DNS_CLASS_IN);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

static void query_parse_answer_record_formerr(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 6, 1);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_A, 60, 4);
	msg_u32(&m, 0xc0000201);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
	CHECK(q.has_question);
	CHECK_STR(q.name, "example.com");
}

static void query_parse_authority_record_formerr(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 8, 1);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_NS, 60, 2);
	msg_ptr(&m, DNS_HEADER_LEN);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

static void query_parse_trailing_bytes_formerr(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_u8(&m, 0);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

static void query_parse_every_prefix_fails(void)
{
	struct dns_query q;
	struct msg m;
	size_t len;

	msg_query(&m, "www.example.com", DNS_TYPE_AAAA, DNS_CLASS_IN);
	msg_set_u16(&m, 10, 1);
	msg_opt(&m, 4096, 0, 0x8000);
	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);

	for (len = 0; len < m.len; len++) {
		enum dns_parse_status status = parse_exact(m.b, len, &q);

		if (status == DNS_PARSE_OK)
			fprintf(stderr, "prefix of %zu bytes parsed\n", len);
		CHECK(status != DNS_PARSE_OK);
		CHECK_INT(status, len < 2 ? DNS_PARSE_DROP : DNS_PARSE_FORMERR);
	}
}

static void query_parse_unknown_type_and_class(void)
{
	char buf[DNS_MNEMONIC_SIZE];
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", 123, 5);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);
	CHECK_INT(q.qtype, 123);
	CHECK_INT(q.qclass, 5);
	CHECK_STR(dns_type_str(q.qtype, buf), "TYPE123");
	CHECK_STR(dns_class_str(q.qclass, buf), "CLASS5");
}

static void query_parse_response_dropped(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 2, DNS_FLAG_QR | DNS_FLAG_RD);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_DROP);
}

static void query_parse_short_messages(void)
{
	const uint8_t bytes[DNS_HEADER_LEN] = {0xab, 0xcd};
	struct dns_query q;
	size_t len;

	CHECK_INT(parse_exact(bytes, 0, &q), DNS_PARSE_DROP);
	CHECK_INT(parse_exact(bytes, 1, &q), DNS_PARSE_DROP);
	for (len = 2; len <= DNS_HEADER_LEN; len++) {
		CHECK_INT(parse_exact(bytes, len, &q), DNS_PARSE_FORMERR);
		CHECK_INT(q.id, 0xabcd);
	}
}

static void query_parse_opcode_notimp(void)
{
	struct dns_query q;
	struct msg m;

	/* Opcode 2 (STATUS) */
	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 2, 2 << 11);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_NOTIMP);
	CHECK(!q.has_question);
}

static void query_parse_qtype_opt_formerr(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_OPT, DNS_CLASS_IN);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

static void query_parse_reads_edns(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 10, 1);
	msg_opt(&m, 1400, 0, 0x8000);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);
	CHECK(q.edns.present);
	CHECK_INT(q.edns.udp_size, 1400);
	CHECK_INT(q.edns.version, 0);
	CHECK(q.edns.dnssec_ok);
}

static void query_parse_edns_without_do(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 10, 1);
	msg_opt(&m, 512, 0, 0);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);
	CHECK(q.edns.present);
	CHECK(!q.edns.dnssec_ok);
}

static void query_parse_edns_with_cookie_option(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 10, 1);
	msg_u8(&m, 0);
	msg_u16(&m, DNS_TYPE_OPT);
	msg_u16(&m, 1232);
	msg_u32(&m, 0);
	msg_u16(&m, 12);
	msg_u16(&m, 10); /* COOKIE */
	msg_u16(&m, 8);
	msg_fill(&m, 0x5a, 8);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);
	CHECK_INT(q.edns.udp_size, 1232);
}

static void query_parse_edns_option_overrun_formerr(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 10, 1);
	msg_u8(&m, 0);
	msg_u16(&m, DNS_TYPE_OPT);
	msg_u16(&m, 1232);
	msg_u32(&m, 0);
	msg_u16(&m, 6);
	msg_u16(&m, 10);
	msg_u16(&m, 8); /* claims 8 bytes, has 2 */
	msg_fill(&m, 0x5a, 2);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

static void query_parse_edns_version_1_badvers(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 10, 1);
	msg_opt(&m, 1232, 1, 0);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_BADVERS);
	CHECK(q.edns.present);
	CHECK_INT(q.edns.version, 1);
	CHECK(q.has_question);
}

static void query_parse_two_opt_records_formerr(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 10, 2);
	msg_opt(&m, 1232, 0, 0);
	msg_opt(&m, 1232, 0, 0);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

static void query_parse_opt_with_owner_formerr(void)
{
	struct dns_query q;
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 10, 1);
	msg_ptr(&m, DNS_HEADER_LEN);
	msg_u16(&m, DNS_TYPE_OPT);
	msg_u16(&m, 1232);
	msg_u32(&m, 0);
	msg_u16(&m, 0);

	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
}

/* Parse a guest query for @name, type A, optionally with EDNS */
static void parsed_query(struct dns_query *q, const char *name, bool edns,
			 unsigned udp_size)
{
	struct msg m;

	msg_query(&m, name, DNS_TYPE_A, DNS_CLASS_IN);
	if (edns) {
		msg_set_u16(&m, 10, 1);
		msg_opt(&m, udp_size, 0, 0);
	}
	if (dns_query_parse(m.b, m.len, q) != DNS_PARSE_OK)
		abort();
}

static void reply_with_a_records_bytes(void)
{
	/* clang-format off */
	static const uint8_t expected[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 1, 0, 1,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 0, 1,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 0, 2,
	};
	/* clang-format on */
	const uint8_t a1[4] = {198, 18, 0, 1}, a2[4] = {198, 18, 0, 2};
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[512];

	parsed_query(&q, "example.com", false, 0);

	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_RCODE_NOERROR),
		  0);
	CHECK_INT(dns_reply_add_a(&r, a1, 60), 0);
	CHECK_INT(dns_reply_add_a(&r, a2, 60), 0);
	CHECK_INT(dns_reply_finish(&r), sizeof(expected));
	CHECK_MEM(buf, expected, sizeof(expected));
}

/* Filter that stores each record it is called for and keeps it */
struct seen {
	int count;
	char owner[8][128];
	uint16_t type[8];
	uint8_t addr[8][16];
	uint32_t ttl[8];
	enum dns_section section[8];
};

static enum dns_addr_verdict record_and_keep(struct dns_addr_record *rec,
					     void *ctx)
{
	struct seen *s = ctx;

	if (s->count < 8) {
		snprintf(s->owner[s->count], sizeof(s->owner[0]), "%s",
			 rec->owner);
		s->type[s->count] = rec->type;
		memcpy(s->addr[s->count], rec->addr, rec->addr_len);
		s->ttl[s->count] = rec->ttl;
		s->section[s->count] = rec->section;
	}
	s->count++;
	return DNS_ADDR_KEEP;
}

static void reply_with_a_records_round_trip(void)
{
	const uint8_t a1[4] = {198, 18, 0, 7}, a2[4] = {198, 18, 0, 8};
	struct seen seen = {0};
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[512], out[512];
	int len;

	parsed_query(&q, "Host.Example", true, 1232);
	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_RCODE_NOERROR),
		  0);
	CHECK_INT(dns_reply_add_a(&r, a1, 30), 0);
	CHECK_INT(dns_reply_add_a(&r, a2, 40), 0);
	len = dns_reply_finish(&r);
	CHECK(len > 0);

	CHECK(dns_response_rewrite(buf, (size_t)len, &q, DNS_TRANSPORT_UDP,
				   record_and_keep, &seen, out,
				   sizeof(out)) > 0);
	CHECK_INT(seen.count, 2);
	CHECK_STR(seen.owner[0], "host.example");
	CHECK_MEM(seen.addr[0], a1, 4);
	CHECK_INT(seen.ttl[0], 30);
	CHECK_MEM(seen.addr[1], a2, 4);
	CHECK_INT(seen.ttl[1], 40);
}

static void reply_sets_tc_when_answers_overflow(void)
{
	const uint8_t addr[4] = {198, 18, 0, 1};
	struct walked_rr rr[64];
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[2048];
	int i, added = 0, len;

	parsed_query(&q, "example.com", false, 0);
	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_RCODE_NOERROR),
		  0);
	for (i = 0; i < 40; i++) {
		if (dns_reply_add_a(&r, addr, 60) == 0)
			added++;
	}
	len = dns_reply_finish(&r);

	/* 12 + 17 bytes of header and question, 16 bytes per answer */
	CHECK_INT(added, (512 - 29) / 16);
	CHECK(len <= 512);
	CHECK(get16(buf + 2) & DNS_FLAG_TC);
	CHECK_INT(get16(buf + 6), added);
	CHECK_INT(walk_records(buf, (size_t)len, rr, 64), added);
}

static void reply_refuses_records_after_overflow(void)
{
	const uint8_t big[400] = {0}, addr[4] = {198, 18, 0, 1};
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[512];

	parsed_query(&q, "example.com", false, 0);
	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_RCODE_NOERROR),
		  0);
	CHECK_INT(dns_reply_add_rr(&r, DNS_TYPE_TXT, 60, big, sizeof(big)), 0);
	CHECK_INT(dns_reply_add_rr(&r, DNS_TYPE_TXT, 60, big, sizeof(big)),
		  -EMSGSIZE);

	/* A small record would fit, but must not follow a dropped one */
	CHECK_INT(dns_reply_add_a(&r, addr, 60), -EMSGSIZE);
	CHECK(dns_reply_finish(&r) > 0);
	CHECK_INT(get16(buf + 6), 1);
}

/* Answers that fit for a query with EDNS @udp_size over @transport */
static int answers_that_fit(unsigned udp_size, size_t buf_size,
			    enum dns_transport transport, int *len)
{
	const uint8_t addr[4] = {198, 18, 0, 1};
	static uint8_t buf[70000];
	struct dns_reply r;
	struct dns_query q;
	int added = 0;

	parsed_query(&q, "example.com", udp_size != 0, udp_size);
	if (dns_reply_init(&r, buf, buf_size, &q, transport, DNS_RCODE_NOERROR))
		return -1;
	while (dns_reply_add_a(&r, addr, 60) == 0)
		added++;
	*len = dns_reply_finish(&r);
	return added;
}

static void reply_limit_follows_edns_size(void)
{
	int len;

	/* 29 bytes of header and question, 11 of OPT, 16 per answer */
	CHECK_INT(answers_that_fit(1000, 4096, DNS_TRANSPORT_UDP, &len),
		  (1000 - 40) / 16);
	CHECK(len <= 1000);
}

static void reply_limit_caps_edns_size_at_1232(void)
{
	int len;

	CHECK_INT(answers_that_fit(65535, 4096, DNS_TRANSPORT_UDP, &len),
		  (1232 - 40) / 16);
	CHECK(len <= 1232);
}

static void reply_limit_raises_small_edns_size_to_512(void)
{
	int len;

	CHECK_INT(answers_that_fit(100, 4096, DNS_TRANSPORT_UDP, &len),
		  (512 - 40) / 16);
}

static void reply_limit_capped_by_buffer(void)
{
	int len;

	CHECK_INT(answers_that_fit(1232, 300, DNS_TRANSPORT_UDP, &len),
		  (300 - 40) / 16);
	CHECK(len <= 300);
}

static void reply_limit_over_tcp_is_65535(void)
{
	int len;

	CHECK_INT(answers_that_fit(0, 70000, DNS_TRANSPORT_TCP, &len),
		  (65535 - 29) / 16);
	CHECK(len <= 65535);
}

static void reply_init_rejects_tiny_buffer(void)
{
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[64];

	parsed_query(&q, "example.com", true, 1232);

	/* 29 bytes of header and question and 11 of OPT do not fit in 39 */
	CHECK_INT(dns_reply_init(&r, buf, 39, &q, DNS_TRANSPORT_UDP, 0),
		  -ENOBUFS);
	CHECK_INT(dns_reply_init(&r, buf, 40, &q, DNS_TRANSPORT_UDP, 0), 0);
}

static void reply_echoes_opt_and_do_bit(void)
{
	struct walked_rr rr[4];
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[512];
	struct msg m;
	int len;

	msg_query(&m, "example.com", DNS_TYPE_AAAA, DNS_CLASS_IN);
	msg_set_u16(&m, 10, 1);
	msg_opt(&m, 4096, 0, 0x8000);
	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);

	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_RCODE_NOERROR),
		  0);
	len = dns_reply_finish(&r);

	CHECK_INT(get16(buf + 10), 1);
	CHECK_INT(walk_records(buf, (size_t)len, rr, 4), 1);
	CHECK_INT(buf[rr[0].owner], 0);
	CHECK_INT(rr[0].type, DNS_TYPE_OPT);
	CHECK_INT(rr[0].rclass, DNS_UDP_MAX_EDNS);
	CHECK_INT(rr[0].ttl, 0x8000);
	CHECK_INT(rr[0].rdlen, 0);
}

static void reply_badvers_sets_extended_rcode(void)
{
	struct walked_rr rr[4];
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[512];
	struct msg m;
	int len;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 10, 1);
	msg_opt(&m, 1232, 3, 0);
	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_BADVERS);

	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_PARSE_BADVERS),
		  0);
	len = dns_reply_finish(&r);

	/* BADVERS is 16: 0 in the header, 1 in the OPT extended rcode */
	CHECK_INT(get16(buf + 2) & DNS_FLAG_RCODE, 0);
	CHECK_INT(walk_records(buf, (size_t)len, rr, 4), 1);
	CHECK_INT(rr[0].type, DNS_TYPE_OPT);
	CHECK_INT(rr[0].ttl >> 24, 1);
	CHECK_INT((rr[0].ttl >> 16) & 0xff, 0);
}

static void reply_extended_rcode_needs_opt(void)
{
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[512];

	parsed_query(&q, "example.com", false, 0);

	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_RCODE_BADVERS),
		  -EINVAL);
}

static void reply_formerr_for_bad_opt_has_opt(void)
{
	struct walked_rr rr[4];
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[512];
	struct msg m;
	int len;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 10, 1);
	msg_u8(&m, 0);
	msg_u16(&m, DNS_TYPE_OPT);
	msg_u16(&m, 1232);
	msg_u32(&m, 0);
	msg_u16(&m, 2);
	msg_u16(&m, 10); /* an option code without its length */
	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);
	CHECK(q.edns.present);

	/* RFC 6891: a FORMERR caused by the OPT record carries an OPT record */
	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_PARSE_FORMERR),
		  0);
	len = dns_reply_finish(&r);
	CHECK_INT(get16(buf + 2) & DNS_FLAG_RCODE, DNS_RCODE_FORMERR);
	CHECK_INT(walk_records(buf, (size_t)len, rr, 4), 1);
	CHECK_INT(rr[0].type, DNS_TYPE_OPT);
}

static void reply_nodata_has_no_answers(void)
{
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[512];
	struct msg m;
	int len;

	msg_query(&m, "example.com", DNS_TYPE_AAAA, DNS_CLASS_IN);
	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);

	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_RCODE_NOERROR),
		  0);
	len = dns_reply_finish(&r);

	CHECK_INT(len, m.len);
	CHECK_INT(get16(buf + 2), DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA);
	CHECK_INT(get16(buf + 4), 1);
	CHECK_INT(get16(buf + 6), 0);
	CHECK_MEM(buf + DNS_HEADER_LEN, m.b + DNS_HEADER_LEN,
		  m.len - DNS_HEADER_LEN);
}

static void reply_nxdomain_sets_rcode(void)
{
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[512];

	parsed_query(&q, "blocked.example", false, 0);
	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_RCODE_NXDOMAIN),
		  0);
	CHECK(dns_reply_finish(&r) > 0);

	CHECK_INT(get16(buf + 2) & DNS_FLAG_RCODE, DNS_RCODE_NXDOMAIN);
}

static void reply_formerr_without_question(void)
{
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[512];
	struct msg m;

	msg_header(&m, 0x5151, DNS_FLAG_RD, 0, 0, 0, 0);
	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_FORMERR);

	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_PARSE_FORMERR),
		  0);
	CHECK_INT(dns_reply_finish(&r), DNS_HEADER_LEN);
	CHECK_INT(get16(buf), 0x5151);
	CHECK_INT(get16(buf + 2),
		  DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA | DNS_RCODE_FORMERR);
	CHECK_INT(get16(buf + 4), 0);
	CHECK_INT(dns_reply_add_a(&r, (const uint8_t *)"\1\2\3\4", 1), -EINVAL);
}

static void reply_notimp_echoes_opcode(void)
{
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[512];
	struct msg m;

	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);
	msg_set_u16(&m, 2, 5 << 11); /* UPDATE */
	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_NOTIMP);

	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_PARSE_NOTIMP),
		  0);
	CHECK_INT(dns_reply_finish(&r), DNS_HEADER_LEN);
	CHECK_INT(get16(buf + 2),
		  DNS_FLAG_QR | 5 << 11 | DNS_FLAG_RA | DNS_RCODE_NOTIMP);
}

static void reply_adds_raw_txt_record(void)
{
	static const uint8_t txt[] = {5, 'h', 'e', 'l', 'l', 'o'};
	struct walked_rr rr[4];
	struct dns_reply r;
	struct dns_query q;
	uint8_t buf[512];
	struct msg m;
	int len;

	msg_query(&m, "example.com", DNS_TYPE_TXT, DNS_CLASS_ANY);
	CHECK_INT(parse_msg(&m, &q), DNS_PARSE_OK);
	CHECK_INT(dns_reply_init(&r, buf, sizeof(buf), &q, DNS_TRANSPORT_UDP,
				 DNS_RCODE_NOERROR),
		  0);
	CHECK_INT(dns_reply_add_rr(&r, DNS_TYPE_TXT, 300, txt, sizeof(txt)), 0);
	len = dns_reply_finish(&r);

	CHECK_INT(walk_records(buf, (size_t)len, rr, 4), 1);
	CHECK_INT(get16(buf + rr[0].owner), 0xc000 | DNS_HEADER_LEN);
	CHECK_INT(rr[0].type, DNS_TYPE_TXT);
	CHECK_INT(rr[0].rclass, DNS_CLASS_IN);
	CHECK_INT(rr[0].ttl, 300);
	CHECK_INT(rr[0].rdlen, sizeof(txt));
	CHECK_MEM(buf + rr[0].rdata, txt, sizeof(txt));
}

static void query_write_plain(void)
{
	/* clang-format off */
	static const uint8_t expected[] = {
		0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
		0, 16, 0, 1,
	};
	/* clang-format on */
	uint8_t buf[512];

	CHECK_INT(dns_query_write(buf, sizeof(buf), 0xbeef, "www.example",
				  DNS_TYPE_TXT, DNS_CLASS_IN, 0),
		  sizeof(expected));
	CHECK_MEM(buf, expected, sizeof(expected));
}

static void query_write_with_opt_parses_back(void)
{
	struct dns_query q;
	uint8_t buf[512];
	int len;

	len = dns_query_write(buf, sizeof(buf), 7, "mail.example.org.",
			      DNS_TYPE_MX, DNS_CLASS_IN, 1232);
	CHECK(len > 0);

	CHECK_INT(get16(buf + 2), DNS_FLAG_RD);
	CHECK_INT(get16(buf + 10), 1);
	CHECK_INT(dns_query_parse(buf, (size_t)len, &q), DNS_PARSE_OK);
	CHECK_STR(q.name, "mail.example.org");
	CHECK_INT(q.qtype, DNS_TYPE_MX);
	CHECK(q.edns.present);
	CHECK_INT(q.edns.udp_size, 1232);
	CHECK(!q.edns.dnssec_ok);
}

static void query_write_rejects_bad_names(void)
{
	char name[300];
	uint8_t buf[512];
	int i;

	CHECK_INT(dns_query_write(buf, sizeof(buf), 1, "a..b", 1, 1, 0),
		  -EINVAL);
	CHECK_INT(dns_query_write(buf, sizeof(buf), 1, ".a", 1, 1, 0), -EINVAL);
	CHECK_INT(dns_query_write(buf, sizeof(buf), 1, "a b", 1, 1, 0),
		  -EINVAL);

	/* 3 labels of 63 and one of 61: 253 characters, 255 bytes of wire */
	memset(name, 'a', sizeof(name));
	for (i = 63; i < 63 * 4; i += 64)
		name[i] = '.';
	name[253] = '\0';
	CHECK(dns_query_write(buf, sizeof(buf), 1, name, 1, 1, 0) > 0);
	name[253] = 'a';
	name[254] = '\0';
	CHECK_INT(dns_query_write(buf, sizeof(buf), 1, name, 1, 1, 0), -EINVAL);

	memset(name, 'a', 64);
	name[64] = '\0';
	CHECK_INT(dns_query_write(buf, sizeof(buf), 1, name, 1, 1, 0), -EINVAL);
	name[63] = '\0';
	CHECK(dns_query_write(buf, sizeof(buf), 1, name, 1, 1, 0) > 0);
}

static void query_write_root_and_small_buffer(void)
{
	uint8_t buf[64];

	CHECK_INT(dns_query_write(buf, sizeof(buf), 1, "", DNS_TYPE_NS, 1, 0),
		  DNS_HEADER_LEN + 5);
	CHECK_INT(dns_query_write(buf, sizeof(buf), 1, ".", DNS_TYPE_NS, 1, 0),
		  DNS_HEADER_LEN + 5);
	CHECK_INT(buf[DNS_HEADER_LEN], 0);
	CHECK_INT(dns_query_write(buf, 20, 1, "example.com", 1, 1, 0),
		  -ENOBUFS);
}

/* Start an upstream response to the query for @name, type @type */
static void msg_response(struct msg *m, const char *name, unsigned type,
			 unsigned an, unsigned ns, unsigned ar)
{
	msg_header(m, 0x9999,
		   DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA | DNS_FLAG_AA |
		       DNS_FLAG_AD,
		   1, an, ns, ar);
	msg_name(m, name);
	msg_u16(m, type);
	msg_u16(m, DNS_CLASS_IN);
}

/* Parse the guest query that matches msg_response() */
static void guest_query(struct dns_query *q, const char *name, unsigned type,
			bool edns)
{
	struct msg m;

	msg_query(&m, name, type, DNS_CLASS_IN);
	if (edns) {
		msg_set_u16(&m, 10, 1);
		msg_opt(&m, 1232, 0, 0);
	}
	if (dns_query_parse(m.b, m.len, q) != DNS_PARSE_OK)
		abort();
}

/* Keep x.x.x.1, drop x.x.x.2, replace x.x.x.3 by 198.18.0.3 with TTL 5 */
static enum dns_addr_verdict filter_by_last_byte(struct dns_addr_record *rec,
						 void *ctx)
{
	static const uint8_t synthetic[4] = {198, 18, 0, 3};
	int *calls = ctx;

	(*calls)++;
	if (rec->type != DNS_TYPE_A)
		return DNS_ADDR_DROP;
	switch (rec->addr[3]) {
	case 1:
		return DNS_ADDR_KEEP;
	case 3:
		memcpy(rec->addr, synthetic, 4);
		rec->ttl = 5;
		return DNS_ADDR_REPLACE;
	default:
		return DNS_ADDR_DROP;
	}
}

static void rewrite_keeps_drops_and_replaces_a(void)
{
	struct walked_rr rr[8];
	struct dns_query q;
	uint8_t out[512];
	int calls = 0, len;
	struct msg m;

	guest_query(&q, "example.com", DNS_TYPE_A, false);
	msg_response(&m, "example.com", DNS_TYPE_A, 3, 0, 0);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_A, 100, 4);
	msg_u32(&m, 0xc0000201); /* 192.0.2.1 */
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_A, 100, 4);
	msg_u32(&m, 0xc0000202);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_A, 100, 4);
	msg_u32(&m, 0xc0000203);

	len =
	    dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP,
				 filter_by_last_byte, &calls, out, sizeof(out));
	CHECK(len > 0);
	CHECK_INT(calls, 3);
	CHECK_INT(get16(out), 0x1234);
	CHECK_INT(get16(out + 6), 2);
	CHECK_INT(walk_records(out, (size_t)len, rr, 8), 2);
	CHECK_INT(rr[0].ttl, 100);
	CHECK_INT(get32(out + rr[0].rdata), 0xc0000201);
	CHECK_INT(rr[1].ttl, 5);
	CHECK_INT(get32(out + rr[1].rdata), 0xc6120003);
	CHECK_INT(get16(out + rr[1].owner), 0xc000 | DNS_HEADER_LEN);
}

/* Overwrite the address, then return the verdict passed in @ctx */
static enum dns_addr_verdict scribble_and_return(struct dns_addr_record *rec,
						 void *ctx)
{
	memset(rec->addr, 0xee, rec->addr_len);
	rec->ttl = 7;
	return *(enum dns_addr_verdict *)ctx;
}

static void rewrite_keep_ignores_filter_address(void)
{
	enum dns_addr_verdict verdict = DNS_ADDR_KEEP;
	struct walked_rr rr[4];
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	int len;

	guest_query(&q, "example.com", DNS_TYPE_A, false);
	msg_response(&m, "example.com", DNS_TYPE_A, 1, 0, 0);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_A, 100, 4);
	msg_u32(&m, 0xc0000201);

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP,
				   scribble_and_return, &verdict, out,
				   sizeof(out));
	CHECK_INT(walk_records(out, (size_t)len, rr, 4), 1);
	CHECK_INT(get32(out + rr[0].rdata), 0xc0000201);

	/* The filter may change the TTL of a kept record */
	CHECK_INT(rr[0].ttl, 7);
}

static void rewrite_unknown_verdict_drops(void)
{
	enum dns_addr_verdict verdict = (enum dns_addr_verdict)42;
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	int len;

	guest_query(&q, "example.com", DNS_TYPE_A, false);
	msg_response(&m, "example.com", DNS_TYPE_A, 1, 0, 0);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_A, 100, 4);
	msg_u32(&m, 0xc0000201);

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP,
				   scribble_and_return, &verdict, out,
				   sizeof(out));
	CHECK_INT(len, 29);
	CHECK_INT(get16(out + 6), 0);
}

static void rewrite_rejects_owner_of_256_bytes(void)
{
	struct dns_query q;
	uint8_t out[1024];
	struct msg m;
	int i;

	/* An additional record owned by 63+63+63+62 bytes of labels */
	guest_query(&q, "example.com", DNS_TYPE_A, false);
	msg_response(&m, "example.com", DNS_TYPE_A, 0, 0, 1);
	for (i = 0; i < 3; i++) {
		msg_u8(&m, 63);
		msg_fill(&m, 'a', 63);
	}
	msg_u8(&m, 62);
	msg_fill(&m, 'b', 62);
	msg_u8(&m, 0);
	msg_u16(&m, DNS_TYPE_TXT);
	msg_u16(&m, DNS_CLASS_IN);
	msg_u32(&m, 60);
	msg_u16(&m, 0);

	CHECK_INT(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				       NULL, out, sizeof(out)),
		  -EBADMSG);

	/* One byte shorter, the name is valid */
	m.b[DNS_HEADER_LEN + 17 + 192] = 61;
	memmove(m.b + DNS_HEADER_LEN + 17 + 193,
		m.b + DNS_HEADER_LEN + 17 + 194,
		m.len - (DNS_HEADER_LEN + 17 + 194));
	m.len--;
	CHECK(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out)) > 0);
}

static void rewrite_sets_reply_flags(void)
{
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	int len;

	guest_query(&q, "example.com", DNS_TYPE_A, false);
	msg_response(&m, "example.com", DNS_TYPE_A, 0, 0, 0);
	msg_set_u16(&m, 2, get16(m.b + 2) | DNS_RCODE_NXDOMAIN);

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out));
	CHECK_INT(len, m.len);

	/* AA and AD from upstream are cleared, the rcode is kept */
	CHECK_INT(get16(out + 2),
		  DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA | DNS_RCODE_NXDOMAIN);
}

static void rewrite_decompresses_cname_target(void)
{
	char text[300];
	struct walked_rr rr[8];
	struct seen seen = {0};
	struct dns_query q;
	uint8_t out[512];
	size_t target_at;
	struct msg m;
	int len;

	/*
	 * www.example.com CNAME edge.example.com, whose "example.com" is a
	 * pointer to offset 16 of the question; then edge.example.com A.
	 */
	guest_query(&q, "www.example.com", DNS_TYPE_A, false);
	msg_response(&m, "www.example.com", DNS_TYPE_A, 2, 0, 0);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_CNAME, 300, 7);
	target_at = m.len;
	msg_u8(&m, 4);
	msg_bytes(&m, "edge", 4);
	msg_ptr(&m, 16);
	msg_rr_ptr(&m, (unsigned)target_at, DNS_TYPE_A, 60, 4);
	msg_u32(&m, 0xcb007101);

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP,
				   record_and_keep, &seen, out, sizeof(out));
	CHECK(len > 0);
	CHECK_INT(walk_records(out, (size_t)len, rr, 8), 2);
	CHECK_INT(rr[0].type, DNS_TYPE_CNAME);
	CHECK_INT(rr[0].rdlen, 18);
	CHECK_MEM(out + rr[0].rdata, "\4edge\7example\3com", 18);
	CHECK_STR(expand_name(out, rr[1].owner, text), "edge.example.com");
	CHECK_INT(seen.count, 1);
	CHECK_STR(seen.owner[0], "edge.example.com");
}

static void rewrite_decompresses_mx_and_soa(void)
{
	char text[300];
	struct walked_rr rr[8];
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	int len;

	/* MX 10 mx.<question>, then SOA ns.<q> hostmaster.<q> in authority */
	guest_query(&q, "example.org", DNS_TYPE_MX, false);
	msg_response(&m, "example.org", DNS_TYPE_MX, 1, 1, 0);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_MX, 60, 7);
	msg_u16(&m, 10);
	msg_u8(&m, 2);
	msg_bytes(&m, "mx", 2);
	msg_ptr(&m, DNS_HEADER_LEN);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_SOA, 60, 5 + 13 + 20);
	msg_u8(&m, 2);
	msg_bytes(&m, "ns", 2);
	msg_ptr(&m, DNS_HEADER_LEN);
	msg_u8(&m, 10);
	msg_bytes(&m, "hostmaster", 10);
	msg_ptr(&m, DNS_HEADER_LEN);
	msg_u32(&m, 2024010101);
	msg_u32(&m, 7200);
	msg_u32(&m, 3600);
	msg_u32(&m, 1209600);
	msg_u32(&m, 300);

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out));
	CHECK(len > 0);
	CHECK_INT(get16(out + 6), 1);
	CHECK_INT(get16(out + 8), 1);
	CHECK_INT(walk_records(out, (size_t)len, rr, 8), 2);

	CHECK_INT(get16(out + rr[0].rdata), 10);
	CHECK_STR(expand_name(out, rr[0].rdata + 2, text), "mx.example.org");

	CHECK_INT(rr[1].type, DNS_TYPE_SOA);
	CHECK_STR(expand_name(out, rr[1].rdata, text), "ns.example.org");
	CHECK_STR(expand_name(out, walk_name(out, rr[1].rdata), text),
		  "hostmaster.example.org");
	CHECK_INT(get32(out + rr[1].rdata + rr[1].rdlen - 4), 300);
	CHECK_INT(get32(out + rr[1].rdata + rr[1].rdlen - 20), 2024010101);
}

static void rewrite_writes_srv_target_uncompressed(void)
{
	struct walked_rr rr[4];
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	int len;

	guest_query(&q, "_sip._tcp.example.com", DNS_TYPE_SRV, false);
	msg_response(&m, "_sip._tcp.example.com", DNS_TYPE_SRV, 1, 0, 0);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_SRV, 60, 6 + 6);
	msg_u16(&m, 1);
	msg_u16(&m, 2);
	msg_u16(&m, 5060);
	msg_u8(&m, 3);
	msg_bytes(&m, "sip", 3);
	msg_ptr(&m, DNS_HEADER_LEN + 10); /* example.com in the question */

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out));
	CHECK(len > 0);
	CHECK_INT(walk_records(out, (size_t)len, rr, 4), 1);
	CHECK_INT(rr[0].rdlen, 6 + 17);
	CHECK_MEM(out + rr[0].rdata, "\0\1\0\2\x13\xc4\3sip\7example\3com\0",
		  6 + 17);
}

/* Append an HTTPS RR at @owner with priority 1, target "." and @params */
static void msg_https(struct msg *m, unsigned owner, const uint8_t *params,
		      size_t params_len)
{
	msg_rr_ptr(m, owner, DNS_TYPE_HTTPS, 300, 3 + (unsigned)params_len);
	msg_u16(m, 1);
	msg_u8(m, 0);
	msg_bytes(m, params, params_len);
}

static void rewrite_strips_https_hints_and_keeps_alpn(void)
{
	/* clang-format off */
	static const uint8_t params[] = {
		0, 1, 0, 3, 2, 'h', '2',		/* alpn=h2 */
		0, 3, 0, 2, 0x01, 0xbb,			/* port=443 */
		0, 4, 0, 4, 192, 0, 2, 1,		/* ipv4hint */
		0, 5, 0, 3, 'e', 'c', 'h',		/* ech */
		0, 6, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 1,			/* ipv6hint */
	};
	static const uint8_t expected[] = {
		0, 1, 0,
		0, 1, 0, 3, 2, 'h', '2',
		0, 3, 0, 2, 0x01, 0xbb,
	};
	/* clang-format on */
	struct walked_rr rr[4];
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	int len;

	guest_query(&q, "example.com", DNS_TYPE_HTTPS, false);
	msg_response(&m, "example.com", DNS_TYPE_HTTPS, 1, 0, 0);
	msg_https(&m, DNS_HEADER_LEN, params, sizeof(params));

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out));
	CHECK(len > 0);
	CHECK_INT(walk_records(out, (size_t)len, rr, 4), 1);
	CHECK_INT(rr[0].type, DNS_TYPE_HTTPS);
	CHECK_INT(rr[0].rdlen, sizeof(expected));
	CHECK_MEM(out + rr[0].rdata, expected, sizeof(expected));
}

static void rewrite_drops_https_with_mandatory_ech(void)
{
	/* clang-format off */
	static const uint8_t params[] = {
		0, 0, 0, 2, 0, 5,		/* mandatory=ech */
		0, 1, 0, 3, 2, 'h', '2',	/* alpn=h2 */
		0, 5, 0, 3, 'e', 'c', 'h',	/* ech */
	};
	/* clang-format on */
	static const uint8_t plain[] = {0, 1, 0, 3, 2, 'h', '3'};
	struct walked_rr rr[4];
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	int len;

	guest_query(&q, "example.com", DNS_TYPE_HTTPS, false);
	msg_response(&m, "example.com", DNS_TYPE_HTTPS, 2, 0, 0);
	msg_https(&m, DNS_HEADER_LEN, params, sizeof(params));
	msg_https(&m, DNS_HEADER_LEN, plain, sizeof(plain));

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out));
	CHECK(len > 0);
	CHECK_INT(walk_records(out, (size_t)len, rr, 4), 1);
	CHECK_INT(rr[0].rdlen, 3 + sizeof(plain));
	CHECK_MEM(out + rr[0].rdata + 3, plain, sizeof(plain));
}

static void rewrite_rejects_svcb_keys_out_of_order(void)
{
	/* clang-format off */
	static const uint8_t params[] = {
		0, 3, 0, 2, 0x01, 0xbb,		/* port */
		0, 1, 0, 3, 2, 'h', '2',	/* alpn after port */
	};
	/* clang-format on */
	struct dns_query q;
	uint8_t out[512];
	struct msg m;

	guest_query(&q, "example.com", DNS_TYPE_HTTPS, false);
	msg_response(&m, "example.com", DNS_TYPE_HTTPS, 1, 0, 0);
	msg_https(&m, DNS_HEADER_LEN, params, sizeof(params));

	CHECK_INT(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				       NULL, out, sizeof(out)),
		  -EBADMSG);
}

static void rewrite_copies_unknown_type_verbatim(void)
{
	static const uint8_t rdata[] = {0xc0, 0x0c, 1, 2, 3};
	struct walked_rr rr[4];
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	int len;

	/* Bytes that look like a pointer are data in an unknown type */
	guest_query(&q, "example.com", 4242, false);
	msg_response(&m, "example.com", 4242, 1, 0, 0);
	msg_rr_ptr(&m, DNS_HEADER_LEN, 4242, 60, sizeof(rdata));
	msg_bytes(&m, rdata, sizeof(rdata));

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out));
	CHECK(len > 0);
	CHECK_INT(walk_records(out, (size_t)len, rr, 4), 1);
	CHECK_INT(rr[0].type, 4242);
	CHECK_INT(rr[0].rdlen, sizeof(rdata));
	CHECK_MEM(out + rr[0].rdata, rdata, sizeof(rdata));
}

/* A response with a CNAME, an A record, an NS and an OPT record */
static void msg_full_response(struct msg *m)
{
	msg_response(m, "www.example.com", DNS_TYPE_A, 2, 1, 1);
	msg_rr_ptr(m, DNS_HEADER_LEN, DNS_TYPE_CNAME, 300, 7);
	msg_u8(m, 4);
	msg_bytes(m, "edge", 4);
	msg_ptr(m, 16);
	msg_rr_ptr(m, 45, DNS_TYPE_A, 60, 4);
	msg_u32(m, 0xcb007101);
	msg_rr_ptr(m, 16, DNS_TYPE_NS, 60, 5);
	msg_u8(m, 2);
	msg_bytes(m, "ns", 2);
	msg_ptr(m, 16);
	msg_opt(m, 1232, 0, 0);
}

static void rewrite_every_prefix_fails(void)
{
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	size_t len;

	guest_query(&q, "www.example.com", DNS_TYPE_A, true);
	msg_full_response(&m);
	CHECK(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out)) > 0);

	for (len = 0; len < m.len; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		int ret;

		memcpy(copy, m.b, len);
		ret = dns_response_rewrite(copy, len, &q, DNS_TRANSPORT_UDP,
					   NULL, NULL, out, sizeof(out));
		free(copy);
		if (ret >= 0)
			fprintf(stderr, "prefix of %zu bytes accepted\n", len);
		CHECK(ret < 0);
	}
}

static void rewrite_regenerates_opt(void)
{
	struct walked_rr rr[8];
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	int len;

	guest_query(&q, "www.example.com", DNS_TYPE_A, true);
	msg_full_response(&m);

	/* Upstream set DO in its OPT record: the guest asked without DO */
	m.b[m.len - 4] = 0x80;
	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out));
	CHECK(len > 0);
	CHECK_INT(walk_records(out, (size_t)len, rr, 8), 4);
	CHECK_INT(rr[3].type, DNS_TYPE_OPT);
	CHECK_INT(rr[3].ttl, 0);
	CHECK_INT(get16(out + 10), 1);

	/* Without EDNS from the guest, the reply has no OPT record */
	guest_query(&q, "www.example.com", DNS_TYPE_A, false);
	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out));
	CHECK(len > 0);
	CHECK_INT(get16(out + 10), 0);
	CHECK_INT(walk_records(out, (size_t)len, rr, 8), 3);
}

static void rewrite_rejects_other_question(void)
{
	struct dns_query q;
	uint8_t out[512];
	struct msg m;

	guest_query(&q, "www.example.com", DNS_TYPE_A, false);
	msg_response(&m, "www.example.net", DNS_TYPE_A, 0, 0, 0);
	CHECK_INT(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				       NULL, out, sizeof(out)),
		  -EPROTO);

	msg_response(&m, "www.example.com", DNS_TYPE_AAAA, 0, 0, 0);
	CHECK_INT(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				       NULL, out, sizeof(out)),
		  -EPROTO);

	/* The question matches without regard to case */
	msg_response(&m, "WWW.example.COM", DNS_TYPE_A, 0, 0, 0);
	CHECK(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out)) > 0);
}

static void rewrite_rejects_query_as_response(void)
{
	struct dns_query q;
	uint8_t out[512];
	struct msg m;

	guest_query(&q, "example.com", DNS_TYPE_A, false);
	msg_query(&m, "example.com", DNS_TYPE_A, DNS_CLASS_IN);

	CHECK_INT(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				       NULL, out, sizeof(out)),
		  -EPROTO);
}

static void rewrite_rejects_extended_rcode(void)
{
	struct dns_query q;
	uint8_t out[512];
	struct msg m;

	guest_query(&q, "example.com", DNS_TYPE_A, true);
	msg_response(&m, "example.com", DNS_TYPE_A, 0, 0, 1);
	msg_opt(&m, 1232, 0, 0);
	m.b[m.len - 6] = 1; /* extended rcode bits of the OPT TTL */

	CHECK_INT(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				       NULL, out, sizeof(out)),
		  -EPROTO);
}

static void rewrite_rejects_pointer_loop_in_rdata(void)
{
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	size_t at;

	guest_query(&q, "example.com", DNS_TYPE_CNAME, false);
	msg_response(&m, "example.com", DNS_TYPE_CNAME, 1, 0, 0);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_CNAME, 60, 2);
	at = m.len;
	msg_ptr(&m, (unsigned)at);

	CHECK_INT(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				       NULL, out, sizeof(out)),
		  -EBADMSG);
}

static void rewrite_rejects_name_past_rdata(void)
{
	struct dns_query q;
	uint8_t out[512];
	struct msg m;

	/* RDLENGTH 4 cuts the CNAME target "abc" before its root label */
	guest_query(&q, "example.com", DNS_TYPE_CNAME, false);
	msg_response(&m, "example.com", DNS_TYPE_CNAME, 1, 0, 0);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_CNAME, 60, 4);
	msg_u8(&m, 3);
	msg_bytes(&m, "abc", 3);
	msg_u8(&m, 0);

	CHECK_INT(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				       NULL, out, sizeof(out)),
		  -EBADMSG);
}

static void rewrite_rejects_a_record_of_wrong_length(void)
{
	struct dns_query q;
	uint8_t out[512];
	struct msg m;

	guest_query(&q, "example.com", DNS_TYPE_A, false);
	msg_response(&m, "example.com", DNS_TYPE_A, 1, 0, 0);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_A, 60, 5);
	msg_fill(&m, 1, 5);

	CHECK_INT(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				       NULL, out, sizeof(out)),
		  -EBADMSG);
}

static void rewrite_sets_tc_when_answers_overflow(void)
{
	struct walked_rr rr[64];
	struct dns_query q;
	uint8_t out[1232];
	int i, calls = 0, len;
	struct msg m;

	guest_query(&q, "example.com", DNS_TYPE_A, false);
	msg_response(&m, "example.com", DNS_TYPE_A, 40, 0, 0);
	for (i = 0; i < 40; i++) {
		msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_A, 60, 4);
		msg_u32(&m, 0xc0000201);
	}

	len =
	    dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP,
				 filter_by_last_byte, &calls, out, sizeof(out));
	CHECK(len > 0);
	CHECK(len <= 512);
	CHECK(get16(out + 2) & DNS_FLAG_TC);
	CHECK_INT(get16(out + 6), (512 - 29) / 16);
	CHECK_INT(walk_records(out, (size_t)len, rr, 64), (512 - 29) / 16);

	/* The filter ran for the records that fit and the first that did not */
	CHECK_INT(calls, (512 - 29) / 16 + 1);

	/* Over TCP all of them fit */
	calls = 0;
	len =
	    dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_TCP,
				 filter_by_last_byte, &calls, out, sizeof(out));
	CHECK_INT(len, 29 + 40 * 16);
	CHECK(!(get16(out + 2) & DNS_FLAG_TC));
}

static void rewrite_omits_additional_without_tc(void)
{
	static const uint8_t big[600] = {0};
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	int len;

	guest_query(&q, "example.com", DNS_TYPE_A, false);
	msg_response(&m, "example.com", DNS_TYPE_A, 1, 0, 1);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_A, 60, 4);
	msg_u32(&m, 0xc0000201);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_TXT, 60, sizeof(big));
	msg_bytes(&m, big, sizeof(big));

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out));
	CHECK_INT(len, 29 + 16);
	CHECK(!(get16(out + 2) & DNS_FLAG_TC));
	CHECK_INT(get16(out + 6), 1);
	CHECK_INT(get16(out + 10), 0);
}

static void rewrite_keeps_upstream_tc(void)
{
	struct dns_query q;
	uint8_t out[512];
	struct msg m;

	guest_query(&q, "example.com", DNS_TYPE_A, false);
	msg_response(&m, "example.com", DNS_TYPE_A, 0, 0, 0);
	msg_set_u16(&m, 2, get16(m.b + 2) | DNS_FLAG_TC);

	CHECK(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out)) > 0);
	CHECK(get16(out + 2) & DNS_FLAG_TC);
}

static void rewrite_escapes_odd_owner_bytes(void)
{
	struct seen seen = {0};
	struct dns_query q;
	uint8_t out[512];
	struct msg m;

	/* Additional A record for a label "A.b c" (dot and space inside) */
	guest_query(&q, "example.com", DNS_TYPE_MX, false);
	msg_response(&m, "example.com", DNS_TYPE_MX, 0, 0, 1);
	msg_u8(&m, 5);
	msg_bytes(&m, "A.b c", 5);
	msg_ptr(&m, DNS_HEADER_LEN);
	msg_u16(&m, DNS_TYPE_A);
	msg_u16(&m, DNS_CLASS_IN);
	msg_u32(&m, 60);
	msg_u16(&m, 4);
	msg_u32(&m, 0xc0000201);

	CHECK(dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP,
				   record_and_keep, &seen, out,
				   sizeof(out)) > 0);
	CHECK_INT(seen.count, 1);
	CHECK_STR(seen.owner[0], "a\\046b\\032c.example.com");
	CHECK_INT(seen.section[0], DNS_SECTION_ADDITIONAL);
}

static void rewrite_passes_aaaa_to_filter(void)
{
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct seen seen = {0};
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	int len;

	guest_query(&q, "example.com", DNS_TYPE_AAAA, false);
	msg_response(&m, "example.com", DNS_TYPE_AAAA, 1, 0, 0);
	msg_rr_ptr(&m, DNS_HEADER_LEN, DNS_TYPE_AAAA, 60, 16);
	msg_bytes(&m, v6, 16);

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP,
				   record_and_keep, &seen, out, sizeof(out));
	CHECK_INT(len, 29 + 28);
	CHECK_INT(seen.count, 1);
	CHECK_INT(seen.type[0], DNS_TYPE_AAAA);
	CHECK_MEM(seen.addr[0], v6, 16);
	CHECK_MEM(out + len - 16, v6, 16);
}

static void rewrite_drops_records_of_other_class(void)
{
	struct dns_query q;
	uint8_t out[512];
	struct msg m;
	int len;

	guest_query(&q, "example.com", DNS_TYPE_A, false);
	msg_response(&m, "example.com", DNS_TYPE_A, 1, 0, 0);
	msg_ptr(&m, DNS_HEADER_LEN);
	msg_u16(&m, DNS_TYPE_A);
	msg_u16(&m, DNS_CLASS_CH);
	msg_u32(&m, 60);
	msg_u16(&m, 4);
	msg_u32(&m, 0xc0000201);

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out));
	CHECK_INT(len, 29);
	CHECK_INT(get16(out + 6), 0);
}

static void rewrite_output_rewrites_again_unchanged(void)
{
	struct dns_query q;
	uint8_t out[512], again[512];
	struct msg m;
	int len, len2;

	guest_query(&q, "www.example.com", DNS_TYPE_A, true);
	msg_full_response(&m);

	len = dns_response_rewrite(m.b, m.len, &q, DNS_TRANSPORT_UDP, NULL,
				   NULL, out, sizeof(out));
	CHECK(len > 0);
	len2 = dns_response_rewrite(out, (size_t)len, &q, DNS_TRANSPORT_UDP,
				    NULL, NULL, again, sizeof(again));
	CHECK_INT(len2, len);
	CHECK_MEM(again, out, (size_t)len);
}

/*
 * Responses of dnsmasq 2.90 on 127.0.0.1, captured with a UDP query with
 * EDNS (size 1232), configured with
 *   --host-record=web.sluice.test,192.0.2.10
 *   --host-record=web.sluice.test,192.0.2.11
 *   --cname=www.sluice.test,web.sluice.test
 *   --dns-rr=svc.sluice.test,65,<HTTPS rdata with alpn, hints and ech>
 * The same bytes are seeds in fuzz/dns_msg/.
 */
/* clang-format off */
static const uint8_t dnsmasq_cname_a[] = {
	0x01, 0x00, 0x85, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x77, 0x77, 0x77, 0x06, 0x73, 0x6c, 0x75, 0x69, 0x63, 0x65, 0x04,
	0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00,
	0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x03, 0x77, 0x65,
	0x62, 0x06, 0x73, 0x6c, 0x75, 0x69, 0x63, 0x65, 0x04, 0x74, 0x65, 0x73,
	0x74, 0x00, 0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x04, 0xc0, 0x00, 0x02, 0x0b, 0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x0a, 0x00, 0x00,
	0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */

/* clang-format off */
static const uint8_t dnsmasq_https[] = {
	0x01, 0x04, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x73, 0x76, 0x63, 0x06, 0x73, 0x6c, 0x75, 0x69, 0x63, 0x65, 0x04,
	0x74, 0x65, 0x73, 0x74, 0x00, 0x00, 0x41, 0x00, 0x01, 0xc0, 0x0c, 0x00,
	0x41, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2d, 0x00, 0x01, 0x00,
	0x00, 0x01, 0x00, 0x03, 0x02, 0x68, 0x32, 0x00, 0x04, 0x00, 0x04, 0xc0,
	0x00, 0x02, 0x0a, 0x00, 0x05, 0x00, 0x03, 0x65, 0x63, 0x68, 0x00, 0x06,
	0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */

static void rewrite_accepts_dnsmasq_cname_response(void)
{
	char text[300];
	struct walked_rr rr[8];
	struct seen seen = {0};
	struct dns_query q;
	uint8_t out[512];
	int len;

	guest_query(&q, "www.sluice.test", DNS_TYPE_A, true);

	len = dns_response_rewrite(dnsmasq_cname_a, sizeof(dnsmasq_cname_a), &q,
				   DNS_TRANSPORT_UDP, record_and_keep, &seen,
				   out, sizeof(out));
	CHECK(len > 0);
	CHECK_INT(seen.count, 2);
	CHECK_STR(seen.owner[0], "web.sluice.test");
	CHECK_MEM(seen.addr[0], "\xc0\x00\x02\x0b", 4);
	CHECK_STR(seen.owner[1], "web.sluice.test");
	CHECK_MEM(seen.addr[1], "\xc0\x00\x02\x0a", 4);
	CHECK_INT(walk_records(out, (size_t)len, rr, 8), 4);
	CHECK_INT(rr[0].type, DNS_TYPE_CNAME);
	CHECK_STR(expand_name(out, rr[0].rdata, text), "web.sluice.test");
	CHECK_STR(expand_name(out, rr[1].owner, text), "web.sluice.test");
	CHECK_INT(rr[3].type, DNS_TYPE_OPT);
}

static void rewrite_strips_dnsmasq_https_hints(void)
{
	static const uint8_t expected[] = {0, 1, 0, 0, 1, 0, 3, 2, 'h', '2'};
	struct walked_rr rr[4];
	struct dns_query q;
	uint8_t out[512];
	int len;

	guest_query(&q, "svc.sluice.test", DNS_TYPE_HTTPS, true);

	len = dns_response_rewrite(dnsmasq_https, sizeof(dnsmasq_https), &q,
				   DNS_TRANSPORT_UDP, NULL, NULL, out,
				   sizeof(out));
	CHECK(len > 0);
	CHECK_INT(walk_records(out, (size_t)len, rr, 4), 2);
	CHECK_INT(rr[0].type, DNS_TYPE_HTTPS);
	CHECK_INT(rr[0].rdlen, sizeof(expected));
	CHECK_MEM(out + rr[0].rdata, expected, sizeof(expected));
}

static void type_str_names_and_numbers(void)
{
	char buf[DNS_MNEMONIC_SIZE];

	CHECK_STR(dns_type_str(DNS_TYPE_A, buf), "A");
	CHECK_STR(dns_type_str(DNS_TYPE_AAAA, buf), "AAAA");
	CHECK_STR(dns_type_str(DNS_TYPE_TXT, buf), "TXT");
	CHECK_STR(dns_type_str(DNS_TYPE_MX, buf), "MX");
	CHECK_STR(dns_type_str(DNS_TYPE_CNAME, buf), "CNAME");
	CHECK_STR(dns_type_str(DNS_TYPE_NS, buf), "NS");
	CHECK_STR(dns_type_str(DNS_TYPE_SOA, buf), "SOA");
	CHECK_STR(dns_type_str(DNS_TYPE_PTR, buf), "PTR");
	CHECK_STR(dns_type_str(DNS_TYPE_SRV, buf), "SRV");
	CHECK_STR(dns_type_str(DNS_TYPE_SVCB, buf), "SVCB");
	CHECK_STR(dns_type_str(DNS_TYPE_HTTPS, buf), "HTTPS");
	CHECK_STR(dns_type_str(DNS_TYPE_CAA, buf), "CAA");
	CHECK_STR(dns_type_str(DNS_TYPE_ANY, buf), "ANY");
	CHECK_STR(dns_type_str(0, buf), "TYPE0");
	CHECK_STR(dns_type_str(65535, buf), "TYPE65535");
}

static void class_str_names_and_numbers(void)
{
	char buf[DNS_MNEMONIC_SIZE];

	CHECK_STR(dns_class_str(DNS_CLASS_IN, buf), "IN");
	CHECK_STR(dns_class_str(DNS_CLASS_CH, buf), "CH");
	CHECK_STR(dns_class_str(DNS_CLASS_HS, buf), "HS");
	CHECK_STR(dns_class_str(DNS_CLASS_ANY, buf), "ANY");
	CHECK_STR(dns_class_str(65535, buf), "CLASS65535");
}

static void rcode_str_names_and_numbers(void)
{
	char buf[DNS_MNEMONIC_SIZE];

	CHECK_STR(dns_rcode_str(DNS_RCODE_NOERROR, buf), "NOERROR");
	CHECK_STR(dns_rcode_str(DNS_RCODE_FORMERR, buf), "FORMERR");
	CHECK_STR(dns_rcode_str(DNS_RCODE_SERVFAIL, buf), "SERVFAIL");
	CHECK_STR(dns_rcode_str(DNS_RCODE_NXDOMAIN, buf), "NXDOMAIN");
	CHECK_STR(dns_rcode_str(DNS_RCODE_NOTIMP, buf), "NOTIMP");
	CHECK_STR(dns_rcode_str(DNS_RCODE_REFUSED, buf), "REFUSED");
	CHECK_STR(dns_rcode_str(DNS_RCODE_BADVERS, buf), "BADVERS");
	CHECK_STR(dns_rcode_str(12, buf), "RCODE12");
}

static void tcp_frame_get_waits_for_whole_message(void)
{
	static const uint8_t stream[] = {0, 3, 'a', 'b', 'c', 0, 1, 'd'};
	const uint8_t *msg = NULL;
	size_t msg_len = 0;

	CHECK_INT(dns_tcp_frame_get(stream, 1, &msg, &msg_len), 0);
	CHECK_INT(dns_tcp_frame_get(stream, 4, &msg, &msg_len), 0);
	CHECK_INT(dns_tcp_frame_get(stream, sizeof(stream), &msg, &msg_len), 5);
	CHECK(msg == stream + 2);
	CHECK_INT(msg_len, 3);
	CHECK_INT(dns_tcp_frame_get(stream + 5, 3, &msg, &msg_len), 3);
	CHECK_INT(msg_len, 1);
	CHECK_INT(*msg, 'd');
}

static void tcp_frame_get_rejects_zero_length(void)
{
	static const uint8_t stream[] = {0, 0, 1, 2};
	const uint8_t *msg;
	size_t msg_len;

	CHECK_INT(dns_tcp_frame_get(stream, sizeof(stream), &msg, &msg_len),
		  -EBADMSG);
}

static void tcp_prefix_put_writes_length(void)
{
	uint8_t prefix[2];

	CHECK_INT(dns_tcp_prefix_put(prefix, 0x1234), 0);
	CHECK_INT(prefix[0], 0x12);
	CHECK_INT(prefix[1], 0x34);
	CHECK_INT(dns_tcp_prefix_put(prefix, 65536), -EMSGSIZE);
}

/* clang-format off */
UNIT_MAIN(
	UNIT_TEST(query_parse_plain_a),
	UNIT_TEST(query_parse_lowercases_name),
	UNIT_TEST(query_parse_name_has_no_trailing_dot),
	UNIT_TEST(query_parse_root_name_is_empty),
	UNIT_TEST(query_parse_pointer_to_earlier_name_accepted),
	UNIT_TEST(query_parse_rejects_pointer_to_itself),
	UNIT_TEST(query_parse_rejects_pointer_into_own_name),
	UNIT_TEST(query_parse_rejects_forward_pointer),
	UNIT_TEST(query_parse_rejects_pointer_into_header),
	UNIT_TEST(query_parse_name_of_255_bytes_accepted),
	UNIT_TEST(query_parse_name_of_256_bytes_rejected),
	UNIT_TEST(query_parse_label_of_63_bytes_accepted),
	UNIT_TEST(query_parse_label_of_64_bytes_rejected),
	UNIT_TEST(query_parse_rejects_label_type_10),
	UNIT_TEST(query_parse_rejects_dot_in_label),
	UNIT_TEST(query_parse_rejects_unprintable_label_bytes),
	UNIT_TEST(query_parse_accepts_underscore_and_star),
	UNIT_TEST(query_parse_zero_questions_formerr),
	UNIT_TEST(query_parse_two_questions_formerr),
	UNIT_TEST(query_parse_answer_record_formerr),
	UNIT_TEST(query_parse_authority_record_formerr),
	UNIT_TEST(query_parse_trailing_bytes_formerr),
	UNIT_TEST(query_parse_every_prefix_fails),
	UNIT_TEST(query_parse_unknown_type_and_class),
	UNIT_TEST(query_parse_response_dropped),
	UNIT_TEST(query_parse_short_messages),
	UNIT_TEST(query_parse_opcode_notimp),
	UNIT_TEST(query_parse_qtype_opt_formerr),
	UNIT_TEST(query_parse_reads_edns),
	UNIT_TEST(query_parse_edns_without_do),
	UNIT_TEST(query_parse_edns_with_cookie_option),
	UNIT_TEST(query_parse_edns_option_overrun_formerr),
	UNIT_TEST(query_parse_edns_version_1_badvers),
	UNIT_TEST(query_parse_two_opt_records_formerr),
	UNIT_TEST(query_parse_opt_with_owner_formerr),
	UNIT_TEST(reply_with_a_records_bytes),
	UNIT_TEST(reply_with_a_records_round_trip),
	UNIT_TEST(reply_sets_tc_when_answers_overflow),
	UNIT_TEST(reply_refuses_records_after_overflow),
	UNIT_TEST(reply_limit_follows_edns_size),
	UNIT_TEST(reply_limit_caps_edns_size_at_1232),
	UNIT_TEST(reply_limit_raises_small_edns_size_to_512),
	UNIT_TEST(reply_limit_capped_by_buffer),
	UNIT_TEST(reply_limit_over_tcp_is_65535),
	UNIT_TEST(reply_init_rejects_tiny_buffer),
	UNIT_TEST(reply_echoes_opt_and_do_bit),
	UNIT_TEST(reply_badvers_sets_extended_rcode),
	UNIT_TEST(reply_extended_rcode_needs_opt),
	UNIT_TEST(reply_formerr_for_bad_opt_has_opt),
	UNIT_TEST(reply_nodata_has_no_answers),
	UNIT_TEST(reply_nxdomain_sets_rcode),
	UNIT_TEST(reply_formerr_without_question),
	UNIT_TEST(reply_notimp_echoes_opcode),
	UNIT_TEST(reply_adds_raw_txt_record),
	UNIT_TEST(query_write_plain),
	UNIT_TEST(query_write_with_opt_parses_back),
	UNIT_TEST(query_write_rejects_bad_names),
	UNIT_TEST(query_write_root_and_small_buffer),
	UNIT_TEST(rewrite_keeps_drops_and_replaces_a),
	UNIT_TEST(rewrite_keep_ignores_filter_address),
	UNIT_TEST(rewrite_unknown_verdict_drops),
	UNIT_TEST(rewrite_rejects_owner_of_256_bytes),
	UNIT_TEST(rewrite_sets_reply_flags),
	UNIT_TEST(rewrite_decompresses_cname_target),
	UNIT_TEST(rewrite_decompresses_mx_and_soa),
	UNIT_TEST(rewrite_writes_srv_target_uncompressed),
	UNIT_TEST(rewrite_strips_https_hints_and_keeps_alpn),
	UNIT_TEST(rewrite_drops_https_with_mandatory_ech),
	UNIT_TEST(rewrite_rejects_svcb_keys_out_of_order),
	UNIT_TEST(rewrite_copies_unknown_type_verbatim),
	UNIT_TEST(rewrite_every_prefix_fails),
	UNIT_TEST(rewrite_regenerates_opt),
	UNIT_TEST(rewrite_rejects_other_question),
	UNIT_TEST(rewrite_rejects_query_as_response),
	UNIT_TEST(rewrite_rejects_extended_rcode),
	UNIT_TEST(rewrite_rejects_pointer_loop_in_rdata),
	UNIT_TEST(rewrite_rejects_name_past_rdata),
	UNIT_TEST(rewrite_rejects_a_record_of_wrong_length),
	UNIT_TEST(rewrite_sets_tc_when_answers_overflow),
	UNIT_TEST(rewrite_omits_additional_without_tc),
	UNIT_TEST(rewrite_keeps_upstream_tc),
	UNIT_TEST(rewrite_escapes_odd_owner_bytes),
	UNIT_TEST(rewrite_passes_aaaa_to_filter),
	UNIT_TEST(rewrite_drops_records_of_other_class),
	UNIT_TEST(rewrite_output_rewrites_again_unchanged),
	UNIT_TEST(rewrite_accepts_dnsmasq_cname_response),
	UNIT_TEST(rewrite_strips_dnsmasq_https_hints),
	UNIT_TEST(type_str_names_and_numbers),
	UNIT_TEST(class_str_names_and_numbers),
	UNIT_TEST(rcode_str_names_and_numbers),
	UNIT_TEST(tcp_frame_get_waits_for_whole_message),
	UNIT_TEST(tcp_frame_get_rejects_zero_length),
	UNIT_TEST(tcp_prefix_put_writes_length))
/* clang-format on */
