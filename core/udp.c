// SPDX-License-Identifier: MIT
/*
 * udp.c - UDP from the guest: DHCP, DNS and per-flow relay to the host
 *
 * Theory of operation: UDP never enters lwIP. Datagrams to port 67 go to
 * the DHCP server and datagrams to the gateway's port 53 to the DNS
 * server. Everything else is relayed
 * per flow: the first datagram of a guest address/port and destination
 * address/port pair asks the gate, then opens a connected host UDP socket
 * through the dialer (up to UDP_HELD_MAX datagrams wait while a dial
 * resolves a name); replies from that socket are wrapped into IPv4/UDP
 * for the guest with the destination as their source. A refused flow gets
 * ICMP unreachable (administratively prohibited for rules and guard, port
 * unreachable when the host reports ECONNREFUSED).
 *
 * Limits: at most cfg->max_udp_flows flows; each is closed after
 * cfg->udp_idle_timeout seconds without traffic. Host replies are read only
 * while the guest link is not congested. A datagram the host socket does
 * not take at once, or a reply larger than the guest's MTU (sluice does not
 * fragment), is dropped and counted: UDP senders expect loss.
 * Broadcast and multicast are not relayed.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checksum.h"
#include "dhcp.h"
#include "dial.h"
#include "dns.h"
#include "gate.h"
#include "gateway.h"
#include "icmp.h"
#include "ipv4.h"
#include "log.h"
#include "stats.h"
#include "udp.h"
#include "util.h"

#define UDP_READ_BUDGET 32
#define UDP_MAX_PAYLOAD (65535 - 20 - UDP_HLEN)

#define UDP_HELD_MAX 8 /* datagrams kept while the flow's dial runs */

/**
 * struct udp_held - a datagram from the guest waiting for the dial
 * @next:	next held datagram
 * @len:	payload length
 * @data:	payload
 */
struct udp_held {
	struct udp_held *next;
	size_t len;
	uint8_t data[];
};

/**
 * struct udp_flow - one relayed guest address/port to destination pair
 * @f:		generic flow part
 * @gw:		gateway
 * @fd:		connected host socket, or -1 while dialling
 * @rx_w:	read watcher on @fd
 * @dial:	the dial that makes @fd
 * @held:	datagrams that arrived while dialling, oldest first
 * @held_count:	entries in @held
 */
struct udp_flow {
	struct flow f;
	struct gateway *gw;
	int fd;
	ev_io rx_w;
	struct dial dial;
	struct udp_held *held;
	unsigned held_count;
};

static uint8_t udp_buf[UDP_MAX_PAYLOAD];

static void udp_flow_reap(struct flow *f, int64_t now);
static void udp_flow_reset(struct flow *f);
static void udp_flow_resume(struct flow *f);

static const struct flow_ops udp_flow_ops = {
	.reap = udp_flow_reap,
	.reset = udp_flow_reset,
	.resume = udp_flow_resume,
};

/**
 * udp_send_frame() - send a UDP datagram to the guest at a given MAC
 * @gw:		gateway
 * @dst_mac:	destination MAC, or NULL for the guest's
 * @src:	source address, network order
 * @sport:	source port, host order
 * @dst:	destination address, network order
 * @dport:	destination port, host order
 * @data:	payload
 * @len:	payload length
 *
 * Return: 0 on success, -EMSGSIZE over the MTU, or the link's error
 */
int udp_send_frame(struct gateway *gw, const uint8_t *dst_mac, uint32_t src,
		   uint16_t sport, uint32_t dst, uint16_t dport,
		   const void *data, size_t len)
{
	uint8_t hdr[UDP_HLEN];
	struct iovec iov[2];
	uint32_t sum;
	uint16_t csum;

	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	put_be16(hdr, sport);
	put_be16(hdr + 2, dport);
	put_be16(hdr + 4, (uint16_t)(UDP_HLEN + len));
	put_be16(hdr + 6, 0);

	/* Pseudo-header, header, payload: the header is even-sized, so the
	 * running sum stays aligned. */
	sum = csum_add(0, &src, 4);
	sum = csum_add(sum, &dst, 4);
	sum += IPPROTO_UDP + UDP_HLEN + (uint32_t)len;
	sum = csum_add(sum, hdr, UDP_HLEN);
	sum = csum_add(sum, data, len);
	csum = csum_fold(sum);
	put_be16(hdr + 6, csum ? csum : 0xffff);

	iov[0].iov_base = hdr;
	iov[0].iov_len = UDP_HLEN;
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = len;
	return ipv4_send_mac(gw, dst_mac, IPPROTO_UDP, src, dst, iov, 2);
}

/**
 * udp_send() - send a UDP datagram to the guest
 * @gw:		gateway
 * @src:	source address, network order
 * @sport:	source port, host order
 * @dst:	destination address, network order
 * @dport:	destination port, host order
 * @data:	payload
 * @len:	payload length
 *
 * Return: as udp_send_frame()
 */
int udp_send(struct gateway *gw, uint32_t src, uint16_t sport, uint32_t dst,
	     uint16_t dport, const void *data, size_t len)
{
	return udp_send_frame(gw, NULL, src, sport, dst, dport, data, len);
}

static void udp_flow_free(struct udp_flow *uf, const char *reason)
{
	struct gateway *gw = uf->gw;

	dial_cancel(&uf->dial);
	while (uf->held) {
		struct udp_held *h = uf->held;

		uf->held = h->next;
		free(h);
	}
	if (uf->fd >= 0) {
		ev_io_stop(gw->loop, &uf->rx_w);
		close(uf->fd);
	}
	flow_list_del(&gw->paused, &uf->f);
	flow_remove(&gw->flows, &uf->f);
	gate_flow_end(gw, &uf->f, reason);
	free(uf);
}

/* Tell the guest its flow's destination refused a datagram, quoting a
 * header rebuilt from the flow (the original datagram is gone). */
static void udp_flow_unreachable(struct udp_flow *uf, uint8_t code)
{
	uint8_t pkt[IPV4_HLEN + UDP_HLEN] = {0x45};
	struct ipv4_packet orig = {
		.data = pkt,
		.len = sizeof(pkt),
		.hlen = IPV4_HLEN,
		.src = uf->f.key.src,
		.dst = uf->f.key.dst,
		.proto = IPPROTO_UDP,
	};

	put_be16(pkt + 2, sizeof(pkt));
	pkt[8] = 64;
	pkt[9] = IPPROTO_UDP;
	memcpy(pkt + 12, &uf->f.key.src, 4);
	memcpy(pkt + 16, &uf->f.key.dst, 4);
	put_be16(pkt + 10, csum_ip4_header(pkt, IPV4_HLEN));
	put_be16(pkt + IPV4_HLEN, uf->f.key.sport);
	put_be16(pkt + IPV4_HLEN + 2, uf->f.key.dport);
	put_be16(pkt + IPV4_HLEN + 4, UDP_HLEN);
	icmp_send_unreach(uf->gw, code, &orig);
}

static void udp_rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct udp_flow *uf = container_of(w, struct udp_flow, rx_w);
	struct gateway *gw = uf->gw;
	int i;

	for (i = 0; i < UDP_READ_BUDGET; i++) {
		ssize_t n;

		if (link_congested(&gw->link)) {
			ev_io_stop(loop, w);
			gateway_pause_flow(gw, &uf->f);
			return;
		}
		n = recv(uf->fd, udp_buf, sizeof(udp_buf), MSG_TRUNC);
		if (n < 0) {
			if (errno == ECONNREFUSED)
				udp_flow_unreachable(uf, ICMP_UNREACH_PORT);
			else if (errno != EAGAIN && errno != EINTR)
				log_ratelimited(LOG_WARN, "udp: flow %llu: "
							  "recv: %s",
						(unsigned long long)uf->f.id,
						strerror(errno));
			return;
		}
		if ((size_t)n > gw->cfg->mtu - IPV4_HLEN - UDP_HLEN) {
			stats.drop_udp_too_big++;
			continue;
		}

		uf->f.bytes_down += (size_t)n;
		uf->f.last_active = now_ms();
		udp_send(gw, uf->f.key.dst, uf->f.key.dport, uf->f.key.src,
			 uf->f.key.sport, udp_buf, (size_t)n);
	}
}

/* Send one payload upstream; a refusal the host already knows of becomes
 * ICMP port unreachable for the guest. */
static void udp_flow_send(struct udp_flow *uf, const uint8_t *data, size_t len)
{
	if (send(uf->fd, data, len, 0) < 0) {
		if (errno == ECONNREFUSED) {
			udp_flow_unreachable(uf, ICMP_UNREACH_PORT);
		} else {
			stats.drop_udp_send++;
			log_ratelimited(LOG_WARN, "udp: flow %llu: send: %s",
					(unsigned long long)uf->f.id,
					strerror(errno));
		}
		return;
	}
	uf->f.bytes_up += len;
	uf->f.last_active = now_ms();
}

static void udp_flow_connected(struct udp_flow *uf, int fd)
{
	uf->fd = fd;
	uf->f.upstream = uf->dial.target.sin_addr.s_addr;
	ev_io_init(&uf->rx_w, udp_rx_cb, uf->fd, EV_READ);
	ev_io_start(uf->gw->loop, &uf->rx_w);
	stats.udp_flows_opened++;

	while (uf->held) {
		struct udp_held *h = uf->held;

		uf->held = h->next;
		udp_flow_send(uf, h->data, h->len);
		free(h);
	}
	uf->held_count = 0;
}

static void udp_flow_refused(struct udp_flow *uf, int err)
{
	if (err == -EACCES)
		stats.udp_refused_guard++;
	uf->f.upstream = uf->dial.target.sin_addr.s_addr;
	gate_flow_refused(uf->gw, &uf->f, uf->dial.why, err == -EACCES);
	udp_flow_unreachable(uf, ICMP_UNREACH_ADMIN);
	udp_flow_free(uf, uf->dial.why);
}

static void udp_dial_done(struct dial *d, int fd, int err)
{
	struct udp_flow *uf = container_of(d, struct udp_flow, dial);

	if (err)
		udp_flow_refused(uf, err);
	else
		udp_flow_connected(uf, fd);
}

/* Keep a datagram until the dial finishes; beyond UDP_HELD_MAX drop it. */
static void udp_flow_hold(struct udp_flow *uf, const uint8_t *data, size_t len)
{
	struct udp_held *h, **tail;

	if (uf->held_count == UDP_HELD_MAX || !(h = malloc(sizeof(*h) + len))) {
		stats.drop_udp_send++;
		return;
	}
	h->next = NULL;
	h->len = len;
	memcpy(h->data, data, len);
	for (tail = &uf->held; *tail; tail = &(*tail)->next)
		;
	*tail = h;
	uf->held_count++;
}

/* The first datagram of a new pair: decide and dial. */
static struct udp_flow *udp_flow_open(struct gateway *gw,
				      const struct ipv4_packet *p,
				      const struct flow_key *key)
{
	struct udp_flow *uf;
	int ret;

	if (gw->flows.udp_count >= gw->cfg->max_udp_flows) {
		stats.udp_refused_limit++;
		log_ratelimited(LOG_WARN, "udp: %u flows open, the maximum; "
					  "new flow refused",
				gw->flows.udp_count);
		icmp_send_unreach(gw, ICMP_UNREACH_ADMIN, p);
		return NULL;
	}
	uf = calloc(1, sizeof(*uf));
	if (!uf)
		return NULL;
	uf->gw = gw;
	uf->fd = -1;
	flow_start(&gw->flows, &uf->f, key, &udp_flow_ops);

	if (gate_connect(gw, &uf->f)) {
		stats.udp_refused_policy++;
		udp_flow_free(uf, "denied by rules");
		icmp_send_unreach(gw, ICMP_UNREACH_ADMIN, p);
		return NULL;
	}

	ret = dial_start(&uf->dial, gw, SOCK_DGRAM, key->dst, key->dport,
			 uf->f.name, udp_dial_done);
	if (ret == DIAL_CONNECTED)
		udp_flow_connected(uf, dial_take_fd(&uf->dial));
	else if (ret < 0) {
		udp_flow_refused(uf, ret);
		return NULL;
	}
	return uf;
}

static void udp_relay(struct gateway *gw, const struct ipv4_packet *p,
		      const uint8_t *udp, size_t len)
{
	struct flow_key key = {p->src, p->dst, get_be16(udp),
			       get_be16(udp + 2), IPPROTO_UDP};
	struct udp_flow *uf;
	struct flow *f;

	f = flow_lookup(&gw->flows, &key);
	uf = f ? container_of(f, struct udp_flow, f) :
		 udp_flow_open(gw, p, &key);
	if (!uf)
		return;
	if (uf->fd < 0)
		udp_flow_hold(uf, udp + UDP_HLEN, len - UDP_HLEN);
	else
		udp_flow_send(uf, udp + UDP_HLEN, len - UDP_HLEN);
}

static bool udp_is_broadcast(const struct gateway *gw, uint32_t dst)
{
	uint32_t mask = config_netmask(gw->cfg);

	if (dst == INADDR_BROADCAST || (dst & ~mask) == ~mask)
		return true;
	return (ntohl(dst) >> 28) == 0xe; /* multicast */
}

/**
 * udp_input() - dispatch a UDP datagram from the guest
 * @gw:	gateway
 * @p:	the checked IPv4 packet
 */
void udp_input(struct gateway *gw, const struct ipv4_packet *p)
{
	const uint8_t *udp = p->data + p->hlen;
	size_t avail = p->len - p->hlen, len;
	uint16_t dport;

	if (avail < UDP_HLEN) {
		stats.drop_udp_invalid++;
		return;
	}
	len = get_be16(udp + 4);
	if (len < UDP_HLEN || len > avail) {
		stats.drop_udp_invalid++;
		return;
	}
	dport = get_be16(udp + 2);

	if (dport == DHCP_SERVER_PORT &&
	    (p->dst == INADDR_BROADCAST || p->dst == gw->cfg->gateway)) {
		dhcp_input(gw, p, udp + UDP_HLEN, len - UDP_HLEN);
		return;
	}
	if (p->src == 0 || udp_is_broadcast(gw, p->dst)) {
		stats.drop_udp_invalid++;
		return;
	}
	if (p->dst == gw->cfg->gateway && dport == DNS_PORT) {
		dns_udp_input(gw, p, udp, len);
		return;
	}
	udp_relay(gw, p, udp, len);
}

static void udp_flow_reap(struct flow *f, int64_t now)
{
	struct udp_flow *uf = container_of(f, struct udp_flow, f);

	if (now - f->last_active > uf->gw->cfg->udp_idle_timeout * 1000) {
		stats.udp_reaped++;
		udp_flow_free(uf, gate_idle_timeout);
	}
}

static void udp_flow_reset(struct flow *f)
{
	struct udp_flow *uf = container_of(f, struct udp_flow, f);

	udp_flow_free(uf, uf->gw->stopping ? "sluice stopped"
					   : "guest disconnected");
}

static void udp_flow_resume(struct flow *f)
{
	struct udp_flow *uf = container_of(f, struct udp_flow, f);

	if (uf->fd >= 0)
		ev_io_start(uf->gw->loop, &uf->rx_w);
}
