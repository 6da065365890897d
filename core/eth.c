// SPDX-License-Identifier: MIT
/*
 * eth.c - Ethernet framing between the guest link and the protocols
 *
 * sluice is every host on the guest's link: ARP answers with sluice's own
 * MAC for every address, so all the guest's frames are addressed to it and
 * all of sluice's frames go to the guest's MAC, learned from the source of
 * its frames. IPv6 and other ethertypes are dropped and counted.
 */

#include <errno.h>
#include <string.h>

#include "arp.h"
#include "eth.h"
#include "gateway.h"
#include "ipv4.h"
#include "log.h"
#include "stats.h"
#include "util.h"

const uint8_t eth_broadcast[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void eth_learn_guest(struct gateway *gw, const uint8_t *src)
{
	if (src[0] & 1) /* multicast or broadcast: not a station address */
		return;
	if (gw->guest_mac_known && !memcmp(gw->guest_mac, src, ETH_ALEN))
		return;

	/* A guest that keeps changing its source address must not flood the
	 * log. */
	if (gw->guest_mac_known) {
		stats.guest_mac_changes++;
		log_ratelimited(LOG_INFO,
				"eth: guest MAC address changed to "
				"%02x:%02x:%02x:%02x:%02x:%02x",
				src[0], src[1], src[2], src[3], src[4], src[5]);
	} else {
		log_info("eth: guest MAC address is "
			 "%02x:%02x:%02x:%02x:%02x:%02x",
			 src[0], src[1], src[2], src[3], src[4], src[5]);
	}
	memcpy(gw->guest_mac, src, ETH_ALEN);
	gw->guest_mac_known = true;
}

/**
 * eth_input() - handle one frame from the guest
 * @gw:		gateway
 * @frame:	the frame, starting at the destination MAC
 * @len:	frame length
 */
void eth_input(struct gateway *gw, const uint8_t *frame, size_t len)
{
	uint16_t type;

	if (len < ETH_HLEN) {
		stats.drop_runt++;
		return;
	}
	if (len > ETH_HLEN + gw->cfg->mtu) {
		stats.drop_oversize++;
		log_ratelimited(LOG_WARN, "eth: %zu-byte frame exceeds the MTU "
					  "of %u, dropped",
				len, gw->cfg->mtu);
		return;
	}

	eth_learn_guest(gw, frame + ETH_ALEN);
	type = get_be16(frame + 12);
	switch (type) {
	case ETH_TYPE_ARP:
		arp_input(gw, frame + ETH_HLEN, len - ETH_HLEN);
		break;
	case ETH_TYPE_IP4:
		ipv4_input(gw, frame + ETH_HLEN, len - ETH_HLEN);
		break;
	case ETH_TYPE_IP6:
		stats.drop_ipv6++;
		break;
	default:
		stats.drop_ethertype++;
		break;
	}
}

/**
 * eth_send() - add an Ethernet header and queue a frame for the guest
 * @gw:		gateway
 * @dst:	destination MAC
 * @type:	ethertype
 * @iov:	payload pieces (at most 15)
 * @iovcnt:	number of pieces
 *
 * Return: 0 on success or the error of link_send()
 */
int eth_send(struct gateway *gw, const uint8_t *dst, uint16_t type,
	     const struct iovec *iov, int iovcnt)
{
	struct iovec all[16];
	uint8_t hdr[ETH_HLEN];
	int i;

	if (iovcnt > 15)
		return -EMSGSIZE;
	memcpy(hdr, dst, ETH_ALEN);
	memcpy(hdr + ETH_ALEN, gw->cfg->mac, ETH_ALEN);
	put_be16(hdr + 12, type);

	all[0].iov_base = hdr;
	all[0].iov_len = sizeof(hdr);
	for (i = 0; i < iovcnt; i++)
		all[i + 1] = iov[i];
	return link_send(&gw->link, all, iovcnt + 1);
}

/**
 * eth_send_ip4() - queue an IPv4 packet for the guest
 * @gw:		gateway
 * @iov:	the packet in pieces, starting at the IPv4 header
 * @iovcnt:	number of pieces (at most 15)
 *
 * Return: 0 on success or the error of link_send()
 */
int eth_send_ip4(struct gateway *gw, const struct iovec *iov, int iovcnt)
{
	const uint8_t *dst = gw->guest_mac_known ? gw->guest_mac : eth_broadcast;

	return eth_send(gw, dst, ETH_TYPE_IP4, iov, iovcnt);
}
