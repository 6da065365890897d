// SPDX-License-Identifier: MIT
/*
 * dns.c - the guest's DNS server on the gateway address, decided by rules
 *
 * Theory of operation: every query the guest sends to the gateway's port
 * 53 (UDP here, TCP through dns_tcp.c) is parsed strictly and becomes a
 * dns event for the rules. A denied query gets NXDOMAIN, REFUSED or
 * SERVFAIL; a rewrite gets the rule's fixed A records. An allowed AAAA
 * query gets an empty answer (NODATA) because sluice has no IPv6 path, so
 * clients fall back to IPv4 at once. Every other allowed query is
 * forwarded to the upstream resolver and its answer relayed through
 * dns_response_rewrite(), which passes each address to dns_filter():
 *
 * - synthetic mode (default): addresses never reach the guest. For an A
 *   query whose upstream answer has A records, the guest gets one address
 *   from the synthetic pool bound to the name, and the real addresses are
 *   cached in the pool for the dialer. A later connection to the pool
 *   address is attributed to the name, so only names that passed the dns
 *   rules can be reached by name.
 * - real mode: A records pass if the address guard admits them and are
 *   remembered (address -> queried name) to attribute connections; the
 *   others are dropped. AAAA records are always dropped.
 *
 * Upstream failures and timeouts become SERVFAIL, so the guest is never
 * left waiting. Each query gets one audit entry, written when its answer
 * is known.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "dns.h"
#include "dns_pool.h"
#include "dns_seen.h"
#include "dns_tcp.h"
#include "flow.h"
#include "gateway.h"
#include "ipv4.h"
#include "log.h"
#include "policy.h"
#include "resolver.h"
#include "stats.h"
#include "udp.h"
#include "util.h"

#define DNS_PENDING_MAX	    512	  /* upstream queries in flight */
#define DNS_SEEN_MAX	    65536 /* remembered real-mode answers */
#define DNS_UPSTREAM_EDNS   1232  /* UDP size sluice asks upstream for */

/**
 * struct dns_request - one guest query waiting for its upstream answer
 * @gw:		gateway
 * @client:	where the reply goes
 * @q:		the parsed query
 * @ev:		the dns event as the rules saw it
 * @v:		the rules' verdict; its answers field collects the answer
 *		for the audit entry
 * @type_text:	query type text for @ev
 * @class_text:	query class text for @ev
 * @src_text:	guest address text for @ev
 * @upstream:	the forwarded query, or NULL
 * @found:	A records of the upstream answer section, network order
 * @found_count: entries in @found
 * @found_ttl:	lowest TTL among @found, capped
 * @next:	next request in the server's pending list
 * @prev:	previous request in that list
 */
struct dns_request {
	struct gateway *gw;
	struct dns_client client;
	struct dns_query q;
	struct policy_event ev;
	struct verdict v;
	char type_text[DNS_MNEMONIC_SIZE];
	char class_text[DNS_MNEMONIC_SIZE];
	char src_text[INET_ADDRSTRLEN];
	struct resolver_query *upstream;
	uint32_t found[RESOLVER_ADDRS_MAX];
	unsigned found_count;
	uint32_t found_ttl;
	struct dns_request *next;
	struct dns_request *prev;
};

/**
 * struct dns_server - state of the DNS server
 * @resolver:	upstream resolver
 * @pool:	synthetic addresses bound to names
 * @seen:	real addresses answered, with the names they answered
 * @pending:	requests waiting for upstream
 * @pending_count: entries in @pending
 */
struct dns_server {
	struct resolver *resolver;
	struct dns_pool pool;
	struct dns_seen seen;
	struct dns_request *pending;
	unsigned pending_count;
};

/* Replies are written here; the loop is single-threaded. */
static uint8_t dns_out[DNS_TCP_MAX];

static void dns_deliver(struct gateway *gw, const struct dns_client *c,
			const uint8_t *msg, size_t len)
{
	if (c->transport == DNS_TRANSPORT_UDP)
		udp_send(gw, gw->cfg->gateway, DNS_PORT, c->addr, c->port, msg,
			 len);
	else if (c->conn)
		dns_tcp_send(c->conn, msg, len);
}

/* Reply with an rcode and no records. */
static void dns_send_rcode(struct gateway *gw, const struct dns_client *c,
			   const struct dns_query *q, uint16_t rcode)
{
	struct dns_reply r;

	if (dns_reply_init(&r, dns_out, sizeof(dns_out), q, c->transport,
			   rcode))
		return;
	dns_deliver(gw, c, dns_out, (size_t)dns_reply_finish(&r));
}

/* Reply with A records for the question name. */
static void dns_send_a(struct gateway *gw, const struct dns_client *c,
		       const struct dns_query *q, const uint32_t *addrs,
		       unsigned count, uint32_t ttl)
{
	struct dns_reply r;
	unsigned i;

	if (dns_reply_init(&r, dns_out, sizeof(dns_out), q, c->transport,
			   DNS_RCODE_NOERROR))
		return;
	for (i = 0; i < count; i++)
		dns_reply_add_a(&r, (const uint8_t *)&addrs[i], ttl);
	dns_deliver(gw, c, dns_out, (size_t)dns_reply_finish(&r));
}

static void dns_request_unlink(struct dns_server *d, struct dns_request *req)
{
	if (req->prev)
		req->prev->next = req->next;
	else if (d->pending == req)
		d->pending = req->next;
	if (req->next)
		req->next->prev = req->prev;
	req->next = req->prev = NULL;
}

/* Write the audit entry, tell a TCP connection its query is done, free. */
static void dns_request_finish(struct dns_request *req)
{
	audit_decision(&req->ev, &req->v);
	if (req->client.transport == DNS_TRANSPORT_TCP && req->client.conn)
		dns_tcp_request_done(req->client.conn);
	free(req);
}

static void dns_verdict_answers(struct verdict *v, const uint32_t *addrs,
				unsigned count)
{
	v->answer_count = MIN(count, (unsigned)VERDICT_ANSWERS_MAX);
	memcpy(v->answers, addrs, v->answer_count * sizeof(*addrs));
}

/* Record an address of the upstream answer for the synthetic cache. */
static void dns_note_found(struct dns_request *req, struct dns_addr_record *rec)
{
	uint32_t addr;

	if (rec->section != DNS_SECTION_ANSWER ||
	    req->q.qtype != DNS_TYPE_A ||
	    req->found_count == RESOLVER_ADDRS_MAX)
		return;
	memcpy(&addr, rec->addr, 4);
	req->found[req->found_count++] = addr;
	if (req->found_count == 1 || rec->ttl < req->found_ttl)
		req->found_ttl = rec->ttl;
}

/* dns_addr_filter for upstream answers; see the file comment. */
static enum dns_addr_verdict dns_filter(struct dns_addr_record *rec, void *ctx)
{
	struct dns_request *req = ctx;
	struct gateway *gw = req->gw;
	struct dns_server *d = gw->dns;
	const char *forbidden;
	uint32_t addr;

	if (rec->type != DNS_TYPE_A)
		return DNS_ADDR_DROP; /* no IPv6 path yet */
	rec->ttl = MIN(rec->ttl, gw->cfg->dns_max_ttl);
	dns_note_found(req, rec);
	if (gw->cfg->dns_mode == DNS_MODE_SYNTHETIC)
		return DNS_ADDR_DROP;

	/* A loopback address in an answer would lead the guest to itself,
	 * even where --allow-net lets sluice dial the host's loopback. */
	forbidden = rec->addr[0] == 127
			? "loopback, which the guest would reach in itself"
			: guard_check_addr(&gw->guard, AF_INET, rec->addr);
	if (forbidden) {
		stats.dns_answers_dropped++;
		log_ratelimited(LOG_INFO,
				"dns: %s: dropped an answer address in a "
				"guarded range (%s)",
				req->q.name, forbidden);
		return DNS_ADDR_DROP;
	}
	/* Remember the name at least as long as a synthetic answer lives,
	 * because a TTL of 0 still means "connect now". */
	memcpy(&addr, rec->addr, 4);
	dns_seen_remember(&d->seen, addr, req->q.name,
			  now_ms() + (int64_t)MAX(rec->ttl, gw->cfg->dns_ttl) *
					     1000);
	if (req->v.answer_count < VERDICT_ANSWERS_MAX)
		req->v.answers[req->v.answer_count++] = addr;
	return DNS_ADDR_KEEP;
}

/* Synthetic mode, A query with real addresses: answer a pool address. */
static void dns_answer_synthetic(struct dns_request *req)
{
	struct gateway *gw = req->gw;
	struct dns_server *d = gw->dns;
	uint32_t addr;

	if (dns_pool_bind(&d->pool, req->q.name, now_ms(), &addr)) {
		log_ratelimited(LOG_WARN, "dns: synthetic pool exhausted, "
					  "SERVFAIL for %s; a larger "
					  "--dns-pool holds more names",
				req->q.name);
		stats.dns_pool_exhausted++;
		req->v.rcode = DNS_RCODE_SERVFAIL;
		dns_send_rcode(gw, &req->client, &req->q, DNS_RCODE_SERVFAIL);
		return;
	}
	dns_cache(gw, addr, req->found, req->found_count, req->found_ttl);
	dns_verdict_answers(&req->v, &addr, 1);
	dns_send_a(gw, &req->client, &req->q, &addr, 1, gw->cfg->dns_ttl);
}

static void dns_upstream_failed(struct dns_request *req, const char *why)
{
	const char *upstream = req->gw->cfg->resolver;

	stats.dns_upstream_failures++;
	log_ratelimited(LOG_WARN, "dns: upstream query for %s %s to %s failed "
				  "(%s), SERVFAIL",
			req->q.name, req->ev.dns.type,
			upstream ? upstream : "the servers of /etc/resolv.conf",
			why);
	req->v.rcode = DNS_RCODE_SERVFAIL;
	dns_send_rcode(req->gw, &req->client, &req->q, DNS_RCODE_SERVFAIL);
}

static void dns_upstream_done(void *arg, int status, const uint8_t *answer,
			      size_t len)
{
	struct dns_request *req = arg;
	struct gateway *gw = req->gw;
	struct dns_server *d = gw->dns;
	int n;

	req->upstream = NULL;
	dns_request_unlink(d, req);
	d->pending_count--;

	if (status) {
		/* The resolver reports -ECONNREFUSED when every upstream server
		 * replied with REFUSED, SERVFAIL or NOTIMP (c-ares 1.18). */
		dns_upstream_failed(req, status == -ECONNREFUSED
					     ? "every server answered REFUSED, "
					       "SERVFAIL or NOTIMP, or refused "
					       "the connection"
					     : strerror(-status));
		goto done;
	}
	n = dns_response_rewrite(answer, len, &req->q, req->client.transport,
				 dns_filter, req, dns_out, sizeof(dns_out));
	if (n < 0) {
		dns_upstream_failed(req, "invalid answer");
		goto done;
	}

	if (gw->cfg->dns_mode == DNS_MODE_SYNTHETIC && req->found_count) {
		dns_answer_synthetic(req);
		goto done;
	}
	req->v.rcode = dns_out[3] & 0x0f;
	dns_deliver(gw, &req->client, dns_out, (size_t)n);
done:
	dns_request_finish(req);
}

static void dns_forward(struct dns_request *req)
{
	struct gateway *gw = req->gw;
	struct dns_server *d = gw->dns;
	uint8_t query[DNS_HEADER_LEN + DNS_NAME_WIRE_MAX + 4 + 11];
	int n;

	if (d->pending_count >= DNS_PENDING_MAX) {
		dns_upstream_failed(req, "too many queries in flight");
		dns_request_finish(req);
		return;
	}
	n = dns_query_write(query, sizeof(query), 0, req->q.name,
			    req->q.qtype, req->q.qclass, DNS_UPSTREAM_EDNS);
	if (n > 0)
		req->upstream = resolver_send(d->resolver, query, (size_t)n,
					      dns_upstream_done, req);
	if (!req->upstream) {
		dns_upstream_failed(req, "query not sent");
		dns_request_finish(req);
		return;
	}
	req->next = d->pending;
	if (d->pending)
		d->pending->prev = req;
	d->pending = req;
	d->pending_count++;
}

/*
 * A rule answered the query itself. In synthetic mode the rule's addresses
 * take the place of upstream's: the guest gets a pool address, and only
 * connections to it carry the name. In real mode the guest gets the rule's
 * addresses, and connections to them carry the name as after any answer.
 */
static void dns_answer_rewrite(struct dns_request *req)
{
	struct gateway *gw = req->gw;
	struct dns_server *d = gw->dns;
	uint32_t ttl = req->v.ttl ? req->v.ttl : gw->cfg->dns_ttl;
	unsigned i;

	if (req->q.qtype != DNS_TYPE_A) {
		/* No answer of this type: the audit lists none either. */
		req->v.answer_count = 0;
		req->v.ttl = 0;
		dns_send_rcode(gw, &req->client, &req->q, DNS_RCODE_NOERROR);
		return;
	}
	if (gw->cfg->dns_mode == DNS_MODE_SYNTHETIC) {
		req->found_count = MIN(req->v.answer_count,
				       (unsigned)RESOLVER_ADDRS_MAX);
		memcpy(req->found, req->v.answers,
		       req->found_count * sizeof(*req->found));
		req->found_ttl = ttl;
		req->v.ttl = gw->cfg->dns_ttl; /* what the guest gets */
		dns_answer_synthetic(req);
		return;
	}
	for (i = 0; i < req->v.answer_count; i++)
		dns_seen_remember(&d->seen, req->v.answers[i], req->q.name,
				  now_ms() + (int64_t)ttl * 1000);
	dns_send_a(gw, &req->client, &req->q, req->v.answers,
		   req->v.answer_count, ttl);
}

/* Build the dns event and let the rules decide it. */
static void dns_decide(struct dns_request *req)
{
	struct gateway *gw = req->gw;
	struct policy_event *ev = &req->ev;

	inet_ntop(AF_INET, &req->client.addr, req->src_text,
		  sizeof(req->src_text));
	ev->type = POLICY_EVENT_DNS;
	ev->id = flow_next_id();
	ev->time = wall_time();
	ev->src = req->src_text;
	ev->dns.name = req->q.name;
	ev->dns.type = dns_type_str(req->q.qtype, req->type_text);
	ev->dns.klass = dns_class_str(req->q.qclass, req->class_text);
	ev->dns.proto = req->client.transport == DNS_TRANSPORT_UDP ? "udp" :
								     "tcp";

	memset(&req->v, 0, sizeof(req->v));
	if (!gw->policy) {
		req->v.action = VERDICT_ALLOW;
		return;
	}
	policy_decide(gw->policy, ev, &req->v);
	stats.policy_decisions++;
	if (req->v.failed) {
		stats.policy_failures++;
		log_ratelimited(LOG_WARN, "dns: rule failed for %s, SERVFAIL: "
					  "%s",
				req->q.name, req->v.error);
	}
}

/**
 * dns_query_input() - handle one DNS message from the guest
 * @gw:		gateway
 * @msg:	the message (a UDP payload, or a TCP message without its
 *		length prefix)
 * @len:	bytes in @msg
 * @client:	where the reply goes
 */
void dns_query_input(struct gateway *gw, const uint8_t *msg, size_t len,
		     const struct dns_client *client)
{
	struct dns_request *req;
	enum dns_parse_status status;

	stats.dns_queries++;
	req = calloc(1, sizeof(*req));
	if (!req)
		return;
	req->gw = gw;
	req->client = *client;

	status = dns_query_parse(msg, len, &req->q);
	if (status != DNS_PARSE_OK) {
		stats.dns_malformed++;
		log_ratelimited(LOG_INFO, "dns: malformed query from the "
					  "guest (%s)",
				status == DNS_PARSE_DROP ? "dropped" :
							   "answered with an error");
		if (status != DNS_PARSE_DROP)
			dns_send_rcode(gw, client, &req->q, (uint16_t)status);
		if (client->transport == DNS_TRANSPORT_TCP && client->conn)
			dns_tcp_request_done(client->conn);
		free(req);
		return;
	}

	dns_decide(req);
	switch (req->v.action) {
	case VERDICT_ALLOW:
		break;
	case VERDICT_REWRITE:
		dns_answer_rewrite(req);
		dns_request_finish(req);
		return;
	default:
		stats.dns_denied++;
		if (!req->v.rcode)
			req->v.rcode = DNS_RCODE_NXDOMAIN;
		dns_send_rcode(gw, client, &req->q, (uint16_t)req->v.rcode);
		dns_request_finish(req);
		return;
	}

	if (req->q.qtype == DNS_TYPE_AAAA) {
		dns_send_rcode(gw, client, &req->q, DNS_RCODE_NOERROR);
		dns_request_finish(req);
		return;
	}
	dns_forward(req);
}

/**
 * dns_udp_input() - handle a UDP datagram to the gateway's port 53
 * @gw:		gateway
 * @p:		the IPv4 packet
 * @udp:	the UDP header and payload
 * @len:	UDP length
 */
void dns_udp_input(struct gateway *gw, const struct ipv4_packet *p,
		   const uint8_t *udp, size_t len)
{
	struct dns_client client = {
		.transport = DNS_TRANSPORT_UDP,
		.addr = p->src,
		.port = get_be16(udp),
	};

	dns_query_input(gw, udp + UDP_HLEN, len - UDP_HLEN, &client);
}

/**
 * dns_conn_gone() - a DNS-over-TCP connection closed; its pending queries
 * lose their reply path
 * @gw:		gateway
 * @conn:	the connection, about to be freed
 */
void dns_conn_gone(struct gateway *gw, struct dns_tcp_conn *conn)
{
	struct dns_request *req;

	for (req = gw->dns->pending; req; req = req->next) {
		if (req->client.conn == conn)
			req->client.conn = NULL;
	}
}

/**
 * dns_is_synthetic() - whether an address is one sluice hands out
 * @gw:		gateway
 * @addr:	address, network order
 *
 * Return: true in synthetic mode for an address inside the pool
 */
bool dns_is_synthetic(const struct gateway *gw, uint32_t addr)
{
	return gw->dns && gw->cfg->dns_mode == DNS_MODE_SYNTHETIC &&
	       dns_pool_contains(&gw->dns->pool, addr);
}

/**
 * dns_name_of() - the name a connection's destination is attributed to
 * @gw:		gateway
 * @addr:	destination address, network order
 *
 * Return: the name whose answer gave @addr to the guest (valid until the
 *	   next DNS activity; copy it), or NULL
 */
const char *dns_name_of(struct gateway *gw, uint32_t addr)
{
	if (!gw->dns)
		return NULL;
	if (dns_is_synthetic(gw, addr))
		return dns_pool_name(&gw->dns->pool, addr);
	return dns_seen_lookup(&gw->dns->seen, addr, now_ms());
}

/**
 * dns_hold() - keep a synthetic address bound while a flow uses it
 * @gw:		gateway
 * @addr:	destination address; anything but a pool address is ignored
 */
void dns_hold(struct gateway *gw, uint32_t addr)
{
	if (dns_is_synthetic(gw, addr))
		dns_pool_ref(&gw->dns->pool, addr);
}

/**
 * dns_release() - drop the reference dns_hold() took
 * @gw:		gateway
 * @addr:	destination address
 */
void dns_release(struct gateway *gw, uint32_t addr)
{
	if (dns_is_synthetic(gw, addr))
		dns_pool_unref(&gw->dns->pool, addr);
}

/**
 * dns_cached() - real addresses known for a synthetic address
 * @gw:		gateway
 * @synthetic:	pool address
 * @addrs:	set to the addresses, network order
 *
 * Return: number of addresses, 0 if none are cached or they expired
 */
unsigned dns_cached(struct gateway *gw, uint32_t synthetic,
		    const uint32_t **addrs)
{
	return dns_pool_resolved_get(&gw->dns->pool, synthetic, now_ms(),
				     addrs);
}

/**
 * dns_cache() - remember the real addresses of a synthetic address
 * @gw:		gateway
 * @synthetic:	pool address
 * @addrs:	real addresses, network order
 * @count:	entries in @addrs
 * @ttl:	seconds they are valid, capped by --dns-max-ttl; at least 1
 */
void dns_cache(struct gateway *gw, uint32_t synthetic, const uint32_t *addrs,
	       unsigned count, uint32_t ttl)
{
	ttl = MAX(MIN(ttl, gw->cfg->dns_max_ttl), 1u);
	dns_pool_resolved_set(&gw->dns->pool, synthetic, addrs,
			      MIN(count, (unsigned)DNS_POOL_RESOLVED_MAX),
			      now_ms() + (int64_t)ttl * 1000);
}

/**
 * dns_resolver() - the upstream resolver, for the dialer
 * @gw:	gateway
 *
 * Return: the resolver
 */
struct resolver *dns_resolver(struct gateway *gw)
{
	return gw->dns->resolver;
}

/**
 * dns_reset() - forget the queries of a guest that went away
 * @gw:	gateway
 */
void dns_reset(struct gateway *gw)
{
	struct dns_server *d = gw->dns;

	if (!d)
		return;
	while (d->pending) {
		struct dns_request *req = d->pending;

		resolver_cancel(req->upstream);
		dns_request_unlink(d, req);
		audit_decision(&req->ev, &req->v); /* decided, never answered */
		free(req);
	}
	d->pending_count = 0;
}

/**
 * dns_tick() - periodic work: close idle DNS-over-TCP connections
 * @gw:		gateway
 * @now:	milliseconds (monotonic)
 */
void dns_tick(struct gateway *gw, int64_t now)
{
	if (gw->dns)
		dns_tcp_tick(gw, now);
}

/**
 * dns_init() - start the DNS server: resolver, pool, TCP listener
 * @gw:	gateway, with lwIP running
 *
 * Return: 0 on success, negative errno (logged)
 */
int dns_init(struct gateway *gw)
{
	const struct config *cfg = gw->cfg;
	struct dns_server *d;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = resolver_init(&d->resolver, gw->loop, cfg->resolver,
			    cfg->dns_timeout);
	if (ret) {
		log_msg_errno(LOG_ERR, -ret, "dns: cannot set up the upstream "
			      "resolver %s",
			      cfg->resolver ? cfg->resolver : "from /etc/resolv.conf");
		free(d);
		return ret;
	}
	ret = dns_pool_init(&d->pool, cfg->dns_pool_net, cfg->dns_pool_prefix,
			    cfg->dns_ttl);
	if (!ret)
		ret = dns_seen_init(&d->seen, DNS_SEEN_MAX);
	if (ret) {
		log_msg_errno(LOG_ERR, -ret, "dns: cannot set up the address "
			      "pool");
		resolver_free(d->resolver);
		free(d);
		return ret;
	}

	gw->dns = d;
	ret = dns_tcp_init(gw);
	if (ret) {
		dns_free(gw);
		return ret;
	}
	if (cfg->dns_mode == DNS_MODE_SYNTHETIC) {
		char pool[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &cfg->dns_pool_net, pool, sizeof(pool));
		log_info("dns: serving synthetic mode on port 53, pool %s/%u "
			 "(answers live %u s), upstream %s",
			 pool, cfg->dns_pool_prefix, cfg->dns_ttl,
			 cfg->resolver ? cfg->resolver
				       : "from /etc/resolv.conf");
	} else {
		log_info("dns: serving real mode on port 53, upstream %s",
			 cfg->resolver ? cfg->resolver
				       : "from /etc/resolv.conf");
	}
	return 0;
}

/**
 * dns_free() - stop the DNS server
 * @gw:	gateway
 */
void dns_free(struct gateway *gw)
{
	struct dns_server *d = gw->dns;

	if (!d)
		return;
	dns_reset(gw);
	dns_tcp_free(gw);
	resolver_free(d->resolver);
	dns_pool_free(&d->pool);
	dns_seen_free(&d->seen);
	free(d);
	gw->dns = NULL;
}
