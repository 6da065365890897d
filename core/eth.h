/* SPDX-License-Identifier: MIT */
/* eth.h - Ethernet framing between the guest link and the protocols */

#ifndef SLUICE_ETH_H
#define SLUICE_ETH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define ETH_HLEN      14
#define ETH_ALEN      6
#define ETH_TYPE_IP4  0x0800
#define ETH_TYPE_ARP  0x0806
#define ETH_TYPE_IP6  0x86dd

struct gateway;

extern const uint8_t eth_broadcast[ETH_ALEN];

void eth_input(struct gateway *gw, const uint8_t *frame, size_t len);
int eth_send(struct gateway *gw, const uint8_t *dst, uint16_t type,
	     const struct iovec *iov, int iovcnt);
int eth_send_ip4(struct gateway *gw, const struct iovec *iov, int iovcnt);

#endif /* SLUICE_ETH_H */
