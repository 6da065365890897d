// SPDX-License-Identifier: MIT
/* fuzz_frame.c - libFuzzer target for everything a guest's frames reach */

/*
 * Each input is a byte stream as it arrives on a QEMU stream link: 4-byte
 * big-endian lengths, each followed by an Ethernet frame. link_stream_parse()
 * splits it, and every frame goes to eth_input() of a real gateway, so ARP,
 * IPv4, ICMP, UDP, DHCP, the TCP relay and lwIP all see fuzzed bytes.
 *
 * SAFETY: input can make the TCP and UDP relays dial any address, and the
 * DNS server forwards queries to the resolvers in /etc/resolv.conf. So
 * LLVMFuzzerInitialize() moves the process into a new network namespace,
 * and aborts unless that contains nothing but a loopback device that is
 * down. Every connect() and send() to the outside then fails with
 * ENETUNREACH, unless the guard, which forbids loopback by default, stops
 * it first. This needs root (CAP_SYS_ADMIN).
 *
 * The event loop is created but never run, so no dial completes and no
 * timer fires. The target covers what one batch of guest input does
 * synchronously. Frames that sluice sends back are queued on the link
 * (which is never flushed) and checked: every one must be a well-formed
 * Ethernet frame holding an ARP reply or an IPv4 packet with valid
 * checksums that fits the MTU. Between inputs the guest's state is dropped
 * as when a guest disconnects, and the queue is cleared.
 *
 * Build with CC=clang and -DSLUICE_FUZZ=ON, then run as root, for example
 *   build/core/fuzz_frame -max_len=140000 NEW_CORPUS_DIR core/fuzz/frame
 * (a -max_len above 65553 lets inputs carry frames of the full MTU).
 */

/* lwIP's def.h defines htons() and friends as macros; glibc's netinet/in.h
 * redefines them without a warning only when it comes second. */
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arp.h"
#include "checksum.h"
#include "config.h"
#include "dns.h"
#include "eth.h"
#include "gateway.h"
#include "ipv4.h"
#include "log.h"
#include "stack.h"
#include "tcp.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_QUEUE_BYTES (4u << 20)

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_frame: %s:%d: %s\n", __FILE__,   \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

static struct config fuzz_cfg;
static struct gateway fuzz_gw;

/* The listening pcbs that exist without any guest traffic (the DNS server's
 * TCP listener); the relay adds its listeners in front of them. */
static struct tcp_pcb_listen *fuzz_base_listeners;

/* Abort unless the namespace has only a loopback device that is down, so
 * nothing the target dials can leave the process. */
static void fuzz_check_isolated(void)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa)) {
		perror("fuzz_frame: getifaddrs");
		abort();
	}
	for (i = ifa; i; i = i->ifa_next) {
		if (strcmp(i->ifa_name, "lo") || (i->ifa_flags & IFF_UP)) {
			fprintf(stderr,
				"fuzz_frame: interface %s (%s) in the "
				"new network namespace; refusing to "
				"run\n",
				i->ifa_name,
				i->ifa_flags & IFF_UP ? "up" : "down");
			abort();
		}
	}
	freeifaddrs(ifa);
}

static void fuzz_isolate(void)
{
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr,
			"fuzz_frame: unshare(CLONE_NEWNET) failed: "
			"%s. The target dials addresses taken from its "
			"input, so it runs only as root in a new "
			"network namespace.\n",
			strerror(errno));
		abort();
	}
	fuzz_check_isolated();
}

/**
 * LLVMFuzzerInitialize() - isolate the process and set up the gateway
 * @argc:	libFuzzer's argument count (unused)
 * @argv:	libFuzzer's arguments (unused)
 *
 * Sets up what gateway_init() does except loading rules and opening the
 * link: the link keeps a queue but no peer, and the event loop is never run.
 *
 * Return: 0; any failure aborts
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char arg0[] = "fuzz_frame", arg1[] = "--tap", arg2[] = "fuzz0";
	static char *args[] = {arg0, arg1, arg2, NULL};
	struct gateway *gw = &fuzz_gw;
	int fd;

	fuzz_isolate();
	log_init(LOG_ERR);

	FUZZ_CHECK(config_parse(&fuzz_cfg, 3, args) == 0);
	memset(gw, 0, sizeof(*gw));
	gw->cfg = &fuzz_cfg;
	gw->loop = EV_DEFAULT;
	guard_init(&gw->guard, fuzz_cfg.allow_net, fuzz_cfg.allow_net_count);
	FUZZ_CHECK(flow_table_init(&gw->flows, fuzz_cfg.max_tcp_flows +
						   fuzz_cfg.max_udp_flows) ==
		   0);
	FUZZ_CHECK(tcp_relay_init(gw) == 0);
	FUZZ_CHECK(stack_init(gw) == 0);
	FUZZ_CHECK(dns_init(gw) == 0);
	fuzz_base_listeners = tcp_listen_pcbs.listen_pcbs;

	/* link_send() only needs a descriptor that is not -1 to queue a
	 * frame; the queue is never flushed, so nothing is written to it. */
	FUZZ_CHECK(frameq_init(&gw->link.txq, FUZZ_QUEUE_BYTES) == 0);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	gw->link.fd = fd;
	gw->link.listen_fd = -1;
	return 0;
}

/* Whether the TCP or UDP checksum of @p (pseudo-header included) is valid. */
static bool fuzz_l4_checksum_ok(const struct ipv4_packet *p)
{
	size_t len = p->len - p->hlen;
	uint32_t sum;

	sum = csum_add(0, &p->src, 4);
	sum = csum_add(sum, &p->dst, 4);
	sum += p->proto + (uint32_t)len;
	sum = csum_add(sum, p->data + p->hlen, len);
	return csum_fold(sum) == 0;
}

static void fuzz_check_ip4_output(const uint8_t *pkt, size_t len)
{
	const uint8_t *l4;
	struct ipv4_packet p;

	FUZZ_CHECK(ipv4_parse(pkt, len, &p) == 0);
	FUZZ_CHECK(p.len == len);
	FUZZ_CHECK(p.len <= fuzz_cfg.mtu);
	l4 = pkt + p.hlen;

	switch (p.proto) {
	case IPPROTO_TCP:
		FUZZ_CHECK(p.len - p.hlen >= 20);
		FUZZ_CHECK(fuzz_l4_checksum_ok(&p));
		break;
	case IPPROTO_UDP:
		FUZZ_CHECK(p.len - p.hlen >= 8);
		FUZZ_CHECK(get_be16(l4 + 4) == p.len - p.hlen);
		FUZZ_CHECK(get_be16(l4 + 6) != 0);
		FUZZ_CHECK(fuzz_l4_checksum_ok(&p));
		break;
	case IPPROTO_ICMP:
		FUZZ_CHECK(p.len - p.hlen >= 8);
		FUZZ_CHECK(csum_fold(csum_add(0, l4, p.len - p.hlen)) == 0);
		break;
	default:
		FUZZ_CHECK(!"sluice sent an IPv4 protocol it does not speak");
	}
}

/* Check every frame sluice queued for the guest, then drop them. */
static void fuzz_check_output(struct gateway *gw)
{
	struct frameq *q = &gw->link.txq;
	const uint8_t *frame;
	size_t len;

	while (!frameq_peek(q, &frame, &len)) {
		FUZZ_CHECK(len >= ETH_HLEN);
		FUZZ_CHECK(!memcmp(frame + ETH_ALEN, fuzz_cfg.mac, ETH_ALEN));

		switch (get_be16(frame + 12)) {
		case ETH_TYPE_ARP:
			FUZZ_CHECK(len == ETH_HLEN + ARP_LEN);
			FUZZ_CHECK(get_be16(frame + ETH_HLEN + 6) == 2);
			FUZZ_CHECK(
			    !memcmp(frame, frame + ETH_HLEN + 18, ETH_ALEN));
			break;
		case ETH_TYPE_IP4:
			fuzz_check_ip4_output(frame + ETH_HLEN, len - ETH_HLEN);
			break;
		default:
			FUZZ_CHECK(!"sluice sent an unknown ethertype");
		}
		frameq_consume(q, FRAMEQ_PREFIX + len);
	}
	gw->link.congested = false;
}

/* Drop the guest's state the way the gateway does when a guest goes away,
 * and also the listening pcbs, so that inputs do not affect each other. */
static void fuzz_reset(struct gateway *gw)
{
	gateway_forget_guest(gw);
	if (tcp_listen_pcbs.listen_pcbs != fuzz_base_listeners) {
		/* Rebuilding the 65536-entry listener table costs more than
		 * the rest of an input, so only do it when it is in use. */
		tcp_relay_free();
		FUZZ_CHECK(tcp_relay_init(gw) == 0);
	}
	frameq_clear(&gw->link.txq);
	gw->link.congested = false;

	FUZZ_CHECK(gw->flows.tcp_count == 0);
	FUZZ_CHECK(gw->flows.udp_count == 0);
	FUZZ_CHECK(gw->paused.head == NULL);
	FUZZ_CHECK(tcp_active_pcbs == NULL);
	FUZZ_CHECK(tcp_tw_pcbs == NULL);
	FUZZ_CHECK(tcp_listen_pcbs.listen_pcbs == fuzz_base_listeners);
}

/* The link's frame handler: empty frames are dropped before the gateway,
 * as link_deliver() does. */
static void fuzz_frame(void *opaque, const uint8_t *frame, size_t len)
{
	struct gateway *gw = opaque;

	if (!len)
		return;
	eth_input(gw, frame, len);
	fuzz_check_output(gw);
}

/**
 * LLVMFuzzerTestOneInput() - libFuzzer entry point
 * @data:	a QEMU stream byte stream from the guest
 * @size:	bytes in @data
 *
 * Return: 0, as libFuzzer requires
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A negative result is the framing error that resets a real link;
	 * the frames before it were delivered all the same. */
	link_stream_parse(data, size, fuzz_frame, &fuzz_gw);
	fuzz_reset(&fuzz_gw);
	return 0;
}
