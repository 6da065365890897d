// SPDX-License-Identifier: MIT
/* test_arp.c - unit tests of the ARP responder in arp.c */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "arp.h"
#include "config.h"
#include "eth.h"
#include "gateway.h"
#include "unit.h"
#include "util.h"

#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY   2

static const uint8_t our_mac[ETH_ALEN] = {0x02, 0x73, 0x6c, 0x75, 0x69, 0x63};
static const uint8_t guest_mac[ETH_ALEN] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t zero_mac[ETH_ALEN];
static const uint8_t guest_ip[4] = {10, 0, 2, 15};
static const uint8_t gateway_ip[4] = {10, 0, 2, 2};
static const uint8_t other_ip[4] = {203, 0, 113, 7};

static uint32_t ip_of(const uint8_t *bytes)
{
	uint32_t ip;

	memcpy(&ip, bytes, 4);
	return ip;
}

/* Build an Ethernet/IPv4 ARP packet (without the Ethernet header). */
static void arp_packet(uint8_t *pkt, uint16_t op, const uint8_t *sha,
		       const uint8_t *spa, const uint8_t *tha,
		       const uint8_t *tpa)
{
	put_be16(pkt, 1);
	put_be16(pkt + 2, ETH_TYPE_IP4);
	pkt[4] = ETH_ALEN;
	pkt[5] = 4;
	put_be16(pkt + 6, op);
	memcpy(pkt + 8, sha, ETH_ALEN);
	memcpy(pkt + 14, spa, 4);
	memcpy(pkt + 18, tha, ETH_ALEN);
	memcpy(pkt + 24, tpa, 4);
}

/* Check that @reply is the reply to a request from the guest for @target. A
 * failed check counts against the calling test. */
static void check_reply_for(const uint8_t *reply, const uint8_t *target)
{
	CHECK_INT(get_be16(reply), 1);
	CHECK_INT(get_be16(reply + 2), ETH_TYPE_IP4);
	CHECK_INT(reply[4], ETH_ALEN);
	CHECK_INT(reply[5], 4);
	CHECK_INT(get_be16(reply + 6), ARP_OP_REPLY);
	CHECK_MEM(reply + 8, our_mac, ETH_ALEN);
	CHECK_MEM(reply + 14, target, 4);
	CHECK_MEM(reply + 18, guest_mac, ETH_ALEN);
	CHECK_MEM(reply + 24, guest_ip, 4);
}

static void arp_request_for_gateway_gets_reply(void)
{
	uint8_t req[ARP_LEN], reply[ARP_LEN];

	arp_packet(req, ARP_OP_REQUEST, guest_mac, guest_ip, zero_mac,
		   gateway_ip);
	CHECK_INT(
	    arp_build_reply(our_mac, ip_of(guest_ip), req, sizeof(req), reply),
	    ARP_LEN);
	check_reply_for(reply, gateway_ip);
}

static void arp_request_for_other_address_gets_reply(void)
{
	uint8_t req[ARP_LEN], reply[ARP_LEN];

	arp_packet(req, ARP_OP_REQUEST, guest_mac, guest_ip, zero_mac,
		   other_ip);
	CHECK_INT(
	    arp_build_reply(our_mac, ip_of(guest_ip), req, sizeof(req), reply),
	    ARP_LEN);
	check_reply_for(reply, other_ip);
}

/* Ethernet pads a 28-byte ARP packet to the 46-byte minimum payload. */
static void arp_padded_request_gets_reply(void)
{
	uint8_t req[46], reply[ARP_LEN];

	memset(req, 0xee, sizeof(req));
	arp_packet(req, ARP_OP_REQUEST, guest_mac, guest_ip, zero_mac,
		   gateway_ip);
	CHECK_INT(
	    arp_build_reply(our_mac, ip_of(guest_ip), req, sizeof(req), reply),
	    ARP_LEN);
	check_reply_for(reply, gateway_ip);
}

static void arp_request_for_guest_address_ignored(void)
{
	static const uint8_t unspecified[4];
	uint8_t req[ARP_LEN], reply[ARP_LEN];

	/* Duplicate address detection probe: sender address 0.0.0.0. */
	arp_packet(req, ARP_OP_REQUEST, guest_mac, unspecified, zero_mac,
		   guest_ip);
	CHECK_INT(
	    arp_build_reply(our_mac, ip_of(guest_ip), req, sizeof(req), reply),
	    0);

	/* Another station asking for the guest's address. */
	arp_packet(req, ARP_OP_REQUEST, guest_mac, gateway_ip, zero_mac,
		   guest_ip);
	CHECK_INT(
	    arp_build_reply(our_mac, ip_of(guest_ip), req, sizeof(req), reply),
	    0);
}

static void arp_gratuitous_request_ignored(void)
{
	uint8_t req[ARP_LEN], reply[ARP_LEN];

	arp_packet(req, ARP_OP_REQUEST, guest_mac, guest_ip, zero_mac,
		   guest_ip);
	CHECK_INT(
	    arp_build_reply(our_mac, ip_of(guest_ip), req, sizeof(req), reply),
	    0);

	/* Also when the announced address is not the leased one. */
	arp_packet(req, ARP_OP_REQUEST, guest_mac, other_ip, zero_mac,
		   other_ip);
	CHECK_INT(
	    arp_build_reply(our_mac, ip_of(guest_ip), req, sizeof(req), reply),
	    0);
}

static void arp_reply_packet_ignored(void)
{
	uint8_t req[ARP_LEN], reply[ARP_LEN];

	/* A gratuitous announcement sent as a reply. */
	arp_packet(req, ARP_OP_REPLY, guest_mac, guest_ip, eth_broadcast,
		   guest_ip);
	CHECK_INT(
	    arp_build_reply(our_mac, ip_of(guest_ip), req, sizeof(req), reply),
	    0);

	/* A reply addressed to sluice. */
	arp_packet(req, ARP_OP_REPLY, guest_mac, guest_ip, our_mac, gateway_ip);
	CHECK_INT(
	    arp_build_reply(our_mac, ip_of(guest_ip), req, sizeof(req), reply),
	    0);
}

static void arp_short_packet_invalid(void)
{
	uint8_t req[ARP_LEN], reply[ARP_LEN];
	size_t len;

	arp_packet(req, ARP_OP_REQUEST, guest_mac, guest_ip, zero_mac,
		   gateway_ip);
	for (len = 0; len < ARP_LEN; len++)
		CHECK_INT(
		    arp_build_reply(our_mac, ip_of(guest_ip), req, len, reply),
		    -EINVAL);
}

static void arp_wrong_types_and_sizes_invalid(void)
{
	/* Byte offset and a value that is not Ethernet/IPv4. */
	static const struct {
		size_t offset;
		uint8_t value;
	} cases[] = {
	    {1, 6},    /* hardware type 6 (IEEE 802) */
	    {0, 1},    /* hardware type 0x0101 */
	    {2, 0x86}, /* protocol type 0x8600 */
	    {3, 0xdd}, /* protocol type 0x08dd */
	    {4, 8},    /* hardware address size */
	    {5, 16},   /* protocol address size */
	};
	uint8_t req[ARP_LEN], reply[ARP_LEN];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		arp_packet(req, ARP_OP_REQUEST, guest_mac, guest_ip, zero_mac,
			   gateway_ip);
		req[cases[i].offset] = cases[i].value;
		CHECK_INT(arp_build_reply(our_mac, ip_of(guest_ip), req,
					  sizeof(req), reply),
			  -EINVAL);
	}
}

/* arp_input() frames its reply to the requester's MAC with sluice's MAC as
 * the source, on a link whose queue the test reads back. */
static void arp_input_sends_framed_reply(void)
{
	char arg0[] = "test_arp", arg1[] = "--tap", arg2[] = "test0";
	char *argv[] = {arg0, arg1, arg2, NULL};
	uint8_t req[ARP_LEN];
	const uint8_t *frame;
	struct config cfg;
	struct gateway gw;
	size_t len;
	int fd;

	CHECK_INT(config_parse(&cfg, 3, argv), 0);
	memset(&gw, 0, sizeof(gw));
	gw.cfg = &cfg;
	CHECK_INT(frameq_init(&gw.link.txq, 1 << 16), 0);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	gw.link.fd = fd; /* link_send() queues only; nothing is written */

	arp_packet(req, ARP_OP_REQUEST, guest_mac, guest_ip, zero_mac,
		   other_ip);
	arp_input(&gw, req, sizeof(req));
	close(fd);

	CHECK_INT(frameq_peek(&gw.link.txq, &frame, &len), 0);
	CHECK_INT(len, ETH_HLEN + ARP_LEN);
	CHECK_MEM(frame, guest_mac, ETH_ALEN);
	CHECK_MEM(frame + ETH_ALEN, cfg.mac, ETH_ALEN);
	CHECK_INT(get_be16(frame + 12), ETH_TYPE_ARP);
	CHECK_MEM(frame + ETH_HLEN + 8, cfg.mac, ETH_ALEN);
	CHECK_MEM(frame + ETH_HLEN + 14, other_ip, 4);
	frameq_free(&gw.link.txq);
}

UNIT_MAIN(UNIT_TEST(arp_request_for_gateway_gets_reply),
	  UNIT_TEST(arp_request_for_other_address_gets_reply),
	  UNIT_TEST(arp_padded_request_gets_reply),
	  UNIT_TEST(arp_request_for_guest_address_ignored),
	  UNIT_TEST(arp_gratuitous_request_ignored),
	  UNIT_TEST(arp_reply_packet_ignored),
	  UNIT_TEST(arp_short_packet_invalid),
	  UNIT_TEST(arp_wrong_types_and_sizes_invalid),
	  UNIT_TEST(arp_input_sends_framed_reply))
