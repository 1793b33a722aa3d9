/* The options of the filesystems mvinit mounts itself (a SPEC's TMPFS and
 * KERNFS mounts): one table for mvrun, which passes only these, and for
 * mvinit, which refuses anything else from the host. */
#ifndef MVRUN_PROTO_MOUNTOPT_H
#define MVRUN_PROTO_MOUNTOPT_H

#include <stdbool.h>

/* tmpfs, proc, sysfs, devpts or mqueue. */
bool mountopt_type_ok(const char *type);

/* o is one of type's data options: a listed word ("newinstance") or a
 * listed "key=" with a non-empty value of the characters that type allows
 * (sizes and modes for tmpfs, words and numbers for the others). */
bool mountopt_is_data(const char *type, const char *o);

/* o is a mount flag word: ro, rw, nosuid, nodev, noexec or exec. When it is,
 * its MS_* bit (none for rw and exec, the defaults) is or'ed into *flags. */
bool mountopt_flag(const char *o, unsigned long *flags);

#endif
