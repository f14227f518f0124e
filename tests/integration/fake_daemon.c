/* fake-fabricd: a scripted stand-in for fabricd's control socket, so fabric-ctl's output,
 * error handling and exit codes can be tested without a fabric.
 *
 * It listens on SOCKET, forks, prints the server's pid once the socket accepts connections,
 * and plays SCRIPT:
 *
 *   expect METHOD            read one request; log "METHOD PARAMS" (params as compact JSON)
 *   reply JSON               answer it with this result
 *   reply-file KEY FILE JSON answer with JSON plus KEY = FILE's contents as a string
 *   error NUMBER CODE MSG... answer with error NUMBER, data.code CODE ("-": no data), MSG
 *   raw TEXT                 send TEXT and '\n' ("@ID@" becomes the last request's id)
 *   rawn TEXT                send TEXT without '\n'
 *   notify JSON              send an "event" notification with these params
 *   sleep MS                 pause
 *   close / accept           close the connection / accept the next one
 *   hold                     read and discard until the client closes
 *
 * `fake-fabricd --json-equal A B` instead compares two JSON documents (files; "-" is stdin)
 * by value: exit 0 if equal, 1 if not, 2 if either is not JSON.
 *
 * The first connection is accepted before the script starts; after the last line the
 * server holds, then exits. A failed expectation is logged as "FAIL ..." and ends it. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

struct fake {
	int lfd, fd;
	FILE *log;
	char id[64];      /* the last request's id, as JSON */
	char *in;         /* bytes received, not yet consumed */
	size_t in_len;
};

static void logf_(struct fake *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct fake *f, const char *fmt, ...)
{
	va_list ap;

	if (!f->log)
		return;
	va_start(ap, fmt);
	vfprintf(f->log, fmt, ap);
	va_end(ap);
	fflush(f->log);
}

static void fail(struct fake *f, const char *fmt, const char *a, const char *b)
	__attribute__((noreturn));
static void fail(struct fake *f, const char *fmt, const char *a, const char *b)
{
	logf_(f, "FAIL ");
	if (f->log) {
		fprintf(f->log, fmt, a, b);
		fputc('\n', f->log);
		fflush(f->log);
	}
	fprintf(stderr, "fake-fabricd: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(1);
}

static void send_all(struct fake *f, const char *p, size_t len)
{
	while (len && f->fd >= 0) {
		ssize_t n = send(f->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the client went away: that may be the test */
		p += n;
		len -= (size_t)n;
	}
}

static void send_line(struct fake *f, const char *text, bool nl)
{
	const char *at;

	while ((at = strstr(text, "@ID@"))) {
		send_all(f, text, (size_t)(at - text));
		send_all(f, f->id, strlen(f->id));
		text = at + 4;
	}
	send_all(f, text, strlen(text));
	if (nl)
		send_all(f, "\n", 1);
}

static void send_obj(struct fake *f, struct json_object *o)
{
	send_line(f, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), true);
	json_object_put(o);
}

static struct json_object *parse_or_die(struct fake *f, const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	if (!o)
		fail(f, "script: not JSON: %s%s", text, "");
	return o;
}

static struct json_object *envelope(struct fake *f)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id", json_tokener_parse(f->id));
	return o;
}

/* One request line; "" at EOF. */
static char *read_line(struct fake *f)
{
	for (;;) {
		char *nl = f->in_len ? memchr(f->in, '\n', f->in_len) : NULL;
		char buf[65536];
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - f->in);
			char *line = malloc(len + 1);

			memcpy(line, f->in, len);
			line[len] = '\0';
			memmove(f->in, nl + 1, f->in_len - len - 1);
			f->in_len -= len + 1;
			return line;
		}
		n = f->fd >= 0 ? read(f->fd, buf, sizeof(buf)) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		f->in = realloc(f->in, f->in_len + (size_t)n);
		memcpy(f->in + f->in_len, buf, (size_t)n);
		f->in_len += (size_t)n;
	}
}

static void do_expect(struct fake *f, const char *method)
{
	char *line = read_line(f);
	struct json_object *req, *m = NULL, *id = NULL, *params;

	if (!line)
		fail(f, "expected %s, the client closed%s", method, "");
	req = json_tokener_parse(line);
	if (!req || !json_object_object_get_ex(req, "method", &m) ||
	    !json_object_object_get_ex(req, "id", &id))
		fail(f, "expected %s, got %s", method, line);
	snprintf(f->id, sizeof(f->id), "%s", json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN));
	if (strcmp(json_object_get_string(m), method))
		fail(f, "expected %s, got %s", method, json_object_get_string(m));
	if (!json_object_object_get_ex(req, "params", &params))
		params = NULL;
	logf_(f, "%s %s\n", method,
	      params ? json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
		     : "-");
	json_object_put(req);
	free(line);
}

static char *read_file(struct fake *f, const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[65536];

	if (!fp)
		fail(f, "script: cannot open %s%s", path, "");
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		buf = realloc(buf, len + n + 1);
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(fp);
	if (!buf)
		buf = calloc(1, 1);
	buf[len] = '\0';
	return buf;
}

static void do_accept(struct fake *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->in_len = 0;
	do
		f->fd = accept(f->lfd, NULL, NULL);
	while (f->fd < 0 && errno == EINTR);
	if (f->fd < 0)
		fail(f, "accept: %s%s", strerror(errno), "");
}

static void do_hold(struct fake *f)
{
	char *line;

	while ((line = read_line(f)))
		free(line);
}

static void run(struct fake *f, FILE *script)
{
	char line[1 << 16];

	do_accept(f);
	while (fgets(line, sizeof(line), script)) {
		char *arg, *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		arg = strchr(line, ' ');
		if (arg)
			*arg++ = '\0';
		else
			arg = line + strlen(line);
		if (!strcmp(line, "expect")) {
			do_expect(f, arg);
		} else if (!strcmp(line, "reply")) {
			struct json_object *o = envelope(f);

			json_object_object_add(o, "result", parse_or_die(f, arg));
			send_obj(f, o);
		} else if (!strcmp(line, "reply-file")) {
			char *key = arg, *path = strchr(key, ' '), *json = NULL, *text;
			struct json_object *o = envelope(f), *r;

			if (!path || !(json = strchr(path + 1, ' ')))
				fail(f, "script: reply-file KEY FILE JSON%s%s", "", "");
			*path++ = '\0';
			*json++ = '\0';
			r = parse_or_die(f, json);
			text = read_file(f, path);
			json_object_object_add(r, key, json_object_new_string(text));
			free(text);
			json_object_object_add(o, "result", r);
			send_obj(f, o);
		} else if (!strcmp(line, "error")) {
			struct json_object *o = envelope(f), *e = json_object_new_object(), *d;
			char *code = strchr(arg, ' '), *msg = NULL;

			if (!code || !(msg = strchr(code + 1, ' ')))
				fail(f, "script: error NUMBER CODE MESSAGE%s%s", "", "");
			*code++ = '\0';
			*msg++ = '\0';
			json_object_object_add(e, "code", json_object_new_int(atoi(arg)));
			json_object_object_add(e, "message", json_object_new_string(msg));
			if (strcmp(code, "-")) {
				d = json_object_new_object();
				json_object_object_add(d, "code", json_object_new_string(code));
				json_object_object_add(e, "data", d);
			}
			json_object_object_add(o, "error", e);
			send_obj(f, o);
		} else if (!strcmp(line, "raw") || !strcmp(line, "rawn")) {
			send_line(f, arg, line[3] != 'n');
		} else if (!strcmp(line, "notify")) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
			json_object_object_add(o, "method", json_object_new_string("event"));
			json_object_object_add(o, "params", parse_or_die(f, arg));
			send_obj(f, o);
		} else if (!strcmp(line, "sleep")) {
			struct timespec ts = {atoi(arg) / 1000, (long)(atoi(arg) % 1000) * 1000000};

			nanosleep(&ts, NULL);
		} else if (!strcmp(line, "close")) {
			close(f->fd);
			f->fd = -1;
		} else if (!strcmp(line, "accept")) {
			do_accept(f);
		} else if (!strcmp(line, "hold")) {
			do_hold(f);
		} else {
			fail(f, "script: unknown directive %s%s", line, "");
		}
	}
	do_hold(f);
}

static struct json_object *load_json(const char *path)
{
	struct json_object *o;
	char *text;
	struct fake f = {.fd = -1};

	if (strcmp(path, "-")) {
		text = read_file(&f, path);
	} else {
		size_t len = 0, n;
		char chunk[65536];

		text = calloc(1, 1);
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
			text = realloc(text, len + n + 1);
			memcpy(text + len, chunk, n);
			len += n;
			text[len] = '\0';
		}
	}
	o = json_tokener_parse(text);
	if (!o)
		fprintf(stderr, "fake-fabricd: %s: not JSON: %.200s\n", path, text);
	free(text);
	return o;
}

static int json_equal(const char *a, const char *b)
{
	struct json_object *x = load_json(a), *y = load_json(b);
	int rc = !x || !y ? 2 : json_object_equal(x, y) ? 0 : 1;

	if (rc == 1)
		fprintf(stderr, "fake-fabricd: JSON differs:\n%s\n%s\n",
			json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN),
			json_object_to_json_string_ext(y, JSON_C_TO_STRING_PLAIN));
	json_object_put(x);
	json_object_put(y);
	return rc;
}

int main(int argc, char **argv)
{
	struct fake f = {.lfd = -1, .fd = -1, .id = "null"};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *log_path = NULL;
	FILE *script;
	pid_t pid;
	int i = 1;

	if (argc == 4 && !strcmp(argv[1], "--json-equal"))
		return json_equal(argv[2], argv[3]);
	if (argc > 2 && !strcmp(argv[1], "-l")) {
		log_path = argv[2];
		i = 3;
	}
	if (argc - i != 2 || strlen(argv[i]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: fake-fabricd [-l LOG] SOCKET SCRIPT\n");
		return 2;
	}
	script = fopen(argv[i + 1], "r");
	if (!script) {
		fprintf(stderr, "fake-fabricd: %s: %s\n", argv[i + 1], strerror(errno));
		return 2;
	}
	if (log_path && !(f.log = fopen(log_path, "a"))) {
		fprintf(stderr, "fake-fabricd: %s: %s\n", log_path, strerror(errno));
		return 2;
	}
	memcpy(sa.sun_path, argv[i], strlen(argv[i]) + 1);
	unlink(argv[i]);
	f.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (f.lfd < 0 || bind(f.lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(f.lfd, 8)) {
		fprintf(stderr, "fake-fabricd: %s: %s\n", argv[i], strerror(errno));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fake-fabricd: fork");
		return 2;
	}
	if (pid > 0) {
		printf("%d\n", (int)pid);
		return 0;
	}
	/* the server: let the test's $(...) finish, and never outlive a stuck test */
	if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "r", stdin))
		return 2;
	alarm(30);
	run(&f, script);
	fclose(script);
	if (f.fd >= 0)
		close(f.fd);
	close(f.lfd);
	unlink(argv[i]);
	free(f.in);
	if (f.log)
		fclose(f.log);
	return 0;
}
