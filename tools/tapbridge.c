// SPDX-License-Identifier: MIT
/*
 * tapbridge.c - connect a TAP device to a QEMU stream socket
 *
 * Test and benchmark helper: it plays the part of QEMU's
 * "-netdev stream,server=off" for a network namespace. Frames read from
 * the TAP device are written to the unix socket with QEMU's 4-byte
 * big-endian length prefix, and frames read from the socket are written
 * to the TAP device. The TAP device can be moved into a namespace after
 * the bridge attached to it. Both sluice and passt listen on such a
 * socket, so the benchmark compares them over the same path.
 *
 * Usage: sluice-tapbridge [--listen] TAP_NAME SOCKET
 *   SOCKET       a unix socket path, or 127.0.0.1:PORT for TCP
 *   --listen     listen on SOCKET and bridge the first connection (the part
 *                of QEMU's "-netdev stream,server=on"), instead of
 *                connecting to it
 * Exits 0 when the socket peer closes, 1 on errors.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FRAME_MAX   (65535 + 14)
#define BATCH_BYTES (1u << 20)

static uint8_t to_sock[BATCH_BYTES + 4 + FRAME_MAX];	/* TAP to socket */
static uint8_t from_sock[BATCH_BYTES + 4 + FRAME_MAX];

static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Fill @ss from "A.B.C.D:PORT" or a unix path; return its length or 0. */
static socklen_t sock_address(const char *where, struct sockaddr_storage *ss)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	const char *colon = strrchr(where, ':');
	char host[INET_ADDRSTRLEN];

	memset(ss, 0, sizeof(*ss));
	if (colon && !strchr(where, '/') &&
	    (size_t)(colon - where) < sizeof(host)) {
		memcpy(host, where, (size_t)(colon - where));
		host[colon - where] = '\0';
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return 0;
		return sizeof(*in);
	}
	if (strlen(where) >= sizeof(un->sun_path))
		return 0;
	un->sun_family = AF_UNIX;
	strcpy(un->sun_path, where);
	return sizeof(*un);
}

static int sock_open(const char *where, int listening)
{
	struct sockaddr_storage ss;
	socklen_t len = sock_address(where, &ss);
	int size = 4 << 20, one = 1, fd, conn;

	if (!len) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (!listening) {
		if (connect(fd, (struct sockaddr *)&ss, len)) {
			close(fd);
			return -1;
		}
		conn = fd;
	} else {
		if (ss.ss_family == AF_UNIX)
			unlink(((struct sockaddr_un *)&ss)->sun_path);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 1)) {
			close(fd);
			return -1;
		}
		printf("listening\n");
		fflush(stdout);
		conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		close(fd);
		if (conn < 0)
			return -1;
	}
	setsockopt(conn, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(conn, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return conn;
}

/* Frames from the TAP device waiting for the socket: the socket is
 * non-blocking, as QEMU's is, so a slow reader does not stop the bridge
 * from reading the other direction. */
static size_t out_head, out_len;

/* Write what is queued for the socket. Return -1 on a socket error. */
static int sock_flush(int sock)
{
	while (out_len) {
		ssize_t n = write(sock, to_sock + out_head, out_len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		out_head += (size_t)n;
		out_len -= (size_t)n;
	}
	out_head = 0;
	return 0;
}

/* Read every frame the TAP device has now, while there is room, and
 * queue them for the socket. */
static int tap_to_sock(int tap, int sock)
{
	if (out_head && out_len) {
		memmove(to_sock, to_sock + out_head, out_len);
		out_head = 0;
	}
	while (out_len < BATCH_BYTES) {
		uint8_t *p = to_sock + out_len;
		ssize_t n = read(tap, p + 4, FRAME_MAX);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -1;
		}
		p[0] = (uint8_t)(n >> 24);
		p[1] = (uint8_t)(n >> 16);
		p[2] = (uint8_t)(n >> 8);
		p[3] = (uint8_t)n;
		out_len += 4 + (size_t)n;
	}
	return sock_flush(sock);
}

/* Read from the socket and write every complete frame to the TAP device. */
static int sock_to_tap(int sock, int tap, size_t *have)
{
	ssize_t n = read(sock, from_sock + *have, BATCH_BYTES);
	size_t off = 0;

	if (n == 0)
		return 1;
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	*have += (size_t)n;

	while (*have - off >= 4) {
		uint32_t len = (uint32_t)from_sock[off] << 24 |
			       (uint32_t)from_sock[off + 1] << 16 |
			       (uint32_t)from_sock[off + 2] << 8 |
			       from_sock[off + 3];

		if (len > FRAME_MAX)
			return -1;
		if (*have - off - 4 < len)
			break;
		/* A TAP device that is down in its namespace rejects the
		 * frame with EIO; the frame is lost, as on a real link. */
		if (write(tap, from_sock + off + 4, len) < 0 && errno != EIO)
			return -1;
		off += 4 + len;
	}
	memmove(from_sock, from_sock + off, *have - off);
	*have -= off;
	return 0;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[2];
	size_t have = 0;
	int tap, sock, listening = 0;

	if (argc == 4 && !strcmp(argv[1], "--listen")) {
		listening = 1;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: sluice-tapbridge [--listen] TAP_NAME "
				"SOCKET\n");
		return 1;
	}
	tap = tap_open(argv[1]);
	if (tap < 0) {
		fprintf(stderr, "tapbridge: cannot open TAP device %s: %s\n",
			argv[1], strerror(errno));
		return 1;
	}
	sock = sock_open(argv[2], listening);
	if (sock < 0) {
		fprintf(stderr, "tapbridge: cannot %s %s: %s\n",
			listening ? "listen on" : "connect to", argv[2],
			strerror(errno));
		return 1;
	}
	fcntl(tap, F_SETFL, fcntl(tap, F_GETFL) | O_NONBLOCK);
	fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK);

	pfd[0].fd = tap;
	pfd[1].fd = sock;
	for (;;) {
		int ret;

		/* Read the TAP device only while the queue has room for a
		 * frame; wait for the socket to take the queue otherwise. */
		pfd[0].events = out_len < BATCH_BYTES ? POLLIN : 0;
		pfd[1].events = POLLIN | (out_len ? POLLOUT : 0);
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((pfd[1].revents & POLLOUT) && sock_flush(sock))
			break;
		if ((pfd[0].revents & POLLIN) && tap_to_sock(tap, sock))
			break;
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			ret = sock_to_tap(sock, tap, &have);
			if (ret > 0)
				return 0;
			if (ret < 0)
				break;
		}
	}
	fprintf(stderr, "tapbridge: %s\n", strerror(errno));
	return 1;
}
