/* SPDX-License-Identifier: MIT */
/* checksum.h - Internet checksum (RFC 1071) for IPv4, ICMP and UDP */

#ifndef SLUICE_CHECKSUM_H
#define SLUICE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

uint16_t csum_native(const void *buf, int len);
uint32_t csum_add(uint32_t sum, const void *buf, size_t len);
uint16_t csum_fold(uint32_t sum);
uint16_t csum_ip4_header(const uint8_t *hdr, size_t hlen);
uint16_t csum_udp4(uint32_t src_be, uint32_t dst_be, const uint8_t *udp,
		   size_t len);

#endif /* SLUICE_CHECKSUM_H */
