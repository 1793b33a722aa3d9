/* Mount points created on the host inside a container's rootfs. */
#ifndef MVRUN_SHIM_MOUNTPOINT_H
#define MVRUN_SHIM_MOUNTPOINT_H

#include <stdbool.h>

#include "common/err.h"

/* What is mounted at a mount point: a directory, a single file (a file
 * bind), or proc or sysfs, which must find a real directory (not a symlink). */
enum mp_kind { MP_DIR, MP_FILE, MP_KERNFS };

/* Make `path` (absolute, as seen in the container) exist inside the rootfs
 * directory `rootfs`, as runc does before it mounts: symlinks are followed
 * but resolved inside the rootfs (an absolute one from its root, ".." stops
 * there), missing directories are made (0755) and the last component is a
 * directory, or an empty file for MP_FILE. What exists already is left
 * alone; a file where a directory is needed (or the reverse) fails.
 * Returns 0, or -1 with err naming the path. */
int mp_create(const char *rootfs, const char *path, enum mp_kind kind, struct err *err);

#endif
