/* SPDX-License-Identifier: MIT */
/* audit.h - JSON-lines audit log of decisions, finished flows and reloads */

#ifndef SLUICE_AUDIT_H
#define SLUICE_AUDIT_H

#include <stdint.h>

#include "policy.h"

/* Bytes buffered before a write; also flushed by audit_flush(). */
#define AUDIT_BUFFER_SIZE (128U << 10)

/* Maximum length of a line, including the newline. Longer records are
 * dropped and counted. */
#define AUDIT_LINE_MAX (32U << 10)

/**
 * struct audit_flow - a finished TCP connection or UDP flow
 * @id:			id of the connect event that opened it
 * @proto:		"tcp" or "udp"
 * @src:		guest address text
 * @src_port:		guest port
 * @dst:		destination address text as the guest addressed it
 * @port:		destination port
 * @name:		DNS name the destination is attributed to, or NULL
 * @upstream:		address sluice dialled (or was refused), or NULL
 * @bytes_from_guest:	payload bytes the guest sent
 * @bytes_to_guest:	payload bytes sent to the guest
 * @start:		when the flow was opened, seconds since the epoch
 * @end:		when it finished, seconds since the epoch
 * @close_reason:	how it ended ("fin", "rst", "idle", ...), or NULL
 * @generation:		rules generation that allowed it
 */
struct audit_flow {
	uint64_t id;
	const char *proto;
	const char *src;
	uint16_t src_port;
	const char *dst;
	uint16_t port;
	const char *name;
	const char *upstream;
	uint64_t bytes_from_guest;
	uint64_t bytes_to_guest;
	double start;
	double end;
	const char *close_reason;
	unsigned generation;
};

/**
 * struct audit_stats - counters of the audit log
 * @lines:		lines written to the file
 * @lines_dropped:	lines lost: too long, or discarded after a write error
 * @write_errors:	failed writes
 */
struct audit_stats {
	uint64_t lines;
	uint64_t lines_dropped;
	uint64_t write_errors;
};

int audit_open(const char *path);
int audit_reopen(void);
int audit_flush(void);
void audit_close(void);

void audit_decision(const struct policy_event *ev, const struct verdict *v);
void audit_flow(const struct audit_flow *flow);
void audit_reload(double time, unsigned generation, const char *error);
void audit_lifecycle(double time, const char *what, const char *version,
		     long pid);

void audit_stats(struct audit_stats *st);

#endif /* SLUICE_AUDIT_H */
