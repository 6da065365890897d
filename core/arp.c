// SPDX-License-Identifier: MIT
/*
 * arp.c - ARP responder: sluice answers for every address but the guest's
 *
 * Every request for an IPv4 address other than the guest's own gets a reply
 * with sluice's MAC, because sluice stands in for every host the guest can
 * reach. Requests for the guest's address (duplicate address detection) and
 * gratuitous announcements are ignored. sluice never sends requests: it
 * learns the guest's MAC from the source of its frames.
 */

#include <errno.h>
#include <string.h>

#include "arp.h"
#include "eth.h"
#include "gateway.h"
#include "stats.h"
#include "util.h"

#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY   2

/**
 * arp_build_reply() - build the reply to an ARP packet from the guest
 * @our_mac:	sluice's MAC address
 * @guest_ip:	the guest's address, network order
 * @req:	ARP packet (after the Ethernet header)
 * @len:	bytes in @req
 * @reply:	ARP_LEN bytes for the reply
 *
 * Return: ARP_LEN if @reply holds a reply to send, 0 if nothing is to be
 *	   sent, -EINVAL for a malformed or non-Ethernet/IPv4 packet
 */
int arp_build_reply(const uint8_t *our_mac, uint32_t guest_ip,
		    const uint8_t *req, size_t len, uint8_t *reply)
{
	uint32_t sender_ip, target_ip;

	if (len < ARP_LEN)
		return -EINVAL;
	if (get_be16(req) != 1 || get_be16(req + 2) != ETH_TYPE_IP4 ||
	    req[4] != ETH_ALEN || req[5] != 4)
		return -EINVAL;
	if (get_be16(req + 6) != ARP_OP_REQUEST)
		return 0;

	memcpy(&sender_ip, req + 14, 4);
	memcpy(&target_ip, req + 24, 4);
	if (target_ip == guest_ip || target_ip == sender_ip)
		return 0;

	memcpy(reply, req, 6); /* hardware and protocol types and sizes */
	put_be16(reply + 6, ARP_OP_REPLY);
	memcpy(reply + 8, our_mac, ETH_ALEN);
	memcpy(reply + 14, &target_ip, 4);
	memcpy(reply + 18, req + 8, ETH_ALEN);
	memcpy(reply + 24, &sender_ip, 4);
	return ARP_LEN;
}

/**
 * arp_input() - answer an ARP packet from the guest
 * @gw:		gateway
 * @pkt:	ARP packet
 * @len:	bytes in @pkt
 */
void arp_input(struct gateway *gw, const uint8_t *pkt, size_t len)
{
	uint8_t reply[ARP_LEN];
	struct iovec iov = {reply, sizeof(reply)};
	int n;

	n = arp_build_reply(gw->cfg->mac, gw->cfg->guest, pkt, len, reply);
	if (n < 0) {
		stats.drop_arp_invalid++;
		return;
	}
	if (!n)
		return;

	if (!eth_send(gw, reply + 18, ETH_TYPE_ARP, &iov, 1))
		stats.arp_replies++;
}
