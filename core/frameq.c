// SPDX-License-Identifier: MIT
/* frameq.c - bounded queue of frames waiting to be written to the guest */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frameq.h"
#include "util.h"

/**
 * frameq_init() - allocate an empty queue
 * @q:		queue to set up
 * @cap:	capacity in bytes; the high-water mark is half of it and the
 *		low-water mark a quarter, leaving room for frames that must
 *		not be dropped (TCP acknowledgements, lwIP retransmissions)
 *
 * Return: 0 on success, -ENOMEM
 */
int frameq_init(struct frameq *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	q->buf = malloc(cap);
	if (!q->buf)
		return -ENOMEM;
	q->cap = cap;
	q->high = cap / 2;
	q->low = cap / 4;
	return 0;
}

/**
 * frameq_free() - release the storage of a queue
 * @q:	the queue
 */
void frameq_free(struct frameq *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

/**
 * frameq_clear() - drop everything queued, for example on a guest disconnect
 * @q:	the queue
 */
void frameq_clear(struct frameq *q)
{
	q->head = q->tail = 0;
}

/**
 * frameq_push() - append one frame gathered from several pieces
 * @q:		the queue
 * @iov:	pieces of the frame, in order
 * @iovcnt:	number of pieces
 *
 * Return: 0 on success, -EMSGSIZE for an empty frame or one over 65535 +
 *	   14 bytes, -ENOBUFS if the queue is full
 */
int frameq_push(struct frameq *q, const struct iovec *iov, int iovcnt)
{
	size_t len = 0, need;
	uint8_t *p;
	int i;

	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (!len || len > 65535 + 14)
		return -EMSGSIZE;
	need = FRAMEQ_PREFIX + len;

	if (q->cap - q->tail < need) {
		/* Compact: move the unsent bytes to the start. */
		if (q->cap - frameq_used(q) < need)
			return -ENOBUFS;
		memmove(q->buf, q->buf + q->head, frameq_used(q));
		q->tail -= q->head;
		q->head = 0;
	}

	p = q->buf + q->tail;
	put_be32(p, (uint32_t)len);
	p += FRAMEQ_PREFIX;
	for (i = 0; i < iovcnt; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	q->tail += need;
	return 0;
}

/**
 * frameq_peek() - the first whole frame, for links that send frame by frame
 * @q:		the queue, with @head at a record boundary
 * @frame:	set to the frame, without its length prefix
 * @len:	set to the frame length
 *
 * Return: 0 on success, -EAGAIN if the queue is empty
 */
int frameq_peek(const struct frameq *q, const uint8_t **frame, size_t *len)
{
	if (frameq_empty(q))
		return -EAGAIN;
	*len = get_be32(q->buf + q->head);
	*frame = q->buf + q->head + FRAMEQ_PREFIX;
	return 0;
}

/**
 * frameq_consume() - drop bytes from the front after they were written
 * @q:		the queue
 * @bytes:	bytes written; for frame-by-frame links the whole record,
 *		prefix included
 */
void frameq_consume(struct frameq *q, size_t bytes)
{
	q->head += bytes;
	if (q->head == q->tail)
		q->head = q->tail = 0;
}
