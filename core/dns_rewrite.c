// SPDX-License-Identifier: MIT
/* dns_rewrite.c - rewrite an upstream DNS response into a guest reply */

/*
 * How it works
 *
 * dns_response_rewrite() validates each upstream record before it writes
 * anything for it. Names inside rdata are copied only for the types whose
 * layout is known (the table rdata_layouts). Rdata of any other type is
 * copied verbatim, as RFC 3597 requires. The rewrite neither validates
 * DNSSEC nor keeps signatures valid, so it clears AD in the reply.
 *
 * Records are read and written with the reader and reply writer of
 * dns_msg.c, declared in dns_msg_internal.h.
 */

#include <errno.h>
#include <string.h>

#include "dns_msg.h"
#include "dns_msg_internal.h"

/* Text of a name with every label byte escaped as \DDD, and the NUL */
#define NAME_ESCAPED_SIZE 1024

/* SvcParamKeys (RFC 9460) */
#define SVCB_KEY_MANDATORY 0
#define SVCB_KEY_IPV4HINT  4
#define SVCB_KEY_ECH	   5
#define SVCB_KEY_IPV6HINT  6

/**
 * struct rdata_layout - where names sit in the rdata of a record type
 * @type:	record type
 * @lead:	fixed bytes before the names
 * @names:	names that follow, 1 or 2
 * @trail:	fixed bytes after the names, up to the end of the rdata
 * @compress:	a type from RFC 1035, whose names the output may compress;
 *		other types' names are written in full
 */
struct rdata_layout {
	uint16_t type;
	uint8_t lead;
	uint8_t names;
	uint8_t trail;
	bool compress;
};

/*
 * RP, AFSDB, RT, PX and SRV must not be compressed by current senders, but
 * older servers compressed them, so they are decoded anyway.
 */
/* clang-format off */
static const struct rdata_layout rdata_layouts[] = {
	{DNS_TYPE_NS, 0, 1, 0, true},
	{3 /* MD */, 0, 1, 0, true},
	{4 /* MF */, 0, 1, 0, true},
	{DNS_TYPE_CNAME, 0, 1, 0, true},
	{DNS_TYPE_SOA, 0, 2, 20, true},
	{7 /* MB */, 0, 1, 0, true},
	{8 /* MG */, 0, 1, 0, true},
	{9 /* MR */, 0, 1, 0, true},
	{DNS_TYPE_PTR, 0, 1, 0, true},
	{14 /* MINFO */, 0, 2, 0, true},
	{DNS_TYPE_MX, 2, 1, 0, true},
	{17 /* RP */, 0, 2, 0, false},
	{18 /* AFSDB */, 2, 1, 0, false},
	{21 /* RT */, 2, 1, 0, false},
	{26 /* PX */, 2, 2, 0, false},
	{DNS_TYPE_SRV, 6, 1, 0, false},
	{DNS_TYPE_DNAME, 0, 1, 0, false},
};
/* clang-format on */

/* NOTE: NAPTR (35) is copied verbatim; a compressed replacement name from
 * an old server would then point into the wrong place of the reply. */

static const struct rdata_layout *rdata_layout_find(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(rdata_layouts) / sizeof(*rdata_layouts); i++) {
		if (rdata_layouts[i].type == type)
			return &rdata_layouts[i];
	}
	return NULL;
}

/**
 * struct rewrite - state of one dns_response_rewrite() call
 * @rd:		reader over the upstream response
 * @reply:	the reply being written for the guest
 * @q:		the guest's query
 * @filter:	decides on address records, or NULL to keep them all
 * @ctx:	passed to @filter
 * @opt_seen:	the upstream response had an OPT record
 */
struct rewrite {
	struct msg_reader rd;
	struct dns_reply reply;
	const struct dns_query *q;
	dns_addr_filter filter;
	void *ctx;
	bool opt_seen;
};

static int rewrite_opt(struct rewrite *rw, const struct msg_rr *rr,
		       enum dns_section section)
{
	if (section != DNS_SECTION_ADDITIONAL || rw->opt_seen ||
	    rr->owner_len != 1)
		return -EBADMSG;

	/* An extended rcode would need translating, and sluice never requests
	 * the features (cookies, TSIG) that produce one. */
	if (rr->ttl >> 24)
		return -EPROTO;

	rw->opt_seen = true;
	return 0;
}

static int rewrite_addr(struct rewrite *rw, const struct msg_rr *rr)
{
	enum dns_addr_verdict verdict = DNS_ADDR_KEEP;
	const uint8_t *rdata = rw->rd.msg + rr->rdata;
	char owner[NAME_ESCAPED_SIZE];
	struct dns_addr_record rec;
	struct rr_mark mark;

	if (rr->rdlen != (rr->type == DNS_TYPE_A ? 4 : 16))
		return -EBADMSG;
	if (rw->reply.full)
		return 0;
	if (!dns_name_to_text(rr->owner, owner, sizeof(owner), true))
		return -EBADMSG;

	memset(&rec, 0, sizeof(rec));
	rec.owner = owner;
	rec.type = rr->type;
	rec.section = rw->reply.section;
	rec.ttl = rr->ttl;
	rec.addr_len = rr->rdlen;
	memcpy(rec.addr, rdata, rr->rdlen);

	if (rw->filter)
		verdict = rw->filter(&rec, rw->ctx);
	if (verdict != DNS_ADDR_KEEP && verdict != DNS_ADDR_REPLACE)
		return 0;
	if (verdict == DNS_ADDR_KEEP)
		memcpy(rec.addr, rdata, rr->rdlen);

	dns_rr_begin(&rw->reply, &mark, rr->owner, rr->owner_len, rr->type,
		     rr->rclass, rec.ttl);
	put(&rw->reply, rec.addr, rec.addr_len);
	return dns_rr_end(&rw->reply, &mark);
}

static int rewrite_names(struct rewrite *rw, const struct msg_rr *rr,
			 const struct rdata_layout *layout)
{
	struct msg_reader rd = rw->rd;
	size_t end = rr->rdata + rr->rdlen;
	uint8_t names[2][DNS_NAME_WIRE_MAX];
	size_t lens[2];
	struct rr_mark mark;
	unsigned i;

	/* Decode and check the whole rdata before writing anything */
	if (rr->rdlen < layout->lead)
		return -EBADMSG;
	rd.pos = rr->rdata + layout->lead;
	for (i = 0; i < layout->names; i++) {
		lens[i] = dns_name_read(&rd, end, names[i]);
		if (!lens[i])
			return -EBADMSG;
	}
	if (end - rd.pos != layout->trail)
		return -EBADMSG;
	if (rw->reply.full)
		return 0;

	dns_rr_begin(&rw->reply, &mark, rr->owner, rr->owner_len, rr->type,
		     rr->rclass, rr->ttl);
	put(&rw->reply, rw->rd.msg + rr->rdata, layout->lead);
	for (i = 0; i < layout->names; i++)
		dns_put_name(&rw->reply, names[i], lens[i], layout->compress);
	put(&rw->reply, rw->rd.msg + rd.pos, layout->trail);
	return dns_rr_end(&rw->reply, &mark);
}

static bool svcb_key_is_stripped(uint16_t key)
{
	return key == SVCB_KEY_IPV4HINT || key == SVCB_KEY_ECH ||
	       key == SVCB_KEY_IPV6HINT;
}

/*
 * Check the SvcParams in @params..@end: each fits, keys strictly increase
 * as RFC 9460 requires, and a mandatory list has whole keys. Sets
 * @mandatory_lost if the mandatory list names a key that the rewrite strips.
 */
static bool svcb_params_check(const uint8_t *msg, size_t params, size_t end,
			      bool *mandatory_lost)
{
	size_t pos = params, i;
	long prev = -1;

	while (pos < end) {
		uint16_t key, len;

		if (end - pos < 4)
			return false;
		key = load16(msg + pos);
		len = load16(msg + pos + 2);
		pos += 4;
		if (end - pos < len || (long)key <= prev)
			return false;
		prev = key;

		if (key == SVCB_KEY_MANDATORY) {
			if (!len || len % 2)
				return false;
			for (i = 0; i < len; i += 2) {
				if (svcb_key_is_stripped(load16(msg + pos + i)))
					*mandatory_lost = true;
			}
		}
		pos += len;
	}
	return true;
}

/*
 * SVCB and HTTPS lose ipv4hint, ipv6hint and ech. A record whose mandatory
 * list names one of them is dropped. Keeping it would break the RFC 9460
 * rule that mandatory keys appear in the record, and editing the list would
 * let clients use an endpoint without a parameter its operator requires.
 */
static int rewrite_svcb(struct rewrite *rw, const struct msg_rr *rr)
{
	struct msg_reader rd = rw->rd;
	size_t end = rr->rdata + rr->rdlen, pos;
	uint8_t target[DNS_NAME_WIRE_MAX];
	bool mandatory_lost = false;
	struct rr_mark mark;
	size_t target_len;

	if (rr->rdlen < 2)
		return -EBADMSG;
	rd.pos = rr->rdata + 2;
	target_len = dns_name_read(&rd, end, target);
	if (!target_len)
		return -EBADMSG;
	if (!svcb_params_check(rd.msg, rd.pos, end, &mandatory_lost))
		return -EBADMSG;
	if (rw->reply.full || mandatory_lost)
		return 0;

	dns_rr_begin(&rw->reply, &mark, rr->owner, rr->owner_len, rr->type,
		     rr->rclass, rr->ttl);
	put(&rw->reply, rd.msg + rr->rdata, 2);
	dns_put_name(&rw->reply, target, target_len, false);
	for (pos = rd.pos; pos < end;) {
		size_t param_len = 4 + (size_t)load16(rd.msg + pos + 2);

		if (!svcb_key_is_stripped(load16(rd.msg + pos)))
			put(&rw->reply, rd.msg + pos, param_len);
		pos += param_len;
	}
	return dns_rr_end(&rw->reply, &mark);
}

static int rewrite_verbatim(struct rewrite *rw, const struct msg_rr *rr)
{
	struct rr_mark mark;

	if (rw->reply.full)
		return 0;

	dns_rr_begin(&rw->reply, &mark, rr->owner, rr->owner_len, rr->type,
		     rr->rclass, rr->ttl);
	put(&rw->reply, rw->rd.msg + rr->rdata, rr->rdlen);
	return dns_rr_end(&rw->reply, &mark);
}

/*
 * Read one upstream record and write its rewritten form. Records of a class
 * other than the question's are left out (unless the question class is
 * ANY), which also removes TSIG and TKEY, whose signatures the rewrite
 * would break anyway.
 */
static int rewrite_record(struct rewrite *rw, enum dns_section section)
{
	const struct rdata_layout *layout;
	struct msg_rr rr;
	int err;

	if (!dns_rr_read(&rw->rd, &rr))
		return -EBADMSG;
	if (rr.type == DNS_TYPE_OPT)
		return rewrite_opt(rw, &rr, section);
	if (rw->q->qclass != DNS_CLASS_ANY && rr.rclass != rw->q->qclass)
		return 0;

	/* RFC 2181 section 8: a TTL with the top bit set counts as zero */
	if (rr.ttl & 0x80000000)
		rr.ttl = 0;

	rw->reply.section = section;
	layout = rdata_layout_find(rr.type);
	if (rr.rclass == DNS_CLASS_IN &&
	    (rr.type == DNS_TYPE_A || rr.type == DNS_TYPE_AAAA))
		err = rewrite_addr(rw, &rr);
	else if (layout)
		err = rewrite_names(rw, &rr, layout);
	else if (rr.type == DNS_TYPE_SVCB || rr.type == DNS_TYPE_HTTPS)
		err = rewrite_svcb(rw, &rr);
	else
		err = rewrite_verbatim(rw, &rr);

	/* A record that does not fit ends the output, not the validation */
	return err == -EMSGSIZE ? 0 : err;
}

/* Check the upstream header and question against the guest's query */
static int rewrite_header_check(struct rewrite *rw, uint16_t counts[3])
{
	struct msg_reader *rd = &rw->rd;
	uint8_t qname[DNS_NAME_WIRE_MAX];
	uint16_t flags, qdcount, qtype, qclass;
	size_t qname_len;

	if (rd->len < DNS_HEADER_LEN)
		return -EBADMSG;
	flags = load16(rd->msg + 2);
	qdcount = load16(rd->msg + 4);
	counts[DNS_SECTION_ANSWER] = load16(rd->msg + 6);
	counts[DNS_SECTION_AUTHORITY] = load16(rd->msg + 8);
	counts[DNS_SECTION_ADDITIONAL] = load16(rd->msg + 10);
	if (!(flags & DNS_FLAG_QR) || (flags & DNS_FLAG_OPCODE) || qdcount != 1)
		return -EPROTO;

	rd->pos = DNS_HEADER_LEN;
	qname_len = dns_name_read(rd, rd->len, qname);
	if (!qname_len || !read_u16(rd, &qtype) || !read_u16(rd, &qclass))
		return -EBADMSG;
	if (!dns_name_equal(qname, qname_len, rw->q->qname, rw->q->qname_len) ||
	    qtype != rw->q->qtype || qclass != rw->q->qclass)
		return -EPROTO;
	return 0;
}

/**
 * dns_response_rewrite() - turn an upstream response into a guest reply
 * @resp:	the complete upstream response
 * @resp_len:	bytes in @resp
 * @q:		the guest's query, with a question
 * @transport:	transport of the guest's query, which sets the size limit
 * @filter:	called for each IN-class A and AAAA record that is written;
 *		NULL keeps them all
 * @ctx:	passed to @filter
 * @out:	output buffer
 * @out_size:	bytes in @out
 *
 * The reply carries the guest's id, flags and question, the upstream rcode
 * and TC bit, and the upstream records with every name decompressed from
 * the upstream message. Addresses go through @filter. SVCB and HTTPS
 * records lose ipv4hint, ipv6hint and ech. The OPT record is written anew
 * when the guest sent one. AA and AD are cleared. A record that does not
 * fit ends the reply, with TC set if it belongs to the answer section. The
 * rest of the response is still validated, but @filter is not called for
 * its records.
 *
 * Return: length of the reply, -EBADMSG for a malformed response, -EPROTO
 * for a response that does not answer @q's question or has an extended
 * rcode, -EINVAL if @q has no question, -ENOBUFS if @out_size is too small
 */
int dns_response_rewrite(const uint8_t *resp, size_t resp_len,
			 const struct dns_query *q,
			 enum dns_transport transport, dns_addr_filter filter,
			 void *ctx, uint8_t *out, size_t out_size)
{
	struct rewrite rw;
	uint16_t counts[3], i;
	int section, err;

	if (!q->has_question)
		return -EINVAL;

	memset(&rw, 0, sizeof(rw));
	rw.rd.msg = resp;
	rw.rd.len = resp_len;
	rw.q = q;
	rw.filter = filter;
	rw.ctx = ctx;
	err = rewrite_header_check(&rw, counts);
	if (err)
		return err;

	err = dns_reply_init(&rw.reply, out, out_size, q, transport,
			     load16(resp + 2) & DNS_FLAG_RCODE);
	if (err)
		return err;
	if (load16(resp + 2) & DNS_FLAG_TC)
		rw.reply.tc = true;

	for (section = DNS_SECTION_ANSWER; section <= DNS_SECTION_ADDITIONAL;
	     section++) {
		for (i = 0; i < counts[section]; i++) {
			err = rewrite_record(&rw, (enum dns_section)section);
			if (err)
				return err;
		}
	}
	if (rw.rd.pos != resp_len)
		return -EBADMSG;

	return dns_reply_finish(&rw.reply);
}
