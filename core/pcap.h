/* SPDX-License-Identifier: MIT */
/* pcap.h - capture of every frame on the guest link in pcap format */

#ifndef SLUICE_PCAP_H
#define SLUICE_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

int pcap_open(const char *path);
int pcap_reopen(void);
void pcap_frame(const struct iovec *iov, int iovcnt);
void pcap_flush(void);
void pcap_close(void);

#endif /* SLUICE_PCAP_H */
