// SPDX-License-Identifier: MIT
/*
 * guard.c - the upstream address guard: which addresses sluice may dial
 *
 * Independent of the rules, sluice never opens an upstream socket to an
 * address in the table below or to one of the host's own interface
 * addresses, unless the operator named a range containing it with
 * --allow-net. IPv6 forms that embed an IPv4 address (mapped, compatible,
 * NAT64 and 6to4) are judged by the embedded address. The check runs on
 * the address actually dialled, after any name resolution, so a DNS answer
 * cannot steer sluice to a forbidden address.
 *
 * The host's addresses are read with getifaddrs() and cached for
 * GUARD_HOST_REFRESH_MS, so an address added to the host is guarded within
 * that time.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "util.h"

#define GUARD_HOST_REFRESH_MS 10000

/**
 * struct guard_block - one forbidden range
 * @net:	the range, as text parsed at first use
 * @reason:	what the range is, for log lines and audit entries
 * @embed:	for IPv6 ranges that embed an IPv4 address, the byte offset
 *		of that address; 0 otherwise
 */
struct guard_block {
	const char *net;
	const char *reason;
	unsigned embed;
};

static const struct guard_block guard_blocks[] = {
	{"0.0.0.0/8", "unspecified (this network)", 0},
	{"10.0.0.0/8", "private (RFC 1918)", 0},
	{"100.64.0.0/10", "shared address space (CGNAT)", 0},
	{"127.0.0.0/8", "loopback", 0},
	{"169.254.0.0/16", "link-local (cloud metadata)", 0},
	{"172.16.0.0/12", "private (RFC 1918)", 0},
	{"192.0.0.0/24", "IETF protocol assignments", 0},
	{"192.0.2.0/24", "documentation", 0},
	{"192.168.0.0/16", "private (RFC 1918)", 0},
	{"198.18.0.0/15", "benchmarking (synthetic DNS pool)", 0},
	{"198.51.100.0/24", "documentation", 0},
	{"203.0.113.0/24", "documentation", 0},
	{"224.0.0.0/4", "multicast", 0},
	{"240.0.0.0/4", "reserved or broadcast", 0},
	{"::/128", "unspecified", 0},
	{"::1/128", "loopback", 0},
	{"::ffff:0:0/96", "IPv4-mapped", 12},
	{"::/96", "IPv4-compatible", 12},
	{"64:ff9b::/96", "NAT64", 12},
	{"64:ff9b:1::/48", "local-use NAT64", 0},
	{"2002::/16", "6to4", 2},
	{"100::/64", "discard", 0},
	{"2001:db8::/32", "documentation", 0},
	{"fc00::/7", "unique local", 0},
	{"fe80::/10", "link-local", 0},
	{"fec0::/10", "site-local", 0},
	{"ff00::/8", "multicast", 0},
};

static struct guard_net guard_block_nets[ARRAY_SIZE(guard_blocks)];
static bool guard_blocks_parsed;

/**
 * guard_net_parse() - parse "ADDR/PREFIX" or a bare address (a host route)
 * @text:	IPv4 or IPv6 CIDR text
 * @net:	filled with the range; host bits are cleared
 *
 * Return: 0 on success, -EINVAL for invalid text or prefix
 */
int guard_net_parse(const char *text, struct guard_net *net)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	unsigned long prefix;
	unsigned i, max;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	memset(net, 0, sizeof(*net));

	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, net->addr) == 1) {
		net->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, net->addr) == 1) {
		net->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}

	prefix = max;
	if (slash) {
		/* strtoul() would skip blanks and take a sign: "/-0" must not
		 * parse as a prefix of 0. */
		if (!isdigit((unsigned char)slash[1]))
			return -EINVAL;
		prefix = strtoul(slash + 1, &end, 10);
		if (*end || prefix > max)
			return -EINVAL;
	}
	net->prefix = (unsigned)prefix;

	for (i = net->prefix; i < max; i++)
		net->addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	return 0;
}

/**
 * guard_net_contains() - whether an address lies in a range
 * @net:	the range
 * @family:	AF_INET or AF_INET6
 * @addr:	address, network order, 4 or 16 bytes
 *
 * Return: true if @addr is inside @net (families must match)
 */
bool guard_net_contains(const struct guard_net *net, int family,
			const uint8_t *addr)
{
	unsigned full = net->prefix / 8, rest = net->prefix % 8;

	if (family != net->family)
		return false;
	if (memcmp(net->addr, addr, full))
		return false;
	if (rest && ((addr[full] ^ net->addr[full]) & (uint8_t)(0xff00 >> rest)))
		return false;
	return true;
}

static void guard_parse_blocks(void)
{
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(guard_blocks); i++) {
		if (guard_net_parse(guard_blocks[i].net, &guard_block_nets[i]))
			abort(); /* the table above is broken */
	}
	guard_blocks_parsed = true;
}

/**
 * guard_init() - set up a guard
 * @g:			guard to set up
 * @allow:		exempt ranges; the array must outlive @g
 * @allow_count:	entries in @allow
 */
void guard_init(struct guard *g, const struct guard_net *allow,
		unsigned allow_count)
{
	memset(g, 0, sizeof(*g));
	g->allow = allow;
	g->allow_count = allow_count;
	g->host_refreshed = -GUARD_HOST_REFRESH_MS - 1;
	if (!guard_blocks_parsed)
		guard_parse_blocks();
}

static void guard_refresh_host(struct guard *g)
{
	struct ifaddrs *ifa, *i;
	int64_t now = now_ms();

	if (now - g->host_refreshed < GUARD_HOST_REFRESH_MS)
		return;
	g->host_refreshed = now;
	if (getifaddrs(&ifa))
		return; /* keep the previous list */

	g->host_count = 0;
	for (i = ifa; i && g->host_count < ARRAY_SIZE(g->host); i = i->ifa_next) {
		struct guard_net *n = &g->host[g->host_count];

		if (!i->ifa_addr)
			continue;
		memset(n, 0, sizeof(*n));
		if (i->ifa_addr->sa_family == AF_INET) {
			n->family = AF_INET;
			n->prefix = 32;
			memcpy(n->addr,
			       &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			n->family = AF_INET6;
			n->prefix = 128;
			memcpy(n->addr,
			       &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			       16);
		} else {
			continue;
		}
		g->host_count++;
	}
	freeifaddrs(ifa);
}

static bool guard_allowed(const struct guard *g, int family,
			  const uint8_t *addr)
{
	unsigned i;

	for (i = 0; i < g->allow_count; i++) {
		if (guard_net_contains(&g->allow[i], family, addr))
			return true;
	}
	return false;
}

/**
 * guard_check_addr() - judge one address
 * @g:		the guard
 * @family:	AF_INET or AF_INET6
 * @addr:	address, network order
 *
 * Return: NULL if sluice may dial @addr, otherwise a static text naming
 *	   the forbidden range
 */
const char *guard_check_addr(struct guard *g, int family, const uint8_t *addr)
{
	unsigned i;

	if (family != AF_INET && family != AF_INET6)
		return "unsupported address family";
	if (guard_allowed(g, family, addr))
		return NULL;

	for (i = 0; i < ARRAY_SIZE(guard_blocks); i++) {
		const struct guard_block *b = &guard_blocks[i];

		if (!guard_net_contains(&guard_block_nets[i], family, addr))
			continue;
		if (!b->embed)
			return b->reason;
		return guard_check_addr(g, AF_INET, addr + b->embed);
	}

	guard_refresh_host(g);
	for (i = 0; i < g->host_count; i++) {
		if (guard_net_contains(&g->host[i], family, addr))
			return "an address of this host";
	}
	return NULL;
}

/**
 * guard_check() - judge the address in a socket address
 * @g:	the guard
 * @sa:	AF_INET or AF_INET6 socket address
 *
 * Return: NULL if allowed, else the reason, as guard_check_addr()
 */
const char *guard_check(struct guard *g, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return guard_check_addr(
			g, AF_INET,
			(const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return guard_check_addr(
			g, AF_INET6,
			((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
	return "unsupported address family";
}
