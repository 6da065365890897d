// SPDX-License-Identifier: MIT
/*
 * icmp.c - ICMP echo to the gateway and unreachable messages to the guest
 *
 * Echo requests to the gateway address are answered; all other ICMP from
 * the guest is dropped and counted (sluice does not relay ping to the
 * outside). Destination-unreachable messages tell the guest that a UDP
 * flow was refused, quoting the offending header as RFC 792 asks.
 */

#include <netinet/in.h>
#include <string.h>

#include "checksum.h"
#include "gateway.h"
#include "icmp.h"
#include "ipv4.h"
#include "stats.h"
#include "util.h"

#define ICMP_ECHO_REPLY	  0
#define ICMP_UNREACH	  3
#define ICMP_ECHO_REQUEST 8
#define ICMP_HLEN	  8

/**
 * icmp_input() - answer an echo request to the gateway
 * @gw:	gateway
 * @p:	the ICMP packet from the guest
 */
void icmp_input(struct gateway *gw, const struct ipv4_packet *p)
{
	const uint8_t *icmp = p->data + p->hlen;
	size_t len = p->len - p->hlen;
	uint8_t hdr[ICMP_HLEN];
	struct iovec iov[2];
	uint32_t sum;

	if (len < ICMP_HLEN || icmp[0] != ICMP_ECHO_REQUEST ||
	    p->dst != gw->cfg->gateway) {
		stats.drop_icmp++;
		return;
	}
	if (csum_fold(csum_add(0, icmp, len))) {
		stats.drop_icmp++;
		return;
	}

	memcpy(hdr, icmp, ICMP_HLEN);
	hdr[0] = ICMP_ECHO_REPLY;
	hdr[2] = hdr[3] = 0;
	sum = csum_add(0, hdr, ICMP_HLEN);
	sum = csum_add(sum, icmp + ICMP_HLEN, len - ICMP_HLEN);
	put_be16(hdr + 2, csum_fold(sum));

	iov[0].iov_base = hdr;
	iov[0].iov_len = ICMP_HLEN;
	iov[1].iov_base = (void *)(icmp + ICMP_HLEN);
	iov[1].iov_len = len - ICMP_HLEN;
	if (!ipv4_send(gw, IPPROTO_ICMP, p->dst, p->src, iov, 2))
		stats.icmp_echo_replies++;
}

/**
 * icmp_send_unreach() - tell the guest a destination is unreachable
 * @gw:		gateway
 * @code:	ICMP_UNREACH_* code
 * @orig:	the guest's packet that could not be delivered
 */
void icmp_send_unreach(struct gateway *gw, uint8_t code,
		       const struct ipv4_packet *orig)
{
	size_t quoted = MIN(orig->len, orig->hlen + 8);
	uint8_t hdr[ICMP_HLEN] = {ICMP_UNREACH, code};
	struct iovec iov[2];
	uint32_t sum;

	sum = csum_add(0, hdr, ICMP_HLEN);
	sum = csum_add(sum, orig->data, quoted);
	put_be16(hdr + 2, csum_fold(sum));

	iov[0].iov_base = hdr;
	iov[0].iov_len = ICMP_HLEN;
	iov[1].iov_base = (void *)orig->data;
	iov[1].iov_len = quoted;
	if (!ipv4_send(gw, IPPROTO_ICMP, orig->dst, orig->src, iov, 2))
		stats.icmp_unreach_sent++;
}
