// SPDX-License-Identifier: MIT
/*
 * resolver.c - upstream DNS queries through c-ares on the libev loop
 *
 * c-ares reports each socket it wants watched through its socket state
 * callback. Each socket gets an ev_io, and readiness goes back to c-ares
 * through ares_process_fd(). One ev_timer follows ares_timeout(), so
 * c-ares can retransmit and time out without a thread or a poll loop of
 * its own.
 *
 * Each query is wrapped in a struct resolver_query that carries a second,
 * hard timer of timeout_seconds. Whatever c-ares does with retries and
 * server rotation, the caller's callback runs exactly once, no later than
 * that, unless the query is cancelled first. c-ares 1.18 cannot cancel a
 * single query, so a cancelled or timed-out wrapper stays allocated,
 * marked finished, until c-ares calls back for it. A callback never runs
 * from inside resolver_send() or resolver_lookup_a(), because a failure
 * that c-ares reports at once is delivered from the loop.
 *
 * Queries go out with a random id, and the answer is handed over with the
 * caller's id put back. With n servers, the per-try timeout of c-ares is
 * timeout_seconds / (n + 1): each server is tried once before the hard
 * timeout, and a second round with doubled timeouts would end after it, so
 * for a silent upstream the hard timer is what ends the query. c-ares
 * passes over SERVFAIL, NOTIMP and REFUSED answers to try the next server,
 * and when every server gave one, it reports ARES_ECONNREFUSED (c-ares
 * 1.18), which becomes -ECONNREFUSED here. ARES_FLAG_EDNS stays off, so
 * c-ares fetches any answer longer than 512 bytes again over TCP.
 */

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <ev.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dns_msg.h"
#include "log.h"
#include "resolver.h"
#include "util.h"

/* Rounds of c-ares tries over the servers. The second waits twice as long */
#define RESOLVER_TRIES 2

/**
 * struct resolver_io - an ev_io for one socket that c-ares opened
 * @watcher:	the watcher, whose fd is the socket
 * @r:		the resolver
 * @next:	next watcher of the resolver, or NULL
 */
struct resolver_io {
	ev_io watcher;
	struct resolver *r;
	struct resolver_io *next;
};

/**
 * struct resolver - a c-ares channel driven by a libev loop
 * @loop:		the loop
 * @channel:		the c-ares channel, valid when @channel_ready is set
 * @channel_ready:	@channel was created
 * @library_ready:	ares_library_init() succeeded, so free cleans it up
 * @freeing:		resolver_free() is running, so new queries fail
 * @timeout:		hard limit per query, seconds
 * @timer:		fires at the next c-ares retransmission or timeout
 * @ios:		watchers of the sockets c-ares has open
 * @queries:		every live query wrapper
 * @scratch:		answer copy with the caller's id, or the rewritten
 *			reply of a lookup, in use only during one callback
 */
struct resolver {
	struct ev_loop *loop;
	ares_channel channel;
	bool channel_ready;
	bool library_ready;
	bool freeing;
	double timeout;
	ev_timer timer;
	struct resolver_io *ios;
	struct resolver_query *queries;
	uint8_t scratch[DNS_TCP_MAX];
};

/**
 * struct resolver_query - one query in flight, and the caller's handle
 * @r:			the resolver
 * @prev:		previous query in the resolver's list, or NULL
 * @next:		next query in the resolver's list, or NULL
 * @done:		callback of resolver_send(), or NULL for a lookup
 * @addrs_done:		callback of resolver_lookup_a(), or NULL
 * @arg:		the caller's argument for the callback
 * @deadline:		hard timeout, which also delivers early completions
 * @id:			the caller's query id, put back into the answer
 * @in_ares:		c-ares still holds this wrapper and will call back
 * @in_send:		ares_send() is running, so its callback is early
 * @finished:		the callback ran or the query was cancelled, so the
 *			callback never runs (again)
 * @early_status:	outcome reported by c-ares from inside ares_send()
 * @early_answer:	copy of an answer reported from inside ares_send()
 * @early_len:		bytes in @early_answer
 * @question:		parsed question of a lookup, to check the answer
 */
struct resolver_query {
	struct resolver *r;
	struct resolver_query *prev;
	struct resolver_query *next;
	resolver_done_fn done;
	resolver_addrs_fn addrs_done;
	void *arg;
	ev_timer deadline;
	uint16_t id;
	bool in_ares;
	bool in_send;
	bool finished;
	int early_status;
	uint8_t *early_answer;
	size_t early_len;
	struct dns_query question;
};

/**
 * struct lookup_result - A records collected from one answer
 * @addrs:	addresses, network order
 * @count:	entries in @addrs
 * @min_ttl:	lowest TTL seen, seconds
 */
struct lookup_result {
	uint32_t addrs[RESOLVER_ADDRS_MAX];
	unsigned count;
	uint32_t min_ttl;
};

/* Re-arm the loop timer for the next c-ares timeout, or stop it */
static void resolver_timer_update(struct resolver *r)
{
	struct timeval tv, *next;

	ev_timer_stop(r->loop, &r->timer);
	if (!r->channel_ready || r->freeing)
		return;

	next = ares_timeout(r->channel, NULL, &tv);
	if (!next)
		return;
	ev_timer_set(&r->timer, (double)next->tv_sec + next->tv_usec / 1e6, 0.);
	ev_timer_start(r->loop, &r->timer);
}

static void resolver_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolver *r = w->data;

	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	resolver_timer_update(r);
}

static void resolver_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct resolver_io *io = container_of(w, struct resolver_io, watcher);
	struct resolver *r = io->r;
	ares_socket_t fd = w->fd;

	/* The watcher may be freed inside: c-ares can close the socket */
	ares_process_fd(r->channel, revents & EV_READ ? fd : ARES_SOCKET_BAD,
			revents & EV_WRITE ? fd : ARES_SOCKET_BAD);
	resolver_timer_update(r);
}

/* c-ares opened, changed or closed a socket */
static void resolver_sock_state(void *data, ares_socket_t fd, int readable,
				int writable)
{
	struct resolver *r = data;
	struct resolver_io **link = &r->ios, *io;
	int events = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);

	while (*link && (*link)->watcher.fd != fd)
		link = &(*link)->next;
	io = *link;

	if (!events) {
		if (io) {
			ev_io_stop(r->loop, &io->watcher);
			*link = io->next;
			free(io);
		}
		return;
	}

	if (!io) {
		io = calloc(1, sizeof(*io));
		if (!io) {
			/* Queries on this socket end by timeout */
			log_ratelimited(LOG_ERR,
					"resolver: out of memory watching "
					"socket %d",
					fd);
			return;
		}
		io->r = r;
		io->next = r->ios;
		r->ios = io;
		ev_io_init(&io->watcher, resolver_io_cb, fd, events);
	} else {
		ev_io_stop(r->loop, &io->watcher);
		ev_io_set(&io->watcher, fd, events);
	}
	ev_io_start(r->loop, &io->watcher);
}

/* Translate a c-ares status into the errno values of the API */
static int resolver_status_errno(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return 0;
	case ARES_ETIMEOUT:
		return -ETIMEDOUT;
	case ARES_ECONNREFUSED:
		return -ECONNREFUSED;
	case ARES_EDESTRUCTION:
	case ARES_ECANCELLED:
		return -ECANCELED;
	default:
		log_debug("resolver: query failed: %s", ares_strerror(status));
		return -EIO;
	}
}

static void query_release(struct resolver_query *q)
{
	struct resolver *r = q->r;

	ev_timer_stop(r->loop, &q->deadline);
	if (q->prev)
		q->prev->next = q->next;
	else
		r->queries = q->next;
	if (q->next)
		q->next->prev = q->prev;
	free(q->early_answer);
	free(q);
}

/* Collect the A records of the answer section */
static enum dns_addr_verdict lookup_collect(struct dns_addr_record *rec,
					    void *ctx)
{
	struct lookup_result *res = ctx;

	if (rec->type != DNS_TYPE_A || rec->section != DNS_SECTION_ANSWER)
		return DNS_ADDR_DROP;
	if (res->count < RESOLVER_ADDRS_MAX) {
		memcpy(&res->addrs[res->count++], rec->addr, 4);
		res->min_ttl = MIN(res->min_ttl, rec->ttl);
	}
	return DNS_ADDR_DROP;
}

/*
 * Extract the addresses of a lookup answer. Every A record of the answer
 * section counts, so the addresses of a CNAME target count for the name.
 * dns_response_rewrite() checks that the answer is well formed and answers
 * the question. Its output goes to the scratch buffer and is discarded.
 */
static int lookup_parse(struct resolver_query *q, const uint8_t *answer,
			size_t len, struct lookup_result *res)
{
	struct resolver *r = q->r;
	uint16_t rcode;
	int n;

	res->count = 0;
	res->min_ttl = UINT32_MAX;
	n = dns_response_rewrite(answer, len, &q->question, DNS_TRANSPORT_TCP,
				 lookup_collect, res, r->scratch,
				 sizeof(r->scratch));
	if (n < 0) {
		log_debug("resolver: invalid answer for %s: %s",
			  q->question.name, strerror(-n));
		return -EIO;
	}

	rcode = get_be16(answer + 2) & DNS_FLAG_RCODE;
	if (rcode == DNS_RCODE_NXDOMAIN)
		return -ENOENT;
	if (rcode != DNS_RCODE_NOERROR) {
		log_debug("resolver: answer for %s has rcode %u",
			  q->question.name, rcode);
		return -EIO;
	}
	return res->count ? 0 : -ENOENT;
}

/* Run the caller's callback for a query already marked finished */
static void query_deliver(struct resolver_query *q, int status,
			  const uint8_t *answer, size_t len)
{
	struct resolver *r = q->r;
	struct lookup_result res = {.count = 0};

	if (q->addrs_done) {
		if (!status)
			status = lookup_parse(q, answer, len, &res);
		if (status)
			res.count = 0;
		q->addrs_done(q->arg, status, res.addrs, res.count,
			      res.count ? res.min_ttl : 0);
		return;
	}

	/* c-ares limits answers to 65535 bytes by the TCP length prefix */
	if (!status && len > sizeof(r->scratch))
		status = -EIO;
	if (status) {
		q->done(q->arg, status, NULL, 0);
		return;
	}
	memcpy(r->scratch, answer, len);
	put_be16(r->scratch, q->id);
	q->done(q->arg, 0, r->scratch, len);
}

/* c-ares finished with a query: an answer, an error or destruction */
static void query_ares_done(void *arg, int status, int timeouts,
			    unsigned char *abuf, int alen)
{
	struct resolver_query *q = arg;
	int err = resolver_status_errno(status);

	q->in_ares = false;
	if (q->in_send) {
		/* Delivered by the deadline timer once ares_send() returns */
		q->early_status = err;
		if (!err) {
			q->early_answer = malloc((size_t)alen);
			if (q->early_answer) {
				memcpy(q->early_answer, abuf, (size_t)alen);
				q->early_len = (size_t)alen;
			} else {
				q->early_status = -EIO;
			}
		}
		return;
	}

	if (!q->finished) {
		q->finished = true;
		ev_timer_stop(q->r->loop, &q->deadline);
		query_deliver(q, err, abuf, err ? 0 : (size_t)alen);
	}
	query_release(q);
}

/* The hard timeout expired, or an early completion is due */
static void query_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolver_query *q =
	    container_of(w, struct resolver_query, deadline);

	if (!q->finished) {
		q->finished = true;
		if (q->in_ares) {
			log_debug("resolver: query %u timed out after %.1f s",
				  q->id, q->r->timeout);
			query_deliver(q, -ETIMEDOUT, NULL, 0);
		} else {
			query_deliver(q, q->early_status, q->early_answer,
				      q->early_len);
		}
	}
	if (!q->in_ares)
		query_release(q);
}

static struct resolver_query *query_new(struct resolver *r, void *arg)
{
	struct resolver_query *q;

	if (r->freeing) {
		errno = ECANCELED;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		errno = ENOMEM;
		return NULL;
	}
	q->r = r;
	q->arg = arg;
	ev_timer_init(&q->deadline, query_deadline_cb, r->timeout, 0.);

	q->next = r->queries;
	if (r->queries)
		r->queries->prev = q;
	r->queries = q;
	return q;
}

static uint16_t query_random_id(void)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)random();
	return id;
}

/* Hand @msg, whose id is already randomized, to c-ares */
static void query_start(struct resolver_query *q, const uint8_t *msg,
			size_t len)
{
	struct resolver *r = q->r;

	q->in_ares = true;
	q->in_send = true;
	ares_send(r->channel, msg, (int)len, query_ares_done, q);
	q->in_send = false;

	if (!q->in_ares)
		ev_timer_set(&q->deadline, 0., 0.);
	ev_timer_start(r->loop, &q->deadline);
	resolver_timer_update(r);
}

/**
 * resolver_send() - send a DNS query upstream
 * @r:		the resolver
 * @query:	a complete query message, for example from dns_query_write()
 * @len:	bytes in @query, DNS_HEADER_LEN to DNS_TCP_MAX
 * @done:	called exactly once from the loop, never from inside this
 *		function, unless resolver_cancel() comes first
 * @arg:	passed to @done
 *
 * The query goes out with a random id. @done gets the answer with the id
 * of @query, or an error no later than the resolver's timeout.
 *
 * Return: a handle for resolver_cancel(), valid until @done runs. NULL with
 * errno set (EINVAL for a bad length or no @done, ECANCELED while
 * resolver_free() runs, ENOMEM), and then @done is never called.
 */
struct resolver_query *resolver_send(struct resolver *r, const uint8_t *query,
				     size_t len, resolver_done_fn done,
				     void *arg)
{
	struct resolver_query *q;
	uint8_t *copy;

	if (!done || len < DNS_HEADER_LEN || len > DNS_TCP_MAX) {
		errno = EINVAL;
		return NULL;
	}
	copy = malloc(len);
	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	q = query_new(r, arg);
	if (!q) {
		free(copy);
		return NULL;
	}

	q->done = done;
	q->id = get_be16(query);
	memcpy(copy, query, len);
	put_be16(copy, query_random_id());
	query_start(q, copy, len);
	free(copy);
	return q;
}

/**
 * resolver_lookup_a() - resolve a name to its IPv4 addresses
 * @r:		the resolver
 * @name:	the name as dotted text, see dns_name_from_text()
 * @done:	called exactly once from the loop, never from inside this
 *		function, unless resolver_cancel() comes first
 * @arg:	passed to @done
 *
 * The query is an A query of class IN with RD set and no OPT record. @done
 * gets at most RESOLVER_ADDRS_MAX addresses: every A record in the answer
 * section, the ones of a CNAME target included.
 *
 * Return: a handle for resolver_cancel(), valid until @done runs. NULL with
 * errno set (EINVAL for an invalid name, ECANCELED while resolver_free()
 * runs, ENOMEM), and then @done is never called.
 */
struct resolver_query *resolver_lookup_a(struct resolver *r, const char *name,
					 resolver_addrs_fn done, void *arg)
{
	uint8_t msg[DNS_UDP_MAX_PLAIN];
	struct resolver_query *q;
	int len;

	len = dns_query_write(msg, sizeof(msg), query_random_id(), name,
			      DNS_TYPE_A, DNS_CLASS_IN, 0);
	if (len < 0 || !done) {
		errno = EINVAL;
		return NULL;
	}
	q = query_new(r, arg);
	if (!q)
		return NULL;

	q->addrs_done = done;
	if (dns_query_parse(msg, (size_t)len, &q->question) != DNS_PARSE_OK ||
	    !q->question.has_question) {
		/* dns_query_write() accepted the name, so this is a bug */
		log_err("resolver: query for %s does not parse", name);
		query_release(q);
		errno = EINVAL;
		return NULL;
	}
	q->id = get_be16(msg);
	query_start(q, msg, (size_t)len);
	return q;
}

/**
 * resolver_cancel() - make sure a query's callback never runs
 * @q:	a handle whose callback has not run yet, or NULL
 *
 * The wrapper stays allocated until c-ares finishes with the query.
 */
void resolver_cancel(struct resolver_query *q)
{
	if (!q || q->finished)
		return;
	q->finished = true;
	ev_timer_stop(q->r->loop, &q->deadline);
	if (!q->in_ares)
		query_release(q);
}

/* Parse a port of 1 to 65535 that makes up all of @text */
static int resolver_port_parse(const char *text, int *port)
{
	unsigned long value;
	char *end;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno || *end || !value || value > 65535)
		return -EINVAL;
	*port = (int)value;
	return 0;
}

/* Parse "ADDR", "ADDR:PORT", "[IPV6]" or "[IPV6]:PORT". A bare IPv6
 * address without brackets takes no port. */
static int resolver_server_parse(const char *text,
				 struct ares_addr_port_node *node)
{
	char host[INET6_ADDRSTRLEN];
	const char *port = NULL, *end;
	size_t host_len;

	memset(node, 0, sizeof(*node));
	if (text[0] == '[') {
		end = strchr(text, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		host_len = (size_t)(end - text - 1);
		text++;
		if (end[1] == ':')
			port = end + 2;
		node->family = AF_INET6;
	} else if (inet_pton(AF_INET6, text, &node->addr.addr6) == 1) {
		node->family = AF_INET6;
		return 0;
	} else {
		end = strchr(text, ':');
		host_len = end ? (size_t)(end - text) : strlen(text);
		if (end)
			port = end + 1;
		node->family = AF_INET;
	}

	if (host_len >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, host_len);
	host[host_len] = '\0';
	if (inet_pton(node->family, host, &node->addr) != 1)
		return -EINVAL;
	if (port && resolver_port_parse(port, &node->udp_port))
		return -EINVAL;
	node->tcp_port = node->udp_port;
	return 0;
}

/* Log the servers that c-ares will ask, from resolv.conf or the option */
static void resolver_log_servers(struct resolver *r)
{
	struct ares_addr_port_node *servers = NULL, *s;
	char text[INET6_ADDRSTRLEN];

	if (ares_get_servers_ports(r->channel, &servers) != ARES_SUCCESS)
		return;
	for (s = servers; s; s = s->next) {
		if (!inet_ntop(s->family, &s->addr, text, sizeof(text)))
			continue;
		log_info("resolver: upstream DNS server %s%s%s port %d",
			 s->family == AF_INET6 ? "[" : "", text,
			 s->family == AF_INET6 ? "]" : "",
			 s->udp_port ? s->udp_port : 53);
	}
	if (!servers)
		log_warn("resolver: no upstream DNS server configured");
	ares_free_data(servers);
}

/* Count the nameservers that c-ares reads from /etc/resolv.conf, at least
 * 1 (c-ares falls back to 127.0.0.1 when there are none) */
static int resolver_conf_server_count(void)
{
	struct ares_addr_port_node *servers = NULL, *s;
	ares_channel probe;
	int count = 0;

	if (ares_init(&probe) != ARES_SUCCESS)
		return 1;
	if (ares_get_servers_ports(probe, &servers) == ARES_SUCCESS) {
		for (s = servers; s; s = s->next)
			count++;
		ares_free_data(servers);
	}
	ares_destroy(probe);
	return MAX(count, 1);
}

/* Parse a comma-separated list of servers into @nodes, linked in order;
 * returns how many, -E2BIG for too many, or -EINVAL. */
static int resolver_servers_parse(const char *list,
				  struct ares_addr_port_node *nodes)
{
	char item[INET6_ADDRSTRLEN + 8];
	const char *comma;
	size_t len;
	int n = 0;

	for (;;) {
		comma = strchr(list, ',');
		len = comma ? (size_t)(comma - list) : strlen(list);
		if (n == RESOLVER_SERVERS_MAX)
			return -E2BIG;
		if (len >= sizeof(item))
			return -EINVAL;
		memcpy(item, list, len);
		item[len] = '\0';
		if (resolver_server_parse(item, &nodes[n]))
			return -EINVAL;
		if (n)
			nodes[n - 1].next = &nodes[n];
		n++;
		if (!comma)
			return n;
		list = comma + 1;
	}
}

static int resolver_channel_init(struct resolver *r,
				 const struct ares_addr_port_node *server,
				 int server_count)
{
	struct ares_options opts;
	int status, servers;

	status = ares_library_init(ARES_LIB_INIT_ALL);
	if (status != ARES_SUCCESS) {
		log_err("resolver: c-ares library setup failed: %s",
			ares_strerror(status));
		return status == ARES_ENOMEM ? -ENOMEM : -EIO;
	}
	r->library_ready = true;

	servers = server ? server_count : resolver_conf_server_count();
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = resolver_sock_state;
	opts.sock_state_cb_data = r;
	opts.timeout = MAX((int)(r->timeout * 1000 / (servers + 1)), 1);
	opts.tries = RESOLVER_TRIES;

	status = ares_init_options(&r->channel, &opts,
				   ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS |
				       ARES_OPT_TRIES);
	if (status != ARES_SUCCESS) {
		log_err("resolver: c-ares channel setup failed: %s",
			ares_strerror(status));
		return status == ARES_ENOMEM ? -ENOMEM : -EIO;
	}
	r->channel_ready = true;

	if (server) {
		/* c-ares takes a non-const list but only reads it */
		status = ares_set_servers_ports(
		    r->channel, (struct ares_addr_port_node *)server);
		if (status != ARES_SUCCESS) {
			log_err("resolver: setting the DNS server failed: %s",
				ares_strerror(status));
			return status == ARES_ENOMEM ? -ENOMEM : -EIO;
		}
	}
	return 0;
}

/**
 * resolver_servers_check() - check a list of upstream servers
 * @list:	as @server of resolver_init()
 *
 * Return: the number of servers, -E2BIG for more than
 * RESOLVER_SERVERS_MAX, -EINVAL for an invalid entry
 */
int resolver_servers_check(const char *list)
{
	struct ares_addr_port_node nodes[RESOLVER_SERVERS_MAX];

	return resolver_servers_parse(list, nodes);
}

/**
 * resolver_init() - create a resolver on a loop
 * @out:		the new resolver, or NULL on error
 * @loop:		the libev loop that drives it
 * @server:		"ADDR", "ADDR:PORT", "[IPV6]" or "[IPV6]:PORT" with a
 *			numeric address (a bare IPv6 address uses port 53),
 *			or up to RESOLVER_SERVERS_MAX of them separated by
 *			commas, asked in order; or NULL for the nameservers
 *			of /etc/resolv.conf
 * @timeout_seconds:	hard limit per query, above 0 and at most
 *			RESOLVER_TIMEOUT_MAX
 *
 * Return: 0 on success, -EINVAL for a bad @server or timeout (logged with
 * the value), -ENOMEM, -EIO if c-ares fails to set up
 */
int resolver_init(struct resolver **out, struct ev_loop *loop,
		  const char *server, double timeout_seconds)
{
	struct ares_addr_port_node nodes[RESOLVER_SERVERS_MAX];
	struct resolver *r;
	int err, count = 0;

	*out = NULL;
	if (!(timeout_seconds > 0 && timeout_seconds <= RESOLVER_TIMEOUT_MAX)) {
		log_err("resolver: invalid timeout %g s: expected more than 0 "
			"and at most %g",
			timeout_seconds, RESOLVER_TIMEOUT_MAX);
		return -EINVAL;
	}
	if (server) {
		count = resolver_servers_parse(server, nodes);
		if (count < 0) {
			log_err("resolver: invalid DNS server list \"%s\": "
				"expected up to %d of ADDR, ADDR:PORT or "
				"[IPV6]:PORT with numeric addresses and ports "
				"from 1 to 65535, separated by commas",
				server, RESOLVER_SERVERS_MAX);
			return -EINVAL;
		}
	}

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->loop = loop;
	r->timeout = timeout_seconds;
	ev_timer_init(&r->timer, resolver_timer_cb, 0., 0.);
	r->timer.data = r;

	err = resolver_channel_init(r, server ? nodes : NULL, count);
	if (err) {
		resolver_free(r);
		return err;
	}
	resolver_log_servers(r);
	*out = r;
	return 0;
}

/**
 * resolver_free() - cancel every query and release the resolver
 * @r:	the resolver, or NULL
 *
 * Each query whose callback has not run and that was not cancelled gets
 * its callback with -ECANCELED, from inside this function. A callback may
 * cancel other queries then, but new queries fail with ECANCELED. Must not
 * be called from a resolver callback.
 */
void resolver_free(struct resolver *r)
{
	struct resolver_io *io;
	struct resolver_query *q;

	if (!r)
		return;
	r->freeing = true;
	ev_timer_stop(r->loop, &r->timer);

	/* c-ares calls back for each of its queries with ARES_EDESTRUCTION */
	if (r->channel_ready)
		ares_destroy(r->channel);
	r->channel_ready = false;

	/* Left: early completions that wait for their deadline timer */
	while (r->queries) {
		q = r->queries;
		ev_timer_stop(r->loop, &q->deadline);
		if (!q->finished) {
			q->finished = true;
			query_deliver(q, -ECANCELED, NULL, 0);
		}
		query_release(q);
	}

	while (r->ios) {
		io = r->ios;
		r->ios = io->next;
		ev_io_stop(r->loop, &io->watcher);
		free(io);
	}
	if (r->library_ready)
		ares_library_cleanup();
	free(r);
}
