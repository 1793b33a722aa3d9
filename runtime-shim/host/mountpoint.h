/* Mount points created on the host inside a container's rootfs. */
#ifndef MVRUN_SHIM_MOUNTPOINT_H
#define MVRUN_SHIM_MOUNTPOINT_H

#include <stdbool.h>

#include "common/err.h"

/* Make `path` (absolute, as seen in the container) exist inside the rootfs
 * directory `rootfs`: missing directories are made (0755) and the last
 * component is a directory, or an empty file when `file`. Every component
 * is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT), so a symlink in
 * the image cannot send it outside. What exists already is left alone.
 * Returns 0, or -1 with err naming the path. */
int mp_create(const char *rootfs, const char *path, bool file, struct err *err);

#endif
