/* SPDX-License-Identifier: MIT */
/* link.h - the guest link: QEMU stream, QEMU dgram or a TAP device */

#ifndef SLUICE_LINK_H
#define SLUICE_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <ev.h>

#include "frameq.h"

/* Largest frame on any link: a 65535-byte IP packet and its Ethernet
 * header. A stream length prefix above this resets the link. */
#define LINK_FRAME_MAX (65535 + 14)

/**
 * enum link_kind - how frames reach sluice
 * @LINK_STREAM_LISTEN:	 sluice listens; QEMU "-netdev stream,server=off"
 *			 connects (unix socket or TCP)
 * @LINK_STREAM_CONNECT: sluice connects to QEMU's "-netdev stream,server=on"
 * @LINK_DGRAM:		 QEMU "-netdev dgram" over unix datagram sockets
 * @LINK_TAP:		 a Linux TAP device, for network namespaces
 */
enum link_kind {
	LINK_STREAM_LISTEN,
	LINK_STREAM_CONNECT,
	LINK_DGRAM,
	LINK_TAP,
};

/**
 * struct link_handler - what the gateway does with link events
 * @frame:	one frame arrived from the guest
 * @up:		a guest connected (stream links), or the link opened
 * @down:	the guest went away; its state must be dropped
 * @drained:	the output queue fell below its low-water mark after being
 *		congested, so paused producers may resume
 */
struct link_handler {
	void (*frame)(void *opaque, const uint8_t *frame, size_t len);
	void (*up)(void *opaque);
	void (*down)(void *opaque);
	void (*drained)(void *opaque);
};

/**
 * struct link - state of the one guest link
 * @kind:	link kind
 * @address:	unix socket path, "ADDR:PORT" for TCP, or TAP device name
 * @peer_path:	dgram only: QEMU's socket path, or "" to learn it from the
 *		first datagram
 * @loop:	event loop
 * @listen_fd:	listening socket (stream listen), or -1
 * @fd:		connected stream, bound datagram socket or TAP fd, or -1
 * @accept_w:	watcher on @listen_fd
 * @rx_w:	read watcher on @fd
 * @tx_w:	write watcher on @fd, active while the queue could not drain
 * @flush_w:	flushes the output queue once per loop iteration
 * @retry_w:	reconnect timer (stream connect)
 * @txq:	frames waiting for the guest
 * @rxbuf:	stream reassembly buffer, or the TAP/dgram frame buffer
 * @rxlen:	bytes held in @rxbuf (stream)
 * @rxcap:	size of @rxbuf
 * @peer:	dgram peer address
 * @peer_len:	length of @peer, 0 while unknown
 * @congested:	the output queue passed its high-water mark
 * @h:		event handlers
 * @opaque:	argument for @h
 */
struct link {
	enum link_kind kind;
	char address[256];
	char peer_path[108];
	struct ev_loop *loop;
	int listen_fd;
	int fd;
	ev_io accept_w;
	ev_io rx_w;
	ev_io tx_w;
	ev_prepare flush_w;
	ev_timer retry_w;
	struct frameq txq;
	uint8_t *rxbuf;
	size_t rxlen;
	size_t rxcap;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	bool congested;
	struct link_handler h;
	void *opaque;
};

int link_open(struct link *l, struct ev_loop *loop, enum link_kind kind,
	      const char *address, const char *peer_path,
	      const struct link_handler *h, void *opaque);
void link_close(struct link *l);
int link_send(struct link *l, const struct iovec *iov, int iovcnt);
void link_flush(struct link *l);
bool link_is_up(const struct link *l);

/**
 * link_congested() - whether producers of guest-bound data should pause
 * @l:	the link
 *
 * Return: true while the output queue is above its high-water mark
 */
static inline bool link_congested(const struct link *l)
{
	return l->congested;
}

/**
 * typedef link_frame_fn - receives each frame split off a stream
 */
typedef void (*link_frame_fn)(void *opaque, const uint8_t *frame, size_t len);

long link_stream_parse(const uint8_t *buf, size_t len, link_frame_fn fn,
		       void *opaque);

#endif /* SLUICE_LINK_H */
