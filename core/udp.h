/* SPDX-License-Identifier: MIT */
/* udp.h - UDP from the guest: DHCP, DNS and per-flow relay to the host */

#ifndef SLUICE_UDP_H
#define SLUICE_UDP_H

#include <stddef.h>
#include <stdint.h>

#define UDP_HLEN 8

struct gateway;
struct ipv4_packet;

void udp_input(struct gateway *gw, const struct ipv4_packet *p);
int udp_send_frame(struct gateway *gw, const uint8_t *dst_mac, uint32_t src,
		   uint16_t sport, uint32_t dst, uint16_t dport,
		   const void *data, size_t len);
int udp_send(struct gateway *gw, uint32_t src, uint16_t sport, uint32_t dst,
	     uint16_t dport, const void *data, size_t len);

#endif /* SLUICE_UDP_H */
