// SPDX-License-Identifier: MIT
/* test_frameq.c - unit tests of the guest-bound frame queue in frameq.c */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frameq.h"
#include "unit.h"
#include "util.h"

#define FRAME_MAX (65535 + 14)

/* Push @len bytes of @byte as one frame. */
static int push_fill(struct frameq *q, uint8_t byte, size_t len)
{
	static uint8_t buf[FRAME_MAX + 1];
	struct iovec iov = {buf, len};

	memset(buf, byte, len);
	return frameq_push(q, &iov, 1);
}

/* Check that the first queued frame is @len bytes of @byte. */
static void check_front(const struct frameq *q, uint8_t byte, size_t len)
{
	const uint8_t *frame;
	size_t got, i;

	CHECK_INT(frameq_peek(q, &frame, &got), 0);
	CHECK_INT(got, len);
	for (i = 0; i < len; i++)
		CHECK_INT(frame[i], byte);
}

static void frameq_push_then_peek_gives_frame(void)
{
	static const char head[] = "0123456789abcd", body[] = "payload";
	struct iovec iov[2] = {
	    {(void *)head, 14},
	    {(void *)body, 7},
	};
	const uint8_t *frame;
	struct frameq q;
	size_t len;

	CHECK_INT(frameq_init(&q, 4096), 0);
	CHECK(frameq_empty(&q));
	CHECK_INT(frameq_push(&q, iov, 2), 0);
	CHECK(!frameq_empty(&q));
	CHECK_INT(frameq_used(&q), FRAMEQ_PREFIX + 21);

	CHECK_INT(frameq_peek(&q, &frame, &len), 0);
	CHECK_INT(len, 21);
	CHECK_MEM(frame, head, 14);
	CHECK_MEM(frame + 14, body, 7);

	/* Peeking does not consume. */
	CHECK_INT(frameq_peek(&q, &frame, &len), 0);
	CHECK_INT(len, 21);
	frameq_free(&q);
}

static void frameq_frames_come_out_in_order(void)
{
	struct frameq q;

	CHECK_INT(frameq_init(&q, 4096), 0);
	CHECK_INT(push_fill(&q, 'a', 60), 0);
	CHECK_INT(push_fill(&q, 'b', 1), 0);
	CHECK_INT(push_fill(&q, 'c', 1514), 0);

	check_front(&q, 'a', 60);
	frameq_consume(&q, FRAMEQ_PREFIX + 60);
	check_front(&q, 'b', 1);
	frameq_consume(&q, FRAMEQ_PREFIX + 1);
	check_front(&q, 'c', 1514);
	frameq_consume(&q, FRAMEQ_PREFIX + 1514);
	CHECK(frameq_empty(&q));
	frameq_free(&q);
}

static void frameq_prefix_is_big_endian_length(void)
{
	struct frameq q;

	CHECK_INT(frameq_init(&q, 1 << 17), 0);
	CHECK_INT(push_fill(&q, 0x11, 0x0102), 0);
	CHECK_INT(q.buf[0], 0);
	CHECK_INT(q.buf[1], 0);
	CHECK_INT(q.buf[2], 0x01);
	CHECK_INT(q.buf[3], 0x02);

	frameq_consume(&q, FRAMEQ_PREFIX + 0x0102);
	CHECK_INT(push_fill(&q, 0x22, FRAME_MAX), 0);
	CHECK_INT(get_be32(q.buf), FRAME_MAX);
	CHECK_INT(q.buf[1], 0x01); /* 65549 = 0x1000d */
	CHECK_INT(q.buf[3], 0x0d);
	frameq_free(&q);
}

static void frameq_empty_frame_rejected(void)
{
	struct iovec none = {NULL, 0};
	struct frameq q;

	CHECK_INT(frameq_init(&q, 4096), 0);
	CHECK_INT(frameq_push(&q, &none, 1), -EMSGSIZE);
	CHECK_INT(frameq_push(&q, NULL, 0), -EMSGSIZE);
	CHECK(frameq_empty(&q));
	frameq_free(&q);
}

static void frameq_oversized_frame_rejected(void)
{
	struct frameq q;

	CHECK_INT(frameq_init(&q, 1 << 18), 0);
	CHECK_INT(push_fill(&q, 0, FRAME_MAX + 1), -EMSGSIZE);
	CHECK(frameq_empty(&q));
	CHECK_INT(push_fill(&q, 0, FRAME_MAX), 0);
	frameq_free(&q);
}

/* The length limit applies to the sum of the pieces. */
static void frameq_oversized_gather_rejected(void)
{
	static uint8_t half[FRAME_MAX / 2 + 1];
	struct iovec iov[2] = {
	    {half, sizeof(half)},
	    {half, sizeof(half)},
	};
	struct frameq q;

	CHECK_INT(frameq_init(&q, 1 << 18), 0);
	CHECK(2 * sizeof(half) > FRAME_MAX);
	CHECK_INT(frameq_push(&q, iov, 2), -EMSGSIZE);
	CHECK(frameq_empty(&q));
	frameq_free(&q);
}

static void frameq_full_queue_gives_enobufs(void)
{
	struct frameq q;

	CHECK_INT(frameq_init(&q, 3 * (FRAMEQ_PREFIX + 100)), 0);
	CHECK_INT(push_fill(&q, 1, 100), 0);
	CHECK_INT(push_fill(&q, 2, 100), 0);
	CHECK_INT(push_fill(&q, 3, 100), 0);
	CHECK_INT(frameq_used(&q), q.cap);
	CHECK_INT(push_fill(&q, 4, 1), -ENOBUFS);

	/* The rejected push left the queued frames alone. */
	CHECK_INT(frameq_used(&q), q.cap);
	check_front(&q, 1, 100);
	frameq_free(&q);
}

/* A frame one byte larger than the free space (at the end plus the room
 * consumed at the front) is rejected without touching the queue. */
static void frameq_push_larger_than_free_space_rejected(void)
{
	struct frameq q;

	CHECK_INT(frameq_init(&q, 3 * (FRAMEQ_PREFIX + 100)), 0);
	CHECK_INT(push_fill(&q, 1, 100), 0);
	CHECK_INT(push_fill(&q, 2, 100), 0);
	frameq_consume(&q, FRAMEQ_PREFIX + 100);
	CHECK_INT(push_fill(&q, 3, 2 * 100 + FRAMEQ_PREFIX + 1), -ENOBUFS);
	check_front(&q, 2, 100);
	CHECK_INT(frameq_used(&q), FRAMEQ_PREFIX + 100);

	/* One byte less fits exactly, after compaction. */
	CHECK_INT(push_fill(&q, 3, 2 * 100 + FRAMEQ_PREFIX), 0);
	CHECK_INT(frameq_used(&q), q.cap);
	check_front(&q, 2, 100);
	frameq_consume(&q, FRAMEQ_PREFIX + 100);
	check_front(&q, 3, 2 * 100 + FRAMEQ_PREFIX);
	frameq_free(&q);
}

/* After the front is consumed in part, a push that does not fit at the end
 * moves the unsent bytes to the start. They must come out intact, and that
 * includes a record that a stream link has written only halfway. */
static void frameq_compaction_keeps_data_intact(void)
{
	const size_t cap = 3 * (FRAMEQ_PREFIX + 100);
	uint8_t expect[2 * (FRAMEQ_PREFIX + 100)];
	struct frameq q;
	size_t half;

	CHECK_INT(frameq_init(&q, cap), 0);
	CHECK_INT(push_fill(&q, 1, 100), 0);
	CHECK_INT(push_fill(&q, 2, 100), 0);
	CHECK_INT(push_fill(&q, 3, 100), 0);

	/* A stream link wrote the first record and half of the second. */
	half = FRAMEQ_PREFIX + 100 + (FRAMEQ_PREFIX + 100) / 2;
	frameq_consume(&q, half);
	memcpy(expect, q.buf + q.head, frameq_used(&q));

	CHECK_INT(push_fill(&q, 4, 100), 0);
	CHECK_INT(q.head, 0);
	CHECK_INT(frameq_used(&q), cap - half + FRAMEQ_PREFIX + 100);
	CHECK_MEM(q.buf, expect, cap - half);

	/* Finish the half-written record, then read frame by frame. */
	frameq_consume(&q, FRAMEQ_PREFIX + 100 - (half - FRAMEQ_PREFIX - 100));
	check_front(&q, 3, 100);
	frameq_consume(&q, FRAMEQ_PREFIX + 100);
	check_front(&q, 4, 100);
	frameq_consume(&q, FRAMEQ_PREFIX + 100);
	CHECK(frameq_empty(&q));
	frameq_free(&q);
}

static void frameq_consume_all_resets_offsets(void)
{
	struct frameq q;

	CHECK_INT(frameq_init(&q, 4096), 0);
	CHECK_INT(push_fill(&q, 1, 100), 0);
	frameq_consume(&q, FRAMEQ_PREFIX + 100);
	CHECK(frameq_empty(&q));
	CHECK_INT(q.head, 0);
	CHECK_INT(q.tail, 0);
	frameq_free(&q);
}

static void frameq_peek_on_empty_queue_fails(void)
{
	const uint8_t *frame = NULL;
	struct frameq q;
	size_t len = 0;

	CHECK_INT(frameq_init(&q, 4096), 0);
	CHECK_INT(frameq_peek(&q, &frame, &len), -EAGAIN);
	CHECK_INT(push_fill(&q, 1, 10), 0);
	frameq_clear(&q);
	CHECK(frameq_empty(&q));
	CHECK_INT(frameq_peek(&q, &frame, &len), -EAGAIN);
	frameq_free(&q);
}

static void frameq_congested_above_high_mark(void)
{
	struct frameq q;

	CHECK_INT(frameq_init(&q, 1000), 0);
	CHECK_INT(q.high, 500);
	CHECK_INT(q.low, 250);

	/* Exactly at the mark is not yet congested. */
	CHECK_INT(push_fill(&q, 1, 500 - FRAMEQ_PREFIX), 0);
	CHECK_INT(frameq_used(&q), 500);
	CHECK(!frameq_congested(&q));

	CHECK_INT(push_fill(&q, 2, 1), 0);
	CHECK(frameq_congested(&q));

	frameq_consume(&q, 500);
	CHECK(!frameq_congested(&q));
	frameq_free(&q);
}

UNIT_MAIN(UNIT_TEST(frameq_push_then_peek_gives_frame),
	  UNIT_TEST(frameq_frames_come_out_in_order),
	  UNIT_TEST(frameq_prefix_is_big_endian_length),
	  UNIT_TEST(frameq_empty_frame_rejected),
	  UNIT_TEST(frameq_oversized_frame_rejected),
	  UNIT_TEST(frameq_oversized_gather_rejected),
	  UNIT_TEST(frameq_full_queue_gives_enobufs),
	  UNIT_TEST(frameq_push_larger_than_free_space_rejected),
	  UNIT_TEST(frameq_compaction_keeps_data_intact),
	  UNIT_TEST(frameq_consume_all_resets_offsets),
	  UNIT_TEST(frameq_peek_on_empty_queue_fails),
	  UNIT_TEST(frameq_congested_above_high_mark))
