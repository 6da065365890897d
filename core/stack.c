// SPDX-License-Identifier: MIT
/*
 * stack.c - lwIP glue: the netif, the input hook and lwIP's timers
 *
 * lwIP sees one netif whose address is the gateway's. Its output function
 * adds the Ethernet header and queues the packet for the guest. TCP
 * segments from the guest enter through ip4_input(), where the
 * LWIP_HOOK_IP4_INPUT hook (stack_ip4_input_hook) takes every one of them:
 * it lets the TCP module decide about SYNs of new connections (hold them
 * until the upstream connect succeeds, or refuse them), and feeds the rest
 * to tcp_input() itself, after filling lwIP's "current packet" globals the
 * way ip4_input() would. That is how lwIP accepts connections to any
 * destination address without a patch: ip4_input() alone would drop
 * packets not addressed to the netif.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lwip/init.h"
#include "lwip/ip4.h"
#include "lwip/sys.h"
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"

#include "eth.h"
#include "gateway.h"
#include "ipv4.h"
#include "log.h"
#include "stack.h"
#include "stats.h"
#include "tcp.h"
#include "util.h"
#include "lwip_hooks.h"

static struct netif stack_netif;
static struct gateway *stack_gw;

/**
 * sys_now() - the millisecond clock lwIP's timers run on
 *
 * Return: milliseconds (monotonic), truncated to 32 bits as lwIP expects
 */
u32_t sys_now(void)
{
	return (u32_t)now_ms();
}

static err_t stack_output(struct netif *netif, struct pbuf *p,
			  const ip4_addr_t *ipaddr)
{
	static uint8_t flat[LINK_FRAME_MAX];
	struct iovec iov[15];
	struct pbuf *q;
	int n = 0, ret;

	for (q = p; q && n < 15; q = q->next) {
		iov[n].iov_base = q->payload;
		iov[n].iov_len = q->len;
		n++;
	}
	if (q) {
		/* Too many pieces: copy the packet into one buffer. */
		iov[0].iov_base = flat;
		iov[0].iov_len = pbuf_copy_partial(p, flat, p->tot_len, 0);
		n = 1;
	}

	ret = eth_send_ip4(stack_gw, iov, n);
	/* A full queue makes lwIP keep the segment and retry; without a guest
	 * the packet has nowhere to go. */
	return ret == -ENOBUFS ? ERR_MEM : ERR_OK;
}

static err_t stack_netif_init(struct netif *netif)
{
	netif->name[0] = 's';
	netif->name[1] = 'l';
	netif->output = stack_output;
	netif->mtu = (u16_t)MIN(stack_gw->cfg->mtu, 65535u);
	netif->flags = NETIF_FLAG_UP | NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

/**
 * stack_init() - start lwIP with one netif for the guest
 * @gw:	gateway
 *
 * Return: 0 on success, -EIO if lwIP refused the netif
 */
int stack_init(struct gateway *gw)
{
	ip4_addr_t addr, mask, gwaddr;

	stack_gw = gw;
	lwip_init();

	ip4_addr_set_u32(&addr, gw->cfg->gateway);
	ip4_addr_set_u32(&mask, config_netmask(gw->cfg));
	ip4_addr_set_u32(&gwaddr, gw->cfg->gateway);
	if (!netif_add(&stack_netif, &addr, &mask, &gwaddr, NULL,
		       stack_netif_init, ip4_input))
		return -EIO;
	netif_set_default(&stack_netif);
	netif_set_up(&stack_netif);
	netif_set_link_up(&stack_netif);
	return 0;
}

/**
 * stack_input() - hand a checked TCP packet from the guest to lwIP
 * @gw:	gateway
 * @p:	the packet
 */
void stack_input(struct gateway *gw, const struct ipv4_packet *p)
{
	struct pbuf *pb;

	pb = pbuf_alloc(PBUF_RAW, (u16_t)p->len, PBUF_RAM);
	if (!pb) {
		log_ratelimited(LOG_WARN, "stack: out of memory, TCP segment "
					  "dropped");
		return;
	}
	memcpy(pb->payload, p->data, p->len);
	stack_netif.input(pb, &stack_netif);
}

/**
 * stack_deliver() - run an IPv4 TCP packet through tcp_input()
 * @p:	the packet, starting at the IPv4 header; consumed
 *
 * Sets lwIP's current-packet globals as ip4_input() does, so tcp_input()
 * accepts a packet for any destination address.
 */
void stack_deliver(struct pbuf *p)
{
	const struct ip_hdr *iphdr = p->payload;
	u16_t hlen = (u16_t)(IPH_HL(iphdr) * 4);

	ip_data.current_netif = &stack_netif;
	ip_data.current_input_netif = &stack_netif;
	ip_data.current_ip4_header = iphdr;
	ip_data.current_ip_header_tot_len = hlen;
	ip_addr_copy_from_ip4(ip_data.current_iphdr_src, iphdr->src);
	ip_addr_copy_from_ip4(ip_data.current_iphdr_dest, iphdr->dest);

	if (pbuf_remove_header(p, hlen))
		pbuf_free(p);
	else
		tcp_input(p, &stack_netif);

	ip_data.current_netif = NULL;
	ip_data.current_input_netif = NULL;
	ip_data.current_ip4_header = NULL;
	ip_data.current_ip_header_tot_len = 0;
	ip4_addr_set_any(ip4_current_src_addr());
	ip4_addr_set_any(ip4_current_dest_addr());
}

/**
 * stack_ip4_input_hook() - LWIP_HOOK_IP4_INPUT: take every TCP packet
 * @p:		the packet, starting at the IPv4 header
 * @inp:	the netif it arrived on
 *
 * Return: 1 always: the packet was consumed (delivered, held or dropped)
 */
int stack_ip4_input_hook(struct pbuf *p, struct netif *inp)
{
	const struct ip_hdr *iphdr = p->payload;

	if (IPH_PROTO(iphdr) != IP_PROTO_TCP) {
		pbuf_free(p);
		return 1;
	}
	if (tcp_guest_segment(stack_gw, p))
		stack_deliver(p);
	return 1;
}

/**
 * stack_timers() - run lwIP's due timers (TCP retransmission, delayed ACK)
 * and end TIME_WAIT
 */
void stack_timers(void)
{
	sys_check_timeouts();

	/* TIME_WAIT absorbs delayed duplicates of a network that reorders
	 * and loses; the guest link does neither, and lwIP searches the
	 * TIME_WAIT list for every SYN, which at a few thousand connections
	 * a second grew to thousands of entries and halved the connection
	 * rate. So pcbs leave TIME_WAIT within one tick (100 ms). */
	while (tcp_tw_pcbs)
		tcp_abandon(tcp_tw_pcbs, 0);
}

static struct tcp_pcb *stack_find(struct tcp_pcb *list, uint32_t src,
				   uint16_t sport, uint32_t dst, uint16_t dport)
{
	struct tcp_pcb *pcb;

	for (pcb = list; pcb; pcb = pcb->next) {
		if (pcb->remote_port == sport && pcb->local_port == dport &&
		    ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)) == src &&
		    ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip)) == dst)
			return pcb;
	}
	return NULL;
}

/**
 * stack_forget_connection() - drop what lwIP still keeps of an old
 * connection before the same 5-tuple opens again
 * @src:	guest address, network order
 * @sport:	guest port
 * @dst:	destination address, network order
 * @dport:	destination port
 *
 * After a connection closed, lwIP keeps its pcb in TIME_WAIT (when sluice
 * closed first) or in a closing state. A guest that reuses the port at
 * once would get an ACK instead of a SYN-ACK from that pcb, which ignores
 * the guest's RST (RFC 1337), and the new connection would hang until
 * TIME_WAIT ends. A SYN for a tuple without a flow means the guest is done
 * with the old connection, so its pcb goes, silently.
 */
void stack_forget_connection(uint32_t src, uint16_t sport, uint32_t dst,
			     uint16_t dport)
{
	struct tcp_pcb *pcb;

	while ((pcb = stack_find(tcp_tw_pcbs, src, sport, dst, dport)))
		tcp_abandon(pcb, 0);
	while ((pcb = stack_find(tcp_active_pcbs, src, sport, dst, dport)))
		tcp_abandon(pcb, 0);
}

static unsigned stack_count(const struct tcp_pcb *list)
{
	unsigned n = 0;

	for (; list; list = list->next)
		n++;
	return n;
}

/**
 * stack_print() - print how many TCP connections lwIP holds, in the
 * format of stats_print()
 * @out:	where to print
 */
void stack_print(FILE *out)
{
	fprintf(out, "%-26s %12u  # %s\n", "lwip_tcp_pcbs",
		stack_count(tcp_active_pcbs) + stack_count(tcp_tw_pcbs),
		"TCP connections lwIP holds now, half-open ones included");
}

static void stack_abandon_list(struct tcp_pcb **list)
{
	while (*list)
		tcp_abandon(*list, 0);
}

/**
 * stack_reset() - forget every TCP connection without telling the guest,
 * for a guest that went away; pcbs with callbacks report ERR_ABRT first
 */
void stack_reset(void)
{
	stack_abandon_list(&tcp_active_pcbs);
	stack_abandon_list(&tcp_tw_pcbs);
}
