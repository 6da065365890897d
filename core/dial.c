// SPDX-License-Identifier: MIT
/*
 * dial.c - the upstream dialer that every protocol shares
 *
 * A dial turns the destination that the guest addressed into a connected
 * host socket: it maps the gateway address to the host's loopback (the
 * QEMU user-networking convention, so a guest reaches a host service at
 * the gateway address), checks the address to be dialled with the guard,
 * and connects without blocking, with a timeout. Every refusal carries a
 * short static reason for the log and the audit entry.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dial.h"
#include "gateway.h"
#include "log.h"
#include "stats.h"
#include "util.h"

static const char *dial_errno_text(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "connection refused upstream";
	case ETIMEDOUT:
		return "upstream connect timed out";
	case EHOSTUNREACH:
	case ENETUNREACH:
		return "upstream unreachable";
	case EMFILE:
	case ENFILE:
		return "out of file descriptors";
	default:
		return "upstream connect failed";
	}
}

static void dial_finish(struct dial *d, int err)
{
	int fd = d->fd;

	ev_io_stop(d->gw->loop, &d->io_w);
	ev_timer_stop(d->gw->loop, &d->timeout_w);
	if (err) {
		close(fd);
		fd = -1;
		d->why = dial_errno_text(-err);
	}
	d->fd = -1;
	d->done(d, fd, err);
}

static void dial_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dial *d = container_of(w, struct dial, io_w);
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	dial_finish(d, -err);
}

static void dial_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	dial_finish(container_of(w, struct dial, timeout_w), -ETIMEDOUT);
}

static int dial_socket(struct dial *d)
{
	int one = 1, fd;

	fd = socket(AF_INET, d->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		stats.dial_errors++;
		d->why = dial_errno_text(errno);
		log_ratelimited(LOG_WARN, "dial: socket: %s", strerror(errno));
		return -errno;
	}
	if (d->type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/**
 * dial_start() - start connecting to the destination a guest addressed
 * @d:		dial state, owned by the caller until done or cancelled
 * @gw:		gateway
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @dst:	destination address as the guest addressed it, network order
 * @port:	destination port, host order
 * @done:	called once when an asynchronous connect finishes
 *
 * Return: DIAL_CONNECTED (d->fd is ready), DIAL_PENDING (@done follows),
 *	   or a negative errno with d->why set: -EACCES if the guard forbids
 *	   the address, or the socket or connect error
 */
int dial_start(struct dial *d, struct gateway *gw, int type, uint32_t dst,
	       uint16_t port, dial_done_fn done)
{
	const char *forbidden;
	int fd;

	memset(d, 0, sizeof(*d));
	d->gw = gw;
	d->type = type;
	d->fd = -1;
	d->done = done;
	ev_io_init(&d->io_w, dial_io_cb, -1, EV_WRITE);
	ev_timer_init(&d->timeout_w, dial_timeout_cb, gw->cfg->connect_timeout,
		      0.);

	d->target.sin_family = AF_INET;
	d->target.sin_port = htons(port);
	d->target.sin_addr.s_addr = dst;
	if (dst == gw->cfg->gateway)
		d->target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	forbidden = guard_check(&gw->guard, (struct sockaddr *)&d->target);
	if (forbidden) {
		d->why = forbidden;
		return -EACCES;
	}

	fd = dial_socket(d);
	if (fd < 0)
		return fd;
	if (!connect(fd, (struct sockaddr *)&d->target, sizeof(d->target))) {
		d->fd = fd;
		return DIAL_CONNECTED;
	}
	if (errno != EINPROGRESS) {
		int err = errno;

		close(fd);
		d->why = dial_errno_text(err);
		return -err;
	}

	d->fd = fd;
	ev_io_set(&d->io_w, fd, EV_WRITE);
	ev_io_start(gw->loop, &d->io_w);
	ev_timer_start(gw->loop, &d->timeout_w);
	return DIAL_PENDING;
}

/**
 * dial_take_fd() - take ownership of the socket of a DIAL_CONNECTED dial
 * @d:	the dial
 *
 * Return: the connected socket
 */
int dial_take_fd(struct dial *d)
{
	int fd = d->fd;

	d->fd = -1;
	return fd;
}

/**
 * dial_cancel() - abandon a pending dial; @done is not called
 * @d:	the dial (a finished or never-started dial is fine)
 */
void dial_cancel(struct dial *d)
{
	if (!d->gw)
		return;
	ev_io_stop(d->gw->loop, &d->io_w);
	ev_timer_stop(d->gw->loop, &d->timeout_w);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}
