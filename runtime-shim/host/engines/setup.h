/* mvrun setup: registering mvrun with an engine's configuration file. Each
 * editor reads the whole file, changes only what registers mvrun, and writes
 * the result atomically; a file it cannot parse is left untouched. */
#ifndef MVRUN_SHIM_SETUP_H
#define MVRUN_SHIM_SETUP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* What an editor did. */
enum setup_result { SETUP_CHANGED, SETUP_UNCHANGED };

/* A file's whole text: data (NUL-terminated, owned) and len; missing is set
 * for a file that does not exist (data is then ""). */
struct setup_file {
	char *data;
	size_t len;
	bool missing;
};

/* Read path into f. Returns 0, or -1 with err. */
int setup_read(const char *path, struct setup_file *f, struct err *err);

/* Replace path with text atomically (a temporary file beside it, fsync,
 * rename), keeping an existing file's mode, 0644 for a new one, and making
 * the parent directory if missing. Returns 0, or -1 with err. */
int setup_write(const char *path, const char *text, size_t len, struct err *err);

/* docker: runtimes.mvrun.path = mvrun in daemon.json text f. On
 * SETUP_CHANGED *out holds the new text (owned). Returns the result, or -1
 * with err naming the problem. */
int setup_docker(const struct setup_file *f, const char *mvrun, char **out, struct err *err);

/* podman: [engine.runtimes] mvrun = ["mvrun"] in containers.conf text f.
 * As setup_docker. */
int setup_podman(const struct setup_file *f, const char *mvrun, char **out, struct err *err);

/* containerd: the CRI runtime handler "mvrun" (runtime_type
 * io.containerd.runc.v2, options.BinaryName = mvrun) in config.toml text f,
 * under the CRI plugin's name for the file's config version (1, 2 or 3).
 * As setup_docker. */
int setup_containerd(const struct setup_file *f, const char *mvrun, char **out, struct err *err);

#endif
