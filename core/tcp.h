/* SPDX-License-Identifier: MIT */
/* tcp.h - TCP relay between lwIP connections and host sockets */

#ifndef SLUICE_TCP_H
#define SLUICE_TCP_H

#include <stdbool.h>

struct gateway;
struct pbuf;

bool tcp_guest_segment(struct gateway *gw, struct pbuf *p);
int tcp_relay_init(struct gateway *gw);
void tcp_relay_free(void);

#endif /* SLUICE_TCP_H */
