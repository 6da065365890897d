/* SPDX-License-Identifier: MIT */
/* frameq.h - bounded queue of frames waiting to be written to the guest */

#ifndef SLUICE_FRAMEQ_H
#define SLUICE_FRAMEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Length prefix of each queued frame: the QEMU stream format, big endian. */
#define FRAMEQ_PREFIX 4

/**
 * struct frameq - frames stored back to back as 4-byte length + frame
 * @buf:	storage of @cap bytes
 * @cap:	capacity in bytes
 * @head:	offset of the first unsent byte
 * @tail:	offset just past the last queued byte
 * @high:	fill level above which producers should pause
 * @low:	fill level below which paused producers resume
 *
 * The stored form is exactly the QEMU stream wire format, so a stream link
 * writes the bytes as they are; datagram and TAP links skip the prefix of
 * each record. @head may stop inside a record only for stream links.
 */
struct frameq {
	uint8_t *buf;
	size_t cap;
	size_t head;
	size_t tail;
	size_t high;
	size_t low;
};

int frameq_init(struct frameq *q, size_t cap);
void frameq_free(struct frameq *q);
void frameq_clear(struct frameq *q);
int frameq_push(struct frameq *q, const struct iovec *iov, int iovcnt);
int frameq_peek(const struct frameq *q, const uint8_t **frame, size_t *len);
void frameq_consume(struct frameq *q, size_t bytes);

/**
 * frameq_used() - bytes queued, length prefixes included
 * @q:	the queue
 *
 * Return: bytes between @head and @tail
 */
static inline size_t frameq_used(const struct frameq *q)
{
	return q->tail - q->head;
}

static inline bool frameq_empty(const struct frameq *q)
{
	return q->tail == q->head;
}

/**
 * frameq_congested() - whether producers should stop reading their sources
 * @q:	the queue
 *
 * Return: true above the high-water mark
 */
static inline bool frameq_congested(const struct frameq *q)
{
	return frameq_used(q) > q->high;
}

#endif /* SLUICE_FRAMEQ_H */
