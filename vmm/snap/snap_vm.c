#include "vmm/snap/snap_vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mvm_build_id.h"
#include "vmm/snap/snap_dev.h"
#include "vmm/snap/snap_kvm.h"
#include "common/io.h"

const char *snap_build_id(void)
{
	return MVM_BUILD_ID;
}

void snap_vm_close(struct snap_file *f)
{
	snap_view_free(&f->v);
	free(f->buf);
	f->buf = NULL;
	f->len = 0;
	if (f->mem_fd >= 0)
		close(f->mem_fd);
	f->mem_fd = -1;
}

/* Read a regular file of at most cap bytes whole. */
static int read_whole(int dirfd, const char *name, uint8_t **out, size_t *len, size_t cap,
		      struct err *err)
{
	/* O_NONBLOCK: a FIFO put there would otherwise wait for a writer
	 * forever; on a regular file it changes nothing. */
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	if (fd < 0)
		return err_sys(err, MVM_EXIT_BADARG, errno, "%s", name);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > cap) {
		close(fd);
		return err_set(err, MVM_EXIT_BADARG, "%s: not a regular file of at most %zu bytes",
			       name, cap);
	}
	uint8_t *b = malloc(st.st_size ? (size_t)st.st_size : 1);
	size_t got = 0;
	while (b && got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!b || got != (size_t)st.st_size) {
		free(b);
		return err_set(err, MVM_EXIT_BADARG, "%s: cannot read it whole", name);
	}
	*out = b;
	*len = got;
	return 0;
}

int snap_vm_open(struct snap_file *f, const char *dir, uint64_t mem_bytes, int ncpus,
		 struct err *err)
{
	memset(f, 0, sizeof(*f));
	f->mem_fd = -1;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(err, MVM_EXIT_BADARG, errno, "%s", dir);
	if (read_whole(dfd, "state", &f->buf, &f->len, SNAP_MAX_BYTES, err) < 0 ||
	    snap_parse(f->buf, f->len, &f->v, err) < 0)
		goto fail;
	/* Another build may lay out devices or guest-visible state otherwise:
	 * only the build that wrote a snapshot restores it. */
	const struct snap_section *b = snap_find(&f->v, SNAP_BUILD, 0);
	const char *id = snap_build_id();
	if (!b || b->len != strlen(id) || memcmp(b->data, id, b->len)) {
		err_set(err, MVM_EXIT_BADARG, "snapshot from another mvm build (this one is %s)", id);
		goto fail;
	}
	struct snap_vm_info info;
	if (snap_get(&f->v, SNAP_VM, 0, &info, sizeof(info), err) < 0)
		goto fail;
	if (info.mem_bytes != mem_bytes || info.ncpus != (uint32_t)ncpus) {
		err_set(err, MVM_EXIT_BADARG, "snapshot of a VM with %llu MiB and %u vCPUs, not %llu "
			"MiB and %d", (unsigned long long)(info.mem_bytes >> 20), info.ncpus,
			(unsigned long long)(mem_bytes >> 20), ncpus);
		goto fail;
	}
	f->mem_fd = openat(dfd, "mem", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	if (f->mem_fd < 0 || fstat(f->mem_fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != mem_bytes) {
		err_set(err, MVM_EXIT_BADARG, "snapshot memory file missing or not %llu bytes",
			(unsigned long long)mem_bytes);
		goto fail;
	}
	close(dfd);
	return 0;
fail:
	close(dfd);
	snap_vm_close(f);
	return -1;
}

int snap_vm_load(struct vm *vm, const struct snap_file *f, struct err *err)
{
	if (snap_dev_restore(vm, &f->v, err) < 0 || snap_kvm_restore(vm, &f->v, err) < 0)
		return -1;
	vm->port.restored = true;
	return 0;
}

void snap_out_abort(struct snap_out *o)
{
	if (o->tmp_fd >= 0) {
		unlinkat(o->tmp_fd, "state", 0);
		unlinkat(o->tmp_fd, "mem", 0);
		close(o->tmp_fd);
		o->tmp_fd = -1;
	}
	/* Also when the directory was made but could not be opened: it is
	 * empty then. */
	if (o->parent_fd >= 0 && o->tmp[0])
		unlinkat(o->parent_fd, o->tmp, AT_REMOVEDIR);
	if (o->state_fd >= 0)
		close(o->state_fd);
	if (o->mem_fd >= 0)
		close(o->mem_fd);
	if (o->parent_fd >= 0)
		close(o->parent_fd);
	o->parent_fd = o->state_fd = o->mem_fd = -1;
	o->tmp[0] = 0;
}

int snap_out_prepare(struct snap_out *o, const char *dir, struct err *err)
{
	memset(o, 0, sizeof(*o));
	o->parent_fd = o->tmp_fd = o->state_fd = o->mem_fd = -1;
	char path[4096];
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return err_set(err, MVM_EXIT_BADARG, "--snapshot-save: path too long");
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = 0;
	char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..") ||
	    snprintf(o->name, sizeof(o->name), "%s", base) >= (int)sizeof(o->name))
		return err_set(err, MVM_EXIT_BADARG, "--snapshot-save %s: not a directory name", dir);
	if (slash == path)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	o->parent_fd = open(slash ? path : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->parent_fd < 0)
		return err_sys(err, MVM_EXIT_BADARG, errno, "--snapshot-save %s", dir);
	struct stat st;
	if (fstatat(o->parent_fd, o->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		snap_out_abort(o);
		return err_set(err, MVM_EXIT_BADARG, "--snapshot-save %s: exists already", dir);
	}
	snprintf(o->tmp, sizeof(o->tmp), ".%s.tmp%ld", o->name, (long)getpid());
	if (mkdirat(o->parent_fd, o->tmp, 0700) < 0) {
		int e = errno;
		o->tmp[0] = 0;
		snap_out_abort(o);
		return err_sys(err, MVM_EXIT_INTERNAL, e, "--snapshot-save %s: mkdir", dir);
	}
	o->tmp_fd = openat(o->parent_fd, o->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->tmp_fd >= 0) {
		o->state_fd = openat(o->tmp_fd, "state", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		o->mem_fd = openat(o->tmp_fd, "mem", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (o->tmp_fd < 0 || o->state_fd < 0 || o->mem_fd < 0) {
		int e = errno;
		snap_out_abort(o);
		return err_sys(err, MVM_EXIT_INTERNAL, e, "--snapshot-save %s", dir);
	}
	return 0;
}

int snap_vm_save(struct vm *vm, struct snap_out *o, struct err *err)
{
	if (vmstop_reason(&vm->stop) != VM_STOP_SAVE)
		return err_set(err, MVM_EXIT_INTERNAL, "snapshot: the guest stopped before its save "
			       "point (%s)", vm->stop.detail);
	if (atomic_load(&vm->unsettled))
		return err_set(err, MVM_EXIT_INTERNAL, "snapshot: vCPU %d could not complete its "
			       "I/O for the save", atomic_load(&vm->unsettled) - 1);
	struct snap_writer w = { 0 };
	const uint8_t *buf;
	size_t len;
	const char *id = snap_build_id();
	snap_add(&w, SNAP_BUILD, 0, id, strlen(id));
	int r = -1;
	if (snap_kvm_save(vm, &w, err) < 0 || snap_dev_save(vm, &w, err) < 0 ||
	    snap_finish(&w, &buf, &len, err) < 0)
		goto out;
	if (io_write_all(o->state_fd, buf, len) < 0 || fsync(o->state_fd) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "snapshot: writing its state");
		goto out;
	}
	if (gmem_save(&vm->gm, o->mem_fd, err) < 0)
		goto out;
	if (fsync(o->mem_fd) < 0 || fsync(o->tmp_fd) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "snapshot: fsync");
		goto out;
	}
	/* Never onto another: a snapshot saved meanwhile under the same name
	 * wins, and this one goes. */
	if (renameat2(o->parent_fd, o->tmp, o->parent_fd, o->name, RENAME_NOREPLACE) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "snapshot: rename to %s", o->name);
		goto out;
	}
	fsync(o->parent_fd);
	o->tmp[0] = 0; /* renamed: nothing to remove */
	close(o->tmp_fd);
	o->tmp_fd = -1;
	r = 0;
out:
	snap_writer_free(&w);
	snap_out_abort(o);
	return r;
}
