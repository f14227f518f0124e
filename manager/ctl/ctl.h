/* fabric-ctl: the operator's command line for fabricd. What every command shares: the
 * invocation context, exit codes, the command table and option parsing. */
#ifndef CTL_H
#define CTL_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;
struct ctl_conn;

#define CTL_VERSION "0.1.0"

/* Exit codes, the same for every command (fabric-ctl(1) EXIT STATUS). */
enum {
	CTL_EXIT_OK = 0,          /* done, including "already so" (changed=false) */
	CTL_EXIT_REFUSED = 1,     /* the daemon answered with an error; or output failed */
	CTL_EXIT_USAGE = 2,       /* unknown command/option, missing or bad argument */
	CTL_EXIT_UNREACHABLE = 3, /* no connection, EOF or a bad reply before the answer, timeout */
};

enum ctl_output { CTL_OUT_TABLE, CTL_OUT_JSON };

/* One invocation: built by main.c, passed to every command. */
struct ctl {
	const char *socket;        /* control socket path */
	enum ctl_output output;
	int timeout_ms;            /* how long to wait for an answer */
	struct ctl_conn *conn;     /* opened on the first request; closed by main */
	/* set by main.c's SIGINT/SIGTERM handler once catch_stop() ran */
	volatile sig_atomic_t *stop;
	void (*catch_stop)(void);  /* installs that handler (events --follow) */
};

struct ctl_cmd;
typedef int (*ctl_cmd_fn)(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);

/* A command: name, function, help text. usage is the synopsis after "fabric-ctl "
 * (lines after the first are alternatives); help is the rest of the --help text. */
struct ctl_cmd {
	const char *name;
	ctl_cmd_fn run;
	const char *usage;
	const char *summary;
	const char *help;
};

/* commands.c */
const struct ctl_cmd *ctl_cmd_find(const char *name);
const struct ctl_cmd *ctl_cmd_at(unsigned i); /* NULL past the end */
void ctl_cmd_usage(const struct ctl_cmd *cmd, FILE *f);
void ctl_cmd_help(const struct ctl_cmd *cmd, FILE *f);
/* "fabric-ctl: CMD: why" and the command's usage on stderr; returns CTL_EXIT_USAGE. */
int ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Option parsing for a command: getopt_long over argv (argv[0] is the command name), with
 * --help (-h) and the global -o/--output and -s/--socket accepted after the command too.
 * Returns the option's val, -1 at the end (positionals start at optind), or one of:
 */
enum { CTL_OPT_DONE_OK = -100, CTL_OPT_DONE_USAGE = -101 };
int ctl_opt_next(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv,
		 const struct option *opts);
/* What a command returns for CTL_OPT_DONE_* (or an unexpected option value). */
int ctl_opt_exit(int o);
/* A decimal count >= min; 0 or CTL_EXIT_USAGE after the usage error (events.c). */
int ctl_parse_count(const struct ctl_cmd *cmd, const char *opt, const char *arg, int64_t min,
		    int64_t *out);
/* "1.5" -> 1500; 0 or CTL_EXIT_USAGE after the usage error. */
int ctl_parse_seconds(const struct ctl_cmd *cmd, const char *opt, const char *arg, int *ms);

/* The commands (one function each). */
int ctl_cmd_status(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_switches(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_hosts(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_slots(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_cards(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_functions(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_show(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_assign(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_unassign(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_apply(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_export(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_vh(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_lspci(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_events(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_topology(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_audit(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_hooks(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);
int ctl_cmd_version(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv);

#endif /* CTL_H */
