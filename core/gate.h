/* SPDX-License-Identifier: MIT */
/* gate.h - where each new flow asks the rules whether it may go */

#ifndef SLUICE_GATE_H
#define SLUICE_GATE_H

#include <stdbool.h>

struct flow;
struct gateway;

int gate_connect(struct gateway *gw, struct flow *f);
void gate_flow_refused(struct gateway *gw, struct flow *f, const char *why,
		       bool guard);

/* Close reason of a flow that the idle timeout ended. Its duration ends at
 * its last data. */
extern const char gate_idle_timeout[];

void gate_flow_end(struct gateway *gw, struct flow *f, const char *reason);

#endif /* SLUICE_GATE_H */
