// SPDX-License-Identifier: MIT
/*
 * dns_tcp.c - DNS over TCP on the gateway address
 *
 * lwIP listens on the gateway's port 53 (bound to the gateway address, so
 * TCP to port 53 of other addresses still goes through the relay). Each
 * connection collects the guest's bytes, splits them into length-prefixed
 * messages and hands each to dns_query_input(); replies go back with their
 * prefix, possibly out of order, which RFC 7766 allows. A connection
 * carries at most DNS_TCP_PENDING_MAX queries in flight (further messages
 * wait in its buffer), at most DNS_TCP_CONNS_MAX connections exist at once
 * (more are reset) and DNS_TCP_BACKLOG handshakes are pending (further
 * SYNs are dropped, and the guest retries), and a connection idle for
 * DNS_TCP_IDLE_MS is closed.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/ip.h"
#include "lwip/tcp.h"

#include "dns.h"
#include "dns_tcp.h"
#include "gateway.h"
#include "log.h"
#include "stats.h"
#include "util.h"

#define DNS_TCP_CONNS_MAX   32
#define DNS_TCP_BACKLOG	    16 /* handshakes pending at once */
#define DNS_TCP_PENDING_MAX 16
#define DNS_TCP_IDLE_MS	    10000
#define DNS_TCP_BUF	    (2 + DNS_TCP_MAX)

/**
 * struct dns_tcp_conn - one DNS-over-TCP connection from the guest
 * @gw:		gateway
 * @pcb:	lwIP connection, NULL once lwIP freed it
 * @len:	bytes held in @buf
 * @pending:	queries handed to the server and not answered yet
 * @busy:	inside the receive callback: closing waits until it returns
 * @guest_eof:	the guest sent FIN
 * @last_active: time of the last message either way, ms (monotonic)
 * @next:	next connection in the list
 * @prev:	previous connection in the list
 * @buf:	received bytes not yet split into messages
 */
struct dns_tcp_conn {
	struct gateway *gw;
	struct tcp_pcb *pcb;
	size_t len;
	unsigned pending;
	bool busy;
	bool guest_eof;
	int64_t last_active;
	struct dns_tcp_conn *next;
	struct dns_tcp_conn *prev;
	uint8_t buf[DNS_TCP_BUF];
};

/**
 * struct dns_tcp_state - the listener and the open connections
 * @listener:	listening pcb on the gateway's port 53
 * @conns:	open connections
 * @count:	entries in @conns
 */
static struct dns_tcp_state {
	struct tcp_pcb *listener;
	struct dns_tcp_conn *conns;
	unsigned count;
} dns_tcp;

static void dns_tcp_free_conn(struct dns_tcp_conn *c)
{
	dns_conn_gone(c->gw, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		dns_tcp.conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	dns_tcp.count--;
	free(c);
}

static void dns_tcp_detach(struct dns_tcp_conn *c)
{
	tcp_arg(c->pcb, NULL);
	tcp_recv(c->pcb, NULL);
	tcp_err(c->pcb, NULL);
}

static void dns_tcp_abort(struct dns_tcp_conn *c)
{
	if (c->pcb) {
		dns_tcp_detach(c);
		tcp_abort(c->pcb);
		c->pcb = NULL;
	}
	dns_tcp_free_conn(c);
}

static void dns_tcp_close(struct dns_tcp_conn *c)
{
	if (c->pcb) {
		dns_tcp_detach(c);
		if (tcp_close(c->pcb) != ERR_OK)
			tcp_abort(c->pcb);
		c->pcb = NULL;
	}
	dns_tcp_free_conn(c);
}

/* Close once the guest finished sending and every query is answered. */
static void dns_tcp_maybe_close(struct dns_tcp_conn *c)
{
	if (!c->busy && c->guest_eof && !c->pending)
		dns_tcp_close(c);
}

/* Hand complete messages to the server. Return -1 on a framing error. */
static int dns_tcp_dispatch(struct dns_tcp_conn *c)
{
	struct dns_client client = {
		.transport = DNS_TRANSPORT_TCP,
		.addr = c->pcb ? ip4_addr_get_u32(ip_2_ip4(&c->pcb->remote_ip)) :
				 0,
		.conn = c,
	};
	bool was_busy = c->busy;
	size_t off = 0;
	int ret = 0;

	/* Answers given at once call dns_tcp_request_done() from inside this
	 * loop; busy keeps them from dispatching and moving @buf meanwhile. */
	c->busy = true;
	while (c->pcb && c->pending < DNS_TCP_PENDING_MAX) {
		const uint8_t *msg;
		size_t msg_len;
		ssize_t used;

		used = dns_tcp_frame_get(c->buf + off, c->len - off, &msg,
					 &msg_len);
		if (used < 0) {
			ret = -1;
			break;
		}
		if (!used)
			break;
		off += (size_t)used;
		c->pending++;
		c->last_active = now_ms();
		dns_query_input(c->gw, msg, msg_len, &client);
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	c->busy = was_busy;
	return ret;
}

/* Copy received bytes in and dispatch the messages they complete.
 * Return -1 if the stream cannot be trusted: the buffer is full without a
 * complete message, or a message has length zero. */
static int dns_tcp_take(struct dns_tcp_conn *c, struct pbuf *p)
{
	u16_t copied = 0;

	while (copied < p->tot_len) {
		size_t room = sizeof(c->buf) - c->len;
		u16_t n = (u16_t)MIN(room, (size_t)(p->tot_len - copied));

		if (!n)
			return -1;
		pbuf_copy_partial(p, c->buf + c->len, n, copied);
		c->len += n;
		copied += n;
		if (dns_tcp_dispatch(c) || !c->pcb)
			return -1;
	}
	return 0;
}

static err_t dns_tcp_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			     err_t err)
{
	struct dns_tcp_conn *c = arg;
	u16_t len;
	int ret;

	if (!p) {
		c->guest_eof = true;
		dns_tcp_maybe_close(c);
		return ERR_OK;
	}

	len = p->tot_len;
	c->busy = true;
	ret = dns_tcp_take(c, p);
	pbuf_free(p);
	c->busy = false;
	if (ret) {
		/* dns_tcp_send() may have aborted the pcb already. */
		if (c->pcb)
			stats.dns_malformed++;
		dns_tcp_abort(c);
		return ERR_ABRT;
	}
	tcp_recved(pcb, len);
	dns_tcp_maybe_close(c);
	return ERR_OK;
}

static void dns_tcp_err_cb(void *arg, err_t err)
{
	struct dns_tcp_conn *c = arg;

	if (!c)
		return;
	c->pcb = NULL;
	dns_tcp_free_conn(c);
}

static err_t dns_tcp_accept_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct dns_tcp_conn *c;

	if (dns_tcp.count >= DNS_TCP_CONNS_MAX ||
	    !(c = calloc(1, sizeof(*c)))) {
		log_ratelimited(LOG_WARN, "dns: %u TCP connections open, the "
					  "maximum; new one reset",
				dns_tcp.count);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->gw = arg;
	c->pcb = pcb;
	c->last_active = now_ms();
	c->next = dns_tcp.conns;
	if (dns_tcp.conns)
		dns_tcp.conns->prev = c;
	dns_tcp.conns = c;
	dns_tcp.count++;

	tcp_arg(pcb, c);
	tcp_recv(pcb, dns_tcp_recv_cb);
	tcp_err(pcb, dns_tcp_err_cb);
	tcp_nagle_disable(pcb);
	return ERR_OK;
}

/**
 * dns_tcp_send() - send one reply on a connection
 * @c:		the connection
 * @msg:	the DNS message, without prefix
 * @len:	message length
 */
void dns_tcp_send(struct dns_tcp_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t prefix[2];

	if (!c->pcb || dns_tcp_prefix_put(prefix, len))
		return;
	if (tcp_sndbuf(c->pcb) < len + 2 ||
	    tcp_write(c->pcb, prefix, 2, TCP_WRITE_FLAG_COPY |
						 TCP_WRITE_FLAG_MORE) != ERR_OK ||
	    tcp_write(c->pcb, msg, (u16_t)len, TCP_WRITE_FLAG_COPY) != ERR_OK) {
		/* The guest does not read its replies; make it retry. */
		log_ratelimited(LOG_WARN, "dns: TCP reply does not fit the "
					  "send buffer, connection reset");
		c->guest_eof = true;
		dns_tcp_detach(c);
		tcp_abort(c->pcb);
		c->pcb = NULL;
		return;
	}
	tcp_output(c->pcb);
	c->last_active = now_ms();
}

/**
 * dns_tcp_request_done() - a query of this connection was answered
 * @c:	the connection
 */
void dns_tcp_request_done(struct dns_tcp_conn *c)
{
	c->pending--;
	if (c->busy)
		return; /* the receive path finishes the work */
	if (c->pcb && c->len && dns_tcp_dispatch(c)) {
		dns_tcp_abort(c);
		return;
	}
	if (!c->pcb) {
		if (!c->pending)
			dns_tcp_free_conn(c);
		return;
	}
	dns_tcp_maybe_close(c);
}

/**
 * dns_tcp_tick() - close connections idle for DNS_TCP_IDLE_MS
 * @gw:		gateway
 * @now:	milliseconds (monotonic)
 */
void dns_tcp_tick(struct gateway *gw, int64_t now)
{
	struct dns_tcp_conn *c, *next;

	for (c = dns_tcp.conns; c; c = next) {
		next = c->next;
		if (!c->pending && now - c->last_active > DNS_TCP_IDLE_MS)
			dns_tcp_close(c);
	}
}

/**
 * dns_tcp_init() - listen on the gateway's TCP port 53
 * @gw:	gateway, with lwIP running
 *
 * Return: 0 on success, -ENOMEM or -EADDRINUSE
 */
int dns_tcp_init(struct gateway *gw)
{
	struct tcp_pcb *pcb;
	ip_addr_t addr;

	pcb = tcp_new();
	if (!pcb)
		return -ENOMEM;
	ip_set_option(pcb, SOF_REUSEADDR);
	ip_addr_set_ip4_u32(&addr, gw->cfg->gateway);
	if (tcp_bind(pcb, &addr, DNS_PORT) != ERR_OK) {
		tcp_close(pcb);
		return -EADDRINUSE;
	}
	dns_tcp.listener = tcp_listen_with_backlog(pcb, DNS_TCP_BACKLOG);
	if (!dns_tcp.listener) {
		tcp_close(pcb);
		return -ENOMEM;
	}
	tcp_arg(dns_tcp.listener, gw);
	tcp_accept(dns_tcp.listener, dns_tcp_accept_cb);
	return 0;
}

/**
 * dns_tcp_free() - close every connection and the listener
 * @gw:	gateway
 */
void dns_tcp_free(struct gateway *gw)
{
	while (dns_tcp.conns)
		dns_tcp_abort(dns_tcp.conns);
	if (dns_tcp.listener)
		tcp_close(dns_tcp.listener);
	dns_tcp.listener = NULL;
}
