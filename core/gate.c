// SPDX-License-Identifier: MIT
/*
 * gate.c - where each new flow asks the rules whether it may go
 *
 * Without a rules directory every flow is allowed here; the address guard
 * in the dialer still applies.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include "flow.h"
#include "gate.h"
#include "gateway.h"
#include "log.h"

static const char *gate_proto_name(const struct flow *f)
{
	return f->key.proto == IPPROTO_TCP ? "tcp" : "udp";
}

/**
 * gate_connect() - decide whether a new flow may be dialled
 * @gw:	gateway
 * @f:	the flow, inserted in the table, not yet dialled
 *
 * Return: 0 if allowed, -EACCES if denied
 */
int gate_connect(struct gateway *gw, struct flow *f)
{
	char dst[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &f->key.dst, dst, sizeof(dst));
	log_debug("gate: flow %llu %s to %s:%u allowed (no rules)",
		  (unsigned long long)f->id, gate_proto_name(f), dst,
		  f->key.dport);
	return 0;
}

/**
 * gate_flow_refused() - record that an allowed flow could not be dialled
 * @gw:		gateway
 * @f:		the flow
 * @why:	the guard range or the upstream error
 */
void gate_flow_refused(struct gateway *gw, struct flow *f, const char *why)
{
	char dst[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &f->key.dst, dst, sizeof(dst));
	log_ratelimited(LOG_INFO, "gate: flow %llu %s to %s:%u refused: %s",
			(unsigned long long)f->id, gate_proto_name(f), dst,
			f->key.dport, why);
}

/**
 * gate_flow_end() - record a finished flow
 * @gw:		gateway
 * @f:		the flow, about to be freed
 * @reason:	why it ended
 */
void gate_flow_end(struct gateway *gw, struct flow *f, const char *reason)
{
	log_debug("gate: flow %llu ended (%s): %llu bytes up, %llu down",
		  (unsigned long long)f->id, reason,
		  (unsigned long long)f->bytes_up,
		  (unsigned long long)f->bytes_down);
}
