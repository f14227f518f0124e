/* sockpoke: test helper that connects to a unix socket, writes bytes (from a file, or N
 * seeded pseudo-random bytes), then reads until the peer closes or a deadline passes.
 * Prints what happened; exit 0 when the peer behaved (answered or closed), 1 on local
 * errors. Used to show that garbage never crashes a daemon; `echo` prints what the peer
 * sent back instead (raw JSON-RPC requests from a file, their answers on stdout).
 *   sockpoke SOCKET random N SEED      sockpoke SOCKET file PATH      sockpoke SOCKET echo PATH */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <signal.h>

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

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint8_t *buf = NULL, rbuf[65536];
	size_t n = 0, got = 0;
	int fd, rc;

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
