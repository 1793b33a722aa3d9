/* The container's root and mounts in the guest: rootfs.c (the steps, switch
 * root), tmpfs.c, kernfs.c, filebind.c, dev.c, copyup.c. */
#ifndef MVRUN_GI_ROOTFS_ROOTFS_H
#define MVRUN_GI_ROOTFS_ROOTFS_H

#include "guest-init/mvinit.h"

/* ---- rootfs/rootfs.c (prefix rootfs_) ---- */

struct mvi_cgroup;

/* Mount the root share at MVI_NEWROOT, the system filesystems and the
 * spec's shares inside it (from pn's waiting init when there is one, so
 * that /proc is its namespace's), apply setup (NULL: none; confine.c) and
 * its cgroups into cg (cgroup.c), then switch root into it (switch_root style:
 * MS_MOVE onto / and chroot; the initramfs stays), set the hostname and
 * bring up lo. Returns 0, or -1 with e naming the step (MVI_EXIT_SETUP). */
struct mvi_pidns;
int rootfs_setup(const struct proto_spec *s, const struct proto_setup *setup, int procsys,
		 struct mvi_cgroup *cg, struct mvi_pidns *pn, struct err *e);

/* Open `path` inside the root (openat2 RESOLVE_IN_ROOT, no magic links) as
 * an O_PATH fd; rootfs_dir() also makes missing directories (mode 0755).
 * Both return the fd or -1 with errno. */
int rootfs_open(int rootfd, const char *path);
int rootfs_dir(int rootfd, const char *path);

/* Mount type from src on directory path inside the root (made if missing),
 * with flags (MS_RDONLY enforced by a remount if the filesystem ignores it)
 * and data. 0 or -1 with e (MVI_EXIT_SETUP). */
int rootfs_mount(int rootfd, const char *src, const char *path, const char *type,
		 unsigned long flags, const char *data, struct err *e);

/* ---- tmpfs.c ---- */

/* Mount TMPFS m (its tag the options: flags, size, mode, inodes, owner,
 * tmpcopyup; others refused) in the root rootfd, in the mode of the
 * directory it covers when there is one (runc's rule). keep_rw: mount it
 * read-write even if it is to be read-only (the caller fills it and
 * remounts it). 0 or -1 with e (MVI_EXIT_SETUP). */
int rootfs_tmpfs(int rootfd, const struct proto_mount *m, bool keep_rw, struct err *e);

/* With a user namespace (maps), give the tmpfs at path to the container's
 * root; warns on failure (a read-only one stays as it is). */
void rootfs_own_tmpfs(int rootfd, const char *path, const struct proto_setup *maps);

/* ---- kernfs.c ---- */

/* Mount KERNFS m (proc, sysfs, devpts or mqueue) in the root rootfd with its
 * source and options; with maps (a user namespace's, else NULL) a devpts
 * gid= is the guest's id of the container's. 0 or -1 with e. */
int kernfs_mount(int rootfd, const struct proto_mount *m, const struct proto_setup *maps,
		 struct err *e);

/* ---- filebind.c (rootfs.c's single-file binds) ---- */

/* Mount FILES share m (its tag one name) out of the container's view,
 * where rootfs_bind_file() finds its files. 0 or -1 with e. */
int rootfs_files_share(const struct proto_mount *m, struct err *e);

/* Bind file NAME of FILES share T (m->tag "T/NAME") onto m->path in the
 * root rootfd (made as an empty file if missing; never a symlink or a
 * directory), then apply m's ro, nosuid, nodev and noexec. 0 or -1 with e. */
int rootfs_bind_file(int rootfd, const struct proto_mount *m, struct err *e);

/* m's nosuid, nodev and noexec as mount flags. */
unsigned long rootfs_restrict_flags(const struct proto_mount *m);

/* ---- dev.c (prefix dev_) ---- */

/* In the fresh /dev tmpfs of the root rootfd: the default nodes (null, zero,
 * full, random, urandom, tty; 0666, root's), then the links (ptmx to
 * pts/ptmx, fd, stdin, stdout, stderr). 0 or -1 with e (MVI_EXIT_SETUP). */
int dev_nodes(int rootfd, struct err *e);
int dev_links(int rootfd, struct err *e);

/* In the container's root: bind the terminal (the pty slave fd, by its
 * /dev/pts name, found from its master) on /dev/console, as runc does with
 * a terminal. 0 or -1 with e. */
int dev_console(int master, int slave, struct err *e);

/* ---- copyup.c ---- */

/* Copy what directory src holds into directory dst (both read fds), with
 * modes, owners and times, for a tmpfs with tmpcopyup at path. Returns 0,
 * or -1 with e (MVI_EXIT_SETUP) naming the entry that failed. */
int copyup_tree(int src, int dst, const char *path, struct err *e);

#endif
