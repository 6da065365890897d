// SPDX-License-Identifier: MIT
/*
 * gate.c - where each new flow asks the rules whether it may go
 *
 * gate_connect() turns a new flow into a connect event, has the current
 * rules generation decide it, writes the decision to the audit log, and
 * keeps a reference to the generation in the flow, so the flow is decided
 * by exactly one generation even if the rules reload meanwhile. Without a
 * rules directory every flow is allowed here; the address guard in the
 * dialer applies either way. When the flow ends, gate_flow_end() writes
 * its byte counts and duration to the audit log.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "dns.h"
#include "flow.h"
#include "gate.h"
#include "gateway.h"
#include "log.h"
#include "policy.h"
#include "stats.h"
#include "util.h"

/**
 * struct gate_text - text forms of a flow's addresses for events and logs
 * @src:	guest address
 * @dst:	destination address
 * @upstream:	address dialled, or "" before the dial
 */
struct gate_text {
	char src[INET_ADDRSTRLEN];
	char dst[INET_ADDRSTRLEN];
	char upstream[INET_ADDRSTRLEN];
};

static const char *gate_proto_name(const struct flow *f)
{
	return f->key.proto == IPPROTO_TCP ? "tcp" : "udp";
}

static void gate_format(const struct flow *f, struct gate_text *t)
{
	inet_ntop(AF_INET, &f->key.src, t->src, sizeof(t->src));
	inet_ntop(AF_INET, &f->key.dst, t->dst, sizeof(t->dst));
	t->upstream[0] = '\0';
	if (f->upstream)
		inet_ntop(AF_INET, &f->upstream, t->upstream,
			  sizeof(t->upstream));
}

/**
 * gate_connect() - decide whether a new flow may be dialled
 * @gw:	gateway
 * @f:	the flow, inserted in the table (so it has an id), not yet dialled
 *
 * Sets f->name to the DNS name the destination is attributed to, and keeps
 * a synthetic destination bound to it until gate_flow_end().
 *
 * Return: 0 if allowed, -EACCES if denied
 */
int gate_connect(struct gateway *gw, struct flow *f)
{
	struct policy_event ev = {.type = POLICY_EVENT_CONNECT};
	const char *name = dns_name_of(gw, f->key.dst);
	struct gate_text t;
	struct verdict v;

	if (name)
		f->name = strdup(name);
	dns_hold(gw, f->key.dst);
	if (!gw->policy)
		return 0;

	gate_format(f, &t);
	ev.id = f->id;
	ev.time = f->started_wall;
	ev.src = t.src;
	ev.src_port = f->key.sport;
	ev.connect.proto = gate_proto_name(f);
	ev.connect.dst = t.dst;
	ev.connect.name = f->name;
	ev.connect.port = f->key.dport;

	policy_decide(gw->policy, &ev, &v);
	stats.policy_decisions++;
	if (v.failed) {
		stats.policy_failures++;
		log_ratelimited(LOG_WARN, "gate: rule failed for flow %llu, "
					  "denied: %s",
				(unsigned long long)f->id, v.error);
	}
	audit_decision(&ev, &v);

	if (v.action != VERDICT_ALLOW) {
		log_ratelimited(LOG_INFO, "gate: flow %llu %s to %s%s%s:%u "
					  "denied by %s: %s",
				(unsigned long long)f->id, ev.connect.proto,
				f->name ? f->name : "", f->name ? " at " : "",
				t.dst, f->key.dport,
				v.rule[0] ? v.rule : "the default verdict",
				v.reason[0] ? v.reason : "no reason given");
		return -EACCES;
	}
	f->policy = policy_ref(gw->policy);
	return 0;
}

/**
 * gate_flow_refused() - record that an allowed flow could not be dialled
 * @gw:		gateway
 * @f:		the flow, with f->upstream the address refused
 * @why:	the guard range or the upstream error
 * @guard:	the address guard refused the address
 */
void gate_flow_refused(struct gateway *gw, struct flow *f, const char *why,
		       bool guard)
{
	struct gate_text t;

	gate_format(f, &t);
	if (guard)
		log_ratelimited(LOG_INFO, "gate: flow %llu %s to %s%s%s:%u "
					  "refused by the address guard: %s "
					  "is %s (exempt it with --allow-net)",
				(unsigned long long)f->id, gate_proto_name(f),
				f->name ? f->name : "", f->name ? " at " : "",
				t.dst, f->key.dport, t.upstream, why);
	else
		log_ratelimited(LOG_INFO, "gate: flow %llu %s to %s%s%s:%u "
					  "(upstream %s) refused: %s",
				(unsigned long long)f->id, gate_proto_name(f),
				f->name ? f->name : "", f->name ? " at " : "",
				t.dst, f->key.dport,
				t.upstream[0] ? t.upstream : "none", why);
}

const char gate_idle_timeout[] = "idle timeout";

/**
 * gate_flow_end() - record a finished flow and release its generation
 * @gw:		gateway
 * @f:		the flow, about to be freed
 * @reason:	why it ended
 */
void gate_flow_end(struct gateway *gw, struct flow *f, const char *reason)
{
	struct gate_text t;
	struct audit_flow af;

	gate_format(f, &t);
	af.id = f->id;
	af.proto = gate_proto_name(f);
	af.src = t.src;
	af.src_port = f->key.sport;
	af.dst = t.dst;
	af.port = f->key.dport;
	af.name = f->name;
	af.upstream = t.upstream[0] ? t.upstream : NULL;
	af.bytes_from_guest = f->bytes_up;
	af.bytes_to_guest = f->bytes_down;
	af.start = f->started_wall;
	af.end = wall_time();
	/* An idle flow ended at its last data, not when the reaper saw it. */
	if (!strcmp(reason, gate_idle_timeout))
		af.end -= (double)(now_ms() - f->last_active) / 1000.0;
	if (af.end < af.start)
		af.end = af.start;
	af.close_reason = reason;
	af.generation = f->policy ? policy_generation(f->policy) : 0;

	/* Flows that the rules never allowed were audited as denials. */
	if (f->policy || !gw->policy)
		audit_flow(&af);
	log_debug("gate: flow %llu %s to %s%s%s:%u ended (%s): %llu bytes up, "
		  "%llu down",
		  (unsigned long long)f->id, af.proto, f->name ? f->name : "",
		  f->name ? " at " : "", t.dst, f->key.dport, reason,
		  (unsigned long long)f->bytes_up,
		  (unsigned long long)f->bytes_down);

	if (f->policy)
		policy_unref(f->policy);
	f->policy = NULL;
	dns_release(gw, f->key.dst);
	free(f->name);
	f->name = NULL;
}
