// SPDX-License-Identifier: MIT
/*
 * dhcp.c - DHCP server for the one guest
 *
 * The server leases one configured address to whichever client asks:
 * DISCOVER gets an OFFER, a REQUEST for the leased address an ACK, a
 * REQUEST for any other address a NAK, INFORM an ACK without a lease.
 * Every reply carries the subnet mask, router, DNS server (all the
 * gateway), MTU (option 26), broadcast address and lease times, whether or
 * not the client listed them, because guests that ignore an option lose
 * nothing and guests that forget to ask still get the large MTU.
 * Relayed requests (giaddr set), option overload and client identifiers
 * are not supported: a single guest on a private link needs none of them.
 */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "dhcp.h"
#include "gateway.h"
#include "ipv4.h"
#include "log.h"
#include "stats.h"
#include "udp.h"
#include "util.h"

#define BOOTP_REQUEST	   1
#define BOOTP_REPLY	   2
#define BOOTP_FIXED_LEN	   236
#define BOOTP_MIN_LEN	   300 /* RFC 951 minimum, some clients insist */
#define DHCP_MAGIC	   0x63825363
#define DHCP_OPTIONS	   240

#define OPT_PAD		   0
#define OPT_SUBNET_MASK	   1
#define OPT_ROUTER	   3
#define OPT_DNS		   6
#define OPT_MTU		   26
#define OPT_BROADCAST	   28
#define OPT_REQUESTED_IP   50
#define OPT_LEASE_TIME	   51
#define OPT_MESSAGE_TYPE   53
#define OPT_SERVER_ID	   54
#define OPT_RENEWAL_TIME   58
#define OPT_REBINDING_TIME 59
#define OPT_END		   255

/**
 * struct dhcp_request - the fields of a request that the server uses
 * @type:		message type (option 53), 0 if absent
 * @server_id:		server identifier (option 54), 0 if absent
 * @requested_ip:	requested address (option 50), 0 if absent
 */
struct dhcp_request {
	int type;
	uint32_t server_id;
	uint32_t requested_ip;
};

/* Walk the options; return -EINVAL if one runs past the end. */
static int dhcp_parse_options(const uint8_t *opt, size_t len,
			      struct dhcp_request *r)
{
	size_t i = 0;

	while (i < len) {
		uint8_t code = opt[i], olen;

		if (code == OPT_END)
			return 0;
		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (i + 2 > len)
			return -EINVAL;
		olen = opt[i + 1];
		if (i + 2 + olen > len)
			return -EINVAL;

		if (code == OPT_MESSAGE_TYPE && olen == 1)
			r->type = opt[i + 2];
		else if (code == OPT_SERVER_ID && olen == 4)
			memcpy(&r->server_id, opt + i + 2, 4);
		else if (code == OPT_REQUESTED_IP && olen == 4)
			memcpy(&r->requested_ip, opt + i + 2, 4);
		i += 2 + (size_t)olen;
	}
	return 0; /* a missing END option is tolerated */
}

static uint8_t *dhcp_put_option(uint8_t *p, uint8_t code, const void *data,
				 uint8_t len)
{
	p[0] = code;
	p[1] = len;
	memcpy(p + 2, data, len);
	return p + 2 + len;
}

static uint8_t *dhcp_put_u32(uint8_t *p, uint8_t code, uint32_t host_value)
{
	uint8_t v[4];

	put_be32(v, host_value);
	return dhcp_put_option(p, code, v, 4);
}

/* Write the reply's options; return the end of the options. */
static uint8_t *dhcp_put_options(const struct dhcp_params *params, int type,
				 bool lease, uint8_t *p)
{
	uint32_t broadcast = params->guest | ~params->netmask;
	uint8_t mtu[2], t = (uint8_t)type;

	p = dhcp_put_option(p, OPT_MESSAGE_TYPE, &t, 1);
	p = dhcp_put_option(p, OPT_SERVER_ID, &params->server, 4);
	if (type == DHCP_NAK)
		goto end;

	if (lease) {
		p = dhcp_put_u32(p, OPT_LEASE_TIME, params->lease_time);
		p = dhcp_put_u32(p, OPT_RENEWAL_TIME, params->lease_time / 2);
		p = dhcp_put_u32(p, OPT_REBINDING_TIME,
				 params->lease_time / 8 * 7);
	}
	p = dhcp_put_option(p, OPT_SUBNET_MASK, &params->netmask, 4);
	p = dhcp_put_option(p, OPT_ROUTER, &params->server, 4);
	p = dhcp_put_option(p, OPT_DNS, &params->server, 4);
	p = dhcp_put_option(p, OPT_BROADCAST, &broadcast, 4);
	put_be16(mtu, (uint16_t)params->mtu);
	p = dhcp_put_option(p, OPT_MTU, mtu, 2);
end:
	*p++ = OPT_END;
	return p;
}

/* Decide the reply type for a request; 0 means no reply. */
static int dhcp_reply_type(const struct dhcp_params *params,
			   const struct dhcp_request *r, uint32_t ciaddr)
{
	uint32_t requested;

	switch (r->type) {
	case DHCP_DISCOVER:
		return DHCP_OFFER;
	case DHCP_REQUEST:
		if (r->server_id && r->server_id != params->server)
			return 0; /* the client chose another server */
		requested = r->requested_ip ? r->requested_ip : ciaddr;
		return requested == params->guest ? DHCP_ACK : DHCP_NAK;
	case DHCP_INFORM:
		return DHCP_ACK;
	default:
		return 0; /* DECLINE, RELEASE and unknown types */
	}
}

/**
 * dhcp_build_reply() - build the reply to a client's DHCP message
 * @params:	what the server hands out
 * @req:	UDP payload of the request
 * @len:	bytes in @req
 * @out:	DHCP_REPLY_MAX bytes for the reply
 * @reply:	filled with the reply's type, length and destination
 *
 * Return: 1 if @out contains a reply to send, 0 if the message needs no
 *	   reply, -EINVAL if it is malformed or not an Ethernet DHCP request
 */
int dhcp_build_reply(const struct dhcp_params *params, const uint8_t *req,
		     size_t len, uint8_t *out, struct dhcp_reply *reply)
{
	struct dhcp_request r = {0};
	uint32_t ciaddr, giaddr;
	uint8_t *end;
	int type;

	if (len < DHCP_OPTIONS || req[0] != BOOTP_REQUEST || req[1] != 1 ||
	    req[2] != 6 || get_be32(req + BOOTP_FIXED_LEN) != DHCP_MAGIC)
		return -EINVAL;
	if (dhcp_parse_options(req + DHCP_OPTIONS, len - DHCP_OPTIONS, &r))
		return -EINVAL;

	memcpy(&ciaddr, req + 12, 4);
	memcpy(&giaddr, req + 24, 4);
	if (giaddr)
		return 0; /* relayed requests are not served */
	type = dhcp_reply_type(params, &r, ciaddr);
	if (!type)
		return 0;

	memset(out, 0, DHCP_REPLY_MAX);
	out[0] = BOOTP_REPLY;
	out[1] = 1;
	out[2] = 6;
	memcpy(out + 4, req + 4, 4);	 /* xid */
	memcpy(out + 10, req + 10, 2);	 /* flags */
	memcpy(out + 28, req + 28, 16); /* chaddr */
	if (r.type == DHCP_INFORM)
		memcpy(out + 12, &ciaddr, 4);
	else if (type != DHCP_NAK)
		memcpy(out + 16, &params->guest, 4); /* yiaddr */
	if (type != DHCP_NAK)
		memcpy(out + 20, &params->server, 4); /* siaddr, 0 in a NAK */
	put_be32(out + BOOTP_FIXED_LEN, DHCP_MAGIC);

	end = dhcp_put_options(params, type, r.type != DHCP_INFORM,
			       out + DHCP_OPTIONS);

	reply->type = type;
	reply->request = r.type;
	memcpy(reply->chaddr, req + 28, 6);
	reply->dst = ciaddr && type != DHCP_NAK ? ciaddr : INADDR_BROADCAST;
	reply->len = MAX((size_t)(end - out), (size_t)BOOTP_MIN_LEN);
	return 1;
}

/**
 * dhcp_input() - answer a DHCP message from the guest
 * @gw:		gateway
 * @p:		the IPv4 packet carrying it
 * @payload:	UDP payload
 * @len:	bytes in @payload
 */
void dhcp_input(struct gateway *gw, const struct ipv4_packet *p,
		const uint8_t *payload, size_t len)
{
	const struct config *cfg = gw->cfg;
	struct dhcp_params params = {
		.server = cfg->gateway,
		.guest = cfg->guest,
		.netmask = config_netmask(cfg),
		.mtu = cfg->mtu,
		.lease_time = cfg->lease_time,
	};
	uint8_t out[DHCP_REPLY_MAX];
	struct dhcp_reply reply;
	int ret;

	ret = dhcp_build_reply(&params, payload, len, out, &reply);
	if (ret <= 0) {
		stats.drop_dhcp++;
		if (ret < 0)
			log_ratelimited(LOG_WARN, "dhcp: malformed message "
						  "from the guest dropped");
		return;
	}

	if (udp_send_frame(gw, reply.chaddr, cfg->gateway, DHCP_SERVER_PORT,
			   reply.dst, DHCP_CLIENT_PORT, out, reply.len))
		return;

	if (reply.type == DHCP_OFFER)
		stats.dhcp_offers++;
	else if (reply.type == DHCP_ACK)
		stats.dhcp_acks++;
	else
		stats.dhcp_naks++;
	/* Rate-limited, because each line follows one message from the
	 * guest. */
	if (reply.type == DHCP_ACK && reply.request == DHCP_REQUEST)
		log_ratelimited(LOG_INFO,
				"dhcp: leased %s to the guest, MTU %u, "
				"lease %u s",
				inet_ntoa(*(struct in_addr *)&cfg->guest),
				cfg->mtu, cfg->lease_time);
	else if (reply.type == DHCP_NAK)
		log_ratelimited(LOG_INFO, "dhcp: sent a NAK to a request for "
					  "an address other than the guest's");
}
