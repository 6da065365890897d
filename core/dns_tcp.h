/* SPDX-License-Identifier: MIT */
/* dns_tcp.h - DNS over TCP on the gateway address */

#ifndef SLUICE_DNS_TCP_H
#define SLUICE_DNS_TCP_H

#include <stddef.h>
#include <stdint.h>

struct gateway;
struct dns_tcp_conn;

int dns_tcp_init(struct gateway *gw);
void dns_tcp_free(struct gateway *gw);
void dns_tcp_tick(struct gateway *gw, int64_t now);
void dns_tcp_send(struct dns_tcp_conn *conn, const uint8_t *msg, size_t len);
void dns_tcp_request_done(struct dns_tcp_conn *conn);

#endif /* SLUICE_DNS_TCP_H */
