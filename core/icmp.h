/* SPDX-License-Identifier: MIT */
/* icmp.h - ICMP echo to the gateway and unreachable messages to the guest */

#ifndef SLUICE_ICMP_H
#define SLUICE_ICMP_H

#include <stddef.h>
#include <stdint.h>

#define ICMP_UNREACH_HOST	 1
#define ICMP_UNREACH_PORT	 3
#define ICMP_UNREACH_ADMIN	 13 /* communication administratively prohibited */

struct gateway;
struct ipv4_packet;

void icmp_input(struct gateway *gw, const struct ipv4_packet *p);
void icmp_send_unreach(struct gateway *gw, uint8_t code,
		       const struct ipv4_packet *orig);

#endif /* SLUICE_ICMP_H */
