/* env_expand: ${VAR} and ${VAR:-default} in configuration values, expanded from the
 * environment; the one spelling the chassis YAML and fabric.yaml share, so both files
 * can name the same socket (unix:${XDG_RUNTIME_DIR:-/tmp}/mriov-fabric/demo.sock). */
#ifndef FABRIC_ENV_EXPAND_H
#define FABRIC_ENV_EXPAND_H

#include <stddef.h>

/* Expands in into out (outlen bytes, NUL included). ${VAR} takes VAR's value; with
 * ":-default" the default stands in when VAR is unset or empty (a "}" ends it: no
 * nesting). Everything else, a lone "$" included, is copied as is. Returns 0; -EINVAL
 * for an unterminated "${", an empty or overlong (127 bytes) name, or a VAR that is
 * unset or empty without a default; -ENAMETOOLONG when the result needs more than
 * outlen - 1 bytes. The reason goes to err; out holds no useful text on error. */
int env_expand(const char *in, char *out, size_t outlen, char *err, size_t errlen);

#endif
