/* Container state under --root: ROOT/ID/ holds state.json (written to a temp
 * file and renamed, so readers never see half of it), config.json (the
 * bundle's, as it was at create), ctl.sock (mvm's control socket) and lock
 * (flock'd by every mvrun that changes the container). */
#ifndef MVRUN_SHIM_STORE_H
#define MVRUN_SHIM_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

/* The runtime-spec version mvrun implements, as runc 1.1 reports it in
 * state, spec and --version. */
#define SHIM_OCI_VERSION "1.0.2-dev"

#define STORE_ID_MAX 200
#define STORE_EXIT 1

enum store_status { STORE_CREATING, STORE_CREATED, STORE_RUNNING, STORE_STOPPED, STORE_PAUSED };

/* "creating", "created", "running", "stopped", "paused". */
const char *store_status_name(enum store_status s);

struct store_state {
	char id[STORE_ID_MAX + 1];
	pid_t pid;               /* mvm; 0 before it is forked */
	uint64_t start_time;     /* mvm's start time (/proc/PID/stat field 22), against pid reuse */
	enum store_status status;/* as recorded by the last transition */
	char *bundle, *rootfs, *created, *owner; /* malloc'd; created is RFC 3339 with ns */
	char *cgroup_path;       /* linux.cgroupsPath, or NULL */
	void *annotations;       /* json_t object, owned; NULL for none */
	uint64_t mem_mib;        /* the VM's size, for mvrun's own use */
	int cpus;
	char *sandbox;           /* a pod member's sandbox container (its id), else NULL; pid is
				  * then the member's host process (member.c) */
};

/* Check a container id as runc and crun do: letters, digits, "_+.-", not
 * starting with '.', at most STORE_ID_MAX bytes. Returns 0 or -1 with err. */
int store_check_id(const char *id, struct err *err);

/* ROOT/ID[/name] into out. Returns 0, or -1 with err if it does not fit. */
int store_path(const char *root, const char *id, const char *name, char *out, size_t cap,
	       struct err *err);

/* Make ROOT (mode 0700, with parents) and ROOT/ID. Fails with
 * `container "ID" already exists` if ROOT/ID is there. */
int store_create(const char *root, const char *id, struct err *err);

/* Take the container's lock (blocking). Returns the lock fd (close it to
 * release), or -1 with `container "ID" does not exist` when ROOT/ID is gone.
 * The holder should re-read the state: the container may have been deleted
 * while it waited. */
int store_lock(const char *root, const char *id, struct err *err);

/* Write st as ROOT/ID/state.json, atomically. */
int store_write(const char *root, const struct store_state *st, struct err *err);

/* Read ROOT/ID/state.json into st (free with store_free). A missing
 * container gives `container "ID" does not exist` and sets *missing when
 * missing is not NULL. */
int store_read(const char *root, const char *id, struct store_state *st, bool *missing,
	       struct err *err);

/* Write `text` as ROOT/ID/config.json, atomically. */
int store_save_config(const char *root, const char *id, const char *text, struct err *err);

/* Remove ROOT/ID and everything in it: its files and the files of its
 * staging directories, two levels at most, never following a symlink. A
 * missing directory is fine. */
int store_remove(const char *root, const char *id, struct err *err);

/* The status now: the recorded one while mvm (same pid, same start time) is
 * alive and not a zombie, else stopped. */
enum store_status store_current(const struct store_state *st);

/* Is this pid with this start time alive (and not a zombie)? */
bool store_alive(pid_t pid, uint64_t start_time);

/* A process's start time (/proc/PID/stat field 22) and state letter. Returns
 * 0, or -1 if the process is gone. */
int store_proc_stat(pid_t pid, uint64_t *start_time, char *state);

/* The OCI state as runc prints it (ociVersion, id, pid, status, bundle,
 * rootfs, created, annotations when there are any, owner), with `status`
 * and pid 0 when stopped. Pretty-printed (indent 2) or compact. Returns a
 * malloc'd string, or NULL when out of memory. */
char *store_oci_state(const struct store_state *st, enum store_status status, bool pretty);

/* Now as RFC 3339 in UTC with nanoseconds, trailing zeros trimmed as Go's
 * RFC3339Nano does: "2024-05-01T10:02:03.12345Z". */
void store_now(char *out, size_t cap);

/* Release what st holds (its strings and annotations) and zero it; safe
 * on a zeroed state. */
void store_free(struct store_state *st);

#endif
