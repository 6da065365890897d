/* SPDX-License-Identifier: MIT */
/* dns.h - the guest's DNS server on the gateway address, decided by rules */

#ifndef SLUICE_DNS_H
#define SLUICE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns_msg.h"

struct gateway;
struct ipv4_packet;
struct dns_tcp_conn;
struct resolver;

#define DNS_PORT 53

/**
 * struct dns_client - where the reply to a guest query goes
 * @transport:	UDP or TCP
 * @addr:	guest address, network order
 * @port:	guest UDP port (UDP only)
 * @conn:	the guest's DNS-over-TCP connection (TCP only)
 */
struct dns_client {
	enum dns_transport transport;
	uint32_t addr;
	uint16_t port;
	struct dns_tcp_conn *conn;
};

int dns_init(struct gateway *gw);
void dns_free(struct gateway *gw);
void dns_reset(struct gateway *gw);
void dns_tick(struct gateway *gw, int64_t now);

void dns_udp_input(struct gateway *gw, const struct ipv4_packet *p,
		   const uint8_t *udp, size_t len);
void dns_query_input(struct gateway *gw, const uint8_t *msg, size_t len,
		     const struct dns_client *client);
void dns_conn_gone(struct gateway *gw, struct dns_tcp_conn *conn);

bool dns_is_synthetic(const struct gateway *gw, uint32_t addr);
const char *dns_name_of(struct gateway *gw, uint32_t addr);
void dns_hold(struct gateway *gw, uint32_t addr);
void dns_release(struct gateway *gw, uint32_t addr);
unsigned dns_cached(struct gateway *gw, uint32_t synthetic,
		    const uint32_t **addrs);
void dns_cache(struct gateway *gw, uint32_t synthetic, const uint32_t *addrs,
	       unsigned count, uint32_t ttl);
struct resolver *dns_resolver(struct gateway *gw);

#endif /* SLUICE_DNS_H */
