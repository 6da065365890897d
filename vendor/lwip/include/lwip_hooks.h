/* SPDX-License-Identifier: MIT */
/* lwip_hooks.h - declarations of the sluice functions that lwIP calls */

#ifndef SLUICE_LWIP_HOOKS_H
#define SLUICE_LWIP_HOOKS_H

struct pbuf;
struct netif;

int stack_ip4_input_hook(struct pbuf *p, struct netif *inp);

#endif /* SLUICE_LWIP_HOOKS_H */
