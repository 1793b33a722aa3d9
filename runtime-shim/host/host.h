/* mvrun's host side, which every verb uses: the global options, the
 * container's lifecycle on the host (launch, hooks, freeze), logging, where
 * mvrun's files are, and small helpers. Nothing here knows the verbs
 * (cmd/cmd.h). */
#ifndef MVRUN_SHIM_HOST_H
#define MVRUN_SHIM_HOST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "runtime-shim/host/store.h"
#include "runtime-shim/oci/config.h"

#define SHIM_DEFAULT_ROOT "/run/mvrun"

/* The global options (runc's). */
struct shim_ctx {
	const char *root;      /* --root: where container state lives */
	const char *log_path;  /* --log, or NULL */
	bool log_json;         /* --log-format json */
	bool debug;            /* --debug: debug lines, and warnings on stderr without --log */
	bool systemd_cgroup;   /* --systemd-cgroup */
};

/* Freeze (or thaw) the container's cgroup, and with it mvm's vCPUs. Fails
 * naming the reason when the container has no cgroup. Returns 0 or -1 with
 * err. (freeze.c) */
int shim_freeze(const struct store_state *st, bool frozen, struct err *err);

/* --- hooks.c: the hooks of the container's lifecycle --- */

/* Run c's hooks of `kind` in order, each with the container's state (st,
 * as `status`) on stdin. Returns 0 or -1 with err (hooks_run()'s message). */
int hooks_run_kind(const struct cfg *c, enum cfg_hook_kind kind, const struct store_state *st,
		   enum store_status status, struct err *err);

/* The same for the hooks whose failure the spec makes a warning (poststart,
 * poststop), from the config saved with the container: a config that cannot
 * be read or a hook that fails is a warning "VERB ID: ..." and the verb goes on. */
void hooks_run_saved(struct shim_ctx *g, const char *verb, enum cfg_hook_kind kind,
		     const struct store_state *st, enum store_status status);

/* --- log.c --- */

/* Create --log's file if it is missing (runc makes it even when nothing is
 * logged). Returns 0, or -1 with err. */
int shim_log_open(const struct shim_ctx *g, struct err *err);
/* Report err once: "mvrun: MSG" on stderr, and an error line in --log. */
void shim_report(const struct shim_ctx *g, const struct err *err);
/* A warning line (runc's format): in --log, else on stderr only with
 * --debug (engines own stderr). */
void shim_warn(const struct shim_ctx *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A debug line (runc's format), only with --debug: in --log, else on stderr. */
void shim_debug(const struct shim_ctx *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- paths.c --- */

/* Where an installed mvrun keeps its files, relative to PREFIX. */
#define SHIM_LIBEXEC_SUBDIR "libexec/mvrun"
#define SHIM_LIB_SUBDIR "lib/mvrun"

/* Find a file beside mvrun (build/ in a checkout): `name` in the directory
 * of /proc/self/exe. Writes the path to out (cap bytes); returns 0, or -1 if
 * it does not exist. */
int shim_sibling(const char *name, char *out, unsigned cap);

/* Find `name` in the installed layout: EXE_DIR/../sub/name, resolved. Writes
 * the path to out (cap bytes); returns 0, or -1 if it does not exist. */
int shim_installed(const char *sub, const char *name, char *out, unsigned cap);

enum shim_file { SHIM_FILE_MVM, SHIM_FILE_KERNEL, SHIM_FILE_INITRD };

/* Where one of mvrun's files is: its MVRUN_MVM, MVRUN_KERNEL or MVRUN_INITRD
 * variable, else beside mvrun, else in the installed layout. out holds
 * PATH_MAX. Returns 0, or -1 with err naming what is missing. */
int shim_find_file(enum shim_file f, char *out, struct err *err);

/* The three files at once (each buffer PATH_MAX). Returns 0 or -1 with err
 * naming what is missing. */
int shim_vm_files(char *mvm, char *kernel, char *initrd, struct err *err);

/* --- util.c --- */

/* Write the decimal pid to path atomically (temp file in the same
 * directory, then rename). */
int shim_write_pidfile(const char *path, pid_t pid, struct err *err);

/* Connect a stream socket to the unix socket at path, however long (a path
 * beyond sun_path is reached through its directory's /proc/self/fd). Returns
 * the fd, or -1 with err "WHAT PATH: reason". */
int shim_unix_connect(const char *path, const char *what, struct err *err);

/* The console-socket message engines expect (engines.md, "TTY"): data the
 * pty's name, and exactly one SCM_RIGHTS fd, the master. path names the
 * socket in the error. Returns 0 or -1 with err. */
int shim_send_pty(int sock, const char *name, int master, const char *path, struct err *err);

/* A signal given as a number ("9", "0" to only check) or a name ("KILL",
 * "SIGKILL", "sigkill"). Returns the number, or -1. */
int shim_parse_signal(const char *s);

/* --- guest_update.c --- */

struct proto_update;
/* Send u (its id is mvm's to pick) to container id's guest through mvm's
 * control socket and wait (up to 30 s) for mvinit's answer. Returns 0 once
 * applied, or -1 with err "VERB: why" (the guest's message when it refused). */
int guest_update_send(struct shim_ctx *g, const char *id, const struct proto_update *u,
		      const char *verb, struct err *err);

/* --- launch.c --- */

struct launch_opts {
	const char *id;
	const char *bundle;          /* NULL: the current directory */
	const char *pid_file;        /* NULL: none */
	const char *console_socket;  /* NULL: none */
	int preserve_fds;
	bool foreground;             /* mvrun run without --detach: a terminal is mvrun's own */
};

/* create: fork mvm (a child of the caller, in the container's cgroup, stdio
 * or the pty slave as its 0/1/2), wait until the guest reports the
 * container set up, write the pid file and the state, run the
 * createRuntime and prestart hooks. On failure nothing is left: no VM, no
 * state, no cgroup. Returns 0 with *pid, or -1 with err. (launch.c) */
int shim_launch(struct shim_ctx *g, const struct launch_opts *o, pid_t *pid, struct err *err);

/* mvrun box --net nat (box_net.c): move this process into a new network
 * namespace where slirp4netns has made a tap "tap0" with user-mode NAT, for
 * mvm --net to join. Returns 0, or -1 with msg saying why. */
int box_net_nat(char *msg, size_t cap);

#endif
