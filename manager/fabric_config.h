/* fabric_config: fabricd's fabric.yaml — the chassis to manage, host names, the control
 * socket, directories, timeouts and the reconciliation policy. */
#ifndef FM_FABRIC_CONFIG_H
#define FM_FABRIC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The file (configs/fabric.yaml is the annotated example):
 *
 *   control:                    # optional
 *     socket: PATH              # JSON-RPC control socket
 *     mode: "0660"              # octal, 3-4 digits, at most 0777, must include 0600
 *     group: NAME               # may call mutating methods (with root and fabricd's uid)
 *   state_dir: PATH             # SQLite intent store
 *   hooks_dir: PATH             # run-parts directory; left out = no hooks
 *   hooks:                      # optional
 *     max_parallel: 8           # hook runs at once (1-1024), across functions
 *     env:                      # added to every hook's environment (values expand ${VAR})
 *       EVENT_LOG: /var/log/fabric-events.log
 *   timeouts:                   # optional; all in milliseconds
 *     managed_unbind_ms: 30000  hook_ms: 10000  switch_request_ms: 5000
 *     reconnect_min_ms: 100     reconnect_max_ms: 10000
 *   reconcile:
 *     unexpected_bindings: auto # adopt | remove | auto (adopt on first contact, then remove)
 *   retention:                  # optional: history kept in the intent store, pruned in the
 *     audit_rows: 100000        #   background; the newest audit records kept (0: no limit,
 *     event_rows: 100000        #   else at least 100), the newest events kept (same), and
 *     days: 0                   #   none older than this many days (0: no age limit)
 *   chassis:                    # required, at least one
 *     - name: rack1             # [A-Za-z0-9._-], 1-63 chars, unique
 *       endpoint: unix:PATH     # or tcp:127.0.0.1:PORT (loopback only); unique
 *       hosts:                  # optional: switch host port -> operator's host name
 *         - { port: 0, name: web1 }           # by host port number
 *         - { port_name: host1, name: web2 }  # or by the switch's port name
 *
 * Paths and unix: endpoint paths expand ${VAR} and ${VAR:-default} from the environment (as
 * the chassis YAML does, so both files can name the same socket); then relative ones resolve
 * against the YAML file's directory (the chassis YAML keeps them relative to the working
 * directory: prefer absolute or ${VAR} paths for sockets both read). Absent socket and
 * state_dir stay NULL until fm_fabric_config_fill_defaults(); fabricd's flags and
 * environment win over the file through fm_fabric_config_override().
 * A key given with a null value (`hooks_dir: ~`, `hooks_dir:`, null) is an error, never the
 * default: leave the key out (or comment it out) for that. The YAML itself is read by
 * common/yaml_doc.h: UTF-8, no tags, anchors, aliases or tabs, nesting at most 64 deep.
 * Every error reads "FILE:LINE:COLUMN: KEY.PATH: message", on one line (input text in it
 * is escaped).
 */

enum fm_fabric_reconcile {
	FM_FABRIC_RECONCILE_AUTO = 0, /* adopt on first contact with a chassis, remove afterwards */
	FM_FABRIC_RECONCILE_ADOPT,    /* take unexpected bindings into the intent store */
	FM_FABRIC_RECONCILE_REMOVE,   /* unbind what the intent store does not hold */
};

/* One renamed host port. Exactly one of port / port_name selects it. */
struct fm_fabric_host {
	char *name;      /* the operator's host name */
	int port;        /* the switch's host port number, or -1 */
	char *port_name; /* the switch's name for the port, or NULL */
};

struct fm_fabric_chassis {
	char *name;
	char *endpoint; /* normalized: "unix:/abs/path" or "tcp:127.0.0.1:PORT" */
	struct fm_fabric_host *hosts;
	size_t n_hosts;
};

struct fm_fabric_timeouts {
	uint32_t managed_unbind_ms;
	uint32_t hook_ms;
	uint32_t switch_request_ms;
	uint32_t reconnect_min_ms;
	uint32_t reconnect_max_ms;
	uint32_t control_stall_ms; /* a control connection stalled this long is cut off */
};

/* How much history the intent store keeps; 0 is no limit. Bindings are never pruned. */
struct fm_fabric_retention {
	uint32_t audit_rows; /* newest audit records kept */
	uint32_t event_rows; /* newest events kept */
	uint32_t days;       /* audit records and events older than this go */
};

#define FM_FABRIC_SOCKET_MODE_DEFAULT 0660
#define FM_FABRIC_MANAGED_UNBIND_MS_DEFAULT 30000
#define FM_FABRIC_HOOK_MS_DEFAULT 10000
#define FM_FABRIC_SWITCH_REQUEST_MS_DEFAULT 5000
#define FM_FABRIC_RECONNECT_MIN_MS_DEFAULT 100
#define FM_FABRIC_CONTROL_STALL_MS_DEFAULT 30000
#define FM_FABRIC_RECONNECT_MAX_MS_DEFAULT 10000
#define FM_FABRIC_HOOKS_MAX_PARALLEL_DEFAULT 8
#define FM_FABRIC_AUDIT_ROWS_DEFAULT 100000
#define FM_FABRIC_EVENT_ROWS_DEFAULT 100000
#define FM_FABRIC_RETENTION_DAYS_DEFAULT 0
#define FM_FABRIC_RETENTION_ROWS_MIN 100 /* fewer would cut the history a client just read */

/* A loaded file. Read-only for users; every string and array is owned by it. */
struct fm_fabric_config {
	char *file;     /* the path as given, or the name passed to _load_string */
	char *base_dir; /* absolute directory that relative paths resolved against */
	char *socket_path;   /* absolute, or NULL: not set */
	unsigned socket_mode;
	char *socket_group;  /* NULL: none */
	char *state_dir;     /* absolute, or NULL: not set */
	char *hooks_dir;     /* absolute, or NULL: no hooks */
	unsigned hooks_max_parallel;
	char **hooks_env;    /* "NAME=value", NULL-terminated, or NULL */
	struct fm_fabric_timeouts timeouts;
	enum fm_fabric_reconcile reconcile;
	struct fm_fabric_retention retention;
	struct fm_fabric_chassis *chassis;
	size_t n_chassis;
};

/* Loads and validates path. 0, -errno (file), -EINVAL (content) or -ENOMEM; *out is NULL
 * on error. Free with fm_fabric_config_free. */
int fm_fabric_config_load_file(const char *path, struct fm_fabric_config **out, char *err,
			       size_t errlen);
/* Same from memory: name is FILE in messages, base_dir (relative = to the working
 * directory) is where relative paths resolve. */
int fm_fabric_config_load_string(const char *name, const char *text, size_t len,
				 const char *base_dir, struct fm_fabric_config **out, char *err,
				 size_t errlen);
void fm_fabric_config_free(struct fm_fabric_config *cfg); /* NULL is a no-op */

/* Replaces one setting, e.g. from a command-line flag or the environment: key is
 * "control.socket", "control.mode", "control.group", "state_dir" or "hooks_dir"; relative
 * paths resolve against the working directory; value "" unsets group and hooks_dir. Same
 * checks as the file. 0, -EINVAL or -ENOMEM; err names the key. */
int fm_fabric_config_override(struct fm_fabric_config *cfg, const char *key, const char *value,
			      char *err, size_t errlen);

/* Fills unset socket_path and state_dir: RUNTIME/mriov-fabric/fabricd.sock (RUNTIME =
 * xdg_runtime_dir, or /run when NULL or "") and STATE/mriov-fabric (STATE = xdg_state_home,
 * or /var/lib when NULL or ""). The caller passes the environment in. 0 or -ENOMEM. */
int fm_fabric_config_fill_defaults(struct fm_fabric_config *cfg, const char *xdg_runtime_dir,
				   const char *xdg_state_home, char *err, size_t errlen);

/* The chassis named name, or NULL. */
const struct fm_fabric_chassis *fm_fabric_config_find_chassis(const struct fm_fabric_config *cfg,
							      const char *name);
/* The operator's name for a switch host port (a port-number entry wins over a name entry),
 * or NULL: keep the switch's name. port_name may be NULL. */
const char *fm_fabric_config_host_name(const struct fm_fabric_chassis *ch, unsigned port,
				       const char *port_name);
/* What to do with a binding found on a switch but not in the intent store: ADOPT or REMOVE.
 * first_contact: the intent store has never seen this chassis. */
enum fm_fabric_reconcile fm_fabric_config_unexpected_action(const struct fm_fabric_config *cfg,
							    bool first_contact);
/* "auto", "adopt", "remove". */
const char *fm_fabric_reconcile_name(enum fm_fabric_reconcile r);

#endif /* FM_FABRIC_CONFIG_H */
