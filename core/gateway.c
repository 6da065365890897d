// SPDX-License-Identifier: MIT
/*
 * gateway.c - the state of one guest's gateway and its lifecycle
 *
 * The gateway wires the link to the protocol modules, runs the periodic
 * tick (lwIP timers, the idle reaper, capture flushing), resumes flows
 * paused by a congested link, and drops all of a guest's state when the
 * guest goes away so that the next guest starts clean.
 */

#include <string.h>

#include "eth.h"
#include "gateway.h"
#include "log.h"
#include "pcap.h"
#include "stack.h"
#include "stats.h"
#include "tcp.h"
#include "util.h"

#define GATEWAY_TICK_SECONDS 0.1
#define GATEWAY_REAP_MS	     1000

static void gateway_frame(void *opaque, const uint8_t *frame, size_t len)
{
	eth_input(opaque, frame, len);
}

static void gateway_up(void *opaque)
{
}

/* Drop every flow without sending anything to the gone guest. */
static void gateway_reset_flows(struct gateway *gw)
{
	while (gw->flows.all)
		gw->flows.all->ops->reset(gw->flows.all);
	stack_reset();
}

static void gateway_down(void *opaque)
{
	struct gateway *gw = opaque;

	gateway_reset_flows(gw);
	gw->guest_mac_known = false;
	log_info("gateway: guest state cleared");
}

static void gateway_drained(void *opaque)
{
	struct gateway *gw = opaque;

	while (gw->paused.head && !link_congested(&gw->link)) {
		struct flow *f = gw->paused.head;

		flow_list_del(&gw->paused, f);
		f->ops->resume(f);
	}
}

/**
 * gateway_pause_flow() - park a flow until the guest link drains
 * @gw:	gateway
 * @f:	a flow that stopped reading its host socket
 */
void gateway_pause_flow(struct gateway *gw, struct flow *f)
{
	flow_list_add(&gw->paused, f);
}

static void gateway_reap(struct gateway *gw, int64_t now)
{
	struct flow *f, *next;

	for (f = gw->flows.all; f; f = next) {
		next = f->next;
		f->ops->reap(f, now);
	}
}

static void gateway_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gateway *gw = container_of(w, struct gateway, tick_w);
	int64_t now = now_ms();

	stack_timers();
	if (now - gw->last_reap >= GATEWAY_REAP_MS) {
		gw->last_reap = now;
		gateway_reap(gw, now);
		pcap_flush();
	}
}

/**
 * gateway_init() - set up the gateway and open the guest link
 * @gw:		gateway to set up
 * @cfg:	configuration, which must outlive @gw
 * @loop:	event loop
 *
 * Return: 0 on success, negative errno (the link's error names the
 *	   address in the log)
 */
int gateway_init(struct gateway *gw, const struct config *cfg,
		 struct ev_loop *loop)
{
	static const struct link_handler handler = {
		.frame = gateway_frame,
		.up = gateway_up,
		.down = gateway_down,
		.drained = gateway_drained,
	};
	int ret;

	memset(gw, 0, sizeof(*gw));
	gw->cfg = cfg;
	gw->loop = loop;
	guard_init(&gw->guard, cfg->allow_net, cfg->allow_net_count);

	ret = flow_table_init(&gw->flows, cfg->max_tcp_flows +
						  cfg->max_udp_flows);
	if (ret)
		return ret;
	ret = tcp_relay_init(gw);
	if (ret)
		return ret;
	ret = stack_init(gw);
	if (ret)
		return ret;

	ev_timer_init(&gw->tick_w, gateway_tick_cb, GATEWAY_TICK_SECONDS,
		      GATEWAY_TICK_SECONDS);
	ev_timer_start(loop, &gw->tick_w);

	ret = link_open(&gw->link, loop, cfg->link_kind, cfg->link_address,
			cfg->link_peer, &handler, gw);
	if (ret)
		log_msg_errno(LOG_ERR, -ret, "gateway: cannot open link %s",
			      cfg->link_address);
	return ret;
}

/**
 * gateway_shutdown() - close every flow and the link
 * @gw:	gateway
 */
void gateway_shutdown(struct gateway *gw)
{
	gw->stopping = true;
	ev_timer_stop(gw->loop, &gw->tick_w);
	gateway_reset_flows(gw);
	link_close(&gw->link);
	tcp_relay_free();
	flow_table_free(&gw->flows);
}
