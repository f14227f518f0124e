/* env_expand: shell-style ${VAR} / ${VAR:-default} substitution from getenv(). */
#include "env_expand.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

int env_expand(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	size_t o = 0;

	while (*in) {
		const char *end, *dash, *val, *def = NULL;
		size_t vlen, dlen = 0;
		char var[128];

		if (in[0] != '$' || in[1] != '{') {
			if (o + 1 >= outlen)
				goto too_long;
			out[o++] = *in++;
			continue;
		}
		end = strchr(in + 2, '}');
		if (!end) {
			fab_seterr(err, errlen, "unterminated \"${\" in \"%s\"", in);
			return -EINVAL;
		}
		vlen = (size_t)(end - (in + 2));
		dash = strstr(in + 2, ":-");
		if (dash && dash < end) {
			def = dash + 2;
			dlen = (size_t)(end - def);
			vlen = (size_t)(dash - (in + 2));
		}
		if (!vlen || vlen >= sizeof(var)) {
			fab_seterr(err, errlen, "bad variable name in \"%s\"", in);
			return -EINVAL;
		}
		memcpy(var, in + 2, vlen);
		var[vlen] = '\0';
		val = getenv(var);
		if (val && *val) {
			def = val;
			dlen = strlen(val);
		} else if (!def) {
			fab_seterr(err, errlen, "environment variable %s is not set", var);
			return -EINVAL;
		}
		if (o + dlen >= outlen)
			goto too_long;
		memcpy(out + o, def, dlen);
		o += dlen;
		in = end + 1;
	}
	if (!outlen)
		goto too_long;
	out[o] = '\0';
	return 0;
too_long:
	fab_seterr(err, errlen, "longer than %zu bytes once expanded", outlen ? outlen - 1 : 0);
	return -ENAMETOOLONG;
}
