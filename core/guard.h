/* SPDX-License-Identifier: MIT */
/* guard.h - the upstream address guard: which addresses sluice may dial */

#ifndef SLUICE_GUARD_H
#define SLUICE_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/**
 * struct guard_net - an IPv4 or IPv6 network in CIDR form
 * @family:	AF_INET or AF_INET6
 * @prefix:	prefix length in bits
 * @addr:	network address, network order (IPv4 uses the first 4 bytes)
 */
struct guard_net {
	int family;
	unsigned prefix;
	uint8_t addr[16];
};

/**
 * struct guard - the guard's configuration and cached host addresses
 * @allow:		operator-named ranges (--allow-net) that are exempt
 * @allow_count:	entries in @allow
 * @host:		the host's own interface addresses
 * @host_count:		entries in @host
 * @host_refreshed:	when @host was read, milliseconds (monotonic)
 */
struct guard {
	const struct guard_net *allow;
	unsigned allow_count;
	struct guard_net host[64];
	unsigned host_count;
	int64_t host_refreshed;
};

int guard_net_parse(const char *text, struct guard_net *net);
bool guard_net_contains(const struct guard_net *net, int family,
			const uint8_t *addr);
void guard_init(struct guard *g, const struct guard_net *allow,
		unsigned allow_count);
const char *guard_check(struct guard *g, const struct sockaddr *sa);
const char *guard_check_addr(struct guard *g, int family, const uint8_t *addr);

#endif /* SLUICE_GUARD_H */
