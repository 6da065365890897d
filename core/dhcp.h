/* SPDX-License-Identifier: MIT */
/* dhcp.h - DHCP server for the one guest */

#ifndef SLUICE_DHCP_H
#define SLUICE_DHCP_H

#include <stddef.h>
#include <stdint.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_REPLY_MAX	 576

/* Message types (option 53). */
#define DHCP_DISCOVER 1
#define DHCP_OFFER    2
#define DHCP_REQUEST  3
#define DHCP_DECLINE  4
#define DHCP_ACK      5
#define DHCP_NAK      6
#define DHCP_RELEASE  7
#define DHCP_INFORM   8

struct gateway;
struct ipv4_packet;

/**
 * struct dhcp_params - what the server hands out; addresses network order
 * @server:	server identifier, router and DNS server (the gateway)
 * @guest:	the one address leased
 * @netmask:	subnet mask
 * @mtu:	interface MTU (option 26)
 * @lease_time:	lease time, seconds
 */
struct dhcp_params {
	uint32_t server;
	uint32_t guest;
	uint32_t netmask;
	unsigned mtu;
	unsigned lease_time;
};

/**
 * struct dhcp_reply - how to send a reply built by dhcp_build_reply()
 * @type:	DHCP_OFFER, DHCP_ACK or DHCP_NAK
 * @request:	message type of the request
 * @chaddr:	client hardware address
 * @dst:	destination IP, network order: the client's address when it
 *		has one, else broadcast
 * @len:	reply length in bytes
 */
struct dhcp_reply {
	int type;
	int request;
	uint8_t chaddr[6];
	uint32_t dst;
	size_t len;
};

int dhcp_build_reply(const struct dhcp_params *params, const uint8_t *req,
		     size_t len, uint8_t *out, struct dhcp_reply *reply);
void dhcp_input(struct gateway *gw, const struct ipv4_packet *p,
		const uint8_t *payload, size_t len);

#endif /* SLUICE_DHCP_H */
