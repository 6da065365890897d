// SPDX-License-Identifier: MIT
/* test_dhcp.c - unit tests of the DHCP server in dhcp.c */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "checksum.h"
#include "config.h"
#include "dhcp.h"
#include "eth.h"
#include "gateway.h"
#include "ipv4.h"
#include "udp.h"
#include "unit.h"
#include "util.h"

#define BOOTP_FIXED_LEN 236
#define DHCP_OPTIONS	240
#define DHCP_MAGIC	0x63825363

static const uint8_t client_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t xid[4] = {0xde, 0xad, 0xbe, 0xef};

/* A DHCP message under construction, options appended one by one. */
struct msg {
	uint8_t b[1024];
	size_t len;
};

static uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t bytes[4] = {a, b, c, d};
	uint32_t v;

	memcpy(&v, bytes, 4);
	return v;
}

static struct dhcp_params params(void)
{
	struct dhcp_params p = {
	    .server = ip(10, 0, 2, 2),
	    .guest = ip(10, 0, 2, 15),
	    .netmask = ip(255, 255, 255, 0),
	    .mtu = 65520,
	    .lease_time = 86400,
	};

	return p;
}

/* Start a client message with the fixed BOOTP part and the magic cookie. */
static void msg_start(struct msg *m, uint32_t ciaddr, uint32_t giaddr)
{
	memset(m, 0, sizeof(*m));
	m->b[0] = 1; /* BOOTREQUEST */
	m->b[1] = 1; /* Ethernet */
	m->b[2] = 6;
	memcpy(m->b + 4, xid, 4);
	memcpy(m->b + 12, &ciaddr, 4);
	memcpy(m->b + 24, &giaddr, 4);
	memcpy(m->b + 28, client_mac, 6);
	put_be32(m->b + BOOTP_FIXED_LEN, DHCP_MAGIC);
	m->len = DHCP_OPTIONS;
}

static void msg_option(struct msg *m, uint8_t code, const void *data,
		       uint8_t len)
{
	m->b[m->len] = code;
	m->b[m->len + 1] = len;
	memcpy(m->b + m->len + 2, data, len);
	m->len += 2 + (size_t)len;
}

static void msg_type(struct msg *m, uint8_t type)
{
	msg_option(m, 53, &type, 1);
}

static void msg_end(struct msg *m)
{
	m->b[m->len++] = 255;
}

/* A whole message of @type with an optional requested address (option 50)
 * and server identifier (option 54); 0 leaves an option out. */
static void msg_build(struct msg *m, uint8_t type, uint32_t ciaddr,
		      uint32_t requested, uint32_t server_id)
{
	msg_start(m, ciaddr, 0);
	msg_type(m, type);
	if (requested)
		msg_option(m, 50, &requested, 4);
	if (server_id)
		msg_option(m, 54, &server_id, 4);
	msg_end(m);
}

/*
 * Find option @code in a reply of @len bytes. Return its data and set *@olen,
 * or return NULL if the option is absent or the options are malformed.
 */
static const uint8_t *reply_option(const uint8_t *out, size_t len, uint8_t code,
				   size_t *olen)
{
	size_t i = DHCP_OPTIONS;

	while (i < len) {
		if (out[i] == 255)
			return NULL;
		if (out[i] == 0) {
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + out[i + 1] > len)
			return NULL;
		if (out[i] == code) {
			*olen = out[i + 1];
			return out + i + 2;
		}
		i += 2 + (size_t)out[i + 1];
	}
	return NULL;
}

/* Whether the options of a reply end with an END option inside @len. */
static int reply_has_end(const uint8_t *out, size_t len)
{
	size_t i = DHCP_OPTIONS;

	while (i < len) {
		if (out[i] == 255)
			return 1;
		if (out[i] == 0)
			i++;
		else if (i + 1 < len)
			i += 2 + (size_t)out[i + 1];
		else
			return 0;
	}
	return 0;
}

/* Check that option @code is present with exactly the 4 bytes of @value. */
static void check_option_u32(const uint8_t *out, size_t len, uint8_t code,
			     uint32_t value)
{
	const uint8_t *data;
	size_t olen = 0;

	data = reply_option(out, len, code, &olen);
	CHECK(data != NULL);
	CHECK_INT(olen, 4);
	CHECK_MEM(data, &value, 4);
}

static void dhcp_discover_gets_offer(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	const uint8_t *type;
	struct msg m;
	size_t olen = 0;

	msg_build(&m, DHCP_DISCOVER, 0, 0, 0);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.type, DHCP_OFFER);
	CHECK_INT(reply.request, DHCP_DISCOVER);
	CHECK_MEM(reply.chaddr, client_mac, 6);

	CHECK_INT(out[0], 2); /* BOOTREPLY */
	CHECK_INT(out[1], 1);
	CHECK_INT(out[2], 6);
	CHECK_MEM(out + 4, xid, 4);
	CHECK_MEM(out + 16, &p.guest, 4);  /* yiaddr */
	CHECK_MEM(out + 20, &p.server, 4); /* siaddr */
	CHECK_MEM(out + 28, client_mac, 6);
	CHECK_INT(get_be32(out + BOOTP_FIXED_LEN), DHCP_MAGIC);

	type = reply_option(out, reply.len, 53, &olen);
	CHECK(type != NULL);
	CHECK_INT(olen, 1);
	CHECK_INT(type[0], DHCP_OFFER);
}

static void dhcp_offer_carries_network_options(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	const uint8_t *mtu;
	struct msg m;
	size_t olen = 0;

	msg_build(&m, DHCP_DISCOVER, 0, 0, 0);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);

	check_option_u32(out, reply.len, 1, ip(255, 255, 255, 0));
	check_option_u32(out, reply.len, 3, p.server);
	check_option_u32(out, reply.len, 6, p.server);
	check_option_u32(out, reply.len, 28, ip(10, 0, 2, 255));
	check_option_u32(out, reply.len, 51, htonl(86400));
	check_option_u32(out, reply.len, 54, p.server);
	check_option_u32(out, reply.len, 58, htonl(86400 / 2));
	check_option_u32(out, reply.len, 59, htonl(86400 / 8 * 7));

	mtu = reply_option(out, reply.len, 26, &olen);
	CHECK(mtu != NULL);
	CHECK_INT(olen, 2);
	CHECK_INT(get_be16(mtu), 65520);

	CHECK(reply_has_end(out, reply.len));
}

/* The MTU option carries the configured value, not a constant. */
static void dhcp_offer_mtu_follows_params(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	const uint8_t *mtu;
	struct msg m;
	size_t olen = 0;

	p.mtu = 1500;
	msg_build(&m, DHCP_DISCOVER, 0, 0, 0);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	mtu = reply_option(out, reply.len, 26, &olen);
	CHECK(mtu != NULL);
	CHECK_INT(get_be16(mtu), 1500);
}

static void dhcp_request_for_leased_address_gets_ack(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_build(&m, DHCP_REQUEST, 0, p.guest, p.server);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.type, DHCP_ACK);
	CHECK_INT(reply.request, DHCP_REQUEST);
	CHECK_MEM(out + 16, &p.guest, 4);
	check_option_u32(out, reply.len, 51, htonl(86400));
	check_option_u32(out, reply.len, 54, p.server);
	CHECK(reply_has_end(out, reply.len));
}

/* A renewing client names its address in ciaddr and sends no option 50. */
static void dhcp_renewal_with_ciaddr_gets_ack(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_build(&m, DHCP_REQUEST, p.guest, 0, 0);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.type, DHCP_ACK);
	CHECK_MEM(out + 16, &p.guest, 4);
}

static void dhcp_request_for_other_address_gets_nak(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	const uint8_t *type;
	struct msg m;
	size_t olen = 0;

	msg_build(&m, DHCP_REQUEST, 0, ip(10, 0, 2, 99), p.server);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.type, DHCP_NAK);
	CHECK_INT(get_be32(out + 16), 0); /* no yiaddr */

	type = reply_option(out, reply.len, 53, &olen);
	CHECK(type != NULL);
	CHECK_INT(type[0], DHCP_NAK);
	check_option_u32(out, reply.len, 54, p.server);
	CHECK(reply_option(out, reply.len, 51, &olen) == NULL);
	CHECK(reply_option(out, reply.len, 1, &olen) == NULL);
	CHECK(reply_has_end(out, reply.len));
}

/* A REQUEST without option 50 and with ciaddr 0 names no address at all. */
static void dhcp_request_without_address_gets_nak(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_build(&m, DHCP_REQUEST, 0, 0, p.server);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.type, DHCP_NAK);
}

static void dhcp_request_for_other_server_ignored(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_build(&m, DHCP_REQUEST, 0, p.guest, ip(10, 0, 2, 3));
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 0);
}

static void dhcp_inform_gets_ack_without_lease(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;
	size_t olen = 0;

	msg_build(&m, DHCP_INFORM, p.guest, 0, 0);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.type, DHCP_ACK);
	CHECK_INT(reply.request, DHCP_INFORM);
	CHECK_INT(get_be32(out + 16), 0); /* yiaddr */
	CHECK_MEM(out + 12, &p.guest, 4); /* ciaddr echoed */

	CHECK(reply_option(out, reply.len, 51, &olen) == NULL);
	CHECK(reply_option(out, reply.len, 58, &olen) == NULL);
	CHECK(reply_option(out, reply.len, 59, &olen) == NULL);
	check_option_u32(out, reply.len, 1, ip(255, 255, 255, 0));
	check_option_u32(out, reply.len, 3, p.server);
	check_option_u32(out, reply.len, 6, p.server);
	check_option_u32(out, reply.len, 54, p.server);
	CHECK(reply_has_end(out, reply.len));
}

static void dhcp_release_and_decline_ignored(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_build(&m, DHCP_RELEASE, p.guest, 0, p.server);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 0);

	msg_build(&m, DHCP_DECLINE, 0, p.guest, p.server);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 0);
}

/* Plain BOOTP (no option 53) and unknown message types get no reply. */
static void dhcp_message_without_known_type_ignored(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_start(&m, 0, 0);
	msg_end(&m);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 0);

	msg_build(&m, 42, 0, 0, 0);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 0);
}

static void dhcp_relayed_request_ignored(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_start(&m, 0, ip(192, 0, 2, 1));
	msg_type(&m, DHCP_DISCOVER);
	msg_end(&m);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 0);
}

static void dhcp_short_message_invalid(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_build(&m, DHCP_DISCOVER, 0, 0, 0);
	CHECK_INT(dhcp_build_reply(&p, m.b, 0, out, &reply), -EINVAL);
	CHECK_INT(dhcp_build_reply(&p, m.b, BOOTP_FIXED_LEN, out, &reply),
		  -EINVAL);
	CHECK_INT(dhcp_build_reply(&p, m.b, DHCP_OPTIONS - 1, out, &reply),
		  -EINVAL);
}

static void dhcp_bad_magic_cookie_invalid(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_build(&m, DHCP_DISCOVER, 0, 0, 0);
	m.b[BOOTP_FIXED_LEN + 3] ^= 1;
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), -EINVAL);
}

static void dhcp_wrong_bootp_header_invalid(void)
{
	/* Byte offset and a value that makes the header invalid. */
	static const struct {
		size_t offset;
		uint8_t value;
	} cases[] = {
	    {0, 2},  /* op BOOTREPLY: a server's message */
	    {1, 6},  /* htype IEEE 802 */
	    {2, 16}, /* hlen */
	};
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		msg_build(&m, DHCP_DISCOVER, 0, 0, 0);
		m.b[cases[i].offset] = cases[i].value;
		CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply),
			  -EINVAL);
	}
}

static void dhcp_option_past_end_invalid(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	/* The length byte is 1, but the message ends before the value. */
	msg_start(&m, 0, 0);
	m.b[m.len++] = 53;
	m.b[m.len++] = 1;
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), -EINVAL);

	/* A code byte without a length byte. */
	msg_start(&m, 0, 0);
	msg_type(&m, DHCP_DISCOVER);
	m.b[m.len++] = 12;
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), -EINVAL);

	/* An option whose length runs 1 byte past the end. */
	msg_start(&m, 0, 0);
	msg_type(&m, DHCP_DISCOVER);
	m.b[m.len++] = 12;
	m.b[m.len++] = 4;
	memcpy(m.b + m.len, "abc", 3);
	m.len += 3;
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), -EINVAL);
}

static void dhcp_missing_end_option_tolerated(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_start(&m, 0, 0);
	msg_type(&m, DHCP_DISCOVER);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.type, DHCP_OFFER);
}

static void dhcp_reply_padded_to_300_bytes(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;
	size_t i;

	msg_build(&m, DHCP_REQUEST, 0, ip(10, 0, 2, 99), p.server);
	memset(out, 0xa5, sizeof(out));
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.type, DHCP_NAK); /* the shortest reply */
	CHECK(reply.len >= 300);
	CHECK(reply.len <= DHCP_REPLY_MAX);
	CHECK(reply_has_end(out, reply.len));

	/* The bytes after END up to the minimum length are zero padding. */
	for (i = DHCP_OPTIONS; out[i] != 255; i += 2 + (size_t)out[i + 1])
		;
	for (i++; i < 300; i++)
		CHECK_INT(out[i], 0);

	msg_build(&m, DHCP_DISCOVER, 0, 0, 0);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK(reply.len >= 300);
}

static void dhcp_reply_broadcast_without_ciaddr(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_build(&m, DHCP_DISCOVER, 0, 0, 0);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.dst, INADDR_BROADCAST);

	msg_build(&m, DHCP_REQUEST, 0, p.guest, p.server);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.dst, INADDR_BROADCAST);
}

static void dhcp_reply_unicast_with_ciaddr(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_build(&m, DHCP_REQUEST, p.guest, 0, 0);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.dst, p.guest);

	msg_build(&m, DHCP_INFORM, p.guest, 0, 0);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.dst, p.guest);
}

/* A NAK is broadcast even to a client that set ciaddr, because the
 * address it has is the one being refused. */
static void dhcp_nak_broadcast_despite_ciaddr(void)
{
	struct dhcp_params p = params();
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	struct msg m;

	msg_build(&m, DHCP_REQUEST, ip(10, 0, 2, 99), 0, 0);
	CHECK_INT(dhcp_build_reply(&p, m.b, m.len, out, &reply), 1);
	CHECK_INT(reply.type, DHCP_NAK);
	CHECK_INT(reply.dst, INADDR_BROADCAST);
}

/* dhcp_input() sends the reply as UDP from port 67 to port 68, with valid
 * IPv4 and UDP checksums, to the client's MAC, on a link whose queue the
 * test reads back. */
static void dhcp_input_sends_udp_reply(void)
{
	char arg0[] = "test_dhcp", arg1[] = "--tap", arg2[] = "test0";
	char *argv[] = {arg0, arg1, arg2, NULL};
	const uint8_t *frame, *iph, *udp;
	struct ipv4_packet pkt = {0};
	struct config cfg;
	struct gateway gw;
	struct msg m;
	size_t len;
	int fd;

	CHECK_INT(config_parse(&cfg, 3, argv), 0);
	memset(&gw, 0, sizeof(gw));
	gw.cfg = &cfg;
	CHECK_INT(frameq_init(&gw.link.txq, 1 << 16), 0);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	gw.link.fd = fd; /* link_send() queues only; nothing is written */

	msg_build(&m, DHCP_DISCOVER, 0, 0, 0);
	pkt.dst = INADDR_BROADCAST;
	dhcp_input(&gw, &pkt, m.b, m.len);
	close(fd);

	CHECK_INT(frameq_peek(&gw.link.txq, &frame, &len), 0);
	CHECK(len >= ETH_HLEN + IPV4_HLEN + UDP_HLEN + 300);
	CHECK_MEM(frame, client_mac, 6);
	CHECK_MEM(frame + 6, cfg.mac, 6);
	CHECK_INT(get_be16(frame + 12), ETH_TYPE_IP4);

	iph = frame + ETH_HLEN;
	CHECK_INT(iph[0], 0x45);
	CHECK_INT(iph[9], IPPROTO_UDP);
	CHECK_INT(get_be16(iph + 2), len - ETH_HLEN);
	CHECK_INT(csum_ip4_header(iph, IPV4_HLEN), 0);
	CHECK_MEM(iph + 12, &cfg.gateway, 4);
	CHECK_INT(get_be32(iph + 16), 0xffffffff);

	udp = iph + IPV4_HLEN;
	CHECK_INT(get_be16(udp), 67);
	CHECK_INT(get_be16(udp + 2), 68);
	CHECK_INT(get_be16(udp + 4), len - ETH_HLEN - IPV4_HLEN);
	CHECK(get_be16(udp + 6) != 0);
	/* Over a datagram with a valid checksum the sum folds to 0, which
	 * csum_udp4() returns as 0xffff. */
	CHECK_INT(csum_udp4(ip(10, 0, 2, 2), INADDR_BROADCAST, udp,
			    len - ETH_HLEN - IPV4_HLEN),
		  0xffff);
	CHECK_INT(udp[UDP_HLEN], 2); /* BOOTREPLY */
	frameq_free(&gw.link.txq);
}

UNIT_MAIN(UNIT_TEST(dhcp_discover_gets_offer),
	  UNIT_TEST(dhcp_offer_carries_network_options),
	  UNIT_TEST(dhcp_offer_mtu_follows_params),
	  UNIT_TEST(dhcp_request_for_leased_address_gets_ack),
	  UNIT_TEST(dhcp_renewal_with_ciaddr_gets_ack),
	  UNIT_TEST(dhcp_request_for_other_address_gets_nak),
	  UNIT_TEST(dhcp_request_without_address_gets_nak),
	  UNIT_TEST(dhcp_request_for_other_server_ignored),
	  UNIT_TEST(dhcp_inform_gets_ack_without_lease),
	  UNIT_TEST(dhcp_release_and_decline_ignored),
	  UNIT_TEST(dhcp_message_without_known_type_ignored),
	  UNIT_TEST(dhcp_relayed_request_ignored),
	  UNIT_TEST(dhcp_short_message_invalid),
	  UNIT_TEST(dhcp_bad_magic_cookie_invalid),
	  UNIT_TEST(dhcp_wrong_bootp_header_invalid),
	  UNIT_TEST(dhcp_option_past_end_invalid),
	  UNIT_TEST(dhcp_missing_end_option_tolerated),
	  UNIT_TEST(dhcp_reply_padded_to_300_bytes),
	  UNIT_TEST(dhcp_reply_broadcast_without_ciaddr),
	  UNIT_TEST(dhcp_reply_unicast_with_ciaddr),
	  UNIT_TEST(dhcp_nak_broadcast_despite_ciaddr),
	  UNIT_TEST(dhcp_input_sends_udp_reply))
