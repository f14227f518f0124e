/* endpoint tests: spec parsing (unix, tcp, loopback-only rule with well-formed addresses)
 * and stale socket handling. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <cmocka.h>

#include "endpoint.h"

static void test_parse(void **state)
{
	struct endpoint ep;
	char err[256], txt[160];

	(void)state;
	assert_int_equal(endpoint_parse("unix:/tmp/x.sock", &ep, err, sizeof(err)), 0);
	assert_int_equal(ep.kind, ENDPOINT_UNIX);
	assert_string_equal(ep.path, "/tmp/x.sock");
	assert_int_equal(endpoint_parse("tcp:127.0.0.1:7001", &ep, err, sizeof(err)), 0);
	assert_int_equal(ep.kind, ENDPOINT_TCP);
	assert_int_equal(ep.port, 7001);
	endpoint_format(&ep, txt, sizeof(txt));
	assert_string_equal(txt, "tcp:127.0.0.1:7001");
	assert_int_equal(endpoint_parse("tcp:[::1]:9", &ep, err, sizeof(err)), 0);
	assert_string_equal(ep.host, "::1");
	endpoint_format(&ep, txt, sizeof(txt));
	assert_string_equal(txt, "tcp:[::1]:9");
	assert_int_equal(endpoint_parse("tcp:localhost:80", &ep, err, sizeof(err)), 0);
	assert_string_equal(ep.host, "127.0.0.1");

	assert_int_equal(endpoint_parse("tcp:127.3.2.1:65535", &ep, err, sizeof(err)), 0);
	assert_string_equal(ep.host, "127.3.2.1");
	assert_int_equal(endpoint_parse("tcp:::1:9", &ep, err, sizeof(err)), 0);
	assert_string_equal(ep.host, "::1");

	assert_int_equal(endpoint_parse("tcp:10.0.0.1:80", &ep, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "only loopback"));
	/* loopback means an address libuv can bind: a dotted quad in 127/8, or ::1 */
	assert_int_equal(endpoint_parse("tcp:0.0.0.0:1", &ep, err, sizeof(err)), -EINVAL);
	assert_int_equal(endpoint_parse("tcp:[::]:1", &ep, err, sizeof(err)), -EINVAL);
	assert_int_equal(endpoint_parse("tcp:127.0.0.256:80", &ep, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "only loopback"));
	assert_int_equal(endpoint_parse("tcp:127.foo:80", &ep, err, sizeof(err)), -EINVAL);
	assert_int_equal(endpoint_parse("tcp:127.1:80", &ep, err, sizeof(err)), -EINVAL);
	assert_int_equal(endpoint_parse("tcp:127.0.0.1.5:80", &ep, err, sizeof(err)), -EINVAL);
	assert_int_equal(endpoint_parse("tcp::80", &ep, err, sizeof(err)), -EINVAL);
	assert_int_equal(endpoint_parse("tcp:127.0.0.1:-5", &ep, err, sizeof(err)), -EINVAL);
	assert_int_equal(endpoint_parse("tcp:127.0.0.1:0", &ep, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "port must be"));
	assert_int_equal(endpoint_parse("tcp:127.0.0.1:70000", &ep, err, sizeof(err)), -EINVAL);
	assert_int_equal(endpoint_parse("tcp:127.0.0.1:", &ep, err, sizeof(err)), -EINVAL);
	assert_int_equal(endpoint_parse("tcp:127.0.0.1", &ep, err, sizeof(err)), -EINVAL);
	assert_int_equal(endpoint_parse("unix:", &ep, err, sizeof(err)), -EINVAL);
	assert_int_equal(endpoint_parse("http://x", &ep, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"http://x\""));
	{
		char longp[200];

		memset(longp, 'a', sizeof(longp));
		memcpy(longp, "unix:", 5);
		longp[sizeof(longp) - 1] = '\0';
		assert_int_equal(endpoint_parse(longp, &ep, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "longer than 107"));
	}
}

static void on_conn(uv_stream_t *s, int status)
{
	(void)s;
	(void)status;
}

static void test_listen_stale_and_live(void **state)
{
	char dir[] = "/tmp/test_endpoint.XXXXXX";
	char spec[256], err[256];
	struct endpoint ep;
	uv_loop_t loop;
	uv_stream_t *a = NULL, *b = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(spec, sizeof(spec), "unix:%s/s.sock", dir);
	assert_int_equal(endpoint_parse(spec, &ep, err, sizeof(err)), 0);
	uv_loop_init(&loop);
	assert_int_equal(endpoint_listen(&loop, &ep, 0660, on_conn, NULL, &a, err, sizeof(err)), 0);
	/* someone is listening: refuse to steal the path */
	assert_int_equal(endpoint_listen(&loop, &ep, 0, on_conn, NULL, &b, err, sizeof(err)),
			 -EADDRINUSE);
	assert_non_null(strstr(err, "another process is listening"));
	endpoint_close((uv_handle_t *)a);
	uv_run(&loop, UV_RUN_NOWAIT);
	/* libuv unlinks nothing on close: the file is stale now and gets replaced */
	assert_int_equal(endpoint_listen(&loop, &ep, 0, on_conn, NULL, &b, err, sizeof(err)), 0);
	endpoint_close((uv_handle_t *)b);
	uv_run(&loop, UV_RUN_NOWAIT);
	unlink(ep.path);
	/* a regular file in the way is never deleted */
	f = fopen(ep.path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(endpoint_listen(&loop, &ep, 0, on_conn, NULL, &b, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "not a socket"));
	unlink(ep.path);
	rmdir(dir);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_listen_stale_and_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
