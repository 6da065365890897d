// SPDX-License-Identifier: MIT
/*
 * gateway.c - the state of one guest's gateway and its lifecycle
 *
 * The gateway wires the link to the protocol modules, runs the periodic
 * tick (lwIP timers, the idle reaper, capture flushing), resumes flows
 * paused by a congested link, and drops all of a guest's state when the
 * guest goes away so that the next guest starts clean.
 */

#include <arpa/inet.h>
#include <limits.h>
#include <string.h>

#include "audit.h"
#include "dns.h"
#include "eth.h"
#include "gateway.h"
#include "log.h"
#include "pcap.h"
#include "policy.h"
#include "rules_watch.h"
#include "stack.h"
#include "stats.h"
#include "tcp.h"
#include "util.h"

#define GATEWAY_TICK_SECONDS 0.1
#define GATEWAY_REAP_MS	     1000
#define GATEWAY_RULES_SETTLE 0.2 /* seconds of quiet before a reload */

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

/**
 * gateway_forget_guest() - drop all state of a guest that went away: its
 * flows, its lwIP connections, its DNS queries in flight and its MAC
 * @gw:	gateway
 */
void gateway_forget_guest(struct gateway *gw)
{
	gateway_reset_flows(gw);
	dns_reset(gw);
	gw->guest_mac_known = false;
}

static void gateway_down(void *opaque)
{
	gateway_forget_guest(opaque);
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
	audit_flush();
	if (now - gw->last_reap >= GATEWAY_REAP_MS) {
		gw->last_reap = now;
		gateway_reap(gw, now);
		dns_tick(gw, now);
		pcap_flush();
		log_ratelimit_flush(false);
	}
}

/* Say which ranges the address guard lets through, loudly for all. */
static void gateway_log_exemptions(const struct config *cfg)
{
	char text[INET6_ADDRSTRLEN];
	unsigned i;

	for (i = 0; i < cfg->allow_net_count; i++) {
		const struct guard_net *n = &cfg->allow_net[i];

		inet_ntop(n->family, n->addr, text, sizeof(text));
		if (n->prefix == 0)
			log_warn("guard: --allow-net %s/0 turns the address "
				 "guard off for every %s address",
				 text, n->family == AF_INET ? "IPv4" : "IPv6");
		else
			log_info("guard: %s/%u is exempt (--allow-net)", text,
				 n->prefix);
	}
}

static void gateway_policy_opts(const struct gateway *gw,
				struct policy_opts *opts)
{
	const struct config *cfg = gw->cfg;

	opts->rules_dir = cfg->rules_dir;
	opts->lua_dir = cfg->lua_dir;
	opts->default_allow = cfg->default_allow;
	opts->budget = cfg->rule_budget;
	opts->memory_limit = cfg->rule_memory;
	opts->generation = gw->generation + 1;
}

/**
 * gateway_reload_rules() - build a new rules generation and switch to it
 * @gw:		gateway
 * @trigger:	what asked for the reload, for the log ("SIGHUP", ...)
 *
 * On any error the generation in force stays, and the error (with
 * file:line) goes to the log and the audit log.
 */
void gateway_reload_rules(struct gateway *gw, const char *trigger)
{
	char err[512], text[PATH_MAX + sizeof(err)];
	struct policy_opts opts;
	int ret;

	if (!gw->cfg->rules_dir)
		return;
	gateway_policy_opts(gw, &opts);
	ret = policy_reload(&gw->policy, &opts, err, sizeof(err));
	if (ret == POLICY_UNCHANGED) {
		log_info("rules: unchanged after %s, generation %u stays in "
			 "force with its counters",
			 trigger, gw->generation);
		audit_reload(wall_time(), gw->generation, NULL);
		return;
	}
	if (ret) {
		stats.rules_reload_failures++;
		log_err("rules: reload after %s failed, generation %u stays in "
			"force: %s",
			trigger, gw->generation,
			policy_error_path(gw->cfg->rules_dir, err, text,
					  sizeof(text)));
		audit_reload(wall_time(), gw->generation, err);
		return;
	}
	gw->generation = opts.generation;
	log_info("rules: generation %u loaded from %s after %s",
		 gw->generation, gw->cfg->rules_dir, trigger);
	audit_reload(wall_time(), gw->generation, NULL);
}

static void gateway_rules_changed(void *arg)
{
	gateway_reload_rules(arg, "a change in the rules directory");
}

/* Load the first generation; an error here stops sluice from starting. */
static int gateway_load_rules(struct gateway *gw)
{
	char err[512], text[PATH_MAX + sizeof(err)];
	struct policy_opts opts;
	int ret;

	if (!gw->cfg->rules_dir) {
		log_info("rules: no rules directory, every flow the address "
			 "guard admits is allowed");
		return 0;
	}
	gateway_policy_opts(gw, &opts);
	ret = policy_load(&opts, &gw->policy, err, sizeof(err));
	if (ret) {
		log_err("rules: cannot load the rules: %s",
			policy_error_path(gw->cfg->rules_dir, err, text,
					  sizeof(text)));
		return ret;
	}
	gw->generation = opts.generation;
	log_info("rules: generation %u loaded from %s (sluice Lua modules "
		 "from %s)",
		 gw->generation, gw->cfg->rules_dir, gw->cfg->lua_dir);
	audit_reload(wall_time(), gw->generation, NULL);

	ret = rules_watch_start(gw->loop, gw->cfg->rules_dir,
				GATEWAY_RULES_SETTLE, gateway_rules_changed, gw,
				&gw->watch);
	if (ret)
		log_msg_errno(LOG_WARN, -ret, "rules: cannot watch %s for "
			      "changes; reload with SIGHUP",
			      gw->cfg->rules_dir);
	return 0;
}

/**
 * gateway_print_flows() - print how many flows are open now, in the format
 * of stats_print()
 * @gw:		gateway
 * @out:	where to print
 */
void gateway_print_flows(struct gateway *gw, FILE *out)
{
	fprintf(out, "%-26s %12u  # %s\n", "tcp_flows_open",
		gw->flows.tcp_count, "TCP connections relayed now");
	fprintf(out, "%-26s %12u  # %s\n", "udp_flows_open",
		gw->flows.udp_count, "UDP flows relayed now");
}

/**
 * gateway_print_rules() - print the counters of the rules generation in
 * force: decisions, failures and hits and errors per rule
 * @gw:		gateway
 * @out:	where to print
 */
void gateway_print_rules(struct gateway *gw, FILE *out)
{
	struct policy_rule_counter counters[256];
	struct policy_stats st;
	int n, i;

	if (!gw->policy)
		return;
	policy_stats(gw->policy, &st);
	fprintf(out, "rules generation %u: %llu decisions, %llu by the default "
		     "verdict, %llu failed closed "
		     "(%llu rule errors, %llu out of budget, %llu over the "
		     "memory limit), %zu KiB of %zu MiB used\n",
		gw->generation, (unsigned long long)st.decisions,
		(unsigned long long)st.defaults,
		(unsigned long long)st.failures,
		(unsigned long long)(st.failures - st.budget_exhausted -
				     st.memory_errors),
		(unsigned long long)st.budget_exhausted,
		(unsigned long long)st.memory_errors, st.memory_used >> 10,
		st.memory_limit >> 20);

	n = policy_counters(gw->policy, counters, ARRAY_SIZE(counters));
	for (i = 0; i < n && i < (int)ARRAY_SIZE(counters); i++)
		fprintf(out, "rule %-32s hits %10llu  errors %6llu\n",
			counters[i].rule, (unsigned long long)counters[i].hits,
			(unsigned long long)counters[i].errors);
	if (n > (int)ARRAY_SIZE(counters))
		fprintf(out, "(%d more rules not shown)\n",
			n - (int)ARRAY_SIZE(counters));
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
	gateway_log_exemptions(cfg);

	ret = gateway_load_rules(gw);
	if (ret)
		return ret;
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
	ret = dns_init(gw);
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
	dns_free(gw);
	link_close(&gw->link);
	tcp_relay_free();
	flow_table_free(&gw->flows);
	if (gw->watch)
		rules_watch_stop(gw->watch);
	policy_unref(gw->policy);
	gw->policy = NULL;
}
