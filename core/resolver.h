/* SPDX-License-Identifier: MIT */
/* resolver.h - upstream DNS queries through c-ares on the libev loop */

#ifndef SLUICE_RESOLVER_H
#define SLUICE_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct resolver;
struct resolver_query;

/* Maximum number of addresses that resolver_lookup_a() reports */
#define RESOLVER_ADDRS_MAX 32

/* Maximum timeout accepted by resolver_init(), seconds */
#define RESOLVER_TIMEOUT_MAX 300.0

/* Upstream servers in one comma-separated list. */
#define RESOLVER_SERVERS_MAX 4

/**
 * typedef resolver_done_fn - receives the outcome of resolver_send()
 * @arg:	the caller's argument
 * @status:	0, -ETIMEDOUT, -ECONNREFUSED, -ECANCELED (resolver_free()
 *		ran) or -EIO
 * @answer:	the complete DNS answer when @status is 0, else NULL. It
 *		carries the id of the query and is valid only during the call
 * @len:	bytes in @answer
 */
typedef void (*resolver_done_fn)(void *arg, int status, const uint8_t *answer,
				 size_t len);

/**
 * typedef resolver_addrs_fn - receives the outcome of resolver_lookup_a()
 * @arg:	the caller's argument
 * @status:	0 with at least one address, -ENOENT for NXDOMAIN or an
 *		answer without A records, and otherwise as for
 *		resolver_done_fn, where -EIO also covers an invalid answer
 * @addrs:	IPv4 addresses in answer order, network order, valid only
 *		during the call
 * @count:	entries in @addrs, 0 unless @status is 0
 * @min_ttl:	lowest TTL of the A records in seconds, or 0 if @count is 0
 */
typedef void (*resolver_addrs_fn)(void *arg, int status, const uint32_t *addrs,
				  unsigned count, uint32_t min_ttl);

int resolver_servers_check(const char *list);
int resolver_init(struct resolver **out, struct ev_loop *loop,
		  const char *server, double timeout_seconds);
void resolver_free(struct resolver *r);

struct resolver_query *resolver_send(struct resolver *r, const uint8_t *query,
				     size_t len, resolver_done_fn done,
				     void *arg);
struct resolver_query *resolver_lookup_a(struct resolver *r, const char *name,
					 resolver_addrs_fn done, void *arg);
void resolver_cancel(struct resolver_query *q);

#endif /* SLUICE_RESOLVER_H */
