/* SPDX-License-Identifier: MIT */
/* dial.h - the upstream dialer that every protocol shares */

#ifndef SLUICE_DIAL_H
#define SLUICE_DIAL_H

#include <netinet/in.h>
#include <stdint.h>

#include <ev.h>

struct gateway;
struct dial;
struct resolver_query;

/**
 * typedef dial_done_fn - completion of an asynchronous dial
 * @d:		the dial
 * @fd:		connected non-blocking socket, or -1
 * @err:	0, or negative errno (-EACCES for the guard, -ECONNREFUSED,
 *		-ETIMEDOUT, -EHOSTUNREACH, ...); d->why describes it
 */
typedef void (*dial_done_fn)(struct dial *d, int fd, int err);

/* Real addresses a dial tries at most, in order */
#define DIAL_CANDIDATES_MAX 8

/**
 * struct dial - one upstream connection attempt
 * @gw:		gateway
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @target:	the address being dialled now (port set at start)
 * @fd:		socket while connecting, else -1
 * @done:	completion callback, called only for asynchronous outcomes
 * @io_w:	waits for a non-blocking connect to finish
 * @timeout_w:	connect timeout
 * @candidates:	addresses to try, network order
 * @count:	entries in @candidates
 * @next:	index of the next candidate to try
 * @synthetic:	the synthetic address being resolved, network order
 * @lookup:	upstream lookup of a synthetic address's name, or NULL
 * @why:	static text describing a failure, for logs and audit entries
 */
struct dial {
	struct gateway *gw;
	int type;
	struct sockaddr_in target;
	int fd;
	dial_done_fn done;
	ev_io io_w;
	ev_timer timeout_w;
	uint32_t candidates[DIAL_CANDIDATES_MAX];
	unsigned count;
	unsigned next;
	uint32_t synthetic;
	struct resolver_query *lookup;
	const char *why;
};

/* dial_start() outcomes besides a negative errno */
#define DIAL_PENDING   0 /* @done will be called */
#define DIAL_CONNECTED 1 /* d->fd is connected now; @done is not called */

int dial_start(struct dial *d, struct gateway *gw, int type, uint32_t dst,
	       uint16_t port, const char *name, dial_done_fn done);
void dial_cancel(struct dial *d);
int dial_take_fd(struct dial *d);

#endif /* SLUICE_DIAL_H */
