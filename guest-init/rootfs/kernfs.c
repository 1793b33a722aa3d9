/* A filesystem of the guest kernel's own from the config (proc, sysfs,
 * devpts, mqueue: PROTO_MOUNT_KERNFS), mounted as runc mounts it: the
 * config's source and type, its flags as mount flags and the rest as the
 * filesystem's data. mvrun passed only the options of proto/mountopt.c's
 * table; anything else from the host is refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "guest-init/rootfs/rootfs.h"
#include "proto/mountopt.h"

int kernfs_mount(int rootfd, const struct proto_mount *m, const struct proto_setup *maps,
		 struct err *e)
{
	char opts[512], data[512] = "";
	unsigned long flags = 0;
	size_t dl = 0;

	if (!mountopt_type_ok(m->fstype) || !strcmp(m->fstype, "tmpfs"))
		return err_set(e, MVI_EXIT_SETUP, "mount on %s: type \"%s\" is not supported", m->path,
			       m->fstype);
	if (strlen(m->tag) >= sizeof(opts))
		return err_set(e, MVI_EXIT_SETUP, "%s on %s: options too long", m->fstype, m->path);
	strcpy(opts, m->tag);
	for (char *save, *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char mapped[32];

		if (mountopt_flag(o, &flags))
			;
		else if (!mountopt_is_data(m->fstype, o))
			return err_set(e, MVI_EXIT_SETUP, "%s on %s: option \"%s\" is not supported",
				       m->fstype, m->path, o);
		else {
			/* runc mounts devpts in the container's user namespace,
			 * where its gid is the container's: mvinit, outside it,
			 * gives the guest's (when the map has it). */
			if (maps && !strncmp(o, "gid=", 4)) {
				uint32_t g = mvi_map_id(maps->gidmap, maps->ngidmap,
							(uint32_t)strtoul(o + 4, NULL, 10));
				if (g != MVI_UNMAPPED) {
					snprintf(mapped, sizeof(mapped), "gid=%u", g);
					o = mapped;
				}
			}
			dl += (size_t)snprintf(data + dl, sizeof(data) - dl, "%s%s", dl ? "," : "", o);
			if (dl >= sizeof(data))
				return err_set(e, MVI_EXIT_SETUP, "%s on %s: options too long",
					       m->fstype, m->path);
		}
	}
	return rootfs_mount(rootfd, *m->source ? m->source : m->fstype, m->path, m->fstype, flags,
			    data[0] ? data : NULL, e);
}
