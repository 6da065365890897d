// SPDX-License-Identifier: MIT
/* test_ipv4.c - unit tests of the IPv4 input checks (ipv4_parse) */

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "checksum.h"
#include "ipv4.h"
#include "unit.h"
#include "util.h"

static const uint8_t src_ip[4] = {10, 0, 2, 15};
static const uint8_t dst_ip[4] = {203, 0, 113, 5};

/* Write a valid header of @hlen bytes (options zero-filled) for a packet
 * of @total bytes, with the checksum set. */
static void ip_header(uint8_t *pkt, size_t hlen, size_t total, uint16_t frag)
{
	memset(pkt, 0, hlen);
	pkt[0] = (uint8_t)(0x40 | hlen / 4);
	put_be16(pkt + 2, (uint16_t)total);
	put_be16(pkt + 4, 0x1234);
	put_be16(pkt + 6, frag);
	pkt[8] = 64;
	pkt[9] = IPPROTO_UDP;
	memcpy(pkt + 12, src_ip, 4);
	memcpy(pkt + 16, dst_ip, 4);
	put_be16(pkt + 10, csum_ip4_header(pkt, hlen));
}

/* Recompute the checksum after a test changed a header field. */
static void ip_fix_checksum(uint8_t *pkt, size_t hlen)
{
	put_be16(pkt + 10, 0);
	put_be16(pkt + 10, csum_ip4_header(pkt, hlen));
}

static void ipv4_valid_packet_parsed(void)
{
	struct ipv4_packet p;
	uint8_t pkt[48];

	ip_header(pkt, 20, sizeof(pkt), 0);
	memset(pkt + 20, 0xab, sizeof(pkt) - 20);
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), 0);
	CHECK(p.data == pkt);
	CHECK_INT(p.len, sizeof(pkt));
	CHECK_INT(p.hlen, 20);
	CHECK_MEM(&p.src, src_ip, 4);
	CHECK_MEM(&p.dst, dst_ip, 4);
	CHECK_INT(p.proto, IPPROTO_UDP);
}

static void ipv4_header_options_counted_in_hlen(void)
{
	struct ipv4_packet p;
	uint8_t pkt[80];

	ip_header(pkt, 60, sizeof(pkt), 0);
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), 0);
	CHECK_INT(p.hlen, 60);
	CHECK_INT(p.len, sizeof(pkt));
}

/* DF alone is an unfragmented packet. */
static void ipv4_dont_fragment_flag_accepted(void)
{
	struct ipv4_packet p;
	uint8_t pkt[28];

	ip_header(pkt, 20, sizeof(pkt), 0x4000);
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), 0);
}

static void ipv4_bad_version_invalid(void)
{
	struct ipv4_packet p;
	uint8_t pkt[40];

	ip_header(pkt, 20, sizeof(pkt), 0);
	pkt[0] = 0x65;
	ip_fix_checksum(pkt, 20);
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), -EINVAL);

	pkt[0] = 0x05;
	ip_fix_checksum(pkt, 20);
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), -EINVAL);
}

static void ipv4_short_header_length_invalid(void)
{
	struct ipv4_packet p;
	uint8_t pkt[40];
	unsigned ihl;

	for (ihl = 0; ihl < 5; ihl++) {
		ip_header(pkt, 20, sizeof(pkt), 0);
		pkt[0] = (uint8_t)(0x40 | ihl);
		ip_fix_checksum(pkt, 20);
		CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), -EINVAL);
	}
}

static void ipv4_short_buffer_invalid(void)
{
	struct ipv4_packet p;
	uint8_t pkt[20];
	size_t len;

	ip_header(pkt, 20, sizeof(pkt), 0);
	for (len = 0; len < 20; len++)
		CHECK_INT(ipv4_parse(pkt, len, &p), -EINVAL);
	CHECK_INT(ipv4_parse(pkt, 20, &p), 0);
}

static void ipv4_total_length_beyond_buffer_invalid(void)
{
	struct ipv4_packet p;
	uint8_t pkt[40];

	ip_header(pkt, 20, sizeof(pkt) + 1, 0);
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), -EINVAL);

	ip_header(pkt, 20, 0xffff, 0);
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), -EINVAL);
}

/* A total length shorter than the header, including options, is invalid. */
static void ipv4_total_length_below_header_invalid(void)
{
	struct ipv4_packet p;
	uint8_t pkt[64];

	ip_header(pkt, 20, 19, 0);
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), -EINVAL);

	ip_header(pkt, 24, 20, 0);
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), -EINVAL);

	/* An IHL reaching past the buffer is caught the same way. */
	ip_header(pkt, 60, 40, 0);
	CHECK_INT(ipv4_parse(pkt, 40, &p), -EINVAL);
}

static void ipv4_bad_header_checksum_invalid(void)
{
	struct ipv4_packet p;
	uint8_t pkt[40];

	ip_header(pkt, 20, sizeof(pkt), 0);
	pkt[11] ^= 0x01;
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), -EINVAL);

	/* A changed field without a new checksum. */
	ip_header(pkt, 20, sizeof(pkt), 0);
	pkt[8] = 1;
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), -EINVAL);

	/* A changed option byte counts too. */
	ip_header(pkt, 24, sizeof(pkt), 0);
	pkt[21] = 0x44;
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), -EINVAL);
}

static void ipv4_fragments_not_supported(void)
{
	static const uint16_t frags[] = {
	    0x2000,	     /* MF: first fragment */
	    0x0001,	     /* offset 8: last fragment */
	    0x2001,	     /* MF and offset: middle fragment */
	    0x1fff,	     /* largest offset */
	    0x4000 | 0x0010, /* DF with an offset */
	};
	struct ipv4_packet p;
	uint8_t pkt[40];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(frags); i++) {
		ip_header(pkt, 20, sizeof(pkt), frags[i]);
		CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), -ENOTSUP);
	}
}

/* Ethernet pads short frames; the padding is not part of the packet. */
static void ipv4_trailing_padding_excluded(void)
{
	struct ipv4_packet p;
	uint8_t pkt[46];

	ip_header(pkt, 20, 28, 0);
	memset(pkt + 28, 0, sizeof(pkt) - 28);
	CHECK_INT(ipv4_parse(pkt, sizeof(pkt), &p), 0);
	CHECK_INT(p.len, 28);
	CHECK_INT(p.hlen, 20);
}

UNIT_MAIN(UNIT_TEST(ipv4_valid_packet_parsed),
	  UNIT_TEST(ipv4_header_options_counted_in_hlen),
	  UNIT_TEST(ipv4_dont_fragment_flag_accepted),
	  UNIT_TEST(ipv4_bad_version_invalid),
	  UNIT_TEST(ipv4_short_header_length_invalid),
	  UNIT_TEST(ipv4_short_buffer_invalid),
	  UNIT_TEST(ipv4_total_length_beyond_buffer_invalid),
	  UNIT_TEST(ipv4_total_length_below_header_invalid),
	  UNIT_TEST(ipv4_bad_header_checksum_invalid),
	  UNIT_TEST(ipv4_fragments_not_supported),
	  UNIT_TEST(ipv4_trailing_padding_excluded))
