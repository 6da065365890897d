// SPDX-License-Identifier: MIT
/*
 * pcap.c - capture of every frame on the guest link in pcap format
 *
 * The file uses the classic pcap format (LINKTYPE_ETHERNET, microsecond
 * timestamps), which tshark, tcpdump and Wireshark read. Frames are written
 * through a stdio buffer; pcap_flush() runs from the gateway's periodic
 * timer and at shutdown. A write error closes the capture and is logged
 * once; it never stops the gateway.
 *
 * The file contains every byte the guest sent and received, so it is
 * created readable by its owner only. pcap_reopen() starts a new file at the same
 * path after the old one was renamed (SIGHUP, for log rotation).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

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
static const char *pcap_path;

/* Create (or truncate) @path with mode 0600 and write the file header. */
static FILE *pcap_create(const char *path)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} hdr = {PCAP_MAGIC, 2, 4, 0, 0, PCAP_SNAPLEN, PCAP_LINK_ETHERNET};
	struct stat st;
	FILE *f;
	int fd;

	if (!stat(path, &st) && S_ISREG(st.st_mode) && st.st_size > 0)
		log_warn("pcap: replacing %s (%lld bytes of an earlier capture)",
			 path, (long long)st.st_size);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		return NULL;
	}
	if (fwrite(&hdr, sizeof(hdr), 1, f) != 1) {
		fclose(f);
		errno = EIO;
		return NULL;
	}
	return f;
}

/**
 * pcap_open() - create a capture file and write its header
 * @path:	file to create or truncate (mode 0600); kept for pcap_reopen()
 *
 * Return: 0 on success, negative errno
 */
int pcap_open(const char *path)
{
	pcap_file = pcap_create(path);
	if (!pcap_file)
		return -errno;
	pcap_path = path;
	log_info("pcap: writing every guest frame to %s", path);
	return 0;
}

/**
 * pcap_reopen() - close the capture and start a new file at the same path
 *
 * For log rotation: after the old file was renamed, a new one starts with
 * its own header. On failure the capture stops (logged).
 *
 * Return: 0 on success or without a capture, negative errno
 */
int pcap_reopen(void)
{
	int ret = 0;

	if (!pcap_path)
		return 0;
	pcap_close();
	pcap_file = pcap_create(pcap_path);
	if (!pcap_file) {
		ret = -errno;
		log_msg_errno(LOG_ERR, -ret, "pcap: cannot start a new capture "
			      "file %s, capture stopped", pcap_path);
	}
	return ret;
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
