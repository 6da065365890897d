/* SPDX-License-Identifier: MIT */
/* dns_msg_internal.h - internals shared by dns_msg.c and dns_rewrite.c */

#ifndef SLUICE_DNS_MSG_INTERNAL_H
#define SLUICE_DNS_MSG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns_msg.h"

/**
 * struct msg_reader - bounds-checked cursor over a received message
 * @msg:	the message
 * @len:	bytes in @msg
 * @pos:	offset of the next byte to read
 */
struct msg_reader {
	const uint8_t *msg;
	size_t len;
	size_t pos;
};

/**
 * struct msg_rr - a resource record as read, with its rdata left in place
 * @owner:	owner name, decompressed wire form
 * @owner_len:	bytes in @owner
 * @type:	record type
 * @rclass:	record class (the UDP payload size for OPT)
 * @ttl:	time to live (extended rcode, version and flags for OPT)
 * @rdata:	offset of the rdata in the message
 * @rdlen:	bytes of rdata
 */
struct msg_rr {
	uint8_t owner[DNS_NAME_WIRE_MAX];
	size_t owner_len;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	size_t rdata;
	uint16_t rdlen;
};

/*
 * The byte-order, reader and put helpers below are static inline, so their
 * short names stay out of the symbol table of the library.
 */
static inline uint16_t load16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t load32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void store16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void store32(uint8_t *p, uint32_t v)
{
	store16(p, (uint16_t)(v >> 16));
	store16(p + 2, (uint16_t)v);
}

static inline bool read_u16(struct msg_reader *rd, uint16_t *v)
{
	if (rd->len - rd->pos < 2)
		return false;
	*v = load16(rd->msg + rd->pos);
	rd->pos += 2;
	return true;
}

static inline bool read_u32(struct msg_reader *rd, uint32_t *v)
{
	if (rd->len - rd->pos < 4)
		return false;
	*v = load32(rd->msg + rd->pos);
	rd->pos += 4;
	return true;
}

static inline bool read_skip(struct msg_reader *rd, size_t n)
{
	if (rd->len - rd->pos < n)
		return false;
	rd->pos += n;
	return true;
}

/*
 * The put helpers append to the reply. Once a write does not fit, r->overflow
 * is set and later writes do nothing until dns_rr_end() rolls the record back.
 */
static inline void put(struct dns_reply *r, const void *data, size_t n)
{
	if (r->overflow || n > r->limit - r->reserve - r->len) {
		r->overflow = true;
		return;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
}

static inline void put_u16(struct dns_reply *r, uint16_t v)
{
	uint8_t b[2];

	store16(b, v);
	put(r, b, sizeof(b));
}

static inline void put_u32(struct dns_reply *r, uint32_t v)
{
	uint8_t b[4];

	store32(b, v);
	put(r, b, sizeof(b));
}

/**
 * struct rr_mark - where a record started, to fill it in or roll it back
 * @len:	reply length before the record
 * @name_count:	compression targets before the record
 * @rdlen_at:	offset of the record's RDLENGTH field
 */
struct rr_mark {
	size_t len;
	unsigned name_count;
	size_t rdlen_at;
};

/**
 * dns_name_read() - decode a name that may be compressed
 * @rd:		reader; the name starts at @rd->pos, which is moved past the
 *		name as stored there
 * @end:	offset that the stored name must end before. Labels reached
 *		through a pointer may lie anywhere in the message
 * @wire:	set to the decoded name in uncompressed wire form
 *
 * Return: the wire length, or 0 if the name is malformed
 */
size_t dns_name_read(struct msg_reader *rd, size_t end,
		     uint8_t wire[DNS_NAME_WIRE_MAX]);

/**
 * dns_name_to_text() - convert a decoded wire name to lower-case dotted text
 * @wire:	the name in uncompressed wire form
 * @text:	set to the text, without the trailing dot
 * @size:	bytes in @text
 * @escape:	write a byte that is not plain as \DDD instead of failing.
 *		Plain bytes are printable ASCII other than space, '.' and '\'
 *
 * Return: false if a byte is not plain and @escape is false, or if @size
 * is too small
 */
bool dns_name_to_text(const uint8_t *wire, char *text, size_t size,
		      bool escape);

/**
 * dns_name_equal() - compare two decoded wire names, ignoring ASCII case
 * @a:		first name
 * @a_len:	bytes in @a
 * @b:		second name
 * @b_len:	bytes in @b
 *
 * Return: true if the names are equal
 */
bool dns_name_equal(const uint8_t *a, size_t a_len, const uint8_t *b,
		    size_t b_len);

/**
 * dns_rr_read() - read one record and skip its rdata
 * @rd:		reader at the start of the record, moved past its rdata
 * @rr:		filled with the record; its rdata stays in the message
 *
 * Return: false if the record runs past the end of the message or has a
 * malformed owner name
 */
bool dns_rr_read(struct msg_reader *rd, struct msg_rr *rr);

/**
 * dns_put_name() - append a decoded name to a reply
 * @r:		the reply
 * @wire:	the name in uncompressed wire form
 * @len:	bytes in @wire
 * @compress:	write a name equal to one already in the reply (ignoring
 *		case) as a pointer to it
 *
 * A name written in full becomes a compression target if it starts within
 * pointer range.
 */
void dns_put_name(struct dns_reply *r, const uint8_t *wire, size_t len,
		  bool compress);

/**
 * dns_rr_begin() - start a record in the current section of a reply
 * @r:		the reply
 * @mark:	set to where the record starts, for dns_rr_end()
 * @owner:	owner name in uncompressed wire form, or NULL to write a
 *		pointer to the question name
 * @owner_len:	bytes in @owner
 * @type:	record type
 * @rclass:	record class
 * @ttl:	time to live in seconds
 *
 * The rdata follows through the put helpers, then dns_rr_end() completes
 * the record.
 */
void dns_rr_begin(struct dns_reply *r, struct rr_mark *mark,
		  const uint8_t *owner, size_t owner_len, uint16_t type,
		  uint16_t rclass, uint32_t ttl);

/**
 * dns_rr_end() - complete the record started at @mark
 * @r:		the reply
 * @mark:	as set by dns_rr_begin()
 *
 * If the record did not fit, rolls it back and marks the reply full, with
 * TC set for a record of the answer section.
 *
 * Return: 0, -EMSGSIZE if the record did not fit, or -EBADMSG if its rdata
 * grew past 65535 bytes
 */
int dns_rr_end(struct dns_reply *r, const struct rr_mark *mark);

#endif /* SLUICE_DNS_MSG_INTERNAL_H */
