// SPDX-License-Identifier: MIT
/* checksum.c - Internet checksum (RFC 1071) for IPv4, ICMP and UDP */

#include <netinet/in.h>
#include <string.h>

#include "checksum.h"

/**
 * csum_add() - add a buffer to a running one's-complement sum
 * @sum:	running sum from an earlier call, or 0
 * @buf:	data; an odd trailing byte is padded with zero
 * @len:	bytes in @buf
 *
 * Return: the unfolded 32-bit sum
 */
uint32_t csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;

	while (len >= 2) {
		acc += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)(p[0] << 8);

	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

/**
 * csum_fold() - fold a running sum into the final checksum
 * @sum:	sum from csum_add()
 *
 * Return: the checksum in host order, ready for put_be16()
 */
uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * csum_ip4_header() - checksum of an IPv4 header
 * @hdr:	header, with its checksum field set to zero to compute it, or
 *		as received to verify it (a valid header then gives 0)
 * @hlen:	header length in bytes
 *
 * Return: the checksum in host order
 */
uint16_t csum_ip4_header(const uint8_t *hdr, size_t hlen)
{
	return csum_fold(csum_add(0, hdr, hlen));
}

/**
 * csum_udp4() - UDP checksum over the IPv4 pseudo-header and datagram
 * @src_be:	source address, network order
 * @dst_be:	destination address, network order
 * @udp:	UDP header and payload, checksum field zero
 * @len:	UDP length
 *
 * Return: the checksum in host order; 0 is sent as 0xffff (RFC 768)
 */
uint16_t csum_udp4(uint32_t src_be, uint32_t dst_be, const uint8_t *udp,
		   size_t len)
{
	uint8_t pseudo[12];
	uint16_t sum;

	memcpy(pseudo, &src_be, 4);
	memcpy(pseudo + 4, &dst_be, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	pseudo[10] = (uint8_t)(len >> 8);
	pseudo[11] = (uint8_t)len;

	sum = csum_fold(csum_add(csum_add(0, pseudo, sizeof(pseudo)), udp, len));
	return sum ? sum : 0xffff;
}
