// SPDX-License-Identifier: MIT
/* config.c - command-line options and their defaults */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "resolver.h"
#include "util.h"

#ifndef SLUICE_LUA_DIR
#define SLUICE_LUA_DIR "/usr/local/share/lua/5.4"
#endif

/* The Lua modules are taken from the install directory, or from the source
 * tree the binary was built from when they are not installed. */
static const char *config_default_lua_dir(void)
{
#ifdef SLUICE_SOURCE_LUA_DIR
	if (access(SLUICE_LUA_DIR "/sluice/engine.lua", R_OK) &&
	    !access(SLUICE_SOURCE_LUA_DIR "/sluice/engine.lua", R_OK))
		return SLUICE_SOURCE_LUA_DIR;
#endif
	return SLUICE_LUA_DIR;
}

static const char config_help[] =
	"Usage: sluice LINK [OPTIONS]     run the gateway for one guest\n"
	"       sluice check RULES_DIR [--lua-dir DIR] [--default allow|deny]\n"
	"                    [--rule-budget N] [--rule-memory MIB]\n"
	"                                 validate a rules directory, print the\n"
	"                                 order of its files and exit: 0 if it\n"
	"                                 loads, 1 with file:line if not\n"
	"\n"
	"sluice is a QEMU guest's or network namespace's whole network: it\n"
	"answers ARP, DHCP, DNS and ICMP echo on the guest link and relays the\n"
	"guest's TCP and UDP through host sockets, asking Lua rules about every\n"
	"DNS query and connection.\n"
	"\n"
	"Guest link (exactly one):\n"
	"  --stream-listen PATH|ADDR:PORT\n"
	"                        listen for QEMU '-netdev stream,server=off'\n"
	"                        on a unix socket path or a TCP address\n"
	"  --stream-connect PATH|ADDR:PORT\n"
	"                        connect to QEMU '-netdev stream,server=on',\n"
	"                        retrying every second\n"
	"  --dgram PATH          bind PATH for QEMU '-netdev dgram'\n"
	"  --dgram-peer PATH     QEMU's dgram socket (default: the sender of\n"
	"                        the first datagram)\n"
	"  --tap NAME            attach to TAP device NAME, creating it if\n"
	"                        needed\n"
	"\n"
	"Guest network:\n"
	"  --net CIDR            guest network (default 10.0.2.0/24)\n"
	"  --gateway ADDR        gateway, DHCP and DNS address (default\n"
	"                        10.0.2.2); TCP and UDP to it reach the host's\n"
	"                        127.0.0.1 if --allow-net admits loopback\n"
	"  --guest ADDR          address leased to the guest (default 10.0.2.15)\n"
	"  --mtu BYTES           MTU announced by DHCP option 26, 576 to 65520\n"
	"                        (default 65520)\n"
	"  --lease-time SECONDS  DHCP lease time (default 86400)\n"
	"  --mac MAC             sluice's own MAC address (default\n"
	"                        02:73:6c:75:69:63)\n"
	"\n"
	"Upstream:\n"
	"  --allow-net CIDR      let sluice dial addresses in CIDR although the\n"
	"                        address guard forbids them (loopback, private,\n"
	"                        link-local, CGNAT, multicast, the host's own\n"
	"                        addresses, ...); repeatable\n"
	"  --connect-timeout SECONDS\n"
	"                        upstream TCP connect timeout (default 10)\n"
	"\n"
	"Limits:\n"
	"  --max-tcp-flows N     TCP connections at once; more get RST\n"
	"                        (default 4096)\n"
	"  --max-udp-flows N     UDP flows at once; more get ICMP unreachable\n"
	"                        (default 1024)\n"
	"  --max-buffer MIB      MiB buffered over all TCP connections before\n"
	"                        new ones get RST (default 256)\n"
	"  --tcp-idle-timeout SECONDS\n"
	"                        reset connections idle this long (default 3600)\n"
	"  --tcp-half-timeout SECONDS\n"
	"                        reset half-closed connections idle this long\n"
	"                        (default 300)\n"
	"  --udp-idle-timeout SECONDS\n"
	"                        close UDP flows idle this long (default 60)\n"
	"\n"
	"Rules and audit:\n"
	"  --rules DIR           decide with the Lua rule files in DIR (reloaded\n"
	"                        on change and on SIGHUP); without it every flow\n"
	"                        the address guard admits is allowed\n"
	"  --default allow|deny  verdict when no rule decides (default deny)\n"
	"  --rule-budget N       Lua instructions per decision (default 1000000),\n"
	"                        counted once a decision has run for a few ms\n"
	"                        of CPU time, and per rule file load\n"
	"  --rule-memory MIB     memory per rules generation (default 64)\n"
	"  --lua-dir DIR         directory holding sluice/*.lua (default\n"
	"                        " SLUICE_LUA_DIR ",\n"
	"                        or the source tree when not installed)\n"
	"  --audit FILE          append one JSON line per decision, finished flow\n"
	"                        and rules reload to FILE (reopened on SIGHUP)\n"
	"\n"
	"DNS:\n"
	"  --dns synthetic|real  answer allowed A queries with addresses from\n"
	"                        the synthetic pool (default) or the real ones\n"
	"  --dns-pool CIDR       synthetic address pool (default 198.18.0.0/15)\n"
	"  --dns-ttl SECONDS     TTL of synthetic answers (default 60)\n"
	"  --dns-max-ttl SECONDS cap on TTLs relayed from upstream (default 3600)\n"
	"  --dns-timeout SECONDS upstream DNS timeout; then SERVFAIL (default 5)\n"
	"  --resolver ADDR[:PORT][,ADDR[:PORT]...]\n"
	"                        upstream DNS servers, up to 4, asked in order\n"
	"                        (default: the nameservers in /etc/resolv.conf)\n"
	"\n"
	"Diagnostics:\n"
	"  --pcap FILE           write every frame on the guest link to FILE\n"
	"  --log-level LEVEL     error, warning, info or debug (default info)\n"
	"  --help                print this help\n"
	"  --version             print the version\n"
	"\n"
	"Signals: SIGINT and SIGTERM shut down cleanly; SIGHUP reloads the rules\n"
	"and reopens the audit log; SIGUSR1 prints the counters of traffic,\n"
	"drops, refusals and rule hits to stderr.\n"
	"\n"
	"Exit status: 0 after a clean shutdown, 1 if sluice could not start or\n"
	"failed while running, 2 for an invalid command line.\n";

enum {
	OPT_STREAM_LISTEN = 256,
	OPT_STREAM_CONNECT,
	OPT_DGRAM,
	OPT_DGRAM_PEER,
	OPT_TAP,
	OPT_NET,
	OPT_GATEWAY,
	OPT_GUEST,
	OPT_MTU,
	OPT_LEASE_TIME,
	OPT_MAC,
	OPT_ALLOW_NET,
	OPT_CONNECT_TIMEOUT,
	OPT_MAX_TCP,
	OPT_MAX_UDP,
	OPT_MAX_BUFFER,
	OPT_TCP_IDLE,
	OPT_TCP_HALF,
	OPT_UDP_IDLE,
	OPT_RULES,
	OPT_DEFAULT,
	OPT_RULE_BUDGET,
	OPT_RULE_MEMORY,
	OPT_LUA_DIR,
	OPT_AUDIT,
	OPT_DNS,
	OPT_DNS_POOL,
	OPT_DNS_TTL,
	OPT_DNS_MAX_TTL,
	OPT_DNS_TIMEOUT,
	OPT_RESOLVER,
	OPT_PCAP,
	OPT_LOG_LEVEL,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option config_options[] = {
	{"stream-listen", required_argument, NULL, OPT_STREAM_LISTEN},
	{"stream-connect", required_argument, NULL, OPT_STREAM_CONNECT},
	{"dgram", required_argument, NULL, OPT_DGRAM},
	{"dgram-peer", required_argument, NULL, OPT_DGRAM_PEER},
	{"tap", required_argument, NULL, OPT_TAP},
	{"net", required_argument, NULL, OPT_NET},
	{"gateway", required_argument, NULL, OPT_GATEWAY},
	{"guest", required_argument, NULL, OPT_GUEST},
	{"mtu", required_argument, NULL, OPT_MTU},
	{"lease-time", required_argument, NULL, OPT_LEASE_TIME},
	{"mac", required_argument, NULL, OPT_MAC},
	{"allow-net", required_argument, NULL, OPT_ALLOW_NET},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	{"max-tcp-flows", required_argument, NULL, OPT_MAX_TCP},
	{"max-udp-flows", required_argument, NULL, OPT_MAX_UDP},
	{"max-buffer", required_argument, NULL, OPT_MAX_BUFFER},
	{"tcp-idle-timeout", required_argument, NULL, OPT_TCP_IDLE},
	{"tcp-half-timeout", required_argument, NULL, OPT_TCP_HALF},
	{"udp-idle-timeout", required_argument, NULL, OPT_UDP_IDLE},
	{"rules", required_argument, NULL, OPT_RULES},
	{"default", required_argument, NULL, OPT_DEFAULT},
	{"rule-budget", required_argument, NULL, OPT_RULE_BUDGET},
	{"rule-memory", required_argument, NULL, OPT_RULE_MEMORY},
	{"lua-dir", required_argument, NULL, OPT_LUA_DIR},
	{"audit", required_argument, NULL, OPT_AUDIT},
	{"dns", required_argument, NULL, OPT_DNS},
	{"dns-pool", required_argument, NULL, OPT_DNS_POOL},
	{"dns-ttl", required_argument, NULL, OPT_DNS_TTL},
	{"dns-max-ttl", required_argument, NULL, OPT_DNS_MAX_TTL},
	{"dns-timeout", required_argument, NULL, OPT_DNS_TIMEOUT},
	{"resolver", required_argument, NULL, OPT_RESOLVER},
	{"pcap", required_argument, NULL, OPT_PCAP},
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

/**
 * config_usage() - print the help text
 * @out:	where to print it
 */
void config_usage(FILE *out)
{
	fputs(config_help, out);
}

static int config_error(const char *option, const char *value,
			const char *expected)
{
	fprintf(stderr, "sluice: invalid value '%s' for --%s: expected %s\n",
		value, option, expected);
	return -EINVAL;
}

/* Parse an unsigned integer in [min, max]. */
static int config_uint(const char *option, const char *value,
		       unsigned long long min, unsigned long long max,
		       unsigned long long *out)
{
	char expected[96];
	char *end;

	errno = 0;
	*out = strtoull(value, &end, 10);
	if (errno || end == value || *end || value[0] == '-' || *out < min ||
	    *out > max) {
		snprintf(expected, sizeof(expected), "an integer from %llu to "
			 "%llu", min, max);
		return config_error(option, value, expected);
	}
	return 0;
}

/* Parse a number of seconds greater than zero. */
static int config_seconds(const char *option, const char *value, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(value, &end);
	if (errno || end == value || *end || !(*out > 0) || *out > 1e9)
		return config_error(option, value, "a positive number of "
						   "seconds");
	return 0;
}

static int config_ip4(const char *option, const char *value, uint32_t *out)
{
	if (inet_pton(AF_INET, value, out) != 1)
		return config_error(option, value, "an IPv4 address");
	return 0;
}

/*
 * Reject a network written with host bits: a typo that widens the range
 * (10.1.2.3/8 for 10.1.2.3/32) must not pass silently, as in sluice.cidr().
 * @net is what guard_net_parse() made of @arg, the host bits cleared.
 */
static int config_host_bits(const char *option, const char *arg,
			    const struct guard_net *net)
{
	char text[INET6_ADDRSTRLEN];
	size_t len;

	inet_ntop(net->family, net->addr, text, sizeof(text));
	len = strlen(text);
	if (!strncmp(arg, text, len) && (arg[len] == '/' || arg[len] == '\0'))
		return 0;
	fprintf(stderr,
		"sluice: invalid value '%s' for --%s: the address has bits set "
		"past the /%u prefix; write %s/%u for the whole network",
		arg, option, net->prefix, text, net->prefix);
	if (!strcmp(option, "allow-net"))
		fprintf(stderr, ", or give the host with /%u",
			net->family == AF_INET ? 32 : 128);
	fputc('\n', stderr);
	return -EINVAL;
}

static int config_cidr4(const char *option, const char *value, uint32_t *net,
			unsigned *prefix)
{
	struct guard_net n;

	if (guard_net_parse(value, &n) || n.family != AF_INET ||
	    !strchr(value, '/'))
		return config_error(option, value, "an IPv4 network like "
						   "10.0.2.0/24");
	if (config_host_bits(option, value, &n))
		return -EINVAL;
	memcpy(net, n.addr, 4);
	*prefix = n.prefix;
	return 0;
}

/* An exemption from the address guard. */
static int config_allow_net(struct config *cfg, const char *arg)
{
	struct guard_net *net = &cfg->allow_net[cfg->allow_net_count];

	if (guard_net_parse(arg, net))
		return config_error("allow-net", arg, "an IPv4 or IPv6 CIDR "
						      "like 127.0.0.1/32");
	if (config_host_bits("allow-net", arg, net))
		return -EINVAL;
	cfg->allow_net_count++;
	return 0;
}

/* --resolver: one server, or up to RESOLVER_SERVERS_MAX separated by
 * commas, checked with the resolver's own parser. */
static int config_resolver(const char *arg)
{
	int ret = resolver_servers_check(arg);

	if (ret == -E2BIG) {
		fprintf(stderr, "sluice: --resolver takes at most %d servers\n",
			RESOLVER_SERVERS_MAX);
		return -EINVAL;
	}
	if (ret < 0)
		return config_error("resolver", arg,
				    "ADDR, ADDR:PORT or [IPV6]:PORT with a "
				    "numeric address and a port from 1 to "
				    "65535, or several separated by commas");
	return 0;
}

static int config_mac(const char *value, uint8_t *mac)
{
	unsigned v[6];
	char tail;
	int i;

	if (sscanf(value, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &tail) != 6)
		return config_error("mac", value, "a MAC address like "
						  "02:00:00:00:00:01");
	for (i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return config_error("mac", value, "bytes up to ff");
		mac[i] = (uint8_t)v[i];
	}
	if (mac[0] & 1)
		return config_error("mac", value, "a unicast address");
	return 0;
}

static void config_defaults(struct config *cfg)
{
	static const uint8_t mac[6] = {0x02, 0x73, 0x6c, 0x75, 0x69, 0x63};

	memset(cfg, 0, sizeof(*cfg));
	memcpy(cfg->mac, mac, 6);
	inet_pton(AF_INET, "10.0.2.0", &cfg->net);
	cfg->prefix = 24;
	inet_pton(AF_INET, "10.0.2.2", &cfg->gateway);
	inet_pton(AF_INET, "10.0.2.15", &cfg->guest);
	cfg->mtu = 65520;
	cfg->lease_time = 86400;
	cfg->max_tcp_flows = 4096;
	cfg->max_udp_flows = 1024;
	cfg->max_buffered = 256ull << 20;
	cfg->connect_timeout = 10;
	cfg->tcp_idle_timeout = 3600;
	cfg->tcp_half_timeout = 300;
	cfg->udp_idle_timeout = 60;
	cfg->log_level = LOG_INFO;
	cfg->lua_dir = config_default_lua_dir();
	cfg->rule_budget = 1000000;
	cfg->rule_memory = 64ull << 20;
	cfg->dns_mode = DNS_MODE_SYNTHETIC;
	inet_pton(AF_INET, "198.18.0.0", &cfg->dns_pool_net);
	cfg->dns_pool_prefix = 15;
	cfg->dns_ttl = 60;
	cfg->dns_max_ttl = 3600;
	cfg->dns_timeout = 5;
}

static int config_set_link(struct config *cfg, enum link_kind kind,
			   const char *address, int *links)
{
	cfg->link_kind = kind;
	cfg->link_address = address;
	(*links)++;
	return 0;
}

/* Whether two IPv4 networks (network order) share an address. */
static bool config_overlap(uint32_t a, unsigned a_prefix, uint32_t b,
			   unsigned b_prefix)
{
	unsigned prefix = MIN(a_prefix, b_prefix);
	uint32_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;

	return (a & mask) == (b & mask);
}

/* The synthetic pool needs two usable addresses (its first and last are
 * never handed out) that the guest sends to its gateway. */
static int config_pool_invalid(const struct config *cfg)
{
	uint8_t first = ((const uint8_t *)&cfg->dns_pool_net)[0];

	if (cfg->dns_pool_prefix > 30 || cfg->dns_pool_prefix < 8) {
		fprintf(stderr, "sluice: --dns-pool needs a prefix from /8 to "
				"/30; a /30 holds 2 names, the default /15 "
				"holds 131070\n");
		return -EINVAL;
	}
	if (first == 0 || first == 127 || first >= 224) {
		fprintf(stderr, "sluice: --dns-pool must not be in 0.0.0.0/8, "
				"127.0.0.0/8 (loopback), multicast or reserved "
				"space: the guest does not send such addresses "
				"to its gateway\n");
		return -EINVAL;
	}
	return 0;
}

/* Check that the addresses fit together. */
static int config_check(struct config *cfg, int links)
{
	uint32_t mask = config_netmask(cfg);

	if (cfg->check_dir) {
		if (links) {
			fprintf(stderr, "sluice: check takes no link option\n");
			return -EINVAL;
		}
		return 0;
	}
	if (links != 1) {
		fprintf(stderr, "sluice: %s; see --help\n",
			links ? "give only one guest link" :
				"a guest link option is required "
				"(--stream-listen, --stream-connect, --dgram "
				"or --tap)");
		return -EINVAL;
	}
	if (cfg->link_peer && cfg->link_kind != LINK_DGRAM) {
		fprintf(stderr, "sluice: --dgram-peer needs --dgram\n");
		return -EINVAL;
	}
	if (cfg->prefix > 30 || (cfg->net & ~mask)) {
		fprintf(stderr, "sluice: --net must be a network address with "
				"a prefix of at most /30\n");
		return -EINVAL;
	}
	if ((cfg->gateway & mask) != cfg->net ||
	    (cfg->guest & mask) != cfg->net || cfg->gateway == cfg->guest) {
		fprintf(stderr, "sluice: --gateway and --guest must be two "
				"different addresses inside --net\n");
		return -EINVAL;
	}
	if (config_pool_invalid(cfg))
		return -EINVAL;
	if (config_overlap(cfg->net, cfg->prefix, cfg->dns_pool_net,
			   cfg->dns_pool_prefix)) {
		fprintf(stderr, "sluice: --dns-pool must not overlap --net: "
				"synthetic addresses would collide with the "
				"gateway and the guest\n");
		return -EINVAL;
	}
	return 0;
}

/* Handle options that take a number; return 1 if @opt is not one. */
static int config_number(struct config *cfg, int opt, const char *name,
			 const char *arg)
{
	unsigned long long v;
	int ret = 0;

	switch (opt) {
	case OPT_MTU:
		ret = config_uint(name, arg, 576, 65520, &v);
		cfg->mtu = (unsigned)v;
		break;
	case OPT_LEASE_TIME:
		ret = config_uint(name, arg, 60, 1u << 30, &v);
		cfg->lease_time = (unsigned)v;
		break;
	case OPT_MAX_TCP:
		ret = config_uint(name, arg, 1, 1u << 20, &v);
		cfg->max_tcp_flows = (unsigned)v;
		break;
	case OPT_MAX_UDP:
		ret = config_uint(name, arg, 1, 1u << 20, &v);
		cfg->max_udp_flows = (unsigned)v;
		break;
	case OPT_MAX_BUFFER:
		ret = config_uint(name, arg, 1, 1u << 20, &v);
		cfg->max_buffered = v << 20;
		break;
	case OPT_RULE_BUDGET:
		ret = config_uint(name, arg, 1000, 1ull << 40, &v);
		cfg->rule_budget = (unsigned long)v;
		break;
	case OPT_RULE_MEMORY:
		ret = config_uint(name, arg, 1, 1u << 16, &v);
		cfg->rule_memory = v << 20;
		break;
	case OPT_DNS_TTL:
		ret = config_uint(name, arg, 0, 86400, &v);
		cfg->dns_ttl = (unsigned)v;
		break;
	case OPT_DNS_MAX_TTL:
		ret = config_uint(name, arg, 0, 604800, &v);
		cfg->dns_max_ttl = (unsigned)v;
		break;
	case OPT_CONNECT_TIMEOUT:
		return config_seconds(name, arg, &cfg->connect_timeout);
	case OPT_TCP_IDLE:
		return config_seconds(name, arg, &cfg->tcp_idle_timeout);
	case OPT_TCP_HALF:
		return config_seconds(name, arg, &cfg->tcp_half_timeout);
	case OPT_UDP_IDLE:
		return config_seconds(name, arg, &cfg->udp_idle_timeout);
	case OPT_DNS_TIMEOUT:
		return config_seconds(name, arg, &cfg->dns_timeout);
	default:
		return 1;
	}
	return ret;
}

static int config_option(struct config *cfg, int opt, const char *name,
			 const char *arg, int *links)
{
	switch (opt) {
	case OPT_STREAM_LISTEN:
		return config_set_link(cfg, LINK_STREAM_LISTEN, arg, links);
	case OPT_STREAM_CONNECT:
		return config_set_link(cfg, LINK_STREAM_CONNECT, arg, links);
	case OPT_DGRAM:
		return config_set_link(cfg, LINK_DGRAM, arg, links);
	case OPT_TAP:
		return config_set_link(cfg, LINK_TAP, arg, links);
	case OPT_DGRAM_PEER:
		cfg->link_peer = arg;
		return 0;
	case OPT_NET:
		return config_cidr4(name, arg, &cfg->net, &cfg->prefix);
	case OPT_GATEWAY:
		return config_ip4(name, arg, &cfg->gateway);
	case OPT_GUEST:
		return config_ip4(name, arg, &cfg->guest);
	case OPT_MAC:
		return config_mac(arg, cfg->mac);
	case OPT_ALLOW_NET:
		if (cfg->allow_net_count == CONFIG_MAX_ALLOW_NET)
			return config_error(name, arg, "at most 64 ranges");
		return config_allow_net(cfg, arg);
	case OPT_RULES:
		cfg->rules_dir = arg;
		return 0;
	case OPT_DEFAULT:
		if (strcmp(arg, "allow") && strcmp(arg, "deny"))
			return config_error(name, arg, "allow or deny");
		cfg->default_allow = !strcmp(arg, "allow");
		return 0;
	case OPT_LUA_DIR:
		cfg->lua_dir = arg;
		return 0;
	case OPT_AUDIT:
		cfg->audit_path = arg;
		return 0;
	case OPT_DNS:
		if (strcmp(arg, "synthetic") && strcmp(arg, "real"))
			return config_error(name, arg, "synthetic or real");
		cfg->dns_mode = strcmp(arg, "real") ? DNS_MODE_SYNTHETIC :
						      DNS_MODE_REAL;
		return 0;
	case OPT_DNS_POOL:
		return config_cidr4(name, arg, &cfg->dns_pool_net,
				    &cfg->dns_pool_prefix);
	case OPT_RESOLVER:
		if (cfg->resolver) {
			fprintf(stderr, "sluice: --resolver given twice ('%s' "
					"and '%s'); give several servers as one "
					"list: --resolver %s,%s\n",
				cfg->resolver, arg, cfg->resolver, arg);
			return -EINVAL;
		}
		cfg->resolver = arg;
		return config_resolver(arg);
	case OPT_PCAP:
		cfg->pcap_path = arg;
		return 0;
	case OPT_LOG_LEVEL:
		if (log_level_parse(arg, &cfg->log_level))
			return config_error(name, arg, "error, warning, info "
						       "or debug");
		return 0;
	}
	return config_number(cfg, opt, name, arg);
}

/**
 * config_parse() - fill a configuration from the command line
 * @cfg:	configuration to fill
 * @argc:	argument count
 * @argv:	arguments; strings are referenced, not copied
 *
 * Prints a message naming the option for every error.
 *
 * Return: 0 on success, 1 if --help or --version was handled, -EINVAL for
 *	   an invalid command line
 */
int config_parse(struct config *cfg, int argc, char **argv)
{
	int opt, index, links = 0;

	config_defaults(cfg);
	optind = 1;
	opterr = 0;
	if (argc > 1 && !strcmp(argv[1], "check")) {
		if (argc < 3 || argv[2][0] == '-') {
			fprintf(stderr, "sluice: usage: sluice check RULES_DIR "
					"[--lua-dir DIR] [--default allow|deny] "
					"[--rule-budget N] [--rule-memory MIB]\n");
			return -EINVAL;
		}
		cfg->check_dir = argv[2];
		optind = 3;
	}
	while ((opt = getopt_long(argc, argv, "", config_options, &index)) !=
	       -1) {
		if (opt == OPT_HELP) {
			config_usage(stdout);
			return 1;
		}
		if (opt == OPT_VERSION) {
			printf("sluice %s\n", SLUICE_VERSION);
			return 1;
		}
		if (opt == '?') {
			fprintf(stderr, "sluice: unknown option or missing value "
					"in '%s'; see --help\n",
				argv[optind - 1]);
			return -EINVAL;
		}
		if (config_option(cfg, opt, config_options[index].name, optarg,
				  &links))
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "sluice: unexpected argument '%s'; see --help\n",
			argv[optind]);
		return -EINVAL;
	}
	return config_check(cfg, links);
}
