/* SPDX-License-Identifier: MIT */
/*
 * lwipopts.h - lwIP configuration for sluice
 *
 * lwIP runs single-threaded on the libev loop (NO_SYS=1, raw API only) and
 * handles TCP alone: sluice parses Ethernet, ARP, IPv4, ICMP, UDP and DHCP
 * itself and hands IPv4 TCP segments to ip4_input(), where the input hook
 * accepts connections to any address. Sizes were chosen with tools/bench.
 */

#ifndef SLUICE_LWIPOPTS_H
#define SLUICE_LWIPOPTS_H

#define NO_SYS			1
#define LWIP_SOCKET		0
#define LWIP_NETCONN		0
#define SYS_LIGHTWEIGHT_PROT	0

#define LWIP_IPV4		1
#define LWIP_IPV6		0
#define LWIP_ARP		0
#define LWIP_ETHERNET		0
#define LWIP_TCP		1
#define LWIP_UDP		0
#define LWIP_RAW		0
#define LWIP_ICMP		0
#define LWIP_DHCP		0
#define LWIP_AUTOIP		0
#define LWIP_IGMP		0
#define LWIP_DNS		0
#define IP_REASSEMBLY		0
#define IP_FRAG			0
#define IP_FORWARD		0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_HAVE_LOOPIF	0
#define LWIP_NETIF_LOOPBACK	0
#define LWIP_STATS		0
#define LWIP_TIMERS		1

/* Heap and pools come from malloc, so thousands of flows cost only what
 * they use. */
#define MEM_LIBC_MALLOC		1
#define MEMP_MEM_MALLOC		1
#define MEM_ALIGNMENT		8
#define MEMP_NUM_TCP_PCB	65535
#define MEMP_NUM_TCP_PCB_LISTEN	65535
#define MEMP_NUM_TCP_SEG	65535
#define MEMP_NUM_PBUF		65535
#define PBUF_POOL_SIZE		64

/* The link is a local socket or TAP: frames carry full checksums from the
 * guest, so skip verifying them, but generate them because the guest
 * verifies ours. */
#define CHECKSUM_CHECK_IP	0
#define CHECKSUM_CHECK_TCP	0
#define CHECKSUM_GEN_IP		1
#define CHECKSUM_GEN_TCP	1
#define LWIP_CHECKSUM_ON_COPY	1
/* lwIP's portable checksum adds 16 bits at a time and took 39% of the
 * CPU time of a 65520-MTU host-to-guest transfer (tools/bench, perf);
 * sluice's adds 64 bits at a time and gives the same result. */
#define LWIP_CHKSUM		csum_native
#ifndef __ASSEMBLER__
#include <stdint.h>
uint16_t csum_native(const void *buf, int len);
#endif

/* Near the largest segment whose pbuf (payload, TCP options, IPv4 and
 * link headers) still fits lwIP's 16-bit pbuf length; guests with a smaller
 * MTU announce a smaller MSS, which lwIP honours. */
#define TCP_MSS			65000
#define TCP_CALCULATE_EFF_SEND_MSS 1
#define LWIP_WND_SCALE		1
#define TCP_RCV_SCALE		5
#define TCP_WND			(1024 * 1024)
#define TCP_SND_BUF		(1024 * 1024)
#define TCP_SND_QUEUELEN	4096
#define TCP_SNDLOWAT		(TCP_SND_BUF / 4)
#define TCP_SNDQUEUELOWAT	(TCP_SND_QUEUELEN / 2)
#define TCP_OVERSIZE		TCP_MSS
#define TCP_QUEUE_OOSEQ		1
/* Caps the handshakes pending on one listening pcb: the DNS server's
 * listener takes SYNs straight from the guest, which could otherwise fill
 * memory with half-open connections. */
#define TCP_LISTEN_BACKLOG	1
#define LWIP_TCP_KEEPALIVE	0
#define TCP_MAXRTX		12
#define TCP_SYNMAXRTX		6
#define SO_REUSE		1
/* lwIP's TCP sanity checks assume a 16-bit send buffer (TCP_SNDLOWAT must
 * be 4 * TCP_MSS below 0xffff), which cannot hold with a large MSS and
 * window scaling. The checks that still apply hold by construction:
 * TCP_SND_BUF >= 2 * TCP_MSS, TCP_SND_QUEUELEN >= 2 * TCP_SND_BUF /
 * TCP_MSS, TCP_SNDLOWAT < TCP_SND_BUF, TCP_WND >= TCP_MSS. */
#define LWIP_DISABLE_TCP_SANITY_CHECKS 1
#define LWIP_TCP_TIMESTAMPS	0
#define LWIP_CALLBACK_API	1
#define LWIP_EVENT_API		0

#define LWIP_HOOK_FILENAME	"lwip_hooks.h"
#define LWIP_HOOK_IP4_INPUT(pbuf, input_netif)                                 \
	stack_ip4_input_hook((pbuf), (input_netif))

#define LWIP_NOASSERT		1
#define LWIP_DEBUG		0

#endif /* SLUICE_LWIPOPTS_H */
