/* SPDX-License-Identifier: MIT */
/* gateway.h - the state of one guest's gateway and its lifecycle */

#ifndef SLUICE_GATEWAY_H
#define SLUICE_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <ev.h>

#include "config.h"
#include "flow.h"
#include "guard.h"
#include "link.h"

struct policy;
struct dns_server;
struct rules_watch;

/**
 * struct gateway - everything sluice keeps for the guest
 * @cfg:		configuration from the command line
 * @loop:		event loop
 * @link:		the guest link
 * @guest_mac:		the guest's MAC address, learned from its frames
 * @guest_mac_known:	@guest_mac is valid
 * @guard:		upstream address guard
 * @flows:		TCP and UDP flows
 * @paused:		flows whose host-side reads wait for the guest queue
 *			to drain
 * @policy:		current rules generation, or NULL without rules
 * @generation:		number of the current rules generation
 * @watch:		inotify watch on the rules directory, or NULL
 * @dns:		the DNS server on the gateway address, or NULL
 * @tick_w:		periodic timer: lwIP timers, idle reaper, flushing
 * @last_reap:		when the reaper last ran, milliseconds (monotonic)
 * @ip_id:		identification field for IPv4 packets sluice builds
 * @stopping:		shutdown in progress
 */
struct gateway {
	const struct config *cfg;
	struct ev_loop *loop;
	struct link link;
	uint8_t guest_mac[6];
	bool guest_mac_known;
	struct guard guard;
	struct flow_table flows;
	struct flow_list paused;
	struct policy *policy;
	unsigned generation;
	struct rules_watch *watch;
	struct dns_server *dns;
	ev_timer tick_w;
	int64_t last_reap;
	uint16_t ip_id;
	bool stopping;
};

int gateway_init(struct gateway *gw, const struct config *cfg,
		 struct ev_loop *loop);
void gateway_shutdown(struct gateway *gw);
void gateway_pause_flow(struct gateway *gw, struct flow *f);
void gateway_forget_guest(struct gateway *gw);
void gateway_print_flows(struct gateway *gw, FILE *out);
void gateway_print_rules(struct gateway *gw, FILE *out);
void gateway_reload_rules(struct gateway *gw, const char *trigger);

#endif /* SLUICE_GATEWAY_H */
