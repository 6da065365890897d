/* SPDX-License-Identifier: MIT */
/* arp.h - ARP responder: sluice answers for every address but the guest's */

#ifndef SLUICE_ARP_H
#define SLUICE_ARP_H

#include <stddef.h>
#include <stdint.h>

#define ARP_LEN 28 /* Ethernet/IPv4 ARP packet */

struct gateway;

int arp_build_reply(const uint8_t *our_mac, uint32_t guest_ip,
		    const uint8_t *req, size_t len, uint8_t *reply);
void arp_input(struct gateway *gw, const uint8_t *pkt, size_t len);

#endif /* SLUICE_ARP_H */
