/* SPDX-License-Identifier: MIT */
/* stats.h - process-wide counters of traffic, drops and refusals */

#ifndef SLUICE_STATS_H
#define SLUICE_STATS_H

#include <stdint.h>
#include <stdio.h>

/*
 * Every drop and refusal has a counter here. SIGUSR1 and shutdown print the
 * non-zero ones.
 */
#define STATS_COUNTERS(X)                                                      \
	X(link_frames_in, "frames received from the guest")                    \
	X(link_frames_out, "frames sent to the guest")                         \
	X(link_bytes_in, "frame bytes received from the guest")                \
	X(link_bytes_out, "frame bytes sent to the guest")                     \
	X(link_resets, "guest links reset after invalid framing")              \
	X(link_disconnects, "guest disconnects")                               \
	X(link_queue_full, "frames dropped because the guest queue was full")  \
	X(drop_empty, "empty frames dropped")                                  \
	X(drop_runt, "frames shorter than an Ethernet header dropped")         \
	X(drop_oversize, "frames longer than the MTU dropped")                 \
	X(drop_ethertype, "frames of unknown ethertype dropped")               \
	X(drop_ipv6, "IPv6 frames dropped")                                    \
	X(drop_arp_invalid, "invalid ARP packets dropped")                     \
	X(drop_ip_invalid, "invalid IPv4 packets dropped")                     \
	X(drop_ip_fragment, "IPv4 fragments dropped")                          \
	X(drop_ip_source, "IPv4 packets from an unexpected source dropped")    \
	X(drop_ip_proto, "IPv4 packets of unsupported protocols dropped")      \
	X(drop_icmp, "ICMP messages dropped")                                  \
	X(drop_udp_invalid, "invalid UDP datagrams dropped")                   \
	X(drop_udp_send, "UDP datagrams the host socket did not take")         \
	X(drop_udp_too_big, "UDP replies larger than the guest MTU dropped")   \
	X(drop_dhcp, "invalid or unanswered DHCP messages")                    \
	X(guest_mac_changes, "changes of the guest's MAC address")             \
	X(arp_replies, "ARP replies sent")                                     \
	X(icmp_echo_replies, "ICMP echo replies sent")                         \
	X(icmp_unreach_sent, "ICMP unreachable messages sent")                 \
	X(dhcp_offers, "DHCP offers sent")                                     \
	X(dhcp_acks, "DHCP acks sent")                                         \
	X(dhcp_naks, "DHCP naks sent")                                         \
	X(tcp_flows_opened, "TCP connections relayed")                         \
	X(tcp_refused_upstream, "TCP connections refused or unreachable upstream") \
	X(tcp_refused_guard, "TCP connections refused by the address guard")   \
	X(tcp_refused_policy, "TCP connections refused by the rules")          \
	X(tcp_refused_limit, "TCP connections refused by flow or buffer limits") \
	X(tcp_reaped, "TCP connections closed by the idle reaper")             \
	X(tcp_resets_upstream, "TCP connections reset by the upstream side")   \
	X(tcp_resets_guest, "TCP connections reset by the guest")              \
	X(udp_flows_opened, "UDP flows relayed")                               \
	X(udp_refused_guard, "UDP flows refused by the address guard")         \
	X(udp_refused_policy, "UDP flows refused by the rules")                \
	X(udp_refused_limit, "UDP flows refused by the flow limit")            \
	X(udp_reaped, "UDP flows closed after their idle timeout")             \
	X(dial_errors, "upstream sockets that could not be created")          \
	X(policy_decisions, "rule decisions")                                  \
	X(policy_failures, "rule decisions that failed closed")                \
	X(policy_budget_exhausted, "rule decisions stopped by the budget")     \
	X(policy_memory_errors, "rule decisions stopped by the memory limit")  \
	X(rules_reload_failures, "rule reloads that failed, old rules kept")   \
	X(dns_queries, "DNS queries from the guest")                           \
	X(dns_denied, "DNS queries denied by the rules")                       \
	X(dns_malformed, "malformed DNS queries")                              \
	X(dns_upstream_failures, "DNS queries that failed upstream")            \
	X(dns_pool_exhausted, "DNS queries refused: synthetic pool exhausted")  \
	X(dns_answers_dropped, "real-mode DNS answer addresses the guard dropped")

#define STATS_FIELD(name, text) uint64_t name;

/**
 * struct stats - one counter per STATS_COUNTERS() entry
 */
struct stats {
	STATS_COUNTERS(STATS_FIELD)
};

#undef STATS_FIELD

extern struct stats stats;

void stats_print(FILE *out, int all);

#endif /* SLUICE_STATS_H */
