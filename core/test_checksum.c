// SPDX-License-Identifier: MIT
/* test_checksum.c - unit tests of the Internet checksum routines */

#include <arpa/inet.h>
#include <stdlib.h>

#include "checksum.h"
#include "unit.h"

/* The plain definition: 16-bit big-endian words, carries folded back. */
static uint16_t reference_sum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void checksum_native_matches_reference_random(void)
{
	static uint8_t buf[70000];
	unsigned trial;

	srand(20261204);
	for (trial = 0; trial < 3000; trial++) {
		size_t off = (size_t)rand() % 8;
		size_t len = (size_t)rand() % (trial < 2000 ? 200 : 66000);
		size_t i;

		for (i = 0; i < off + len; i++)
			buf[i] = (uint8_t)rand();
		CHECK_INT(ntohs(csum_native(buf + off, (int)len)),
			  reference_sum(buf + off, len));
	}
}

static void checksum_native_all_ones_folds(void)
{
	static uint8_t buf[65536];

	memset(buf, 0xff, sizeof(buf));
	CHECK_INT(csum_native(buf, sizeof(buf)), 0xffff);
	CHECK_INT(csum_native(buf, 0), 0);
}

static void checksum_add_chains_even_pieces(void)
{
	uint8_t buf[101];
	uint32_t sum;
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	sum = csum_add(0, buf, 40);
	sum = csum_add(sum, buf + 40, 61);
	CHECK_INT(fold(sum), reference_sum(buf, sizeof(buf)));
}

static void checksum_ip4_header_verifies_to_zero(void)
{
	uint8_t hdr[20] = {0x45, 0, 0, 60, 0x12, 0x34, 0x40, 0, 64, 6,
			   0,    0, 10, 0, 2, 15, 93, 184, 216, 34};
	uint16_t c = csum_ip4_header(hdr, sizeof(hdr));

	hdr[10] = (uint8_t)(c >> 8);
	hdr[11] = (uint8_t)c;
	CHECK_INT(csum_ip4_header(hdr, sizeof(hdr)), 0);
}

static void checksum_udp_zero_becomes_ffff(void)
{
	/* A datagram whose checksum computes to 0 is sent as 0xffff (RFC
	 * 768). The last payload word is zero, so setting it to the first
	 * checksum adds exactly the missing sum and makes the new one 0. */
	uint8_t udp[10] = {0x00, 0x35, 0x30, 0x39, 0x00, 0x0a, 0x12, 0x34, 0, 0};
	uint32_t src = htonl(0x0a000202), dst = htonl(0x0a00020f);
	uint16_t c = csum_udp4(src, dst, udp, sizeof(udp));

	CHECK(c != 0xffff);
	udp[8] = (uint8_t)(c >> 8);
	udp[9] = (uint8_t)c;
	CHECK_INT(csum_udp4(src, dst, udp, sizeof(udp)), 0xffff);
}

UNIT_MAIN(UNIT_TEST(checksum_native_matches_reference_random),
	  UNIT_TEST(checksum_native_all_ones_folds),
	  UNIT_TEST(checksum_add_chains_even_pieces),
	  UNIT_TEST(checksum_ip4_header_verifies_to_zero),
	  UNIT_TEST(checksum_udp_zero_becomes_ffff))
