// SPDX-License-Identifier: MIT
/*
 * tcp.c - TCP relay between lwIP connections and host sockets
 *
 * Theory of operation: the guest's TCP is terminated by lwIP; every
 * connection is paired with a host socket to the destination the guest
 * addressed.
 *
 * Opening: a SYN for an unknown 5-tuple creates a flow, has the gate
 * (rules and audit) decide whether it may go, and starts an upstream
 * dial. The SYN itself is held, and guest retransmissions of it are
 * dropped, until
 * the dial finishes: on success a listening pcb for the destination port
 * is made sure to exist and the SYN is fed to tcp_input(), so the guest's
 * handshake completes only when upstream accepted; on refusal, timeout or
 * a guard or rules denial the guest gets an RST, as from a real host.
 *
 * Relaying: guest data arrives in lwIP's recv callback and is written to
 * the host socket with writev(); what the socket does not take is queued
 * and tcp_recved() is called only for bytes actually written, so the TCP
 * window carries backpressure to the guest. Host data is read only as far
 * as lwIP's send buffer has room, and not at all while the guest link is
 * congested, so a slow guest slows the host socket instead of growing
 * buffers. A FIN from either side becomes a shutdown() or tcp_shutdown()
 * on the other once queued data is through; the flow ends when both
 * directions are closed, or with an RST both ways on a reset or an error.
 *
 * Limits: at most cfg->max_tcp_flows flows and cfg->max_buffered bytes
 * buffered over all flows (queued guest data plus lwIP send buffers); past
 * either, new connections get an RST and a counter. An idle reaper resets
 * flows idle beyond their timeout and drops flows whose guest never
 * finished the handshake.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lwip/ip.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"

#include "dial.h"
#include "dns.h"
#include "gate.h"
#include "gateway.h"
#include "log.h"
#include "stack.h"
#include "stats.h"
#include "tcp.h"
#include "util.h"

#define TCP_ACCEPT_TIMEOUT_MS 30000 /* guest must finish the handshake */
#define TCP_READ_CHUNK	      (256u << 10)
#define TCP_WRITEV_MAX	      64
#define TCP_RESUME_SNDBUF     (TCP_SND_BUF / 4) /* room to resume reads */

/**
 * enum tcp_flow_state - where a connection is in its life
 * @TCP_FLOW_DIALING:	the guest's SYN is held while upstream connects
 * @TCP_FLOW_ACCEPTING:	the SYN went to lwIP; the guest's handshake runs
 * @TCP_FLOW_OPEN:	relaying data
 */
enum tcp_flow_state {
	TCP_FLOW_DIALING,
	TCP_FLOW_ACCEPTING,
	TCP_FLOW_OPEN,
};

/**
 * struct tcp_flow - one relayed connection
 * @f:		generic flow part (key, id, counters)
 * @gw:		gateway
 * @state:	life-cycle state
 * @pcb:	lwIP connection, NULL before accept and after lwIP freed it
 * @fd:		host socket, or -1
 * @rx_w:	read watcher on @fd (host to guest)
 * @tx_w:	write watcher on @fd, active while guest data is queued
 * @dial:	upstream connect in progress
 * @syn:	the held SYN (whole IPv4 packet) while dialling
 * @queue:	ring of pbuf chains from the guest not yet written upstream
 * @queue_cap:	slots in @queue
 * @queue_head:	index of the first chain
 * @queue_len:	chains queued
 * @queue_off:	bytes of the first chain already written
 * @queued:	bytes queued in @queue
 * @hold:	host data read but not taken by tcp_write(), or NULL
 * @hold_len:	bytes in @hold
 * @counted:	bytes this flow contributes to tcp_buffered_total
 * @guest_eof:	the guest sent FIN
 * @host_eof:	the host socket reached end of file
 * @host_shut:	shutdown(SHUT_WR) was done on @fd
 * @read_blocked: host reads wait for room in lwIP's send buffer
 */
struct tcp_flow {
	struct flow f;
	struct gateway *gw;
	enum tcp_flow_state state;
	struct tcp_pcb *pcb;
	int fd;
	ev_io rx_w;
	ev_io tx_w;
	struct dial dial;
	struct pbuf *syn;
	struct pbuf **queue;
	unsigned queue_cap;
	unsigned queue_head;
	unsigned queue_len;
	size_t queue_off;
	size_t queued;
	uint8_t *hold;
	size_t hold_len;
	size_t counted;
	bool guest_eof;
	bool host_eof;
	bool host_shut;
	bool read_blocked;
};

static struct tcp_pcb **tcp_listeners; /* one per destination port */
static uint64_t tcp_buffered_total;
static uint8_t tcp_read_buf[TCP_READ_CHUNK];

static void tcp_flow_reap(struct flow *f, int64_t now);
static void tcp_flow_reset(struct flow *f);
static void tcp_flow_resume(struct flow *f);

static const struct flow_ops tcp_flow_ops = {
	.reap = tcp_flow_reap,
	.reset = tcp_flow_reset,
	.resume = tcp_flow_resume,
};

/* lwIP's tcp_sndbuf() clamps to 16 bits; with window scaling the real
 * free space of the send buffer is larger. */
static size_t tcp_send_room(const struct tcp_pcb *pcb)
{
	return pcb->snd_buf;
}

static struct tcp_flow *tcp_flow_of(struct flow *f)
{
	return container_of(f, struct tcp_flow, f);
}

/* Recount what this flow buffers: guest data queued for the host socket
 * plus host data waiting in lwIP's send queue. */
static void tcp_flow_account(struct tcp_flow *tf)
{
	size_t now = tf->queued + tf->hold_len;

	if (tf->pcb)
		now += TCP_SND_BUF - tcp_send_room(tf->pcb);
	tcp_buffered_total += now;
	tcp_buffered_total -= tf->counted;
	tf->counted = now;
}

static void tcp_flow_free(struct tcp_flow *tf, const char *reason)
{
	struct gateway *gw = tf->gw;

	dial_cancel(&tf->dial);
	if (tf->syn)
		pbuf_free(tf->syn);
	while (tf->queue_len) {
		pbuf_free(tf->queue[tf->queue_head]);
		tf->queue_head = (tf->queue_head + 1) % tf->queue_cap;
		tf->queue_len--;
	}
	tf->queued = tf->hold_len = 0;
	tf->pcb = NULL; /* the caller detached or freed it */
	tcp_flow_account(tf);
	free(tf->queue);
	free(tf->hold);

	if (tf->fd >= 0) {
		ev_io_stop(gw->loop, &tf->rx_w);
		ev_io_stop(gw->loop, &tf->tx_w);
		close(tf->fd);
	}
	flow_list_del(&gw->paused, &tf->f);
	flow_remove(&gw->flows, &tf->f);
	gate_flow_end(gw, &tf->f, reason);
	free(tf);
}

/* Make the host side send an RST when the socket is closed. */
static void tcp_flow_linger_reset(struct tcp_flow *tf)
{
	struct linger lg = {1, 0};

	if (tf->fd >= 0)
		setsockopt(tf->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void tcp_flow_detach_pcb(struct tcp_flow *tf)
{
	tcp_arg(tf->pcb, NULL);
	tcp_recv(tf->pcb, NULL);
	tcp_sent(tf->pcb, NULL);
	tcp_err(tf->pcb, NULL);
}

/* Reset both sides and free the flow. */
static void tcp_flow_abort(struct tcp_flow *tf, const char *reason)
{
	if (tf->pcb) {
		tcp_flow_detach_pcb(tf);
		tcp_abort(tf->pcb);
		tf->pcb = NULL;
	}
	tcp_flow_linger_reset(tf);
	tcp_flow_free(tf, reason);
}

/* Close the flow gracefully once both directions are finished. Return
 * ERR_ABRT if the pcb had to be aborted (lwIP callbacks must pass that on),
 * else ERR_OK. */
static err_t tcp_flow_maybe_close(struct tcp_flow *tf)
{
	err_t ret = ERR_OK;

	if (!tf->guest_eof || !tf->host_eof || tf->queue_len || tf->hold_len)
		return ERR_OK;

	if (tf->pcb) {
		tcp_flow_detach_pcb(tf);
		/* lwIP keeps the pcb until the guest acknowledged our data
		 * and FIN; tcp_close() fails only without memory. */
		if (tcp_close(tf->pcb) != ERR_OK) {
			tcp_abort(tf->pcb);
			ret = ERR_ABRT;
		}
		tf->pcb = NULL;
	}
	tcp_flow_free(tf, "closed");
	return ret;
}

/* Send an RST for a held or refused SYN. */
static void tcp_reset_syn(const struct pbuf *syn)
{
	const struct ip_hdr *iph = syn->payload;
	const struct tcp_hdr *th = (const struct tcp_hdr *)
		((const uint8_t *)syn->payload + IPH_HL(iph) * 4);
	ip_addr_t local, remote;

	ip_addr_copy_from_ip4(local, iph->dest);
	ip_addr_copy_from_ip4(remote, iph->src);
	tcp_rst(NULL, 0, lwip_ntohl(th->seqno) + 1, &local, &remote,
		lwip_ntohs(th->dest), lwip_ntohs(th->src));
}

/* Queue a chain from the guest; -ENOMEM leaves @p to the caller. */
static int tcp_queue_push(struct tcp_flow *tf, struct pbuf *p)
{
	if (tf->queue_len == tf->queue_cap) {
		unsigned cap = tf->queue_cap ? tf->queue_cap * 2 : 16, i;
		struct pbuf **q = malloc(cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (i = 0; i < tf->queue_len; i++)
			q[i] = tf->queue[(tf->queue_head + i) % tf->queue_cap];
		free(tf->queue);
		tf->queue = q;
		tf->queue_cap = cap;
		tf->queue_head = 0;
	}
	tf->queue[(tf->queue_head + tf->queue_len) % tf->queue_cap] = p;
	tf->queue_len++;
	tf->queued += p->tot_len;
	return 0;
}

/* Drop @n written bytes from the front of the queue. */
static void tcp_queue_consume(struct tcp_flow *tf, size_t n)
{
	tf->queued -= n;
	while (n) {
		struct pbuf *p = tf->queue[tf->queue_head];
		size_t left = p->tot_len - tf->queue_off;

		if (n < left) {
			tf->queue_off += n;
			return;
		}
		n -= left;
		pbuf_free(p);
		tf->queue_off = 0;
		tf->queue_head = (tf->queue_head + 1) % tf->queue_cap;
		tf->queue_len--;
	}
}

static void tcp_recved_all(struct tcp_pcb *pcb, size_t n)
{
	while (n) {
		u16_t chunk = (u16_t)MIN(n, 0xffffu);

		tcp_recved(pcb, chunk);
		n -= chunk;
	}
}

/* Gather the queued chains into an iovec, skipping what was written. */
static int tcp_queue_iov(struct tcp_flow *tf, struct iovec *iov)
{
	size_t skip = tf->queue_off;
	unsigned i;
	int n = 0;

	for (i = 0; i < tf->queue_len && n < TCP_WRITEV_MAX; i++) {
		struct pbuf *q = tf->queue[(tf->queue_head + i) % tf->queue_cap];

		for (; q && n < TCP_WRITEV_MAX; q = q->next) {
			if (skip >= q->len) {
				skip -= q->len;
				continue;
			}
			iov[n].iov_base = (uint8_t *)q->payload + skip;
			iov[n].iov_len = q->len - skip;
			skip = 0;
			n++;
		}
	}
	return n;
}

/* Write queued guest data to the host. Return -1 if the flow was freed. */
static int tcp_flow_write_host(struct tcp_flow *tf)
{
	struct iovec iov[TCP_WRITEV_MAX];
	size_t total = 0;

	while (tf->queue_len) {
		int cnt = tcp_queue_iov(tf, iov);
		ssize_t n = writev(tf->fd, iov, cnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			log_debug("tcp: flow %llu: write upstream: %s",
				  (unsigned long long)tf->f.id,
				  strerror(errno));
			stats.tcp_resets_upstream++;
			tcp_flow_abort(tf, "upstream write failed");
			return -1;
		}
		tcp_queue_consume(tf, (size_t)n);
		total += (size_t)n;
	}

	if (total) {
		tf->f.bytes_up += total;
		tf->f.last_active = now_ms();
		if (tf->pcb)
			tcp_recved_all(tf->pcb, total);
	}

	if (tf->queue_len) {
		ev_io_start(tf->gw->loop, &tf->tx_w);
	} else {
		ev_io_stop(tf->gw->loop, &tf->tx_w);
		if (tf->guest_eof && !tf->host_shut) {
			shutdown(tf->fd, SHUT_WR);
			tf->host_shut = true;
		}
	}
	tcp_flow_account(tf);
	return 0;
}

static void tcp_tx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_flow *tf = container_of(w, struct tcp_flow, tx_w);

	if (tcp_flow_write_host(tf))
		return;
	tcp_flow_maybe_close(tf);
}

static err_t tcp_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			 err_t err)
{
	struct tcp_flow *tf = arg;

	if (!p)
		tf->guest_eof = true;
	else if (tcp_queue_push(tf, p))
		return ERR_MEM; /* lwIP keeps @p and offers it again later */
	if (tcp_flow_write_host(tf))
		return ERR_ABRT;
	return tcp_flow_maybe_close(tf);
}

/* Pass host data to lwIP; keep what it cannot take in tf->hold. */
static int tcp_flow_send_guest(struct tcp_flow *tf, const uint8_t *buf,
			       size_t len)
{
	size_t off = 0;

	while (off < len) {
		u16_t chunk = (u16_t)MIN(len - off, 0xffffu);
		u8_t flags = TCP_WRITE_FLAG_COPY;

		if (off + chunk < len)
			flags |= TCP_WRITE_FLAG_MORE;
		if (tcp_write(tf->pcb, buf + off, chunk, flags) != ERR_OK)
			break;
		off += chunk;
	}
	tcp_output(tf->pcb);

	if (off < len) {
		uint8_t *hold = malloc(len - off);

		if (!hold)
			return -ENOMEM;
		memcpy(hold, buf + off, len - off);
		tf->hold = hold;
		tf->hold_len = len - off;
	}
	return 0;
}

/* Retry held host data. Return 0 when nothing is held any more, 1 while
 * data is still held, -1 if the flow was aborted. */
static int tcp_flow_flush_hold(struct tcp_flow *tf)
{
	uint8_t *hold = tf->hold;
	size_t len = tf->hold_len;
	int ret;

	if (!hold)
		return 0;
	tf->hold = NULL;
	tf->hold_len = 0;
	ret = tcp_flow_send_guest(tf, hold, len);
	free(hold);
	if (ret) {
		tcp_flow_abort(tf, "out of memory");
		return -1;
	}
	return tf->hold ? 1 : 0;
}

static void tcp_flow_host_eof(struct tcp_flow *tf)
{
	tf->host_eof = true;
	ev_io_stop(tf->gw->loop, &tf->rx_w);
	tcp_shutdown(tf->pcb, 0, 1);
	tcp_output(tf->pcb);
	tcp_flow_maybe_close(tf);
}

static void tcp_rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_flow *tf = container_of(w, struct tcp_flow, rx_w);
	size_t room;
	ssize_t n;

	if (link_congested(&tf->gw->link)) {
		ev_io_stop(loop, w);
		gateway_pause_flow(tf->gw, &tf->f);
		return;
	}
	room = MIN(tcp_send_room(tf->pcb), sizeof(tcp_read_buf));
	if (tf->hold || tcp_sndqueuelen(tf->pcb) >= TCP_SND_QUEUELEN / 2)
		room = 0;
	if (!room) {
		ev_io_stop(loop, w);
		tf->read_blocked = true;
		return;
	}

	n = read(tf->fd, tcp_read_buf, room);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		log_debug("tcp: flow %llu: read upstream: %s",
			  (unsigned long long)tf->f.id, strerror(errno));
		stats.tcp_resets_upstream++;
		tcp_flow_abort(tf, "reset by upstream");
		return;
	}
	if (n == 0) {
		tcp_flow_host_eof(tf);
		return;
	}

	tf->f.bytes_down += (size_t)n;
	tf->f.last_active = now_ms();
	if (tcp_flow_send_guest(tf, tcp_read_buf, (size_t)n)) {
		tcp_flow_abort(tf, "out of memory");
		return;
	}
	tcp_flow_account(tf);
}

static void tcp_flow_resume_reads(struct tcp_flow *tf)
{
	if (tf->host_eof || tf->fd < 0 || !tf->pcb)
		return;
	tf->read_blocked = false;
	if (link_congested(&tf->gw->link)) {
		gateway_pause_flow(tf->gw, &tf->f);
		return;
	}
	ev_io_start(tf->gw->loop, &tf->rx_w);
}

static err_t tcp_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct tcp_flow *tf = arg;
	int held;

	tcp_flow_account(tf);
	held = tcp_flow_flush_hold(tf);
	if (held < 0)
		return ERR_ABRT;
	if (held)
		return ERR_OK;
	if (tf->read_blocked && tcp_send_room(pcb) >= TCP_RESUME_SNDBUF)
		tcp_flow_resume_reads(tf);
	return ERR_OK;
}

static void tcp_err_cb(void *arg, err_t err)
{
	struct tcp_flow *tf = arg;

	if (!tf)
		return;
	tf->pcb = NULL; /* lwIP freed it */
	if (err == ERR_RST) {
		stats.tcp_resets_guest++;
		tcp_flow_linger_reset(tf);
		tcp_flow_free(tf, "reset by guest");
	} else {
		tcp_flow_linger_reset(tf);
		tcp_flow_free(tf, "aborted");
	}
}

static struct tcp_flow *tcp_flow_find(struct gateway *gw, uint32_t src,
				      uint16_t sport, uint32_t dst,
				      uint16_t dport)
{
	struct flow_key key = {src, dst, sport, dport, IPPROTO_TCP};
	struct flow *f = flow_lookup(&gw->flows, &key);

	return f ? tcp_flow_of(f) : NULL;
}

static err_t tcp_accept_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct gateway *gw = arg;
	struct tcp_flow *tf;

	tf = tcp_flow_find(gw, ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)),
			   pcb->remote_port,
			   ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip)),
			   pcb->local_port);
	if (!tf || tf->state != TCP_FLOW_ACCEPTING) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}

	tf->pcb = pcb;
	tf->state = TCP_FLOW_OPEN;
	tcp_arg(pcb, tf);
	tcp_recv(pcb, tcp_recv_cb);
	tcp_sent(pcb, tcp_sent_cb);
	tcp_err(pcb, tcp_err_cb);
	tcp_nagle_disable(pcb);

	ev_io_init(&tf->rx_w, tcp_rx_cb, tf->fd, EV_READ);
	ev_io_init(&tf->tx_w, tcp_tx_cb, tf->fd, EV_WRITE);
	tcp_flow_resume_reads(tf);
	stats.tcp_flows_opened++;
	return ERR_OK;
}

static int tcp_listen_port(struct gateway *gw, uint16_t port)
{
	struct tcp_pcb *pcb, *lpcb;

	if (tcp_listeners[port])
		return 0;

	pcb = tcp_new();
	if (!pcb)
		return -ENOMEM;
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
		tcp_close(pcb);
		return -EADDRINUSE;
	}
	lpcb = tcp_listen_with_backlog(pcb, TCP_DEFAULT_LISTEN_BACKLOG);
	if (!lpcb) {
		tcp_close(pcb);
		return -ENOMEM;
	}
	tcp_arg(lpcb, gw);
	tcp_accept(lpcb, tcp_accept_cb);
	tcp_listeners[port] = lpcb;
	return 0;
}

/* Upstream accepted: feed the held SYN to lwIP, which replies SYN-ACK. */
static void tcp_flow_connected(struct tcp_flow *tf, int fd)
{
	struct pbuf *syn = tf->syn;

	tf->fd = fd;
	tf->syn = NULL;
	tf->state = TCP_FLOW_ACCEPTING;
	if (tcp_listen_port(tf->gw, tf->f.key.dport)) {
		log_ratelimited(LOG_WARN, "tcp: no listener for port %u",
				tf->f.key.dport);
		tcp_reset_syn(syn);
		pbuf_free(syn);
		tcp_flow_free(tf, "out of memory");
		return;
	}
	stack_deliver(syn);
}

static void tcp_dial_done(struct dial *d, int fd, int err)
{
	struct tcp_flow *tf = container_of(d, struct tcp_flow, dial);

	tf->f.upstream = d->target.sin_addr.s_addr;
	if (err) {
		if (err == -EACCES)
			stats.tcp_refused_guard++;
		else
			stats.tcp_refused_upstream++;
		gate_flow_refused(tf->gw, &tf->f, d->why, err == -EACCES);
		tcp_reset_syn(tf->syn);
		tcp_flow_free(tf, d->why);
		return;
	}
	tcp_flow_connected(tf, fd);
}

static bool tcp_over_limits(struct gateway *gw)
{
	if (gw->flows.tcp_count >= gw->cfg->max_tcp_flows) {
		log_ratelimited(LOG_WARN, "tcp: %u connections open, the "
					  "maximum; new connection refused",
				gw->flows.tcp_count);
		return true;
	}
	if (tcp_buffered_total >= gw->cfg->max_buffered) {
		log_ratelimited(LOG_WARN, "tcp: %llu bytes buffered, the "
					  "maximum; new connection refused",
				(unsigned long long)tcp_buffered_total);
		return true;
	}
	return false;
}

/* A SYN for a new connection: decide, dial, hold. */
static void tcp_flow_open(struct gateway *gw, struct pbuf *syn,
			  const struct flow_key *key)
{
	struct tcp_flow *tf;
	int ret;

	if (tcp_over_limits(gw) || !(tf = calloc(1, sizeof(*tf)))) {
		stats.tcp_refused_limit++;
		goto refuse;
	}
	tf->gw = gw;
	tf->fd = -1;
	flow_start(&gw->flows, &tf->f, key, &tcp_flow_ops);

	if (gate_connect(gw, &tf->f)) {
		stats.tcp_refused_policy++;
		tcp_flow_free(tf, "denied by rules");
		goto refuse;
	}

	ret = dial_start(&tf->dial, gw, SOCK_STREAM, key->dst, key->dport,
			 tf->f.name, tcp_dial_done);
	if (ret == DIAL_PENDING) {
		tf->syn = syn;
		return;
	}
	if (ret == DIAL_CONNECTED) {
		tf->syn = syn;
		tf->f.upstream = tf->dial.target.sin_addr.s_addr;
		tcp_flow_connected(tf, dial_take_fd(&tf->dial));
		return;
	}

	if (ret == -EACCES)
		stats.tcp_refused_guard++;
	else
		stats.tcp_refused_upstream++;
	tf->f.upstream = tf->dial.target.sin_addr.s_addr;
	gate_flow_refused(gw, &tf->f, tf->dial.why, ret == -EACCES);
	tcp_flow_free(tf, tf->dial.why);
refuse:
	tcp_reset_syn(syn);
	pbuf_free(syn);
}

/**
 * tcp_guest_segment() - look at a TCP segment from the guest before lwIP
 * @gw:	gateway
 * @p:	the IPv4 packet; ownership passes to this function unless it
 *	returns true
 *
 * A SYN of a new connection opens a flow and is held or refused here; SYN
 * retransmissions for a flow still dialling are dropped.
 *
 * Return: true if the caller must feed @p to tcp_input()
 */
bool tcp_guest_segment(struct gateway *gw, struct pbuf *p)
{
	const struct ip_hdr *iph = p->payload;
	size_t hlen = IPH_HL(iph) * 4;
	const struct tcp_hdr *th;
	struct flow_key key;
	struct tcp_flow *tf;

	if (p->len < hlen + TCP_HLEN)
		goto drop;
	th = (const struct tcp_hdr *)((const uint8_t *)p->payload + hlen);
	if ((TCPH_FLAGS(th) & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
		return true;

	key.src = ip4_addr_get_u32(&iph->src);
	key.dst = ip4_addr_get_u32(&iph->dest);
	key.sport = lwip_ntohs(th->src);
	key.dport = lwip_ntohs(th->dest);
	key.proto = IPPROTO_TCP;
	if (gw->dns && key.dst == gw->cfg->gateway && key.dport == DNS_PORT)
		return true; /* the DNS server's own listener takes it */
	tf = tcp_flow_find(gw, key.src, key.sport, key.dst, key.dport);
	if (tf) {
		if (tf->state == TCP_FLOW_DIALING)
			goto drop; /* a retransmission while we dial */
		return true;
	}
	stack_forget_connection(key.src, key.sport, key.dst, key.dport);
	tcp_flow_open(gw, p, &key);
	return false;
drop:
	pbuf_free(p);
	return false;
}

static void tcp_flow_reap(struct flow *f, int64_t now)
{
	struct tcp_flow *tf = tcp_flow_of(f);
	const struct config *cfg = tf->gw->cfg;
	double limit;

	switch (tf->state) {
	case TCP_FLOW_DIALING:
		return; /* the dial has its own timeout */
	case TCP_FLOW_ACCEPTING:
		if (now - f->started > TCP_ACCEPT_TIMEOUT_MS) {
			stats.tcp_reaped++;
			tcp_flow_free(tf, "guest did not finish the handshake");
		}
		return;
	case TCP_FLOW_OPEN:
		limit = tf->guest_eof || tf->host_eof ? cfg->tcp_half_timeout :
							cfg->tcp_idle_timeout;
		if (now - f->last_active > limit * 1000) {
			stats.tcp_reaped++;
			log_debug("tcp: flow %llu idle, reset",
				  (unsigned long long)f->id);
			tcp_flow_abort(tf, gate_idle_timeout);
		}
		return;
	}
}

static void tcp_flow_reset(struct flow *f)
{
	struct tcp_flow *tf = tcp_flow_of(f);

	if (tf->pcb) {
		tcp_flow_detach_pcb(tf);
		tcp_abandon(tf->pcb, 0);
		tf->pcb = NULL;
	}
	tcp_flow_linger_reset(tf);
	tcp_flow_free(tf, tf->gw->stopping ? "sluice stopped"
					   : "guest disconnected");
}

static void tcp_flow_resume(struct flow *f)
{
	/* If lwIP's send buffer is still full, the read callback finds no
	 * room and waits for the sent callback again. */
	tcp_flow_resume_reads(tcp_flow_of(f));
}

/**
 * tcp_relay_init() - allocate the listener table
 * @gw:	gateway
 *
 * Return: 0 on success, -ENOMEM
 */
int tcp_relay_init(struct gateway *gw)
{
	tcp_listeners = calloc(65536, sizeof(*tcp_listeners));
	return tcp_listeners ? 0 : -ENOMEM;
}

/**
 * tcp_relay_free() - close the listening pcbs and free the listener table
 */
void tcp_relay_free(void)
{
	unsigned i;

	if (!tcp_listeners)
		return;
	for (i = 0; i < 65536; i++) {
		if (tcp_listeners[i])
			tcp_close(tcp_listeners[i]);
	}
	free(tcp_listeners);
	tcp_listeners = NULL;
}
