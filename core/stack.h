/* SPDX-License-Identifier: MIT */
/* stack.h - lwIP glue: the netif, the input hook and lwIP's timers */

#ifndef SLUICE_STACK_H
#define SLUICE_STACK_H

#include <stdint.h>
#include <stdio.h>

struct gateway;
struct ipv4_packet;
struct pbuf;

int stack_init(struct gateway *gw);
void stack_input(struct gateway *gw, const struct ipv4_packet *p);
void stack_deliver(struct pbuf *p);
void stack_timers(void);
void stack_reset(void);
void stack_print(FILE *out);
void stack_forget_connection(uint32_t src, uint16_t sport, uint32_t dst,
			     uint16_t dport);

#endif /* SLUICE_STACK_H */
