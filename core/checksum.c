// SPDX-License-Identifier: MIT
/* checksum.c - Internet checksum (RFC 1071) for IPv4, ICMP and UDP */

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>

#include "checksum.h"

/* Add with the end-around carry of one's complement arithmetic. */
static inline uint64_t csum_add64(uint64_t acc, uint64_t word)
{
	acc += word;
	return acc + (acc < word);
}

/**
 * csum_native() - one's complement sum of a buffer in host byte order
 * @buf:	data; an odd trailing byte is padded with zero
 * @len:	bytes in @buf
 *
 * Sums 8 bytes at a time in a 64-bit accumulator and folds at the end:
 * one's complement addition of 64-bit words gives the same folded result
 * as adding 16-bit words (RFC 1071, "deferred carries"), four times
 * faster. The words are formed relative to @buf, whatever its alignment.
 * lwIP uses this as LWIP_CHKSUM.
 *
 * Return: the folded, not complemented, sum of the 16-bit words of @buf
 *	   as loaded in host byte order
 */
uint16_t csum_native(const void *buf, int len)
{
	const uint8_t *p = buf;
	uint64_t acc = 0, word;
	size_t n = len > 0 ? (size_t)len : 0;

	while (n >= 32) {
		uint64_t w[4];

		memcpy(w, p, sizeof(w));
		acc = csum_add64(acc, w[0]);
		acc = csum_add64(acc, w[1]);
		acc = csum_add64(acc, w[2]);
		acc = csum_add64(acc, w[3]);
		p += 32;
		n -= 32;
	}
	while (n >= 8) {
		memcpy(&word, p, 8);
		acc = csum_add64(acc, word);
		p += 8;
		n -= 8;
	}
	if (n) {
		word = 0;
		memcpy(&word, p, n);
		acc = csum_add64(acc, word);
	}

	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/**
 * csum_add() - add a buffer to a running one's-complement sum
 * @sum:	running sum from an earlier call, or 0
 * @buf:	data; an odd trailing byte is padded with zero
 * @len:	bytes in @buf; only the last buffer of a sum may be odd-sized
 *
 * Return: the unfolded 32-bit sum of the buffer's 16-bit words in network
 *	   byte order
 */
uint32_t csum_add(uint32_t sum, const void *buf, size_t len)
{
	while (len > INT_MAX) {
		sum += ntohs(csum_native(buf, INT_MAX - 1));
		buf = (const uint8_t *)buf + INT_MAX - 1;
		len -= INT_MAX - 1;
	}
	return sum + ntohs(csum_native(buf, (int)len));
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
