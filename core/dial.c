// SPDX-License-Identifier: MIT
/*
 * dial.c - the upstream dialer that every protocol shares
 *
 * A dial turns the destination that the guest addressed into a connected
 * host socket. It works out the candidate addresses first. The gateway
 * address maps to the host's loopback, the QEMU user-networking
 * convention that lets a guest reach a host service at the gateway
 * address. A synthetic DNS address maps to the real addresses of the name
 * it was handed out for, from the DNS server's cache (where a rule's DNS
 * rewrite may have put the gateway address, which maps to loopback too) or
 * a fresh upstream lookup. Any other address is dialled as it is.
 *
 * Each candidate is checked with the address guard right before its
 * connect, so no DNS answer can steer sluice to a forbidden address. The
 * candidates are tried in order until one connects. Every failure carries
 * a short static reason for the log and the audit entry.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dial.h"
#include "dns.h"
#include "gateway.h"
#include "log.h"
#include "resolver.h"
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

static void dial_stop_io(struct dial *d)
{
	ev_io_stop(d->gw->loop, &d->io_w);
	ev_timer_stop(d->gw->loop, &d->timeout_w);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/* Start connecting to candidate @addr. Return DIAL_CONNECTED,
 * DIAL_PENDING or a negative errno with d->why set. */
static int dial_connect(struct dial *d, uint32_t addr)
{
	const char *forbidden;
	int one = 1, fd, err;

	d->target.sin_addr.s_addr = addr;
	forbidden = guard_check(&d->gw->guard, (struct sockaddr *)&d->target);
	if (forbidden) {
		d->why = forbidden;
		return -EACCES;
	}

	fd = socket(AF_INET, d->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		stats.dial_errors++;
		log_ratelimited(LOG_WARN, "dial: socket: %s", strerror(err));
		d->why = dial_errno_text(err);
		return -err;
	}
	if (d->type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!connect(fd, (struct sockaddr *)&d->target, sizeof(d->target))) {
		d->fd = fd;
		return DIAL_CONNECTED;
	}
	if (errno != EINPROGRESS) {
		err = errno;
		close(fd);
		d->why = dial_errno_text(err);
		return -err;
	}

	d->fd = fd;
	ev_io_set(&d->io_w, fd, EV_WRITE);
	ev_io_start(d->gw->loop, &d->io_w);
	ev_timer_set(&d->timeout_w, d->gw->cfg->connect_timeout, 0.);
	ev_timer_start(d->gw->loop, &d->timeout_w);
	return DIAL_PENDING;
}

/* Try the remaining candidates in order. The first error that is not a
 * guard refusal is reported, so "refused upstream" wins over a forbidden
 * second address. */
static int dial_next(struct dial *d)
{
	int ret = -EHOSTUNREACH, first = 0;
	const char *first_why = NULL;

	while (d->next < d->count) {
		ret = dial_connect(d, d->candidates[d->next++]);
		if (ret >= 0)
			return ret;
		if (!first || (first == -EACCES && ret != -EACCES)) {
			first = ret;
			first_why = d->why;
		}
	}
	if (first) {
		d->why = first_why;
		return first;
	}
	if (!d->why)
		d->why = "no address to dial";
	return ret;
}

/* Report an asynchronous outcome: DIAL_PENDING results wait on. */
static void dial_report(struct dial *d, int ret)
{
	if (ret == DIAL_PENDING)
		return;
	if (ret == DIAL_CONNECTED) {
		int fd = d->fd;

		d->fd = -1;
		d->done(d, fd, 0);
		return;
	}
	d->done(d, -1, ret);
}

static void dial_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dial *d = container_of(w, struct dial, io_w);
	socklen_t len = sizeof(int);
	int err = 0, fd = d->fd;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	ev_io_stop(loop, &d->io_w);
	ev_timer_stop(loop, &d->timeout_w);
	if (!err) {
		d->fd = -1;
		d->done(d, fd, 0);
		return;
	}
	dial_stop_io(d);
	d->why = dial_errno_text(err);
	dial_report(d, d->next < d->count ? dial_next(d) : -err);
}

static void dial_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dial *d = container_of(w, struct dial, timeout_w);

	dial_stop_io(d);
	d->why = dial_errno_text(ETIMEDOUT);
	dial_report(d, d->next < d->count ? dial_next(d) : -ETIMEDOUT);
}

static void dial_set_candidates(struct dial *d, const uint32_t *addrs,
				unsigned count)
{
	unsigned i;

	d->count = MIN(count, (unsigned)DIAL_CANDIDATES_MAX);
	for (i = 0; i < d->count; i++)
		d->candidates[i] = addrs[i] == d->gw->cfg->gateway
					   ? htonl(INADDR_LOOPBACK)
					   : addrs[i];
	d->next = 0;
}

static void dial_resolved(void *arg, int status, const uint32_t *addrs,
			  unsigned count, uint32_t min_ttl)
{
	struct dial *d = arg;

	d->lookup = NULL;
	if (status) {
		d->why = status == -ENOENT ? "the name has no IPv4 address" :
					     "DNS lookup of the name failed";
		d->done(d, -1, status == -ENOENT ? -EHOSTUNREACH : status);
		return;
	}
	dns_cache(d->gw, d->synthetic, addrs, count, min_ttl);
	dial_set_candidates(d, addrs, count);
	dial_report(d, dial_next(d));
}

/* A synthetic address: dial the real addresses of its name. */
static int dial_synthetic(struct dial *d, uint32_t dst, const char *name)
{
	const uint32_t *cached;
	unsigned n;

	if (!name) {
		d->why = "synthetic address not bound to a name";
		return -EHOSTUNREACH;
	}
	n = dns_cached(d->gw, dst, &cached);
	if (n) {
		dial_set_candidates(d, cached, n);
		return dial_next(d);
	}

	d->synthetic = dst;
	d->lookup = resolver_lookup_a(dns_resolver(d->gw), name, dial_resolved,
				      d);
	if (!d->lookup) {
		d->why = "DNS lookup of the name failed";
		return -EIO;
	}
	return DIAL_PENDING;
}

/**
 * dial_start() - start connecting to the destination a guest addressed
 * @d:		dial state, owned by the caller until done or cancelled
 * @gw:		gateway
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @dst:	destination address as the guest addressed it, network order
 * @port:	destination port, host order
 * @name:	DNS name the destination is attributed to, or NULL; needed
 *		for synthetic addresses
 * @done:	called once when an asynchronous dial finishes
 *
 * Return: DIAL_CONNECTED (d->fd is ready: take it with dial_take_fd()),
 *	   DIAL_PENDING (@done follows), or a negative errno with d->why
 *	   set: -EACCES if the guard forbids every candidate, else the error
 *	   of the first candidate
 */
int dial_start(struct dial *d, struct gateway *gw, int type, uint32_t dst,
	       uint16_t port, const char *name, dial_done_fn done)
{
	uint32_t loopback = htonl(INADDR_LOOPBACK);

	memset(d, 0, sizeof(*d));
	d->gw = gw;
	d->type = type;
	d->fd = -1;
	d->done = done;
	ev_init(&d->io_w, dial_io_cb);
	ev_init(&d->timeout_w, dial_timeout_cb);
	d->target.sin_family = AF_INET;
	d->target.sin_port = htons(port);

	if (dst == gw->cfg->gateway) {
		dial_set_candidates(d, &loopback, 1);
		return dial_next(d);
	}
	if (dns_is_synthetic(gw, dst))
		return dial_synthetic(d, dst, name);
	dial_set_candidates(d, &dst, 1);
	return dial_next(d);
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
 * dial_cancel() - abandon a dial; @done is not called
 * @d:	the dial (a finished or never-started dial is fine)
 */
void dial_cancel(struct dial *d)
{
	if (!d->gw)
		return;
	if (d->lookup)
		resolver_cancel(d->lookup);
	d->lookup = NULL;
	dial_stop_io(d);
}
