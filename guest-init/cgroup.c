/* The container's cgroups inside the guest (cgroup v1: the guest kernel has
 * the devices and pids controllers but no cgroup BPF, so no v2 device
 * filter). Each controller gets its own hierarchy, mounted in the initramfs
 * under CG_DIR, which switch_root covers: the container never sees it.
 * mvinit stays in the root cgroup; each process joins the container's
 * cgroup "c" in its child, before execve, through an fd of cgroup.procs
 * held open across the switch (mvi_cgroup_join).
 *
 * pids: pids.max from SETUP's pids_max ("max" without one), changed by
 * UPDATE while the container runs (mvi_cgroup_update).
 *
 * devices: "a" to devices.deny (deny everything, runc's start), then the
 * SETUP's rules in order to devices.allow or devices.deny
 * (Documentation/admin-guide/cgroup-v1/devices.rst). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-init/mvinit.h"

#define CG_DIR "/mvrun-cgroup"

/* Write text to file `name` in directory dirfd; 0 or -1 with e. */
static int cg_write(int dirfd, const char *ctl, const char *name, const char *text,
		    struct err *e)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(text);
	ssize_t w = -1;
	int err;

	if (fd >= 0)
		w = write(fd, text, n);
	err = errno;
	if (fd >= 0)
		close(fd);
	if (w != (ssize_t)n)
		return err_sys(e, MVI_EXIT_SETUP, w < 0 ? err : EIO, "cgroup %s: write \"%s\" to %s",
			       ctl, text, name);
	return 0;
}

/* Mount controller ctl's hierarchy, make the container's cgroup in it and
 * keep its cgroup.procs in cg. Returns an O_PATH fd of the cgroup's
 * directory, or -1 with e. */
static int cg_hierarchy(const char *ctl, struct mvi_cgroup *cg, struct err *e)
{
	char dir[64];
	int dfd, procs;

	if (cg->n >= MVI_CGROUP_MAX)
		return err_set(e, MVI_EXIT_SETUP, "cgroup %s: too many hierarchies", ctl);
	snprintf(dir, sizeof(dir), CG_DIR "/%s", ctl);
	if ((mkdir(CG_DIR, 0700) < 0 && errno != EEXIST) || (mkdir(dir, 0700) < 0 && errno != EEXIST))
		return err_sys(e, MVI_EXIT_SETUP, errno, "mkdir %s", dir);
	if (mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, ctl) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "mount the cgroup v1 %s controller", ctl);
	snprintf(dir, sizeof(dir), CG_DIR "/%s/c", ctl);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return err_sys(e, MVI_EXIT_SETUP, errno, "mkdir %s", dir);
	if ((dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "open %s", dir);
	if ((procs = openat(dfd, "cgroup.procs", O_WRONLY | O_CLOEXEC)) < 0) {
		int err = errno;
		close(dfd);
		return err_sys(e, MVI_EXIT_SETUP, err, "open %s/cgroup.procs", dir);
	}
	cg->procs[cg->n++] = procs;
	return dfd;
}

/* One rule as devices.allow/deny take it: "c 1:3 rwm", "b *:* m", "a". */
static void devrule_text(const struct proto_devrule *r, char *out, size_t size)
{
	char maj[12] = "*", min[12] = "*", acc[4];
	size_t k = 0;

	if (r->type == 'a') {
		snprintf(out, size, "a");
		return;
	}
	if (r->major != PROTO_DEV_ANY)
		snprintf(maj, sizeof(maj), "%u", r->major);
	if (r->minor != PROTO_DEV_ANY)
		snprintf(min, sizeof(min), "%u", r->minor);
	if (r->access & PROTO_DEV_R)
		acc[k++] = 'r';
	if (r->access & PROTO_DEV_W)
		acc[k++] = 'w';
	if (r->access & PROTO_DEV_M)
		acc[k++] = 'm';
	acc[k] = 0;
	snprintf(out, size, "%c %s:%s %s", (char)r->type, maj, min, acc);
}

static int devices_setup(const struct proto_setup *s, struct mvi_cgroup *cg, struct err *e)
{
	char text[48];
	int dfd = cg_hierarchy("devices", cg, e), ret = 0;

	if (dfd < 0)
		return -1;
	if (cg_write(dfd, "devices", "devices.deny", "a", e) < 0)
		ret = -1;
	for (uint32_t i = 0; !ret && i < s->ndevrules && i < PROTO_MAX_DEVRULES; i++) {
		const struct proto_devrule *r = &s->devrules[i];

		devrule_text(r, text, sizeof(text));
		if (cg_write(dfd, "devices", r->allow ? "devices.allow" : "devices.deny", text, e) < 0)
			ret = -1;
	}
	close(dfd);
	return ret;
}

int mvi_cgroup_setup(const struct proto_setup *s, struct mvi_cgroup *cg, struct err *e)
{
	return devices_setup(s, cg, e);
}

int mvi_cgroup_join(const struct mvi_cgroup *cg)
{
	for (int i = 0; cg && i < cg->n; i++)
		if (write(cg->procs[i], "0", 1) != 1)
			return -1;
	return 0;
}

/* pids.max of the container's cgroup: max, or "max" for 0. */
static int pids_max(const struct mvi_cgroup *cg, uint64_t max, struct err *e)
{
	char v[24] = "max";

	if (cg->pids <= 2)
		return err_set(e, MVI_EXIT_SETUP, "cgroup pids: not set up");
	if (max)
		snprintf(v, sizeof(v), "%llu", (unsigned long long)max);
	return cg_write(cg->pids, "pids", "pids.max", v, e);
}

int mvi_cgroup_pids(uint64_t max, struct mvi_cgroup *cg, struct err *e)
{
	int dfd = cg_hierarchy("pids", cg, e);

	if (dfd < 0 && !max) {
		/* A kernel without the pids controller (org.mvrun.kernel): only
		 * a limit needs it, and an UPDATE will say it is not there. */
		mvi_warn("%s", e->msg);
		*e = (struct err){ 0 }; /* a warning: the next error is a fresh one */
		return 0;
	}
	if (dfd < 0)
		return -1;
	cg->pids = dfd;
	return max ? pids_max(cg, max, e) : 0;
}

void mvi_cgroup_update(struct mvi *m, const struct ctl_msg *msg)
{
	struct err e = { 0 };
	uint32_t id;
	uint64_t max;
	int r;

	if (proto_decode_update(msg->payload, msg->hdr.len, &id, &max) < 0) {
		mvi_warn("bad UPDATE from the host: ignored");
		return;
	}
	if (pids_max(&m->cgroup, max, &e) < 0)
		r = ctl_send_exec_error(m->ctl, id, &e);
	else
		r = ctl_send_exec_exit(m->ctl, id, 0);
	if (r < 0)
		mvi_warn("answer UPDATE: %s", strerror(errno));
}
