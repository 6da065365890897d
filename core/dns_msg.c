// SPDX-License-Identifier: MIT
/* dns_msg.c - DNS message codec: names, query parsing and replies */

/*
 * How it works
 *
 * Every read goes through a struct msg_reader that checks bounds, and names
 * are always decoded into a flat wire-form buffer of at most 255 bytes, so
 * no code after the reader ever follows a compression pointer. Pointers
 * must point to offset 12 or later and strictly before the start of every
 * label run read so far for the same name. That single rule rejects
 * pointers to themselves, forward pointers and loops of any length, and
 * every valid compressor satisfies it, because it can only point to names
 * it wrote before. A jump limit bounds the work of pointer chains.
 *
 * Query names become text for policy, so a label byte must be printable
 * ASCII other than space, '.' and '\'. Any other byte would need escaping
 * and could make two different names look alike to a rule, so such queries
 * get FORMERR. Messages with QR set are dropped without a reply.
 *
 * Replies are written through struct dns_reply. Each record is written as
 * one transaction: if it does not fit, the writer rolls back to the end of
 * the previous record and stops writing records, so a message never ends
 * in a partial record. Space for the final OPT record is reserved from the
 * start.
 *
 * dns_response_rewrite(), in dns_rewrite.c, writes its replies through the
 * same writer. dns_msg_internal.h declares what the two files share.
 *
 * Limits: output names are compressed only against whole names written
 * earlier (the question and up to DNS_REPLY_NAMES others), not against
 * their suffixes, so replies can be longer than an upstream's.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dns_msg.h"
#include "dns_msg_internal.h"

/* Jumps allowed while decoding one name: a name has at most 127 labels */
#define NAME_MAX_JUMPS 127

/* Size of an OPT record without options: root, type, class, TTL, RDLENGTH */
#define OPT_RR_LEN 11

static uint8_t ascii_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

size_t dns_name_read(struct msg_reader *rd, size_t end,
		     uint8_t wire[DNS_NAME_WIRE_MAX])
{
	size_t p = rd->pos, lowest = rd->pos, out = 0, next = 0;
	unsigned jumps = 0;

	for (;;) {
		uint8_t c;
		size_t target;

		if (p >= end)
			return 0;
		c = rd->msg[p];

		if ((c & 0xc0) == 0xc0) {
			if (end - p < 2)
				return 0;
			target = (size_t)(c & 0x3f) << 8 | rd->msg[p + 1];
			if (!jumps)
				next = p + 2;
			if (target < DNS_HEADER_LEN || target >= lowest ||
			    ++jumps > NAME_MAX_JUMPS)
				return 0;
			lowest = target;
			p = target;
			end = rd->len;
			continue;
		}

		/* Label types 01 (extended) and 10 (reserved) are rejected */
		if (c & 0xc0)
			return 0;

		/* A label must leave room for the root label after it */
		if (end - p < (size_t)c + 1 ||
		    (c && out + c + 2 > DNS_NAME_WIRE_MAX))
			return 0;
		memcpy(wire + out, rd->msg + p, (size_t)c + 1);
		out += (size_t)c + 1;
		p += (size_t)c + 1;
		if (!c)
			break;
	}

	rd->pos = jumps ? next : p;
	return out;
}

/* Label bytes that appear in text as themselves */
static bool label_byte_is_plain(uint8_t c)
{
	return c > ' ' && c < 0x7f && c != '.' && c != '\\';
}

bool dns_name_to_text(const uint8_t *wire, char *text, size_t size, bool escape)
{
	size_t in = 0, out = 0;

	while (wire[in]) {
		size_t end = in + 1 + wire[in];

		if (out) {
			if (size - out < 2)
				return false;
			text[out++] = '.';
		}

		for (in++; in < end; in++) {
			uint8_t c = wire[in];

			if (label_byte_is_plain(c)) {
				if (size - out < 2)
					return false;
				text[out++] = (char)ascii_lower(c);
				continue;
			}
			if (!escape || size - out < 5)
				return false;
			snprintf(text + out, 5, "\\%03u", c);
			out += 4;
		}
	}

	if (!size)
		return false;
	text[out] = '\0';
	return true;
}

bool dns_name_equal(const uint8_t *a, size_t a_len, const uint8_t *b,
		    size_t b_len)
{
	size_t i;

	if (a_len != b_len)
		return false;

	/* Length bytes are at most 63, below 'A', so lowering keeps them */
	for (i = 0; i < a_len; i++) {
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	}
	return true;
}

bool dns_rr_read(struct msg_reader *rd, struct msg_rr *rr)
{
	rr->owner_len = dns_name_read(rd, rd->len, rr->owner);
	if (!rr->owner_len)
		return false;

	if (!read_u16(rd, &rr->type) || !read_u16(rd, &rr->rclass) ||
	    !read_u32(rd, &rr->ttl) || !read_u16(rd, &rr->rdlen))
		return false;

	rr->rdata = rd->pos;
	return read_skip(rd, rr->rdlen);
}

/* Check that the options of an OPT record are well-formed TLVs */
static bool opt_options_valid(const uint8_t *rdata, size_t rdlen)
{
	size_t pos = 0;

	while (pos < rdlen) {
		if (rdlen - pos < 4)
			return false;
		if (rdlen - pos - 4 < load16(rdata + pos + 2))
			return false;
		pos += 4 + (size_t)load16(rdata + pos + 2);
	}
	return true;
}

/*
 * Read the first OPT record into @edns even when it is malformed, because
 * RFC 6891 requires an OPT record in a FORMERR reply to a bad OPT record.
 */
static enum dns_parse_status query_opt_parse(const struct msg_reader *rd,
					     const struct msg_rr *rr,
					     struct dns_edns *edns)
{
	/* RFC 6891: one OPT record at most, owned by the root */
	if (edns->present)
		return DNS_PARSE_FORMERR;

	edns->present = true;
	edns->udp_size = rr->rclass;
	edns->version = (uint8_t)(rr->ttl >> 16);
	edns->dnssec_ok = rr->ttl & 0x8000;

	if (rr->owner_len != 1 ||
	    !opt_options_valid(rd->msg + rr->rdata, rr->rdlen))
		return DNS_PARSE_FORMERR;
	return DNS_PARSE_OK;
}

static enum dns_parse_status query_question_parse(struct msg_reader *rd,
						  struct dns_query *q)
{
	size_t len = dns_name_read(rd, rd->len, q->qname);

	if (!len)
		return DNS_PARSE_FORMERR;
	if (!dns_name_to_text(q->qname, q->name, sizeof(q->name), false))
		return DNS_PARSE_FORMERR;
	if (!read_u16(rd, &q->qtype) || !read_u16(rd, &q->qclass))
		return DNS_PARSE_FORMERR;

	/* OPT is a pseudo-type, so no record set can match it */
	if (q->qtype == DNS_TYPE_OPT)
		return DNS_PARSE_FORMERR;

	q->qname_len = len;
	q->has_question = true;
	return DNS_PARSE_OK;
}

/*
 * Records other than OPT in the additional section (TSIG, for example) are
 * checked for bounds and otherwise ignored.
 */
static enum dns_parse_status query_additional_parse(struct msg_reader *rd,
						    uint16_t count,
						    struct dns_edns *edns)
{
	enum dns_parse_status status;
	struct msg_rr rr;
	uint16_t i;

	for (i = 0; i < count; i++) {
		if (!dns_rr_read(rd, &rr))
			return DNS_PARSE_FORMERR;
		if (rr.type != DNS_TYPE_OPT)
			continue;
		status = query_opt_parse(rd, &rr, edns);
		if (status != DNS_PARSE_OK)
			return status;
	}
	return DNS_PARSE_OK;
}

/**
 * dns_query_parse() - parse and validate a query from a guest
 * @msg:	the message: a UDP payload, or a TCP message without its
 *		length prefix
 * @len:	bytes in @msg
 * @q:		filled with what was parsed; after DNS_PARSE_DROP its
 *		contents are undefined. After any other status, @q->id and
 *		@q->flags are valid, @q->has_question is set when the question
 *		can be echoed, and @q->edns.present is set when the reply needs
 *		an OPT record
 *
 * A query must have QR clear, opcode QUERY, exactly one question, empty
 * answer and authority sections, and no bytes after its last record. The
 * additional section may hold one OPT record and other records, which are
 * ignored. TC, AA, Z and the rcode of a query are ignored.
 *
 * Return: DNS_PARSE_OK, or the status whose value is the rcode to reply
 * with, or DNS_PARSE_DROP when no reply must be sent
 */
enum dns_parse_status dns_query_parse(const uint8_t *msg, size_t len,
				      struct dns_query *q)
{
	struct msg_reader rd = {.msg = msg, .len = len, .pos = 4};
	uint16_t qdcount, ancount, nscount, arcount;
	enum dns_parse_status status;

	memset(q, 0, sizeof(*q));
	if (len < 2)
		return DNS_PARSE_DROP;

	q->id = load16(msg);
	if (len >= 3)
		q->flags = (uint16_t)(msg[2] << 8);
	if (len >= 4)
		q->flags |= msg[3];

	if (q->flags & DNS_FLAG_QR)
		return DNS_PARSE_DROP;
	if (q->flags & DNS_FLAG_OPCODE)
		return DNS_PARSE_NOTIMP;
	if (len < DNS_HEADER_LEN)
		return DNS_PARSE_FORMERR;

	read_u16(&rd, &qdcount);
	read_u16(&rd, &ancount);
	read_u16(&rd, &nscount);
	read_u16(&rd, &arcount);
	if (qdcount != 1)
		return DNS_PARSE_FORMERR;

	status = query_question_parse(&rd, q);
	if (status != DNS_PARSE_OK)
		return status;
	if (ancount || nscount)
		return DNS_PARSE_FORMERR;

	status = query_additional_parse(&rd, arcount, &q->edns);
	if (status != DNS_PARSE_OK)
		return status;
	if (rd.pos != len)
		return DNS_PARSE_FORMERR;

	/* BADVERS only for an otherwise valid query (RFC 6891) */
	if (q->edns.present && q->edns.version != 0)
		return DNS_PARSE_BADVERS;
	return DNS_PARSE_OK;
}

/* Maximum reply length for @q over @transport in a buffer of @size bytes */
static size_t reply_limit(const struct dns_query *q,
			  enum dns_transport transport, size_t size)
{
	size_t limit = DNS_UDP_MAX_PLAIN;

	if (transport == DNS_TRANSPORT_TCP) {
		limit = DNS_TCP_MAX;
	} else if (q->edns.present) {
		/* RFC 6891 6.2.3: values below 512 count as 512 */
		limit = q->edns.udp_size;
		if (limit < DNS_UDP_MAX_PLAIN)
			limit = DNS_UDP_MAX_PLAIN;
		if (limit > DNS_UDP_MAX_EDNS)
			limit = DNS_UDP_MAX_EDNS;
	}

	return limit < size ? limit : size;
}

void dns_put_name(struct dns_reply *r, const uint8_t *wire, size_t len,
		  bool compress)
{
	size_t offset = r->len;
	unsigned i;

	for (i = 0; compress && i < r->name_count; i++) {
		if (dns_name_equal(r->buf + r->names[i].offset, r->names[i].len,
				   wire, len)) {
			put_u16(r, 0xc000 | r->names[i].offset);
			return;
		}
	}

	put(r, wire, len);
	if (r->overflow || len < 2 || offset > 0x3fff ||
	    r->name_count == DNS_REPLY_NAMES)
		return;
	r->names[r->name_count].offset = (uint16_t)offset;
	r->names[r->name_count].len = (uint8_t)len;
	r->name_count++;
}

void dns_rr_begin(struct dns_reply *r, struct rr_mark *mark,
		  const uint8_t *owner, size_t owner_len, uint16_t type,
		  uint16_t rclass, uint32_t ttl)
{
	mark->len = r->len;
	mark->name_count = r->name_count;

	if (owner)
		dns_put_name(r, owner, owner_len, true);
	else
		put_u16(r, 0xc000 | DNS_HEADER_LEN);
	put_u16(r, type);
	put_u16(r, rclass);
	put_u32(r, ttl);
	mark->rdlen_at = r->len;
	put_u16(r, 0);
}

int dns_rr_end(struct dns_reply *r, const struct rr_mark *mark)
{
	size_t rdlen = r->len - mark->rdlen_at - 2;
	int err = -EMSGSIZE;

	if (!r->overflow && rdlen <= UINT16_MAX) {
		store16(r->buf + mark->rdlen_at, (uint16_t)rdlen);
		r->counts[r->section]++;
		return 0;
	}

	if (!r->overflow) {
		err = -EBADMSG;
	} else {
		r->full = true;
		if (r->section == DNS_SECTION_ANSWER)
			r->tc = true;
	}
	r->overflow = false;
	r->len = mark->len;
	r->name_count = mark->name_count;
	return err;
}

/**
 * dns_reply_init() - start a reply to a parsed query
 * @r:		writer state, initialised here
 * @buf:	output buffer, at least DNS_UDP_MAX_PLAIN bytes is plenty for
 *		UDP; a small buffer lowers the limit
 * @size:	bytes in @buf
 * @q:		the query, after any status of dns_query_parse() but
 *		DNS_PARSE_DROP
 * @transport:	UDP or TCP, which sets the size limit
 * @rcode:	response code (enum dns_rcode); values above 15 need an OPT
 *		record in the query
 *
 * Writes the header and, when @q->has_question, the question as the guest
 * sent it. The reply echoes the id, opcode, RD and CD, and sets QR and RA.
 *
 * Return: 0, -EINVAL for an rcode that cannot be sent, -ENOBUFS if the
 * header, question and OPT record do not fit in @size
 */
int dns_reply_init(struct dns_reply *r, uint8_t *buf, size_t size,
		   const struct dns_query *q, enum dns_transport transport,
		   uint16_t rcode)
{
	size_t need = DNS_HEADER_LEN;

	if (rcode > 0xfff || (rcode > DNS_FLAG_RCODE && !q->edns.present))
		return -EINVAL;

	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->limit = reply_limit(q, transport, size);
	r->reserve = q->edns.present ? OPT_RR_LEN : 0;
	r->edns = q->edns;
	r->rcode = rcode;
	r->flags = DNS_FLAG_QR | DNS_FLAG_RA | (rcode & DNS_FLAG_RCODE) |
		   (q->flags & (DNS_FLAG_OPCODE | DNS_FLAG_RD | DNS_FLAG_CD));
	r->has_question = q->has_question;
	r->rr_class = q->qclass == DNS_CLASS_ANY ? DNS_CLASS_IN : q->qclass;

	if (q->has_question)
		need += q->qname_len + 4;
	if (need + r->reserve > r->limit)
		return -ENOBUFS;

	put_u16(r, q->id);
	put_u16(r, r->flags);
	put_u16(r, q->has_question ? 1 : 0);
	put_u16(r, 0);
	put_u16(r, 0);
	put_u16(r, 0);
	if (q->has_question) {
		dns_put_name(r, q->qname, q->qname_len, false);
		put_u16(r, q->qtype);
		put_u16(r, q->qclass);
	}
	return 0;
}

/**
 * dns_reply_add_rr() - add an answer for the question name with raw rdata
 * @r:		writer state after dns_reply_init()
 * @type:	record type; OPT is not allowed
 * @ttl:	time to live in seconds
 * @rdata:	rdata in wire form; names in it must be uncompressed
 * @rdlen:	bytes in @rdata
 *
 * The owner is a compression pointer to the question name, and the class is
 * the question class (IN when the question class is ANY). Once a record does
 * not fit, the reply gets TC and every later record is rejected, so the
 * reply keeps the records added first.
 *
 * Return: 0, -EMSGSIZE if the record was not added because the reply is
 * full, -EINVAL if the reply has no question or @type or @rdlen is invalid
 */
int dns_reply_add_rr(struct dns_reply *r, uint16_t type, uint32_t ttl,
		     const uint8_t *rdata, size_t rdlen)
{
	struct rr_mark mark;

	if (!r->has_question || type == DNS_TYPE_OPT || rdlen > UINT16_MAX)
		return -EINVAL;
	if (r->full)
		return -EMSGSIZE;

	r->section = DNS_SECTION_ANSWER;
	dns_rr_begin(r, &mark, NULL, 0, type, r->rr_class, ttl);
	put(r, rdata, rdlen);
	return dns_rr_end(r, &mark);
}

/**
 * dns_reply_add_a() - add an A record for the question name
 * @r:		writer state after dns_reply_init()
 * @addr:	IPv4 address in network order
 * @ttl:	time to live in seconds
 *
 * Return: as dns_reply_add_rr()
 */
int dns_reply_add_a(struct dns_reply *r, const uint8_t addr[4], uint32_t ttl)
{
	return dns_reply_add_rr(r, DNS_TYPE_A, ttl, addr, 4);
}

/**
 * dns_reply_finish() - complete a reply: OPT record, counts and TC bit
 * @r:		writer state after dns_reply_init(); call this once
 *
 * The OPT record, present when the query had one, advertises
 * DNS_UDP_MAX_EDNS, version 0, the query's DO bit and the upper bits of the
 * rcode.
 *
 * Return: length of the message in the buffer passed to dns_reply_init()
 */
int dns_reply_finish(struct dns_reply *r)
{
	uint8_t *hdr = r->buf;
	uint32_t opt_ttl;

	r->reserve = 0;
	if (r->edns.present) {
		opt_ttl = (uint32_t)(r->rcode >> 4) << 24;
		if (r->edns.dnssec_ok)
			opt_ttl |= 0x8000;
		put(r, "", 1);
		put_u16(r, DNS_TYPE_OPT);
		put_u16(r, DNS_UDP_MAX_EDNS);
		put_u32(r, opt_ttl);
		put_u16(r, 0);
		r->counts[DNS_SECTION_ADDITIONAL]++;
	}

	store16(hdr + 2, r->flags | (r->tc ? DNS_FLAG_TC : 0));
	store16(hdr + 6, r->counts[DNS_SECTION_ANSWER]);
	store16(hdr + 8, r->counts[DNS_SECTION_AUTHORITY]);
	store16(hdr + 10, r->counts[DNS_SECTION_ADDITIONAL]);
	return (int)r->len;
}

/**
 * dns_name_from_text() - convert a dotted name to wire form
 * @text:	the name; one trailing dot is allowed, "" and "." are the
 *		root. Label bytes must be printable ASCII other than space and
 *		'\', because escapes are not interpreted
 * @wire:	the uncompressed wire form, case preserved
 *
 * Return: length of @wire, or -EINVAL for an empty label, a label over 63
 * bytes, a name over 255 bytes in wire form or a byte that is not allowed
 */
int dns_name_from_text(const char *text, uint8_t wire[DNS_NAME_WIRE_MAX])
{
	size_t text_len = strlen(text), start = 0, out = 0, i;

	if (text_len && text[text_len - 1] == '.')
		text_len--;

	while (start < text_len) {
		size_t label_len;

		for (i = start; i < text_len && text[i] != '.'; i++) {
			if (!label_byte_is_plain((uint8_t)text[i]))
				return -EINVAL;
		}
		label_len = i - start;
		if (!label_len || label_len > 63 ||
		    out + label_len + 2 > DNS_NAME_WIRE_MAX)
			return -EINVAL;

		wire[out++] = (uint8_t)label_len;
		memcpy(wire + out, text + start, label_len);
		out += label_len;
		start = i + 1;
	}

	/* "a." had its dot removed above, so a dot at the end means "a.." */
	if (text_len && text[text_len - 1] == '.')
		return -EINVAL;

	wire[out++] = 0;
	return (int)out;
}

/**
 * dns_query_write() - write a query for forwarding to an upstream resolver
 * @buf:		output buffer
 * @size:		bytes in @buf
 * @id:			message id
 * @name:		question name as text, see dns_name_from_text()
 * @qtype:		question type
 * @qclass:		question class
 * @edns_udp_size:	UDP payload size for an OPT record (version 0, DO
 *			clear), or 0 for no OPT record
 *
 * The query has RD set and one question.
 *
 * Return: length of the message, -EINVAL for an invalid @name, -ENOBUFS if
 * @size is too small
 */
int dns_query_write(uint8_t *buf, size_t size, uint16_t id, const char *name,
		    uint16_t qtype, uint16_t qclass, uint16_t edns_udp_size)
{
	uint8_t wire[DNS_NAME_WIRE_MAX];
	size_t need, pos;
	int wire_len;

	wire_len = dns_name_from_text(name, wire);
	if (wire_len < 0)
		return wire_len;

	need = DNS_HEADER_LEN + (size_t)wire_len + 4 +
	       (edns_udp_size ? OPT_RR_LEN : 0);
	if (need > size)
		return -ENOBUFS;

	memset(buf, 0, need);
	store16(buf, id);
	store16(buf + 2, DNS_FLAG_RD);
	store16(buf + 4, 1);
	store16(buf + 10, edns_udp_size ? 1 : 0);
	memcpy(buf + DNS_HEADER_LEN, wire, (size_t)wire_len);
	pos = DNS_HEADER_LEN + (size_t)wire_len;
	store16(buf + pos, qtype);
	store16(buf + pos + 2, qclass);
	pos += 4;

	/* OPT: root owner (zeroed above), type, class = size, TTL 0 */
	if (edns_udp_size) {
		store16(buf + pos + 1, DNS_TYPE_OPT);
		store16(buf + pos + 3, edns_udp_size);
		pos += OPT_RR_LEN;
	}
	return (int)pos;
}

/**
 * struct mnemonic - the text form of a code
 * @value:	the code
 * @text:	its mnemonic
 */
struct mnemonic {
	uint16_t value;
	const char *text;
};

/* clang-format off */
static const struct mnemonic type_mnemonics[] = {
	{1, "A"},	{2, "NS"},	{5, "CNAME"},	{6, "SOA"},
	{12, "PTR"},	{13, "HINFO"},	{15, "MX"},	{16, "TXT"},
	{28, "AAAA"},	{33, "SRV"},	{35, "NAPTR"},	{39, "DNAME"},
	{41, "OPT"},	{43, "DS"},	{44, "SSHFP"},	{46, "RRSIG"},
	{47, "NSEC"},	{48, "DNSKEY"},	{52, "TLSA"},	{64, "SVCB"},
	{65, "HTTPS"},	{251, "IXFR"},	{252, "AXFR"},	{255, "ANY"},
	{257, "CAA"},
};

static const struct mnemonic class_mnemonics[] = {
	{1, "IN"},	{3, "CH"},	{4, "HS"},	{255, "ANY"},
};

static const struct mnemonic rcode_mnemonics[] = {
	{0, "NOERROR"},	{1, "FORMERR"},	{2, "SERVFAIL"}, {3, "NXDOMAIN"},
	{4, "NOTIMP"},	{5, "REFUSED"},	{6, "YXDOMAIN"}, {7, "YXRRSET"},
	{8, "NXRRSET"},	{9, "NOTAUTH"},	{10, "NOTZONE"}, {16, "BADVERS"},
};
/* clang-format on */

/* Look @value up in @table, or format it as @prefix and the number */
static const char *mnemonic_str(const struct mnemonic *table, size_t count,
				const char *prefix, uint16_t value,
				char buf[DNS_MNEMONIC_SIZE])
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (table[i].value == value)
			return table[i].text;
	}
	snprintf(buf, DNS_MNEMONIC_SIZE, "%s%u", prefix, value);
	return buf;
}

/**
 * dns_type_str() - text form of a record type
 * @type:	the type
 * @buf:	storage for the text of a type without a mnemonic
 *
 * Return: the mnemonic ("A", "HTTPS"), or "TYPE" and the number (RFC 3597)
 * written to @buf
 */
const char *dns_type_str(uint16_t type, char buf[DNS_MNEMONIC_SIZE])
{
	return mnemonic_str(type_mnemonics,
			    sizeof(type_mnemonics) / sizeof(*type_mnemonics),
			    "TYPE", type, buf);
}

/**
 * dns_class_str() - text form of a record class
 * @qclass:	the class
 * @buf:	storage for the text of a class without a mnemonic
 *
 * Return: "IN", "CH", "HS", "ANY", or "CLASS" and the number written to @buf
 */
const char *dns_class_str(uint16_t qclass, char buf[DNS_MNEMONIC_SIZE])
{
	return mnemonic_str(class_mnemonics,
			    sizeof(class_mnemonics) / sizeof(*class_mnemonics),
			    "CLASS", qclass, buf);
}

/**
 * dns_rcode_str() - text form of a response code
 * @rcode:	the code, extended bits included
 * @buf:	storage for the text of a code without a mnemonic
 *
 * Return: the mnemonic ("NXDOMAIN"), or "RCODE" and the number written to
 * @buf
 */
const char *dns_rcode_str(uint16_t rcode, char buf[DNS_MNEMONIC_SIZE])
{
	return mnemonic_str(rcode_mnemonics,
			    sizeof(rcode_mnemonics) / sizeof(*rcode_mnemonics),
			    "RCODE", rcode, buf);
}

/**
 * dns_tcp_frame_get() - find the first complete message in a TCP stream
 * @buf:	bytes received so far
 * @len:	bytes in @buf
 * @msg:	set to the message, after its 2-byte length prefix
 * @msg_len:	set to the message length
 *
 * Return: bytes that the frame takes in @buf (prefix and message) when it
 * is complete, 0 when more bytes are needed, -EBADMSG for a zero length,
 * after which the stream cannot be trusted
 */
ssize_t dns_tcp_frame_get(const uint8_t *buf, size_t len, const uint8_t **msg,
			  size_t *msg_len)
{
	size_t frame_len;

	if (len < 2)
		return 0;
	frame_len = load16(buf);
	if (!frame_len)
		return -EBADMSG;
	if (len - 2 < frame_len)
		return 0;

	*msg = buf + 2;
	*msg_len = frame_len;
	return (ssize_t)frame_len + 2;
}

/**
 * dns_tcp_prefix_put() - write the 2-byte length prefix of a TCP message
 * @prefix:	where the prefix goes, right before the message
 * @msg_len:	message length
 *
 * Return: 0, or -EMSGSIZE if @msg_len exceeds 65535
 */
int dns_tcp_prefix_put(uint8_t prefix[2], size_t msg_len)
{
	if (msg_len > DNS_TCP_MAX)
		return -EMSGSIZE;
	store16(prefix, (uint16_t)msg_len);
	return 0;
}
