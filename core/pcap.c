// SPDX-License-Identifier: MIT
/*
 * pcap.c - capture of every frame on the guest link in pcap format
 *
 * The file uses the classic pcap format (LINKTYPE_ETHERNET, microsecond
 * timestamps), which tshark, tcpdump and Wireshark read. Frames are written
 * through a stdio buffer; pcap_flush() runs from the gateway's periodic
 * timer and at shutdown. A write error closes the capture and is logged
 * once; it never stops the gateway.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "log.h"
#include "pcap.h"

#define PCAP_MAGIC	   0xa1b2c3d4
#define PCAP_SNAPLEN	   65535 + 14
#define PCAP_LINK_ETHERNET 1

/**
 * struct pcap_record - per-frame header of the classic pcap format
 * @sec:	timestamp, seconds
 * @usec:	timestamp, microseconds
 * @caplen:	bytes stored
 * @len:	bytes on the wire
 */
struct pcap_record {
	uint32_t sec;
	uint32_t usec;
	uint32_t caplen;
	uint32_t len;
};

static FILE *pcap_file;

/**
 * pcap_open() - create a capture file and write its header
 * @path:	file to create or truncate
 *
 * Return: 0 on success, negative errno
 */
int pcap_open(const char *path)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} hdr = {PCAP_MAGIC, 2, 4, 0, 0, PCAP_SNAPLEN, PCAP_LINK_ETHERNET};

	pcap_file = fopen(path, "wb");
	if (!pcap_file)
		return -errno;
	if (fwrite(&hdr, sizeof(hdr), 1, pcap_file) != 1) {
		fclose(pcap_file);
		pcap_file = NULL;
		return -EIO;
	}
	return 0;
}

/**
 * pcap_frame() - append one frame, gathered from pieces
 * @iov:	pieces of the Ethernet frame
 * @iovcnt:	number of pieces
 */
void pcap_frame(const struct iovec *iov, int iovcnt)
{
	struct pcap_record rec;
	struct timeval tv;
	size_t len = 0;
	int i;

	if (!pcap_file)
		return;

	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	gettimeofday(&tv, NULL);
	rec.sec = (uint32_t)tv.tv_sec;
	rec.usec = (uint32_t)tv.tv_usec;
	rec.caplen = rec.len = (uint32_t)len;

	if (fwrite(&rec, sizeof(rec), 1, pcap_file) != 1)
		goto bad;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len &&
		    fwrite(iov[i].iov_base, iov[i].iov_len, 1, pcap_file) != 1)
			goto bad;
	}
	return;
bad:
	log_err_perror("pcap: write failed, capture stopped");
	fclose(pcap_file);
	pcap_file = NULL;
}

/**
 * pcap_flush() - push buffered frames to the file
 */
void pcap_flush(void)
{
	if (pcap_file && fflush(pcap_file))
		log_warn_perror("pcap: flush failed");
}

/**
 * pcap_close() - flush and close the capture file
 */
void pcap_close(void)
{
	if (!pcap_file)
		return;
	if (fclose(pcap_file))
		log_warn_perror("pcap: close failed");
	pcap_file = NULL;
}
