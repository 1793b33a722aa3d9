/* The build order of one VM (build.h). */
#include "vmm/build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/core/kvmhost.h"
#include "vmm/core/surface.h"

/* The kernel command line: the user's, the devices' and container mode's. */
static int build_cmdline(struct build *b, struct err *err)
{
	char extra[LAYOUT_CMDLINE_MAX];
	int n = vm_virtio_cmdline(b->vm, extra, sizeof(extra));
	if (n < 0)
		return err_set(err, MVM_EXIT_BADARG, "too many devices for the kernel command line");
	if (b->session && snprintf(extra + n, sizeof(extra) - n, "%smvinit.control=1",
				   n ? " " : "") >= (int)(sizeof(extra) - n))
		return err_set(err, MVM_EXIT_BADARG, "too many devices for the kernel command line");
	b->co.extra = extra;
	int r = cmdline_build(b->cmdline, sizeof(b->cmdline), &b->co, err);
	b->co.extra = NULL;
	return r < 0 ? -1 : 0;
}

/* Every device answers only inside the surface table. */
static int check_surface(const struct vm *vm, struct err *err)
{
	const char *stray = "";
	if (!surface_covers(&vm->pio, SURF_PIO, &stray) || !surface_covers(&vm->mmio, SURF_MMIO, &stray))
		return err_set(err, MVM_EXIT_INTERNAL, "device %s answers outside the surface table "
			       "(vmm/core/surface.c)", stray);
	return 0;
}

int build_check(struct build *b, const struct mvm_args *a, struct err *err)
{
	b->co = (struct cmdline_opts){ .console = a->console, .no_xsave = a->no_xsave,
				       .user = a->cmdline };
	b->lb = (struct linux_boot){ .kernel = a->kernel, .initrd = a->initrd,
				     .cmdline = b->cmdline, .mode = a->boot };
	if (cmdline_build(b->cmdline, sizeof(b->cmdline), &b->co, err) < 0 ||
	    load_check(&b->lb, err) < 0 || kvmhost_check_linux(err) < 0)
		return -1;
	return 0;
}

int build_vm(struct build *b, const struct mvm_args *a, const struct timespec *t0,
	     struct err *err)
{
	struct vm_config vc = {
		.mem_bytes = a->mem_mib << 20,
		.ncpus = a->cpus,
		.irqchip = true,
		.no_xsave = a->no_xsave,
		.console_fd = a->console ? 1 : -1,
	};
	b->snap = (struct snap_file){ .mem_fd = -1 };
	b->out = (struct snap_out){ .parent_fd = -1, .tmp_fd = -1, .state_fd = -1, .mem_fd = -1 };
	if (a->restore && snap_vm_open(&b->snap, a->restore, vc.mem_bytes, vc.ncpus, err) < 0) {
		snprintf(b->note, sizeof(b->note), "--restore %.200s: %.250s; booting cold",
			 a->restore, err->msg);
		memset(err, 0, sizeof(*err));
	}
	vc.mem_from_file = b->snap.mem_fd >= 0;
	vc.mem_fd = b->snap.mem_fd;
	if (a->snapshot_save && snap_out_prepare(&b->out, a->snapshot_save, err) < 0)
		return -1;
	b->jail_begun = true; /* jail_fini undoes even a failed jail_begin */
	if (jail_begin(&b->jail, err) < 0)
		return -1;
	b->vm = calloc(1, sizeof(*b->vm));
	b->session = a->root ? calloc(1, sizeof(*b->session)) : NULL;
	if (!b->vm || (a->root && !b->session))
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "calloc");
	struct vm *vm = b->vm;
	if (vm_create(vm, &vc, t0, err) < 0)
		return -1;
	vm->log_fd = a->report ? 2 : -1;
	vm->port.save_stop = a->snapshot_save ? &vm->stop : NULL;
	bool restore = b->snap.mem_fd >= 0;
	if ((b->session && session_setup(b->session, a, vm, &b->jail, err) < 0) ||
	    build_cmdline(b, err) < 0 ||
	    (restore ? snap_vm_load(vm, &b->snap, err) : load_kernel(vm, &b->lb, err)) < 0 ||
	    check_surface(vm, err) < 0)
		return -1;
	vm->sec_tap_fd = b->session && b->session->net_ok ? b->session->net.fd : -1;
	if (jail_enter(&b->jail, (b->session ? JAIL_FS_CAPS : 0) | (a->net ? JAIL_NET_CAPS : 0),
		       err) < 0 ||
	    (!a->snapshot_save && vm_seccomp(vm, a->seccomp, a->seccomp_test, err) < 0))
		return -1;
	return 0;
}

int build_save(struct build *b, struct err *err)
{
	return snap_vm_save(b->vm, &b->out, err);
}

void build_snap_fini(struct build *b)
{
	snap_out_abort(&b->out);
	snap_vm_close(&b->snap);
}

void build_fini(struct build *b)
{
	if (b->vm)
		vm_destroy(b->vm);
	if (b->jail_begun)
		jail_fini(&b->jail);
	free(b->vm);
	free(b->session);
}
