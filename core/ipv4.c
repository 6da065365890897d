// SPDX-License-Identifier: MIT
/*
 * ipv4.c - IPv4 input checks, dispatch and output of sluice's own packets
 *
 * Every IPv4 packet from the guest is checked here before any protocol
 * sees it: version, header length, total length, header checksum, source
 * address. Fragments are dropped and counted (a guest on a local link with
 * a known MTU has no reason to fragment, and reassembly would be attack
 * surface). TCP goes to lwIP, UDP and ICMP to sluice's own modules; other
 * protocols are dropped and counted.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "checksum.h"
#include "eth.h"
#include "gateway.h"
#include "icmp.h"
#include "ipv4.h"
#include "log.h"
#include "stack.h"
#include "stats.h"
#include "udp.h"
#include "util.h"

#define IPV4_FLAG_MF	  0x2000
#define IPV4_OFFSET_MASK	  0x1fff
#define IPV4_DEFAULT_TTL	  64

/**
 * ipv4_parse() - check an IPv4 packet and describe it
 * @pkt:	the packet, starting at the header
 * @len:	bytes available (may include link-layer padding)
 * @p:		filled with the description
 *
 * Return: 0 for a valid unfragmented packet, -ENOTSUP for a fragment,
 *	   -EINVAL for anything malformed (short, bad lengths, bad header
 *	   checksum, not version 4)
 */
int ipv4_parse(const uint8_t *pkt, size_t len, struct ipv4_packet *p)
{
	size_t hlen, total;
	uint16_t frag;

	if (len < IPV4_HLEN || pkt[0] >> 4 != 4)
		return -EINVAL;
	hlen = (size_t)(pkt[0] & 0x0f) * 4;
	total = get_be16(pkt + 2);
	if (hlen < IPV4_HLEN || total < hlen || total > len)
		return -EINVAL;
	if (csum_ip4_header(pkt, hlen))
		return -EINVAL;

	frag = get_be16(pkt + 6);
	if (frag & (IPV4_FLAG_MF | IPV4_OFFSET_MASK))
		return -ENOTSUP;

	p->data = pkt;
	p->len = total;
	p->hlen = hlen;
	memcpy(&p->src, pkt + 12, 4);
	memcpy(&p->dst, pkt + 16, 4);
	p->proto = pkt[9];
	return 0;
}

/* The guest may only send from its own address, and from 0.0.0.0 while it
 * asks DHCP for that address. */
static bool ipv4_source_ok(const struct gateway *gw, const struct ipv4_packet *p)
{
	if (p->src == gw->cfg->guest)
		return true;
	return p->src == 0 && p->proto == IPPROTO_UDP;
}

/**
 * ipv4_input() - check and dispatch one IPv4 packet from the guest
 * @gw:		gateway
 * @pkt:	the packet
 * @len:	bytes after the Ethernet header
 */
void ipv4_input(struct gateway *gw, const uint8_t *pkt, size_t len)
{
	struct ipv4_packet p;
	char text[16];
	int ret;

	ret = ipv4_parse(pkt, len, &p);
	if (ret == -ENOTSUP) {
		stats.drop_ip_fragment++;
		return;
	}
	if (ret) {
		stats.drop_ip_invalid++;
		return;
	}
	if (!ipv4_source_ok(gw, &p)) {
		stats.drop_ip_source++;
		inet_ntop(AF_INET, &p.src, text, sizeof(text));
		log_ratelimited(LOG_WARN, "ip4: packet from %s dropped: the "
					  "guest's address is the leased one",
				text);
		return;
	}

	switch (p.proto) {
	case IPPROTO_TCP:
		stack_input(gw, &p);
		break;
	case IPPROTO_UDP:
		udp_input(gw, &p);
		break;
	case IPPROTO_ICMP:
		icmp_input(gw, &p);
		break;
	default:
		stats.drop_ip_proto++;
		break;
	}
}

/**
 * ipv4_send_mac() - build an IPv4 header and queue the packet for the guest
 * @gw:		gateway
 * @mac:	destination MAC address, or NULL for the guest's
 * @proto:	protocol number
 * @src:	source address, network order
 * @dst:	destination address, network order
 * @payload:	payload pieces (at most 14)
 * @iovcnt:	number of pieces
 *
 * Return: 0 on success, -EMSGSIZE if the packet exceeds the MTU, or the
 *	   error of link_send()
 */
int ipv4_send_mac(struct gateway *gw, const uint8_t *mac, uint8_t proto,
		 uint32_t src, uint32_t dst, const struct iovec *payload,
		 int iovcnt)
{
	struct iovec iov[15];
	uint8_t hdr[IPV4_HLEN];
	size_t len = IPV4_HLEN;
	int i;

	if (iovcnt > 14)
		return -EMSGSIZE;
	for (i = 0; i < iovcnt; i++) {
		len += payload[i].iov_len;
		iov[i + 1] = payload[i];
	}
	if (len > gw->cfg->mtu)
		return -EMSGSIZE;

	memset(hdr, 0, sizeof(hdr));
	hdr[0] = 0x45;
	put_be16(hdr + 2, (uint16_t)len);
	put_be16(hdr + 4, gw->ip_id++);
	put_be16(hdr + 6, 0x4000); /* DF: sluice never fragments */
	hdr[8] = IPV4_DEFAULT_TTL;
	hdr[9] = proto;
	memcpy(hdr + 12, &src, 4);
	memcpy(hdr + 16, &dst, 4);
	put_be16(hdr + 10, csum_ip4_header(hdr, sizeof(hdr)));

	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	if (mac)
		return eth_send(gw, mac, ETH_TYPE_IP4, iov, iovcnt + 1);
	return eth_send_ip4(gw, iov, iovcnt + 1);
}

/**
 * ipv4_send() - build an IPv4 header and queue the packet for the guest's MAC
 * @gw:		gateway
 * @proto:	protocol number
 * @src:	source address, network order
 * @dst:	destination address, network order
 * @payload:	payload pieces (at most 14)
 * @iovcnt:	number of pieces
 *
 * Return: as ipv4_send_mac()
 */
int ipv4_send(struct gateway *gw, uint8_t proto, uint32_t src, uint32_t dst,
	     const struct iovec *payload, int iovcnt)
{
	return ipv4_send_mac(gw, NULL, proto, src, dst, payload, iovcnt);
}
