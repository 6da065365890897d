// SPDX-License-Identifier: MIT
/*
 * link.c - the guest link: QEMU stream, QEMU dgram or a TAP device
 *
 * Theory of operation: one guest at a time is attached through one of three
 * link kinds. Incoming frames are read in batches (a stream read can carry
 * many frames; TAP and dgram deliver one frame per read, so the read loop
 * has a budget of frames per callback) and handed to the gateway one by one.
 * Outgoing frames are queued in a struct frameq and written once per loop
 * iteration from an ev_prepare watcher. So everything produced while
 * handling one batch of input leaves in as few system calls as possible:
 * one write() for a stream, one sendmmsg() for dgram, and one write() per
 * frame for TAP, which takes exactly one frame per call.
 *
 * Backpressure: frames are never dropped because the guest is slow. When
 * the queue passes its high-water mark the link reports itself congested;
 * sluice then stops reading the guest and its host sockets until the queue
 * drains below the low-water mark. Only a full queue drops a frame, which
 * is counted.
 *
 * A stream guest that disconnects, or that sends a length prefix larger
 * than any frame can be, is dropped with its state; the link then waits for
 * the next connection (listen) or reconnects once a second (connect). A
 * TAP device that disappears (its namespace was deleted) is dropped the
 * same way and created again once a second, for the next namespace.
 * NOTE: the dgram kind has no connection, so it never reports a disconnect;
 * a restarted QEMU simply continues with the same state.
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "link.h"
#include "log.h"
#include "pcap.h"
#include "stats.h"
#include "util.h"

#define LINK_QUEUE_BYTES   (4u << 20)
#define LINK_STREAM_RXBUF  (256u << 10)
#define LINK_READ_BUDGET   16 /* reads per callback */
#define LINK_DGRAM_BATCH   64 /* frames per sendmmsg() */
#define LINK_SOCKET_BUFFER (4 << 20)
#define LINK_RETRY_SECONDS 1.0

/**
 * link_stream_parse() - split QEMU stream bytes into frames
 * @buf:	received bytes, starting at a length prefix
 * @len:	bytes in @buf
 * @fn:		called for each complete frame (also for empty frames, which
 *		the receiver counts and drops)
 * @opaque:	argument for @fn
 *
 * Return: bytes consumed (a trailing partial frame stays unconsumed), or
 *	   -EPROTO if a length prefix exceeds LINK_FRAME_MAX
 */
long link_stream_parse(const uint8_t *buf, size_t len, link_frame_fn fn,
		       void *opaque)
{
	size_t off = 0;

	while (len - off >= 4) {
		uint32_t flen = get_be32(buf + off);

		if (flen > LINK_FRAME_MAX)
			return -EPROTO;
		if (len - off - 4 < flen)
			break;
		fn(opaque, buf + off + 4, flen);
		off += 4 + flen;
	}
	return (long)off;
}

/* Parse "A.B.C.D:PORT" or "[V6]:PORT" into @sa; return false otherwise. */
static bool link_parse_inet(const char *address, struct sockaddr_storage *sa,
			    socklen_t *sa_len)
{
	char host[64];
	const char *colon = strrchr(address, ':');
	char *end;
	unsigned long port;
	size_t hlen;

	if (!colon || colon == address)
		return false;
	port = strtoul(colon + 1, &end, 10);
	if (*end || !colon[1] || port == 0 || port > 65535)
		return false;

	hlen = (size_t)(colon - address);
	if (address[0] == '[' && hlen >= 2 && address[hlen - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;

		if (hlen - 2 >= sizeof(host))
			return false;
		memcpy(host, address + 1, hlen - 2);
		host[hlen - 2] = '\0';
		memset(s6, 0, sizeof(*s6));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sa_len = sizeof(*s6);
		return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

		if (hlen >= sizeof(host))
			return false;
		memcpy(host, address, hlen);
		host[hlen] = '\0';
		memset(s4, 0, sizeof(*s4));
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sa_len = sizeof(*s4);
		return inet_pton(AF_INET, host, &s4->sin_addr) == 1;
	}
}

/* Fill a unix socket address; return -ENAMETOOLONG if @path does not fit. */
static int link_unix_addr(const char *path, struct sockaddr_storage *sa,
			  socklen_t *sa_len)
{
	struct sockaddr_un *un = (struct sockaddr_un *)sa;

	if (strlen(path) >= sizeof(un->sun_path))
		return -ENAMETOOLONG;
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	strcpy(un->sun_path, path);
	*sa_len = sizeof(*un);
	return 0;
}

static int link_sockaddr(const char *address, struct sockaddr_storage *sa,
			 socklen_t *sa_len)
{
	if (link_parse_inet(address, sa, sa_len))
		return 0;
	return link_unix_addr(address, sa, sa_len);
}

/* Remove a stale unix socket left by an earlier run, but nothing else: a
 * socket that accepts a connection belongs to a running process.
 * Return -EADDRINUSE for such a socket. */
static int link_unlink_stale(const struct sockaddr_storage *sa, int type)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
	struct stat st;
	int fd, live;

	if (sa->ss_family != AF_UNIX)
		return 0;
	if (lstat(un->sun_path, &st) || !S_ISSOCK(st.st_mode))
		return 0;

	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	live = fd >= 0 && !connect(fd, (const struct sockaddr *)sa, sizeof(*un));
	if (fd >= 0)
		close(fd);
	if (live) {
		log_err("link: %s is in use by another process (another "
			"sluice?)",
			un->sun_path);
		return -EADDRINUSE;
	}
	unlink(un->sun_path);
	return 0;
}

/* Remove the unix socket this link bound, at shutdown. */
static void link_unlink_own(const struct link *l)
{
	struct sockaddr_storage sa;
	socklen_t len;

	if (l->kind == LINK_DGRAM || (l->kind == LINK_STREAM_LISTEN &&
				      !link_parse_inet(l->address, &sa, &len)))
		unlink(l->address);
}

static void link_tune_socket(int fd, int family)
{
	int size = LINK_SOCKET_BUFFER, one = 1;

	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void link_deliver(void *opaque, const uint8_t *frame, size_t len)
{
	struct link *l = opaque;
	struct iovec iov = {(void *)frame, len};

	stats.link_frames_in++;
	stats.link_bytes_in += len;
	pcap_frame(&iov, 1);
	if (!len) {
		stats.drop_empty++;
		return;
	}
	l->h.frame(l->opaque, frame, len);
}

static void link_start_io(struct link *l)
{
	ev_io_set(&l->rx_w, l->fd, EV_READ);
	ev_io_set(&l->tx_w, l->fd, EV_WRITE);
	ev_io_start(l->loop, &l->rx_w);
	ev_prepare_start(l->loop, &l->flush_w);
}

/* Drop the current stream guest and wait for, or reconnect to, the next. */
static void link_drop_guest(struct link *l, const char *why)
{
	ev_io_stop(l->loop, &l->rx_w);
	ev_io_stop(l->loop, &l->tx_w);
	ev_prepare_stop(l->loop, &l->flush_w);
	close(l->fd);
	l->fd = -1;
	frameq_clear(&l->txq);
	l->rxlen = 0;
	l->congested = false;
	stats.link_disconnects++;
	log_info("link: guest disconnected (%s); waiting for the next one", why);

	l->h.down(l->opaque);
	if (l->kind == LINK_STREAM_CONNECT || l->kind == LINK_TAP)
		ev_timer_again(l->loop, &l->retry_w);
}

static void link_resume_rx(struct link *l)
{
	l->congested = false;
	if (l->fd >= 0)
		ev_io_start(l->loop, &l->rx_w);
	l->h.drained(l->opaque);
}

static void link_read_stream(struct link *l)
{
	int i;

	for (i = 0; i < LINK_READ_BUDGET && !l->congested; i++) {
		ssize_t n = read(l->fd, l->rxbuf + l->rxlen, l->rxcap - l->rxlen);
		long used;

		if (n == 0) {
			link_drop_guest(l, "end of stream");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			link_drop_guest(l, strerror(errno));
			return;
		}

		l->rxlen += (size_t)n;
		used = link_stream_parse(l->rxbuf, l->rxlen, link_deliver, l);
		if (used < 0) {
			stats.link_resets++;
			log_warn("link: frame length prefix over %d bytes, "
				 "resetting the guest connection",
				 LINK_FRAME_MAX);
			link_drop_guest(l, "invalid framing");
			return;
		}
		memmove(l->rxbuf, l->rxbuf + used, l->rxlen - (size_t)used);
		l->rxlen -= (size_t)used;
	}
}

static void link_read_frames(struct link *l)
{
	int i;

	for (i = 0; i < LINK_READ_BUDGET && !l->congested; i++) {
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		ssize_t n;

		if (l->kind == LINK_TAP)
			n = read(l->fd, l->rxbuf, l->rxcap);
		else
			n = recvfrom(l->fd, l->rxbuf, l->rxcap, MSG_TRUNC,
				     (struct sockaddr *)&from, &from_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (l->kind == LINK_TAP &&
			    (errno == EBADFD || errno == EIO)) {
				/* The device went away with its namespace. */
				link_drop_guest(l, "the TAP device was removed, "
						   "for example with its "
						   "namespace");
				return;
			}
			if (errno != EAGAIN)
				log_ratelimited(LOG_WARN, "link: read: %s",
						strerror(errno));
			return;
		}
		if ((size_t)n > l->rxcap) {
			stats.drop_oversize++;
			continue;
		}
		if (l->kind == LINK_DGRAM && !l->peer_len && from_len &&
		    from.ss_family == AF_UNIX) {
			l->peer = from;
			l->peer_len = from_len;
			log_info("link: dgram peer is %s",
				 ((struct sockaddr_un *)&from)->sun_path);
		}
		link_deliver(l, l->rxbuf, (size_t)n);
	}
}

static void link_rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct link *l = container_of(w, struct link, rx_w);

	if (l->kind == LINK_STREAM_LISTEN || l->kind == LINK_STREAM_CONNECT)
		link_read_stream(l);
	else
		link_read_frames(l);

	if (l->congested && l->fd >= 0)
		ev_io_stop(loop, &l->rx_w);
}

static void link_flush_stream(struct link *l)
{
	while (!frameq_empty(&l->txq)) {
		ssize_t n = write(l->fd, l->txq.buf + l->txq.head,
				  frameq_used(&l->txq));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				link_drop_guest(l, strerror(errno));
			return;
		}
		frameq_consume(&l->txq, (size_t)n);
	}
}

static void link_flush_tap(struct link *l)
{
	const uint8_t *frame;
	size_t len;

	while (!frameq_peek(&l->txq, &frame, &len)) {
		if (write(l->fd, frame, len) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			/* EIO while the device is down in its namespace:
			 * the frame has nowhere to go. */
			log_ratelimited(LOG_WARN, "link: TAP write: %s",
					strerror(errno));
			stats.link_queue_full++;
		}
		frameq_consume(&l->txq, FRAMEQ_PREFIX + len);
	}
}

static void link_flush_dgram(struct link *l)
{
	struct mmsghdr msgs[LINK_DGRAM_BATCH];
	struct iovec iov[LINK_DGRAM_BATCH];

	while (!frameq_empty(&l->txq)) {
		size_t off = l->txq.head, lens[LINK_DGRAM_BATCH];
		unsigned count = 0, i;
		int sent;

		while (count < LINK_DGRAM_BATCH && off < l->txq.tail) {
			lens[count] = get_be32(l->txq.buf + off);
			iov[count].iov_base = l->txq.buf + off + FRAMEQ_PREFIX;
			iov[count].iov_len = lens[count];
			memset(&msgs[count], 0, sizeof(msgs[count]));
			msgs[count].msg_hdr.msg_iov = &iov[count];
			msgs[count].msg_hdr.msg_iovlen = 1;
			msgs[count].msg_hdr.msg_name = &l->peer;
			msgs[count].msg_hdr.msg_namelen = l->peer_len;
			off += FRAMEQ_PREFIX + lens[count];
			count++;
		}

		sent = sendmmsg(l->fd, msgs, count, 0);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			/* The peer socket is gone (QEMU stopped): drop the
			 * first frame and count it, so the queue moves. */
			log_ratelimited(LOG_WARN, "link: dgram send: %s",
					strerror(errno));
			stats.link_queue_full++;
			sent = 1;
		}
		for (i = 0; i < (unsigned)sent; i++)
			frameq_consume(&l->txq, FRAMEQ_PREFIX + lens[i]);
	}
}

/**
 * link_flush() - write queued frames until the queue is empty or the
 * descriptor would block
 * @l:	the link
 */
void link_flush(struct link *l)
{
	if (l->fd < 0)
		return;

	switch (l->kind) {
	case LINK_STREAM_LISTEN:
	case LINK_STREAM_CONNECT:
		link_flush_stream(l);
		break;
	case LINK_TAP:
		link_flush_tap(l);
		break;
	case LINK_DGRAM:
		if (l->peer_len)
			link_flush_dgram(l);
		else
			frameq_clear(&l->txq);
		break;
	}
	if (l->fd < 0)
		return;

	if (frameq_empty(&l->txq))
		ev_io_stop(l->loop, &l->tx_w);
	else
		ev_io_start(l->loop, &l->tx_w);

	if (l->congested && frameq_used(&l->txq) < l->txq.low)
		link_resume_rx(l);
}

static void link_tx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	link_flush(container_of(w, struct link, tx_w));
}

static void link_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct link *l = container_of(w, struct link, flush_w);

	if (!frameq_empty(&l->txq))
		link_flush(l);
}

/**
 * link_send() - queue one frame for the guest
 * @l:		the link
 * @iov:	pieces of the Ethernet frame
 * @iovcnt:	number of pieces
 *
 * The frame leaves at the end of the current loop iteration.
 *
 * Return: 0 on success, -ENOTCONN without a guest, -ENOBUFS if the queue is
 *	   full (counted), -EMSGSIZE for an impossible frame
 */
int link_send(struct link *l, const struct iovec *iov, int iovcnt)
{
	int ret, i;

	if (l->fd < 0)
		return -ENOTCONN;

	ret = frameq_push(&l->txq, iov, iovcnt);
	if (ret == -ENOBUFS) {
		stats.link_queue_full++;
		log_ratelimited(LOG_WARN, "link: guest queue full, frame "
					  "dropped");
		return ret;
	}
	if (ret)
		return ret;

	stats.link_frames_out++;
	for (i = 0; i < iovcnt; i++)
		stats.link_bytes_out += iov[i].iov_len;
	pcap_frame(iov, iovcnt);
	if (frameq_congested(&l->txq))
		l->congested = true;
	return 0;
}

/**
 * link_is_up() - whether a guest is attached and frames can be sent
 * @l:	the link
 *
 * Return: true if frames can be queued
 */
bool link_is_up(const struct link *l)
{
	return l->fd >= 0;
}

static void link_attach(struct link *l, int fd, const char *how)
{
	l->fd = fd;
	l->rxlen = 0;
	link_start_io(l);
	log_info("link: guest %s", how);
	l->h.up(l->opaque);
}

static void link_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct link *l = container_of(w, struct link, accept_w);
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	int fd;

	fd = accept4(l->listen_fd, (struct sockaddr *)&sa, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			log_ratelimited(LOG_WARN, "link: accept: %s",
					strerror(errno));
		return;
	}
	if (l->fd >= 0) {
		log_warn("link: a guest is already connected; rejecting "
			 "another connection on %s",
			 l->address);
		close(fd);
		return;
	}
	link_tune_socket(fd, sa.ss_family);
	link_attach(l, fd, "connected");
}

static int link_open_tap(struct link *l);

static void link_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct link *l = container_of(w, struct link, retry_w);
	struct sockaddr_storage sa;
	socklen_t len;
	int fd;

	if (l->kind == LINK_TAP) {
		if (!link_open_tap(l))
			ev_timer_stop(loop, w);
		return;
	}

	if (link_sockaddr(l->address, &sa, &len))
		return;
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn_perror("link: socket");
		return;
	}
	if (connect(fd, (struct sockaddr *)&sa, len)) {
		log_ratelimited(LOG_INFO, "link: connecting to %s: %s "
					  "(retrying every second)",
				l->address, strerror(errno));
		close(fd);
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	link_tune_socket(fd, sa.ss_family);
	ev_timer_stop(loop, w);
	link_attach(l, fd, "connection established");
}

static int link_open_listen(struct link *l)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int one = 1, ret;

	ret = link_sockaddr(l->address, &sa, &len);
	if (ret)
		return ret;
	ret = link_unlink_stale(&sa, SOCK_STREAM);
	if (ret)
		return ret;

	l->listen_fd = socket(sa.ss_family,
			      SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->listen_fd < 0)
		return -errno;
	setsockopt(l->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l->listen_fd, (struct sockaddr *)&sa, len) ||
	    listen(l->listen_fd, 4))
		return -errno;

	ev_io_init(&l->accept_w, link_accept_cb, l->listen_fd, EV_READ);
	ev_io_start(l->loop, &l->accept_w);
	log_info("link: listening for a QEMU stream connection on %s",
		 l->address);
	return 0;
}

static int link_open_dgram(struct link *l)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fd, ret;

	ret = link_unix_addr(l->address, &sa, &len);
	if (ret)
		return ret;
	if (l->peer_path[0]) {
		ret = link_unix_addr(l->peer_path, &l->peer, &l->peer_len);
		if (ret)
			return ret;
	}
	ret = link_unlink_stale(&sa, SOCK_DGRAM);
	if (ret)
		return ret;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, len)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	link_tune_socket(fd, AF_UNIX);
	log_info("link: bound QEMU dgram socket %s", l->address);
	link_attach(l, fd, "dgram link open");
	return 0;
}

static int link_open_tap(struct link *l)
{
	char sysfs[64 + IFNAMSIZ];
	struct ifreq ifr;
	bool existed;
	int fd, ret;

	if (strlen(l->address) >= IFNAMSIZ) {
		log_err("link: TAP device name %s is longer than %d "
			"characters",
			l->address, IFNAMSIZ - 1);
		return -ENAMETOOLONG;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, l->address);
	snprintf(sysfs, sizeof(sysfs), "/sys/class/net/%s", l->address);
	existed = access(sysfs, F_OK) == 0;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	log_info("link: attached to TAP device %s (%s)", ifr.ifr_name,
		 existed ? "it existed" : "created it");
	link_attach(l, fd, "TAP link open");
	return 0;
}

/**
 * link_open() - open the guest link
 * @l:		link to set up
 * @loop:	event loop
 * @kind:	link kind
 * @address:	unix socket path or "ADDR:PORT" (stream), socket path to bind
 *		(dgram), or TAP device name
 * @peer_path:	dgram: QEMU's bound socket path, or NULL to learn it from the
 *		first datagram
 * @h:		event handlers
 * @opaque:	argument for @h
 *
 * Return: 0 on success, negative errno (the caller reports it with
 *	   @address)
 */
int link_open(struct link *l, struct ev_loop *loop, enum link_kind kind,
	      const char *address, const char *peer_path,
	      const struct link_handler *h, void *opaque)
{
	int ret;

	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->loop = loop;
	l->fd = l->listen_fd = -1;
	l->h = *h;
	l->opaque = opaque;
	if (strlen(address) >= sizeof(l->address))
		return -ENAMETOOLONG;
	strcpy(l->address, address);
	if (peer_path) {
		if (strlen(peer_path) >= sizeof(l->peer_path))
			return -ENAMETOOLONG;
		strcpy(l->peer_path, peer_path);
	}

	ret = frameq_init(&l->txq, LINK_QUEUE_BYTES);
	if (ret)
		return ret;
	l->rxcap = kind == LINK_STREAM_LISTEN || kind == LINK_STREAM_CONNECT ?
			   LINK_STREAM_RXBUF :
			   LINK_FRAME_MAX;
	l->rxbuf = malloc(l->rxcap);
	if (!l->rxbuf)
		return -ENOMEM;

	ev_init(&l->rx_w, link_rx_cb);
	ev_init(&l->tx_w, link_tx_cb);
	ev_prepare_init(&l->flush_w, link_prepare_cb);
	ev_init(&l->retry_w, link_retry_cb);
	l->retry_w.repeat = LINK_RETRY_SECONDS;

	switch (kind) {
	case LINK_STREAM_LISTEN:
		return link_open_listen(l);
	case LINK_STREAM_CONNECT:
		link_retry_cb(loop, &l->retry_w, 0);
		if (l->fd < 0)
			ev_timer_again(loop, &l->retry_w);
		return 0;
	case LINK_DGRAM:
		return link_open_dgram(l);
	case LINK_TAP:
		return link_open_tap(l);
	}
	return -EINVAL;
}

/**
 * link_close() - flush what the guest can still take and release the link
 * @l:	the link
 */
void link_close(struct link *l)
{
	if (l->fd >= 0) {
		link_flush(l);
		ev_io_stop(l->loop, &l->rx_w);
		ev_io_stop(l->loop, &l->tx_w);
		ev_prepare_stop(l->loop, &l->flush_w);
		close(l->fd);
		l->fd = -1;
	}
	if (l->listen_fd >= 0) {
		ev_io_stop(l->loop, &l->accept_w);
		close(l->listen_fd);
		l->listen_fd = -1;
	}
	if (l->kind == LINK_STREAM_LISTEN || l->kind == LINK_DGRAM)
		link_unlink_own(l);
	ev_timer_stop(l->loop, &l->retry_w);
	frameq_free(&l->txq);
	free(l->rxbuf);
	l->rxbuf = NULL;
}
