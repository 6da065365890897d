/* SPDX-License-Identifier: MIT */
/* config.h - command-line options and their defaults */

#ifndef SLUICE_CONFIG_H
#define SLUICE_CONFIG_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "guard.h"
#include "link.h"
#include "log.h"

#define CONFIG_MAX_ALLOW_NET 64

/**
 * enum dns_mode - how allowed A queries are answered
 * @DNS_MODE_SYNTHETIC:	with an address from the synthetic pool
 * @DNS_MODE_REAL:	with the real, guard-checked addresses
 */
enum dns_mode {
	DNS_MODE_SYNTHETIC,
	DNS_MODE_REAL,
};

/**
 * struct config - everything the command line sets
 * @link_kind:		how the guest is attached
 * @link_address:	socket path, ADDR:PORT or TAP device name
 * @link_peer:		dgram peer socket path, or NULL to learn it
 * @mac:		sluice's own MAC address on the link
 * @net:		guest network address, network order
 * @prefix:		guest network prefix length
 * @gateway:		gateway, DHCP and DNS server address, network order
 * @guest:		address leased to the guest, network order
 * @mtu:		MTU announced through DHCP option 26, bytes
 * @lease_time:		DHCP lease time, seconds
 * @allow_net:		ranges exempt from the address guard
 * @allow_net_count:	entries in @allow_net
 * @pcap_path:		capture file, or NULL
 * @max_tcp_flows:	TCP connections at once; more are refused with RST
 * @max_udp_flows:	UDP flows at once; more are refused with ICMP
 * @max_buffered:	bytes buffered in all TCP flows together before new
 *			connections are refused
 * @connect_timeout:	seconds to wait for an upstream TCP connect
 * @tcp_idle_timeout:	seconds an established connection may be idle
 * @tcp_half_timeout:	seconds a half-closed connection may be idle
 * @udp_idle_timeout:	seconds a UDP flow may be idle
 * @log_level:		most verbose log level printed
 * @rules_dir:		rules directory, or NULL for no rules (allow all)
 * @lua_dir:		directory holding the sluice Lua modules
 * @default_allow:	verdict when no rule decides is allow
 * @rule_budget:	Lua instructions per rule decision
 * @rule_memory:	bytes per rules generation (Lua state)
 * @audit_path:		JSON-lines audit log, or NULL
 * @dns_mode:		synthetic or real answers
 * @dns_pool_net:	synthetic address pool, network order
 * @dns_pool_prefix:	prefix length of the pool
 * @dns_ttl:		TTL of synthetic answers, seconds
 * @dns_max_ttl:	cap on TTLs relayed from upstream, seconds
 * @dns_timeout:	seconds before an upstream query gives SERVFAIL
 * @resolver:		upstream resolver "ADDR[:PORT]", or NULL for
 *			/etc/resolv.conf
 * @check_dir:		"sluice check DIR": the rules directory to validate,
 *			or NULL to run the gateway
 */
struct config {
	enum link_kind link_kind;
	const char *link_address;
	const char *link_peer;
	uint8_t mac[6];
	uint32_t net;
	unsigned prefix;
	uint32_t gateway;
	uint32_t guest;
	unsigned mtu;
	unsigned lease_time;
	struct guard_net allow_net[CONFIG_MAX_ALLOW_NET];
	unsigned allow_net_count;
	const char *pcap_path;
	unsigned max_tcp_flows;
	unsigned max_udp_flows;
	uint64_t max_buffered;
	double connect_timeout;
	double tcp_idle_timeout;
	double tcp_half_timeout;
	double udp_idle_timeout;
	enum log_level log_level;
	const char *rules_dir;
	const char *lua_dir;
	bool default_allow;
	unsigned long rule_budget;
	uint64_t rule_memory;
	const char *audit_path;
	enum dns_mode dns_mode;
	uint32_t dns_pool_net;
	unsigned dns_pool_prefix;
	unsigned dns_ttl;
	unsigned dns_max_ttl;
	double dns_timeout;
	const char *resolver;
	const char *check_dir;
};

/* Exit statuses, also listed in --help. */
#define EXIT_USAGE 2 /* invalid command line */

int config_parse(struct config *cfg, int argc, char **argv);
void config_usage(FILE *out);

/**
 * config_netmask() - the guest netmask in network order
 * @cfg:	configuration
 *
 * Return: mask for @cfg->prefix
 */
static inline uint32_t config_netmask(const struct config *cfg)
{
	return cfg->prefix ? htonl(~0u << (32 - cfg->prefix)) : 0;
}

#endif /* SLUICE_CONFIG_H */
