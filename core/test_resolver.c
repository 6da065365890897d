// SPDX-License-Identifier: MIT
/*
 * test_resolver.c - tests of the upstream resolver against a local dnsmasq
 *
 * The program starts dnsmasq on 127.0.0.1 and a free port with a few local
 * records (documentation addresses only, never dialled) and runs the
 * queries through a libev loop. Timeouts use a UDP socket of its own that
 * never answers. dnsmasq (Debian package dnsmasq-base) is required: the
 * program fails, rather than skips, when it is missing.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dns_msg.h"
#include "log.h"
#include "resolver.h"
#include "unit.h"
#include "util.h"

#ifndef DNSMASQ_PATH
#define DNSMASQ_PATH "/usr/sbin/dnsmasq"
#endif

/* Resolver timeout for queries that dnsmasq answers, seconds */
#define ANSWER_TIMEOUT 5.0

/* Resolver timeout for queries that are never answered, seconds */
#define SILENT_TIMEOUT 1.0

/* TTL that dnsmasq gives its local records, seconds */
#define LOCAL_TTL 300

static struct ev_loop *loop;
static pid_t dnsmasq_pid = -1;
static char dnsmasq_server[32];

/**
 * struct send_result - what a resolver_done_fn received
 * @calls:	number of calls
 * @status:	status of the last call
 * @answer:	copy of the last answer
 * @len:	bytes in @answer
 * @at:		time of the last call, milliseconds (monotonic)
 */
struct send_result {
	int calls;
	int status;
	uint8_t answer[DNS_TCP_MAX];
	size_t len;
	int64_t at;
};

/**
 * struct lookup_result - what a resolver_addrs_fn received
 * @calls:	number of calls
 * @status:	status of the last call
 * @addrs:	addresses of the last call, network order
 * @count:	entries in @addrs
 * @min_ttl:	TTL of the last call
 */
struct lookup_result {
	int calls;
	int status;
	uint32_t addrs[RESOLVER_ADDRS_MAX];
	unsigned count;
	uint32_t min_ttl;
};

static void on_send(void *arg, int status, const uint8_t *answer, size_t len)
{
	struct send_result *res = arg;

	res->calls++;
	res->status = status;
	res->len = 0;
	res->at = now_ms();
	if (answer && len <= sizeof(res->answer)) {
		memcpy(res->answer, answer, len);
		res->len = len;
	}
}

static void on_lookup(void *arg, int status, const uint32_t *addrs,
		      unsigned count, uint32_t min_ttl)
{
	struct lookup_result *res = arg;

	res->calls++;
	res->status = status;
	res->count = MIN(count, RESOLVER_ADDRS_MAX);
	memcpy(res->addrs, addrs, res->count * sizeof(*addrs));
	res->min_ttl = min_ttl;
}

static void on_guard(struct ev_loop *l, ev_timer *w, int revents)
{
	*(bool *)w->data = true;
}

/* Run the loop until *@calls reaches @want or @limit seconds pass */
static void run_until(const int *calls, int want, double limit)
{
	bool expired = false;
	ev_timer guard;

	ev_now_update(loop);
	ev_timer_init(&guard, on_guard, limit, 0.);
	guard.data = &expired;
	ev_timer_start(loop, &guard);
	while (*calls < want && !expired)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &guard);
}

/* Run the loop for @seconds, whatever happens */
static void run_for(double seconds)
{
	static const int never;

	run_until(&never, 1, seconds);
}

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return htonl((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 |
		     d);
}

static bool addrs_contain(const struct lookup_result *res, uint32_t addr)
{
	unsigned i;

	for (i = 0; i < res->count; i++) {
		if (res->addrs[i] == addr)
			return true;
	}
	return false;
}

/* Write a query for @name and @qtype with id @id; return its length */
static size_t query_build(uint8_t *buf, size_t size, uint16_t id,
			  const char *name, uint16_t qtype)
{
	int len = dns_query_write(buf, size, id, name, qtype, DNS_CLASS_IN, 0);

	return len > 0 ? (size_t)len : 0;
}

/* Bind a socket of @type to 127.0.0.1 and @port (0 for any); -1 on error */
static int loopback_socket(int type, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static uint16_t socket_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
}

/* A port on 127.0.0.1 that is free for both UDP and TCP right now */
static uint16_t free_port(void)
{
	uint16_t port = 0;
	int attempt, udp, tcp;

	for (attempt = 0; attempt < 20 && !port; attempt++) {
		udp = loopback_socket(SOCK_DGRAM, 0);
		if (udp < 0)
			continue;
		port = socket_port(udp);
		tcp = loopback_socket(SOCK_STREAM, port);
		if (tcp < 0)
			port = 0;
		else
			close(tcp);
		close(udp);
	}
	return port;
}

/* Send an A query for a.test to dnsmasq until it answers, up to 10 s */
static bool dnsmasq_wait_ready(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	uint8_t query[64], answer[512];
	struct pollfd pfd;
	size_t len;
	int attempt, status;
	bool ready = false;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	len = query_build(query, sizeof(query), 1, "a.test", DNS_TYPE_A);
	pfd.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	pfd.events = POLLIN;
	if (pfd.fd < 0 || !len)
		return false;

	for (attempt = 0; attempt < 50 && !ready; attempt++) {
		if (waitpid(dnsmasq_pid, &status, WNOHANG) == dnsmasq_pid) {
			fprintf(stderr, "dnsmasq exited during startup\n");
			dnsmasq_pid = -1;
			break;
		}
		sendto(pfd.fd, query, len, 0, (struct sockaddr *)&sin,
		       sizeof(sin));
		if (poll(&pfd, 1, 200) == 1 &&
		    recv(pfd.fd, answer, sizeof(answer), 0) > 0)
			ready = true;
	}
	close(pfd.fd);
	return ready;
}

static void dnsmasq_stop(void)
{
	int status;

	if (dnsmasq_pid <= 0)
		return;
	/* The group includes the children dnsmasq forks for TCP clients */
	if (kill(-dnsmasq_pid, SIGTERM))
		kill(dnsmasq_pid, SIGTERM);
	waitpid(dnsmasq_pid, &status, 0);
	dnsmasq_pid = -1;
}

/* Start dnsmasq on 127.0.0.1 and a free port; false with a message if not */
static bool dnsmasq_start(void)
{
	char port_arg[32], big_arg[1024];
	uint16_t port = free_port();
	int null_fd;

	if (access(DNSMASQ_PATH, X_OK)) {
		fprintf(stderr,
			"%s not found or not executable: install the Debian "
			"package dnsmasq-base to run the resolver tests\n",
			DNSMASQ_PATH);
		return false;
	}
	if (!port) {
		fprintf(stderr, "no free port on 127.0.0.1 for dnsmasq\n");
		return false;
	}
	snprintf(port_arg, sizeof(port_arg), "--port=%u", port);
	snprintf(dnsmasq_server, sizeof(dnsmasq_server), "127.0.0.1:%u", port);

	/* Three 250-byte strings: over 512 bytes, so UDP answers truncate */
	snprintf(big_arg, sizeof(big_arg),
		 "--txt-record=big.test,%0250d,%0250d,%0250d", 1, 2, 3);

	dnsmasq_pid = fork();
	if (dnsmasq_pid < 0) {
		perror("fork");
		return false;
	}
	if (dnsmasq_pid == 0) {
		/* dnsmasq dies with the test, even when the test crashes */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		null_fd = open("/dev/null", O_WRONLY);
		if (null_fd >= 0) {
			dup2(null_fd, STDOUT_FILENO);
			dup2(null_fd, STDERR_FILENO);
		}
		execl(DNSMASQ_PATH, DNSMASQ_PATH, "--conf-file=/dev/null",
		      "--no-resolv", "--no-hosts", "--keep-in-foreground",
		      "--pid-file", "--user=root", "--group=root", port_arg,
		      "--listen-address=127.0.0.1", "--bind-interfaces",
		      "--log-facility=-", "--local=/test/", "--local-ttl=300",
		      "--address=/a.test/192.0.2.10",
		      "--address=/m.test/192.0.2.21",
		      "--address=/m.test/192.0.2.22",
		      "--host-record=h.test,192.0.2.30",
		      "--cname=c.test,h.test", "--txt-record=t.test,hello",
		      big_arg, (char *)NULL);
		_exit(127);
	}

	/* Also set in the parent, so the group exists before any kill */
	setpgid(dnsmasq_pid, dnsmasq_pid);
	if (!dnsmasq_wait_ready(port)) {
		fprintf(stderr, "dnsmasq did not answer on %s within 10 s\n",
			dnsmasq_server);
		dnsmasq_stop();
		return false;
	}
	return true;
}

static void resolver_send_returns_answer_with_query_id(void)
{
	static struct send_result res;
	const uint8_t addr[4] = {192, 0, 2, 10};
	struct resolver *r = NULL;
	uint8_t query[512];
	size_t len;

	len = query_build(query, sizeof(query), 0x1234, "a.test", DNS_TYPE_A);
	CHECK(len > 0);
	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);
	CHECK(resolver_send(r, query, len, on_send, &res) != NULL);
	CHECK_INT(res.calls, 0);

	run_until(&res.calls, 1, ANSWER_TIMEOUT + 1);
	resolver_free(r);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, 0);
	CHECK(res.len >= DNS_HEADER_LEN);
	CHECK_INT(get_be16(res.answer), 0x1234);
	CHECK(get_be16(res.answer + 2) & DNS_FLAG_QR);
	CHECK_INT(get_be16(res.answer + 2) & DNS_FLAG_RCODE, DNS_RCODE_NOERROR);
	CHECK_INT(get_be16(res.answer + 6), 1);
	CHECK(memmem(res.answer, res.len, addr, sizeof(addr)) != NULL);
}

static void resolver_send_returns_txt_answer(void)
{
	static struct send_result res;
	struct resolver *r = NULL;
	uint8_t query[512];
	size_t len;

	len = query_build(query, sizeof(query), 7, "t.test", DNS_TYPE_TXT);
	CHECK(len > 0);
	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);
	CHECK(resolver_send(r, query, len, on_send, &res) != NULL);

	run_until(&res.calls, 1, ANSWER_TIMEOUT + 1);
	resolver_free(r);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, 0);
	CHECK_INT(get_be16(res.answer + 6), 1);
	CHECK(memmem(res.answer, res.len, "\x05hello", 6) != NULL);
}

/* dnsmasq truncates the 750-byte TXT answer over UDP; c-ares uses TCP */
static void resolver_send_large_answer_over_tcp(void)
{
	static struct send_result res;
	struct resolver *r = NULL;
	uint8_t query[512];
	size_t len;

	len = query_build(query, sizeof(query), 8, "big.test", DNS_TYPE_TXT);
	CHECK(len > 0);
	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);
	CHECK(resolver_send(r, query, len, on_send, &res) != NULL);

	run_until(&res.calls, 1, ANSWER_TIMEOUT + 1);
	resolver_free(r);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, 0);
	CHECK(res.len > 750);
	CHECK(!(get_be16(res.answer + 2) & DNS_FLAG_TC));
}

static void resolver_send_refused_answer_is_econnrefused(void)
{
	static struct send_result res;
	struct resolver *r = NULL;
	uint8_t query[512];
	size_t len;

	/* dnsmasq has no upstream for names outside .test and refuses them */
	len = query_build(query, sizeof(query), 9, "example.org", DNS_TYPE_A);
	CHECK(len > 0);
	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);
	CHECK(resolver_send(r, query, len, on_send, &res) != NULL);

	run_until(&res.calls, 1, ANSWER_TIMEOUT + 1);
	resolver_free(r);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, -ECONNREFUSED);
	CHECK_INT(res.len, 0);
}

static void resolver_send_closed_port_is_econnrefused(void)
{
	static struct send_result res;
	struct resolver *r = NULL;
	uint8_t query[512];
	char server[32];
	size_t len;
	int fd;

	/* A port that was just free; ICMP port unreachable comes back */
	fd = loopback_socket(SOCK_DGRAM, 0);
	CHECK(fd >= 0);
	snprintf(server, sizeof(server), "127.0.0.1:%u", socket_port(fd));
	close(fd);

	len = query_build(query, sizeof(query), 10, "a.test", DNS_TYPE_A);
	CHECK(len > 0);
	CHECK_INT(resolver_init(&r, loop, server, SILENT_TIMEOUT), 0);
	CHECK(resolver_send(r, query, len, on_send, &res) != NULL);

	run_until(&res.calls, 1, SILENT_TIMEOUT + 1);
	resolver_free(r);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, -ECONNREFUSED);
}

/* With a list, a server that refuses is passed over for the next one. */
static void resolver_list_falls_back_to_next_server(void)
{
	static struct lookup_result res;
	struct resolver *r = NULL;
	char servers[64];
	int fd;

	fd = loopback_socket(SOCK_DGRAM, 0);
	CHECK(fd >= 0);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u,%s", socket_port(fd),
		 dnsmasq_server);
	close(fd);

	CHECK_INT(resolver_init(&r, loop, servers, ANSWER_TIMEOUT), 0);
	CHECK(resolver_lookup_a(r, "a.test", on_lookup, &res) != NULL);
	run_until(&res.calls, 1, ANSWER_TIMEOUT + 1);
	resolver_free(r);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, 0);
	CHECK_INT(res.count, 1);
	CHECK_INT(res.addrs[0], ip4(192, 0, 2, 10));
}

static void resolver_send_times_out_on_silent_server(void)
{
	static struct send_result res;
	struct resolver *r = NULL;
	uint8_t query[512];
	char server[32];
	int64_t start;
	size_t len;
	int fd;

	fd = loopback_socket(SOCK_DGRAM, 0);
	CHECK(fd >= 0);
	snprintf(server, sizeof(server), "127.0.0.1:%u", socket_port(fd));
	len = query_build(query, sizeof(query), 11, "a.test", DNS_TYPE_A);
	CHECK(len > 0);
	CHECK_INT(resolver_init(&r, loop, server, SILENT_TIMEOUT), 0);

	/* The deadline timer counts from the loop's time, so refresh it */
	ev_now_update(loop);
	start = now_ms();
	CHECK(resolver_send(r, query, len, on_send, &res) != NULL);
	run_until(&res.calls, 1, SILENT_TIMEOUT + 2);

	/* Nothing more may arrive once the query timed out */
	run_for(0.3);
	resolver_free(r);
	close(fd);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, -ETIMEDOUT);
	CHECK(res.at - start >= (int64_t)(SILENT_TIMEOUT * 1000) - 50);
	CHECK(res.at - start <= (int64_t)(SILENT_TIMEOUT * 1000) + 1000);

	/* c-ares alone would end at 1.5 timeouts: the hard timer came first */
	CHECK(res.at - start <= (int64_t)(SILENT_TIMEOUT * 1000) + 400);
}

static void resolver_cancel_suppresses_callback(void)
{
	static struct send_result answered, silent, after;
	struct resolver *r = NULL, *r_silent = NULL;
	struct resolver_query *q;
	uint8_t query[512];
	char server[32];
	size_t len;
	int fd;

	fd = loopback_socket(SOCK_DGRAM, 0);
	CHECK(fd >= 0);
	snprintf(server, sizeof(server), "127.0.0.1:%u", socket_port(fd));
	len = query_build(query, sizeof(query), 12, "a.test", DNS_TYPE_A);
	CHECK(len > 0);
	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, SILENT_TIMEOUT), 0);
	CHECK_INT(resolver_init(&r_silent, loop, server, SILENT_TIMEOUT), 0);

	/* One query that dnsmasq answers, one that times out: both silenced */
	q = resolver_send(r, query, len, on_send, &answered);
	CHECK(q != NULL);
	resolver_cancel(q);
	q = resolver_send(r_silent, query, len, on_send, &silent);
	CHECK(q != NULL);
	resolver_cancel(q);
	run_for(SILENT_TIMEOUT + 0.5);
	CHECK_INT(answered.calls, 0);
	CHECK_INT(silent.calls, 0);

	/* The resolver still works after a cancellation */
	CHECK(resolver_send(r, query, len, on_send, &after) != NULL);
	run_until(&after.calls, 1, SILENT_TIMEOUT + 1);
	resolver_free(r);
	resolver_free(r_silent);
	close(fd);
	CHECK_INT(after.calls, 1);
	CHECK_INT(after.status, 0);
}

static void resolver_free_cancels_pending_queries(void)
{
	static struct send_result res, cancelled;
	static struct lookup_result lookup;
	struct resolver *r = NULL;
	uint8_t query[512];
	char server[32];
	size_t len;
	int fd;

	fd = loopback_socket(SOCK_DGRAM, 0);
	CHECK(fd >= 0);
	snprintf(server, sizeof(server), "127.0.0.1:%u", socket_port(fd));
	len = query_build(query, sizeof(query), 13, "a.test", DNS_TYPE_A);
	CHECK(len > 0);
	CHECK_INT(resolver_init(&r, loop, server, SILENT_TIMEOUT), 0);

	CHECK(resolver_send(r, query, len, on_send, &res) != NULL);
	CHECK(resolver_lookup_a(r, "a.test", on_lookup, &lookup) != NULL);
	resolver_cancel(resolver_send(r, query, len, on_send, &cancelled));
	run_for(0.1);
	resolver_free(r);
	close(fd);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, -ECANCELED);
	CHECK_INT(lookup.calls, 1);
	CHECK_INT(lookup.status, -ECANCELED);
	CHECK_INT(lookup.count, 0);
	CHECK_INT(cancelled.calls, 0);
}

/*
 * With no file descriptor left, c-ares fails inside ares_send() because it
 * cannot open its socket. The callback must still come later, from the
 * loop, and a query cancelled at once must stay silent.
 */
static void resolver_send_immediate_failure_is_deferred(void)
{
	static struct send_result res, cancelled;
	struct resolver *r = NULL;
	struct resolver_query *q;
	struct rlimit saved, limited;
	uint8_t query[512];
	size_t len;
	int lowest_free;

	len = query_build(query, sizeof(query), 14, "a.test", DNS_TYPE_A);
	CHECK(len > 0);
	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);

	/* Limit descriptors to those open now, so socket() fails */
	lowest_free = dup(STDIN_FILENO);
	CHECK(lowest_free >= 0);
	close(lowest_free);
	CHECK_INT(getrlimit(RLIMIT_NOFILE, &saved), 0);
	limited = saved;
	limited.rlim_cur = (rlim_t)lowest_free;
	CHECK_INT(setrlimit(RLIMIT_NOFILE, &limited), 0);
	q = resolver_send(r, query, len, on_send, &res);
	resolver_cancel(resolver_send(r, query, len, on_send, &cancelled));
	setrlimit(RLIMIT_NOFILE, &saved);

	CHECK(q != NULL);
	CHECK_INT(res.calls, 0);
	run_until(&res.calls, 1, 1.0);
	run_for(0.1);
	resolver_free(r);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, -ECONNREFUSED);
	CHECK_INT(cancelled.calls, 0);
}

static void resolver_lookup_a_returns_address(void)
{
	static struct lookup_result res;
	struct resolver *r = NULL;

	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);
	CHECK(resolver_lookup_a(r, "a.test", on_lookup, &res) != NULL);
	run_until(&res.calls, 1, ANSWER_TIMEOUT + 1);
	resolver_free(r);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, 0);
	CHECK_INT(res.count, 1);
	CHECK_INT(res.addrs[0], ip4(192, 0, 2, 10));
	CHECK_INT(res.min_ttl, LOCAL_TTL);
}

static void resolver_lookup_a_returns_every_address(void)
{
	static struct lookup_result res;
	struct resolver *r = NULL;

	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);
	CHECK(resolver_lookup_a(r, "M.Test", on_lookup, &res) != NULL);
	run_until(&res.calls, 1, ANSWER_TIMEOUT + 1);
	resolver_free(r);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, 0);
	CHECK_INT(res.count, 2);
	CHECK(addrs_contain(&res, ip4(192, 0, 2, 21)));
	CHECK(addrs_contain(&res, ip4(192, 0, 2, 22)));
}

static void resolver_lookup_a_follows_cname(void)
{
	static struct lookup_result res;
	struct resolver *r = NULL;

	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);
	CHECK(resolver_lookup_a(r, "c.test", on_lookup, &res) != NULL);
	run_until(&res.calls, 1, ANSWER_TIMEOUT + 1);
	resolver_free(r);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, 0);
	CHECK_INT(res.count, 1);
	CHECK_INT(res.addrs[0], ip4(192, 0, 2, 30));
}

static void resolver_lookup_a_nxdomain_is_enoent(void)
{
	static struct lookup_result res;
	struct resolver *r = NULL;

	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);
	CHECK(resolver_lookup_a(r, "missing.test", on_lookup, &res) != NULL);
	run_until(&res.calls, 1, ANSWER_TIMEOUT + 1);
	resolver_free(r);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, -ENOENT);
	CHECK_INT(res.count, 0);
	CHECK_INT(res.min_ttl, 0);
}

static void resolver_lookup_a_without_a_record_is_enoent(void)
{
	static struct lookup_result res;
	struct resolver *r = NULL;

	/* t.test has a TXT record only: NOERROR without answers */
	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);
	CHECK(resolver_lookup_a(r, "t.test", on_lookup, &res) != NULL);
	run_until(&res.calls, 1, ANSWER_TIMEOUT + 1);
	resolver_free(r);
	CHECK_INT(res.calls, 1);
	CHECK_INT(res.status, -ENOENT);
	CHECK_INT(res.count, 0);
}

static void resolver_lookup_a_rejects_invalid_name(void)
{
	static struct lookup_result res;
	struct resolver *r = NULL;
	struct resolver_query *q;

	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);
	errno = 0;
	q = resolver_lookup_a(r, "a..test", on_lookup, &res);
	run_for(0.1);
	resolver_free(r);
	CHECK(q == NULL);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(res.calls, 0);
}

static void resolver_send_rejects_short_query(void)
{
	static struct send_result res;
	const uint8_t query[DNS_HEADER_LEN - 1] = {0};
	struct resolver *r = NULL;
	struct resolver_query *q;

	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);
	errno = 0;
	q = resolver_send(r, query, sizeof(query), on_send, &res);
	run_for(0.1);
	resolver_free(r);
	CHECK(q == NULL);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(res.calls, 0);
}

/* 64 lookups at once share the channel and all get their answer */
static void resolver_concurrent_lookups_all_answer(void)
{
	enum { COUNT = 64 };
	static struct lookup_result res[COUNT];
	static const char *const names[] = {"a.test", "m.test", "c.test",
					    "missing.test"};
	static const int expected[] = {0, 0, 0, -ENOENT};
	struct resolver *r = NULL;
	int i, finished = 0;

	CHECK_INT(resolver_init(&r, loop, dnsmasq_server, ANSWER_TIMEOUT), 0);
	for (i = 0; i < COUNT; i++)
		CHECK(resolver_lookup_a(r, names[i % 4], on_lookup, &res[i]));

	for (i = 0; i < COUNT; i++) {
		run_until(&res[i].calls, 1, ANSWER_TIMEOUT + 1);
		finished += res[i].calls;
	}
	resolver_free(r);
	CHECK_INT(finished, COUNT);
	for (i = 0; i < COUNT; i++) {
		CHECK_INT(res[i].calls, 1);
		CHECK_INT(res[i].status, expected[i % 4]);
	}
}

static void resolver_init_rejects_bad_server(void)
{
	/* clang-format off */
	static const char *const bad[] = {
		"",
		"resolver.example",
		"192.0.2.1:",
		"192.0.2.1:0",
		"192.0.2.1:65536",
		"192.0.2.1:53x",
		"192.0.2.1:53:53",
		"192.0.2.256",
		"[2001:db8::1",
		"[2001:db8::1]53",
		"[2001:db8::1]:",
		"[192.0.2.1]:53",
		"2001:db8::1:53x",
		"192.0.2.1,",
		",192.0.2.1",
		"192.0.2.1,,192.0.2.2",
		"192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4,192.0.2.5",
		"192.0.2.1,resolver.example",
	};
	/* clang-format on */
	struct resolver *r = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (resolver_init(&r, loop, bad[i], ANSWER_TIMEOUT) != -EINVAL)
			fprintf(stderr, "server \"%s\" was accepted\n", bad[i]);
		CHECK(r == NULL);
	}
	CHECK_INT(resolver_init(&r, loop, "192.0.2.1", 0), -EINVAL);
	CHECK_INT(resolver_init(&r, loop, "192.0.2.1", -1), -EINVAL);
	CHECK_INT(
	    resolver_init(&r, loop, "192.0.2.1", RESOLVER_TIMEOUT_MAX + 1),
	    -EINVAL);
}

/* Creating a resolver sends nothing, so these servers are never dialled */
static void resolver_init_accepts_server_forms(void)
{
	/* clang-format off */
	static const char *const good[] = {
		"192.0.2.1",
		"192.0.2.1:53",
		"192.0.2.1:5353",
		"2001:db8::1",
		"[2001:db8::1]",
		"[2001:db8::1]:5353",
		"192.0.2.1,192.0.2.2:5353",
		"192.0.2.1,[2001:db8::1]:53,192.0.2.3,2001:db8::4",
	};
	/* clang-format on */
	struct resolver *r = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		int err = resolver_init(&r, loop, good[i], ANSWER_TIMEOUT);

		if (err)
			fprintf(stderr, "server \"%s\" was rejected\n",
				good[i]);
		CHECK_INT(err, 0);
		CHECK(r != NULL);
		resolver_free(r);
		r = NULL;
	}
}

/* Without a server, c-ares reads /etc/resolv.conf; nothing is sent here */
static void resolver_init_without_server_uses_system(void)
{
	struct resolver *r = NULL;

	CHECK_INT(resolver_init(&r, loop, NULL, ANSWER_TIMEOUT), 0);
	CHECK(r != NULL);
	resolver_free(r);
}

/* clang-format off */
static const struct unit_test tests[] = {
	UNIT_TEST(resolver_send_returns_answer_with_query_id),
	UNIT_TEST(resolver_send_returns_txt_answer),
	UNIT_TEST(resolver_send_large_answer_over_tcp),
	UNIT_TEST(resolver_send_refused_answer_is_econnrefused),
	UNIT_TEST(resolver_send_closed_port_is_econnrefused),
	UNIT_TEST(resolver_send_times_out_on_silent_server),
	UNIT_TEST(resolver_cancel_suppresses_callback),
	UNIT_TEST(resolver_free_cancels_pending_queries),
	UNIT_TEST(resolver_send_immediate_failure_is_deferred),
	UNIT_TEST(resolver_lookup_a_returns_address),
	UNIT_TEST(resolver_lookup_a_returns_every_address),
	UNIT_TEST(resolver_lookup_a_follows_cname),
	UNIT_TEST(resolver_lookup_a_nxdomain_is_enoent),
	UNIT_TEST(resolver_lookup_a_without_a_record_is_enoent),
	UNIT_TEST(resolver_lookup_a_rejects_invalid_name),
	UNIT_TEST(resolver_send_rejects_short_query),
	UNIT_TEST(resolver_concurrent_lookups_all_answer),
	UNIT_TEST(resolver_init_rejects_bad_server),
	UNIT_TEST(resolver_list_falls_back_to_next_server),
	UNIT_TEST(resolver_init_accepts_server_forms),
	UNIT_TEST(resolver_init_without_server_uses_system),
};
/* clang-format on */

int main(void)
{
	int failed;

	signal(SIGPIPE, SIG_IGN);
	log_init(LOG_WARN);
	loop = ev_default_loop(0);
	if (!dnsmasq_start()) {
		printf("FAIL dnsmasq_start\n");
		return 1;
	}
	failed = unit_run(tests, ARRAY_SIZE(tests));
	dnsmasq_stop();
	return failed;
}
