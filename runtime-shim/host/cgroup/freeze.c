/* Freezing a container: mvm and every host process of the container sit in
 * its cgroup, and freezing that cgroup stops the vCPU threads, so the whole
 * guest stands still (the way runc pauses with the freezer). */
#include "runtime-shim/host/cgroup/cgroup.h"
#include "runtime-shim/host/host.h"

int shim_freeze(const struct store_state *st, bool frozen, struct err *err)
{
	struct cg_layout l;
	if (!st->cgroup_path)
		return err_set(err, 1, "container \"%s\" has no cgroup (linux.cgroupsPath) to %s",
			       st->id, frozen ? "freeze" : "thaw");
	if (cg_detect(&l, "/sys/fs/cgroup", err) < 0)
		return -1;
	return cg_freeze(&l, st->cgroup_path, frozen, err);
}
