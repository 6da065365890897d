// SPDX-License-Identifier: MIT
/* test_guard.c - unit tests of the upstream address guard in guard.c */

/*
 * Every address here is only text handed to guard_check*(): nothing is
 * dialled. The host-address test adds an address to the loopback device of
 * a network namespace that it creates in a child process.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard.h"
#include "unit.h"
#include "util.h"

/* Parse @text as an IPv4 or IPv6 address; return its family or 0. */
static int addr_parse(const char *text, uint8_t *addr)
{
	if (inet_pton(AF_INET, text, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, text, addr) == 1)
		return AF_INET6;
	return 0;
}

/* Judge @text with @g; the test fails on text that is not an address. */
static const char *check_text(struct guard *g, const char *text)
{
	uint8_t addr[16];
	int family = addr_parse(text, addr);

	if (!family) {
		fprintf(stderr, "test_guard: '%s' is not an address\n", text);
		return "invalid test address";
	}
	return guard_check_addr(g, family, addr);
}

static void guard_rejects_default_forbidden_ranges(void)
{
	/* Address and a word that the reason must contain. */
	static const struct {
		const char *addr;
		const char *keyword;
	} cases[] = {
	    {"127.0.0.1", "loopback"},
	    {"127.255.255.254", "loopback"},
	    {"10.0.0.1", "private"},
	    {"10.255.255.255", "private"},
	    {"172.16.0.1", "private"},
	    {"172.31.255.254", "private"},
	    {"192.168.0.1", "private"},
	    {"192.168.255.255", "private"},
	    {"100.64.0.1", "CGNAT"},
	    {"100.127.255.254", "CGNAT"},
	    {"169.254.169.254", "link-local"},
	    {"0.0.0.0", "unspecified"},
	    {"224.0.0.1", "multicast"},
	    {"239.255.255.250", "multicast"},
	    {"255.255.255.255", "broadcast"},
	    {"::", "unspecified"},
	    {"::1", "loopback"},
	    {"fe80::1", "link-local"},
	    {"fc00::1", "unique local"},
	    {"fd12:3456::1", "unique local"},
	    {"ff02::1", "multicast"},
	    {"::ffff:127.0.0.1", "loopback"},
	    {"::ffff:10.1.2.3", "private"},
	    {"::ffff:169.254.169.254", "link-local"},
	    {"::127.0.0.1", "loopback"},
	    {"64:ff9b::7f00:1", "loopback"},
	    {"64:ff9b::a9fe:a9fe", "link-local"},
	    {"2002:7f00:1::1", "loopback"},
	    {"2002:c0a8:101::1", "private"},
	};
	struct guard g;
	size_t i;

	guard_init(&g, NULL, 0);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *reason = check_text(&g, cases[i].addr);

		if (!reason || !strstr(reason, cases[i].keyword))
			fprintf(stderr,
				"test_guard: %s gave \"%s\", expected "
				"a reason with \"%s\"\n",
				cases[i].addr, reason ? reason : "(allowed)",
				cases[i].keyword);
		CHECK(reason != NULL);
		CHECK(strstr(reason, cases[i].keyword) != NULL);
	}
}

/* The edges just outside the forbidden ranges are allowed. */
static void guard_allows_addresses_next_to_ranges(void)
{
	static const char *const allowed[] = {
	    "1.1.1.1",	       "8.8.8.8",     "9.255.255.255",	 "11.0.0.0",
	    "172.15.255.255",  "172.32.0.0",  "192.167.255.255", "192.169.0.0",
	    "100.63.255.255",  "100.128.0.0", "126.255.255.255", "128.0.0.0",
	    "169.253.255.255", "169.255.0.0", "223.255.255.255",
	};
	struct guard g;
	size_t i;

	guard_init(&g, NULL, 0);
	for (i = 0; i < ARRAY_SIZE(allowed); i++) {
		const char *reason = check_text(&g, allowed[i]);

		if (reason)
			fprintf(stderr, "test_guard: %s rejected: %s\n",
				allowed[i], reason);
		CHECK(reason == NULL);
	}
}

static void guard_allows_public_ipv6_and_embedded_public(void)
{
	static const char *const allowed[] = {
	    "2606:4700:4700::1111", /* a public resolver, as text */
	    "2a00:1450::1",	    "::ffff:8.8.8.8",
	    "64:ff9b::808:808",	    "2002:808:808::1",
	};
	struct guard g;
	size_t i;

	guard_init(&g, NULL, 0);
	for (i = 0; i < ARRAY_SIZE(allowed); i++) {
		const char *reason = check_text(&g, allowed[i]);

		if (reason)
			fprintf(stderr, "test_guard: %s rejected: %s\n",
				allowed[i], reason);
		CHECK(reason == NULL);
	}
}

static void guard_allow_net_exempts_exactly_its_range(void)
{
	struct guard_net allow[1];
	struct guard g;

	CHECK_INT(guard_net_parse("127.0.0.1/32", &allow[0]), 0);
	guard_init(&g, allow, 1);

	CHECK(check_text(&g, "127.0.0.1") == NULL);
	CHECK(check_text(&g, "::ffff:127.0.0.1") == NULL);
	CHECK(check_text(&g, "127.0.0.2") != NULL);
	CHECK(check_text(&g, "::ffff:127.0.0.2") != NULL);
	CHECK(check_text(&g, "127.0.0.0") != NULL);
	CHECK(check_text(&g, "::1") != NULL);
	CHECK(check_text(&g, "10.0.0.1") != NULL);
}

static void guard_allow_net_exempts_whole_prefix(void)
{
	struct guard_net allow[2];
	struct guard g;

	CHECK_INT(guard_net_parse("10.1.0.0/16", &allow[0]), 0);
	CHECK_INT(guard_net_parse("fd00:1::/32", &allow[1]), 0);
	guard_init(&g, allow, 2);

	CHECK(check_text(&g, "10.1.0.0") == NULL);
	CHECK(check_text(&g, "10.1.255.255") == NULL);
	CHECK(check_text(&g, "10.0.255.255") != NULL);
	CHECK(check_text(&g, "10.2.0.0") != NULL);
	CHECK(check_text(&g, "fd00:1:ffff::1") == NULL);
	CHECK(check_text(&g, "fd00:2::1") != NULL);
}

static void guard_check_reads_socket_addresses(void)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	struct guard g;

	guard_init(&g, NULL, 0);
	s4.sin_port = htons(443);
	CHECK_INT(inet_pton(AF_INET, "127.0.0.1", &s4.sin_addr), 1);
	CHECK(guard_check(&g, (struct sockaddr *)&s4) != NULL);
	CHECK_INT(inet_pton(AF_INET, "8.8.8.8", &s4.sin_addr), 1);
	CHECK(guard_check(&g, (struct sockaddr *)&s4) == NULL);

	CHECK_INT(inet_pton(AF_INET6, "::1", &s6.sin6_addr), 1);
	CHECK(guard_check(&g, (struct sockaddr *)&s6) != NULL);
	CHECK_INT(inet_pton(AF_INET6, "2606:4700:4700::1111", &s6.sin6_addr),
		  1);
	CHECK(guard_check(&g, (struct sockaddr *)&s6) == NULL);

	CHECK(guard_check(&g, (struct sockaddr *)&su) != NULL);
	CHECK(guard_check_addr(&g, AF_UNIX, s6.sin6_addr.s6_addr) != NULL);
}

/* Child of guard_rejects_host_addresses(), in its own network namespace:
 * exit 0 if the guard rejects the address on lo and allows its neighbour,
 * 1 if not, 77 if the namespace cannot be set up. */
static int host_address_child(void)
{
	struct sockaddr_in *sin;
	struct guard_net allow;
	struct ifreq ifr;
	struct guard g;
	const char *reason;
	int fd;

	if (unshare(CLONE_NEWNET))
		return 77;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 77;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "1.2.3.4", &sin->sin_addr);
	if (ioctl(fd, SIOCSIFADDR, &ifr)) {
		close(fd);
		return 77;
	}
	close(fd);

	guard_init(&g, NULL, 0);
	reason = check_text(&g, "1.2.3.4");
	if (!reason || !strstr(reason, "host")) {
		fprintf(stderr, "test_guard: host address 1.2.3.4 gave %s\n",
			reason ? reason : "(allowed)");
		return 1;
	}
	if (check_text(&g, "1.2.3.5"))
		return 1;

	/* An --allow-net range exempts a host address too. */
	if (guard_net_parse("1.2.3.4", &allow))
		return 1;
	guard_init(&g, &allow, 1);
	return check_text(&g, "1.2.3.4") ? 1 : 0;
}

static void guard_rejects_host_addresses(void)
{
	int status;
	pid_t pid;

	pid = fork();
	CHECK(pid >= 0);
	if (!pid)
		_exit(host_address_child());
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		/* NOTE: without CAP_SYS_ADMIN this property goes untested. */
		fprintf(stderr, "test_guard: cannot create a network "
				"namespace; host address check skipped\n");
		return;
	}
	CHECK_INT(WEXITSTATUS(status), 0);
}

static void guard_net_parse_accepts_prefix_edges(void)
{
	static const uint8_t zero[16];
	struct guard_net n;

	CHECK_INT(guard_net_parse("0.0.0.0/0", &n), 0);
	CHECK_INT(n.family, AF_INET);
	CHECK_INT(n.prefix, 0);
	CHECK_MEM(n.addr, zero, 16);

	CHECK_INT(guard_net_parse("::/0", &n), 0);
	CHECK_INT(n.family, AF_INET6);
	CHECK_INT(n.prefix, 0);

	CHECK_INT(guard_net_parse("198.51.100.7/32", &n), 0);
	CHECK_INT(n.prefix, 32);
	CHECK_INT(n.addr[3], 7);

	CHECK_INT(guard_net_parse("2001:db8::7/128", &n), 0);
	CHECK_INT(n.prefix, 128);
	CHECK_INT(n.addr[15], 7);
}

/* A bare address is a host route. */
static void guard_net_parse_bare_address_is_host(void)
{
	struct guard_net n;

	CHECK_INT(guard_net_parse("203.0.113.9", &n), 0);
	CHECK_INT(n.family, AF_INET);
	CHECK_INT(n.prefix, 32);
	CHECK_INT(n.addr[3], 9);

	CHECK_INT(guard_net_parse("2001:db8::9", &n), 0);
	CHECK_INT(n.family, AF_INET6);
	CHECK_INT(n.prefix, 128);
	CHECK_INT(n.addr[15], 9);
}

static void guard_net_parse_clears_host_bits(void)
{
	struct guard_net n;
	uint8_t expect[16];

	CHECK_INT(guard_net_parse("10.1.2.3/8", &n), 0);
	CHECK_INT(addr_parse("10.0.0.0", expect), AF_INET);
	CHECK_MEM(n.addr, expect, 4);

	CHECK_INT(guard_net_parse("10.255.255.255/9", &n), 0);
	CHECK_INT(addr_parse("10.128.0.0", expect), AF_INET);
	CHECK_MEM(n.addr, expect, 4);

	CHECK_INT(guard_net_parse("203.0.113.77/0", &n), 0);
	CHECK_INT(addr_parse("0.0.0.0", expect), AF_INET);
	CHECK_MEM(n.addr, expect, 4);

	CHECK_INT(guard_net_parse("2001:db8:ffff::1/33", &n), 0);
	CHECK_INT(addr_parse("2001:db8:8000::", expect), AF_INET6);
	CHECK_MEM(n.addr, expect, 16);
}

static void guard_net_parse_rejects_bad_prefix(void)
{
	static const char *const bad[] = {
	    "10.0.0.0/33", "::/129",	  "10.0.0.0/",
	    "10.0.0.0/x",  "10.0.0.0/8x", "10.0.0.0/8/8",
	    "10.0.0.0/-1", "::1/",	  "10.0.0.0/99999999999999999999",
	};
	struct guard_net n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (guard_net_parse(bad[i], &n) != -EINVAL)
			fprintf(stderr, "test_guard: '%s' accepted\n", bad[i]);
		CHECK_INT(guard_net_parse(bad[i], &n), -EINVAL);
	}
}

/* strtoul() skips blanks and takes a sign; a prefix is digits only. */
static void guard_net_parse_rejects_signed_prefix(void)
{
	static const char *const bad[] = {
	    "10.0.0.0/ 8",
	    "10.0.0.0/+8",
	    "10.0.0.0/-0",
	};
	struct guard_net n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (guard_net_parse(bad[i], &n) != -EINVAL)
			fprintf(stderr, "test_guard: '%s' accepted as /%u\n",
				bad[i], n.prefix);
		CHECK_INT(guard_net_parse(bad[i], &n), -EINVAL);
	}
}

static void guard_net_parse_rejects_garbage(void)
{
	static const char *const bad[] = {
	    "",
	    "/",
	    "/8",
	    "localhost",
	    "10.0.0",
	    "10.0.0.256",
	    "10.0.0.0 /8",
	    "2001:db8:::1",
	    "10.0.0.0/8 ",
	    "[::1]/128",
	};
	struct guard_net n;
	char long_text[300];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (guard_net_parse(bad[i], &n) != -EINVAL)
			fprintf(stderr, "test_guard: '%s' accepted\n", bad[i]);
		CHECK_INT(guard_net_parse(bad[i], &n), -EINVAL);
	}

	memset(long_text, '1', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	CHECK_INT(guard_net_parse(long_text, &n), -EINVAL);
}

static void guard_net_contains_checks_family_and_prefix(void)
{
	struct guard_net n;
	uint8_t a[16];

	CHECK_INT(guard_net_parse("172.16.0.0/12", &n), 0);
	CHECK_INT(addr_parse("172.31.255.255", a), AF_INET);
	CHECK(guard_net_contains(&n, AF_INET, a));
	CHECK_INT(addr_parse("172.32.0.0", a), AF_INET);
	CHECK(!guard_net_contains(&n, AF_INET, a));
	CHECK_INT(addr_parse("172.15.255.255", a), AF_INET);
	CHECK(!guard_net_contains(&n, AF_INET, a));

	/* The same leading bytes in the other family do not match. */
	memset(a, 0, sizeof(a));
	a[0] = 172;
	a[1] = 16;
	CHECK(!guard_net_contains(&n, AF_INET6, a));

	CHECK_INT(guard_net_parse("::/0", &n), 0);
	CHECK_INT(addr_parse("2001:db8::1", a), AF_INET6);
	CHECK(guard_net_contains(&n, AF_INET6, a));
	CHECK(!guard_net_contains(&n, AF_INET, a));
}

UNIT_MAIN(UNIT_TEST(guard_rejects_default_forbidden_ranges),
	  UNIT_TEST(guard_allows_addresses_next_to_ranges),
	  UNIT_TEST(guard_allows_public_ipv6_and_embedded_public),
	  UNIT_TEST(guard_allow_net_exempts_exactly_its_range),
	  UNIT_TEST(guard_allow_net_exempts_whole_prefix),
	  UNIT_TEST(guard_check_reads_socket_addresses),
	  UNIT_TEST(guard_rejects_host_addresses),
	  UNIT_TEST(guard_net_parse_accepts_prefix_edges),
	  UNIT_TEST(guard_net_parse_bare_address_is_host),
	  UNIT_TEST(guard_net_parse_clears_host_bits),
	  UNIT_TEST(guard_net_parse_rejects_bad_prefix),
	  UNIT_TEST(guard_net_parse_rejects_signed_prefix),
	  UNIT_TEST(guard_net_parse_rejects_garbage),
	  UNIT_TEST(guard_net_contains_checks_family_and_prefix))
