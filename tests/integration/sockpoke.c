/* sockpoke: test helper that connects to a unix socket, writes bytes (from a file, or N
 * seeded pseudo-random bytes), then reads until the peer closes or a deadline passes.
 * Prints what happened; exit 0 when the peer behaved (answered or closed), 1 on local
 * errors. Used to show that garbage never crashes a daemon; `echo` prints what the peer
 * sent back instead (raw JSON-RPC requests from a file, their answers on stdout).
 *   sockpoke SOCKET random N SEED      sockpoke SOCKET file PATH      sockpoke SOCKET echo PATH
 * `hog` opens N connections that never read, to load a daemon with slow peers:
 *   sockpoke SOCKET hog N noread|sub|half SECONDS
 * noread sends 1000 `functions` requests, sub subscribes first, half sends half a request and
 * stalls. It holds them until the daemon has closed every one, or SECONDS pass, and prints
 * "closed K of N". */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <signal.h>
#include <time.h>

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno; /* EPIPE/ECONNRESET: the peer closed on us, which is fine */
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int hog(const char *path, int n, const char *kind, double seconds)
{
	static const char req[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"functions\"}\n";
	static const char sub[] = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"subscribe\","
				  "\"params\":{\"since\":0}}\n";
	bool half = !strcmp(kind, "half");
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	size_t len = 1000 * (sizeof(req) - 1) + sizeof(sub), *off = calloc((size_t)n, sizeof(*off));
	char *stream = malloc(len), *q = stream;
	int closed = 0, open_ = 0;
	double end = now_s() + seconds;

	if (!p || !off || !stream || (!half && strcmp(kind, "noread") && strcmp(kind, "sub")))
		return 2;
	if (!strcmp(kind, "sub"))
		q += sprintf(q, "%s", sub);
	for (int i = 0; i < 1000; i++)
		q += sprintf(q, "%s", req);
	len = (size_t)(q - stream);
	if (half)
		len = 30; /* '{"jsonrpc":"2.0","id":1,"metho' and no more */
	for (int i = 0; i < n; i++) {
		p[i].fd = connect_to(path);
		if (p[i].fd < 0)
			return 1;
		fcntl(p[i].fd, F_SETFL, O_NONBLOCK);
		open_++;
	}
	/* never read: write what the socket takes, and watch for the daemon hanging up */
	while (now_s() < end && closed < n) {
		for (int i = 0; i < n; i++) {
			p[i].events = off[i] < len && p[i].fd >= 0 ? POLLOUT : 0;
			p[i].revents = 0;
		}
		if (poll(p, (nfds_t)n, 100) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n; i++) {
			ssize_t w;

			if (p[i].fd < 0)
				continue;
			if (p[i].revents & (POLLHUP | POLLERR)) {
				close(p[i].fd);
				p[i].fd = -1;
				closed++;
				continue;
			}
			if (!(p[i].revents & POLLOUT))
				continue;
			w = write(p[i].fd, stream + off[i], len - off[i]);
			if (w > 0)
				off[i] += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				close(p[i].fd);
				p[i].fd = -1;
				closed++;
			}
		}
	}
	printf("closed %d of %d\n", closed, open_);
	for (int i = 0; i < n; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	free(p);
	free(off);
	free(stream);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint8_t *buf = NULL, rbuf[65536];
	size_t n = 0, got = 0;
	int fd, rc;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 6 && !strcmp(argv[2], "hog"))
		return hog(argv[1], atoi(argv[3]), argv[4], atof(argv[5]));
	if (argc < 4) {
		fprintf(stderr, "usage: sockpoke SOCKET random N SEED | sockpoke SOCKET file PATH\n");
		return 2;
	}
	if (!strcmp(argv[2], "random") && argc == 5) {
		uint64_t s = strtoull(argv[4], NULL, 0) | 1;

		n = strtoul(argv[3], NULL, 0);
		buf = malloc(n ? n : 1);
		for (size_t i = 0; buf && i < n; i++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			buf[i] = (uint8_t)s;
		}
	} else if (!strcmp(argv[2], "file") || !strcmp(argv[2], "echo")) {
		FILE *f = fopen(argv[3], "rb");

		if (!f) {
			perror(argv[3]);
			return 1;
		}
		buf = malloc(1 << 20);
		n = buf ? fread(buf, 1, 1 << 20, f) : 0;
		fclose(f);
	} else {
		fprintf(stderr, "sockpoke: bad mode %s\n", argv[2]);
		return 2; /* nothing allocated yet */
	}
	if (!buf)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror(argv[1]);
		if (fd >= 0)
			close(fd);
		free(buf);
		return 1;
	}
	rc = write_all(fd, buf, n);
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 3000) <= 0)
			break; /* still open after our EOF: the peer waits for more, also fine */
		r = read(fd, rbuf, sizeof(rbuf));
		if (r <= 0)
			break;
		got += (size_t)r;
		if (!strcmp(argv[2], "echo"))
			fwrite(rbuf, 1, (size_t)r, stdout);
	}
	if (strcmp(argv[2], "echo"))
		printf("sent %zu bytes%s, received %zu\n", n, rc ? " (peer closed early)" : "",
		       got);
	close(fd);
	free(buf);
	return 0;
}
