/* SPDX-License-Identifier: MIT */
/* ipv4.h - IPv4 input checks, dispatch and output of sluice's own packets */

#ifndef SLUICE_IPV4_H
#define SLUICE_IPV4_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define IPV4_HLEN 20 /* header without options, as sluice sends it */

struct gateway;

/**
 * struct ipv4_packet - a checked IPv4 packet from the guest
 * @data:	the packet, starting at the header
 * @len:	total length from the header (trailing link padding removed)
 * @hlen:	header length including options
 * @src:	source address, network order
 * @dst:	destination address, network order
 * @proto:	protocol number
 */
struct ipv4_packet {
	const uint8_t *data;
	size_t len;
	size_t hlen;
	uint32_t src;
	uint32_t dst;
	uint8_t proto;
};

int ipv4_parse(const uint8_t *pkt, size_t len, struct ipv4_packet *p);
void ipv4_input(struct gateway *gw, const uint8_t *pkt, size_t len);
int ipv4_send_mac(struct gateway *gw, const uint8_t *mac, uint8_t proto,
		 uint32_t src, uint32_t dst, const struct iovec *payload,
		 int iovcnt);
int ipv4_send(struct gateway *gw, uint8_t proto, uint32_t src, uint32_t dst,
	     const struct iovec *payload, int iovcnt);

#endif /* SLUICE_IPV4_H */
