// SPDX-License-Identifier: MIT
/* test_link.c - unit tests of QEMU stream framing (link_stream_parse) */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "unit.h"
#include "util.h"

#define MAX_FRAMES 16

/* The frames a parse delivered, copied out of the parsed buffer. */
struct seen {
	unsigned count;
	size_t len[MAX_FRAMES];
	uint8_t first[MAX_FRAMES]; /* first byte, or 0 for an empty frame */
	uint8_t last[MAX_FRAMES];
	uint8_t *copy[MAX_FRAMES];
};

static void record_frame(void *opaque, const uint8_t *frame, size_t len)
{
	struct seen *s = opaque;

	if (s->count == MAX_FRAMES)
		return;
	s->len[s->count] = len;
	s->first[s->count] = len ? frame[0] : 0;
	s->last[s->count] = len ? frame[len - 1] : 0;
	s->copy[s->count] = malloc(len ? len : 1);
	if (s->copy[s->count])
		memcpy(s->copy[s->count], frame, len);
	s->count++;
}

static void seen_free(struct seen *s)
{
	unsigned i;

	for (i = 0; i < s->count; i++)
		free(s->copy[i]);
	memset(s, 0, sizeof(*s));
}

/* Append a length prefix and @len bytes counting up from @start. */
static size_t put_frame(uint8_t *buf, size_t len, uint8_t start)
{
	size_t i;

	put_be32(buf, (uint32_t)len);
	for (i = 0; i < len; i++)
		buf[4 + i] = (uint8_t)(start + i);
	return 4 + len;
}

static void link_stream_splits_several_frames(void)
{
	uint8_t buf[512];
	struct seen s = {0};
	size_t len = 0;

	len += put_frame(buf + len, 60, 0x10);
	len += put_frame(buf + len, 14, 0x20);
	len += put_frame(buf + len, 200, 0x30);

	CHECK_INT(link_stream_parse(buf, len, record_frame, &s), len);
	CHECK_INT(s.count, 3);
	CHECK_INT(s.len[0], 60);
	CHECK_INT(s.first[0], 0x10);
	CHECK_INT(s.last[0], 0x10 + 59);
	CHECK_INT(s.len[1], 14);
	CHECK_INT(s.first[1], 0x20);
	CHECK_INT(s.len[2], 200);
	CHECK_INT(s.first[2], 0x30);
	CHECK_INT(s.last[2], (uint8_t)(0x30 + 199));
	seen_free(&s);
}

static void link_stream_leaves_partial_frame(void)
{
	uint8_t buf[512];
	struct seen s = {0};
	size_t whole, len, cut;

	whole = put_frame(buf, 60, 1);
	len = whole + put_frame(buf + whole, 100, 2);

	/* Every cut inside the second frame, prefix included, leaves it. */
	for (cut = whole; cut < len; cut++) {
		seen_free(&s);
		CHECK_INT(link_stream_parse(buf, cut, record_frame, &s), whole);
		CHECK_INT(s.count, 1);
		CHECK_INT(s.len[0], 60);
	}
	seen_free(&s);

	/* A buffer shorter than one prefix consumes nothing. */
	CHECK_INT(link_stream_parse(buf, 3, record_frame, &s), 0);
	CHECK_INT(link_stream_parse(buf, 0, record_frame, &s), 0);
	CHECK_INT(s.count, 0);
}

static void link_stream_delivers_empty_frame(void)
{
	uint8_t buf[64];
	struct seen s = {0};
	size_t len = 0;

	len += put_frame(buf + len, 0, 0);
	len += put_frame(buf + len, 20, 0x40);
	len += put_frame(buf + len, 0, 0);

	CHECK_INT(link_stream_parse(buf, len, record_frame, &s), len);
	CHECK_INT(s.count, 3);
	CHECK_INT(s.len[0], 0);
	CHECK_INT(s.len[1], 20);
	CHECK_INT(s.first[1], 0x40);
	CHECK_INT(s.len[2], 0);
	seen_free(&s);
}

static void link_stream_oversized_prefix_is_eproto(void)
{
	uint8_t buf[64];
	struct seen s = {0};

	put_be32(buf, LINK_FRAME_MAX + 1);
	CHECK_INT(link_stream_parse(buf, 4, record_frame, &s), -EPROTO);
	CHECK_INT(s.count, 0);

	put_be32(buf, 0xffffffff);
	CHECK_INT(link_stream_parse(buf, 8, record_frame, &s), -EPROTO);

	/* The bad prefix after a good frame still resets the stream. */
	put_frame(buf, 10, 0);
	put_be32(buf + 14, 0x80000000);
	CHECK_INT(link_stream_parse(buf, 18, record_frame, &s), -EPROTO);
	seen_free(&s);
}

/* A prefix of exactly LINK_FRAME_MAX is valid and waits for its bytes. */
static void link_stream_accepts_largest_frame(void)
{
	const size_t total = 4 + LINK_FRAME_MAX;
	struct seen s = {0};
	uint8_t *buf;

	buf = malloc(total);
	CHECK(buf != NULL);
	put_frame(buf, LINK_FRAME_MAX, 7);
	CHECK_INT(link_stream_parse(buf, total - 1, record_frame, &s), 0);
	CHECK_INT(s.count, 0);
	CHECK_INT(link_stream_parse(buf, total, record_frame, &s), total);
	CHECK_INT(s.count, 1);
	CHECK_INT(s.len[0], LINK_FRAME_MAX);
	CHECK_INT(s.first[0], 7);
	free(buf);
	seen_free(&s);
}

/* Feed a stream one byte at a time into a reassembly buffer, the way the
 * link's read callback keeps unconsumed bytes, and compare the frames. */
static void link_stream_reassembles_byte_by_byte(void)
{
	static const size_t sizes[] = {60, 0, 1, 1514, 3, 9000};
	uint8_t stream[16384], rx[16384];
	struct seen s = {0};
	size_t len = 0, rxlen = 0, i, off;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		len += put_frame(stream + len, sizes[i], (uint8_t)(i * 40));

	for (off = 0; off < len; off++) {
		long used;

		rx[rxlen++] = stream[off];
		used = link_stream_parse(rx, rxlen, record_frame, &s);
		CHECK(used >= 0);
		memmove(rx, rx + used, rxlen - (size_t)used);
		rxlen -= (size_t)used;
	}
	CHECK_INT(rxlen, 0);
	CHECK_INT(s.count, ARRAY_SIZE(sizes));

	off = 0;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		CHECK_INT(s.len[i], sizes[i]);
		CHECK(s.copy[i] != NULL);
		CHECK_MEM(s.copy[i], stream + off + 4, sizes[i]);
		off += 4 + sizes[i];
	}
	seen_free(&s);
}

UNIT_MAIN(UNIT_TEST(link_stream_splits_several_frames),
	  UNIT_TEST(link_stream_leaves_partial_frame),
	  UNIT_TEST(link_stream_delivers_empty_frame),
	  UNIT_TEST(link_stream_oversized_prefix_is_eproto),
	  UNIT_TEST(link_stream_accepts_largest_frame),
	  UNIT_TEST(link_stream_reassembles_byte_by_byte))
