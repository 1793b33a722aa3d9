#include "vmm/agent/session.h"

#include "vmm/net/hostnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/agent/stream.h"


int session_files(const struct mvm_args *a, struct session_files *f, struct err *err)
{
	f->ndirs = 0;
	memset(f->nnames, 0, sizeof(f->nnames));
	for (int i = 0; i < a->nvolumes; i++)
		snprintf(f->vol_tags[i], sizeof(f->vol_tags[i]), LAUNCH_TAG_VOLUME, i);
	for (int i = 0; i < a->nfiles; i++) {
		const struct mvm_share *m = &a->files[i];
		const char *slash = strrchr(m->host, '/'); /* args_parse checked there is one */
		const char *name = slash + 1;
		int dlen = slash == m->host ? 1 : (int)(slash - m->host), d;
		if (strlen(name) > 255 || !strcmp(name, ".") || !strcmp(name, ".."))
			return err_set(err, MVM_EXIT_BADARG, "--file %s: not a file name", m->host);
		for (d = 0; d < f->ndirs; d++)
			if ((int)strlen(f->dirs[d]) == dlen && !strncmp(f->dirs[d], m->host, (size_t)dlen))
				break;
		if (d == f->ndirs) {
			if (d == MVM_MAX_FILE_DIRS || dlen >= (int)sizeof(f->dirs[d]))
				return err_set(err, MVM_EXIT_BADARG, "--file %s: the files come from more "
					       "than %d directories", m->host, MVM_MAX_FILE_DIRS);
			snprintf(f->dirs[d], sizeof(f->dirs[d]), "%.*s", dlen, m->host);
			snprintf(f->dir_tags[d], sizeof(f->dir_tags[d]), LAUNCH_TAG_FILES, d);
			f->dir_ro[d] = m->ro;
			f->ndirs++;
		} else if (f->dir_ro[d] != m->ro) {
			return err_set(err, MVM_EXIT_BADARG, "--file %s: the files of one directory are "
				       "shared together, so all must be ro or all rw", m->host);
		}
		snprintf(f->file_tags[i], sizeof(f->file_tags[i]), LAUNCH_TAG_FILE, d, name);
		f->names[d][f->nnames[d]++] = name;
	}
	return 0;
}

/* The tags of the shares mvm serves (launch.h): root, volN, filesD and
 * filesD/NAME. */
int session_share_tags(const struct mvm_args *a, const struct session_files *f, const char **tags)
{
	int n = 0;
	tags[n++] = LAUNCH_TAG_ROOT;
	for (int i = 0; i < a->nvolumes; i++)
		tags[n++] = f->vol_tags[i];
	for (int d = 0; d < f->ndirs; d++)
		tags[n++] = f->dir_tags[d];
	for (int i = 0; i < a->nfiles; i++)
		tags[n++] = f->file_tags[i];
	return n;
}

/* The container stream mvrun wrote: read whole, then checked. */
static int read_stream(struct session *b, const struct mvm_args *a, struct err *err)
{
	struct proto_buf *x = &b->stream;
	uint8_t chunk[4096];
	ssize_t n;
	while ((n = read(a->stream_fd, chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR)) {
		if (n <= 0)
			continue;
		if (x->len + (size_t)n > STREAM_MAX_LEN)
			return err_set(err, MVM_EXIT_BADARG, "container stream: more than %llu bytes",
				       STREAM_MAX_LEN);
		uint8_t *d = realloc(x->data, x->len + (size_t)n);
		if (!d)
			return err_set(err, MVM_EXIT_INTERNAL, "container stream: out of memory");
		memcpy(d + x->len, chunk, (size_t)n);
		x->data = d;
		x->len = x->cap = x->len + (size_t)n;
	}
	if (n < 0)
		return err_sys(err, MVM_EXIT_BADARG, errno, "--stream-fd: read");
	close(a->stream_fd);
	const char *tags[SESSION_MAX_TAGS];
	return stream_check(x->data, x->len, tags, session_share_tags(a, &b->files, tags), &b->policy,
			    &b->spec_flags, err);
}

/* One share: through the jail when there is one, else by path; with the
 * box's policy, and files-only when names is not NULL. */
static int share(struct session *b, struct jail *j, const char *tag, const char *dir, bool ro,
		 const char *const *names, int nnames, struct err *err)
{
	struct vfsdev *d = &b->fs[b->nfs];
	if (!j) {
		if (vfsdev_init(d, tag, dir, ro, err) < 0)
			return -1;
	} else {
		int root = jail_share(j, tag, dir, ro, err);
		if (root < 0)
			return -1;
		int proc = jail_proc_fd(j, err);
		if (proc < 0) {
			close(root);
			return -1;
		}
		if (vfsdev_init_fd(d, tag, root, proc, ro, err) < 0)
			return -1;
	}
	b->nfs++;
	vfs_set_budget(&d->srv, &b->budget);
	vfs_set_policy(&d->srv, &b->policy);
	if (names && vfs_expose_only(&d->srv, names, (uint32_t)nnames) < 0)
		return err_set(err, MVM_EXIT_INTERNAL, "virtio-fs %s: out of memory", tag);
	return 0;
}

/* The VM is over (I/O thread): the namespace's interface without the join. */
static void net_stop(void *opaque)
{
	ctr_net_stop(opaque);
}

int session_setup(struct session *b, const struct mvm_args *a, struct vm *vm, struct jail *j,
	      struct err *err)
{
	if (session_files(a, &b->files, err) < 0)
		return -1;
	b->budget = (struct vfs_budget){ .max_inodes = VFS_MAX_INODES, .max_handles = VFS_MAX_HANDLES };
	memset(&b->policy, 0, sizeof(b->policy));
	b->policy.setid = a->share_privileges;
	if (read_stream(b, a, err) < 0)
		return -1;
	bool tty = b->spec_flags & PROTO_SPEC_TTY;
	b->ctr_made = true; /* ctr_init marks every fd unset before it can fail */
	if (ctr_init(&b->ctr, &vm->loop, &b->stream, tty, err) < 0)
		return -1;
	if (a->ready_fd >= 0)
		ctr_set_ready_fd(&b->ctr, a->ready_fd);
	if (a->control_socket && ctr_listen(&b->ctr, a->control_socket, err) < 0)
		return -1;
	b->nfs = 0;
	if (share(b, j, LAUNCH_TAG_ROOT, a->root, a->read_only, NULL, 0, err) < 0)
		return -1;
	for (int i = 0; i < a->nvolumes; i++)
		if (share(b, j, b->files.vol_tags[i], a->volumes[i].host, a->volumes[i].ro, NULL, 0,
			  err) < 0)
			return -1;
	for (int d = 0; d < b->files.ndirs; d++)
		if (share(b, j, b->files.dir_tags[d], b->files.dirs[d], b->files.dir_ro[d],
			  b->files.names[d], b->files.nnames[d], err) < 0)
			return -1;
	/* The pod share: members of this container's pod get their shares
	 * mounted there by mvrun (proto/proto.h, "Pods"). */
	if (j) {
		int pod = jail_pod(j, err), proc = pod < 0 ? -1 : jail_proc_fd(j, err);
		if (pod < 0 || proc < 0 ||
		    vfsdev_init_fd(&b->fs[b->nfs], PROTO_POD_TAG, pod, proc, false, err) < 0) {
			if (pod >= 0 && proc < 0)
				close(pod);
			return -1;
		}
		vfs_set_budget(&b->fs[b->nfs].srv, &b->budget);
		vfs_set_policy(&b->fs[b->nfs].srv, &b->policy);
		b->nfs++;
	}
	if (vsock_init(&b->vsock, BOX_GUEST_CID, a->vsock_uds, ctr_accept, &b->ctr, err) < 0)
		return -1;
	b->vsock_ok = true;
	if (vm_add_virtio(vm, &b->vsock.transport, &b->vsock.vdev, err) < 0)
		return -1;
	for (int i = 0; i < b->nfs; i++)
		if (vm_add_virtio(vm, &b->fs[i].transport, &b->fs[i].vdev, err) < 0)
			return -1;
	if (a->net) {
		char name[IFNAMSIZ];
		int fd = hostnet_tap_open(&b->ctr.net_tap, name, err);
		if (fd < 0 || vnet_init(&b->net, fd, true, NULL, err) < 0 ||
		    hostnet_peek(b->ctr.net_tap, b->ctr.net_if, err) < 0)
			return -1;
		b->net_ok = true;
		if (vm_add_virtio(vm, &b->net.transport, &b->net.vdev, err) < 0)
			return -1;
		vm->io_atstop = net_stop;
		vm->io_atstop_opaque = &b->ctr;
	}
	if (tty && isatty(0) && tcgetattr(0, &b->saved) == 0) {
		/* The guest's pty does the line discipline; ours passes bytes. */
		struct termios raw = b->saved;
		cfmakeraw(&raw);
		if (tcsetattr(0, TCSANOW, &raw) == 0)
			b->raw = true;
	}
	return 0;
}

int session_status(struct session *b, int vm_status, char *line, size_t cap)
{
	int st = vm_status;
	if (b->ctr.state == CTR_FAILED && b->ctr.error[0]) {
		snprintf(line, cap, "container: %s", b->ctr.error);
		st = b->ctr.exit_status >= 0 ? b->ctr.exit_status : 1;
	}
	ctr_finish(&b->ctr, st, line);
	return st;
}

void session_restore_tty(struct session *b)
{
	if (b->raw)
		tcsetattr(0, TCSANOW, &b->saved);
	b->raw = false;
}

bool session_fail_ready(struct session *b, int ready_fd, const char *msg)
{
	/* Status 1, as runc's failed create, whatever mvm's own exit code. */
	if (b->ctr_made && b->ctr.ready_fd >= 0) {
		ctr_finish(&b->ctr, 1, msg);
		return true;
	}
	if (b->ctr_made || ready_fd < 0)
		return false; /* said ready already, or no one waits */
	return launch_send_error(ready_fd, 1, "%s", msg) == 0;
}

void session_fini(struct session *b)
{
	session_restore_tty(b);
	if (b->vsock_ok)
		vsock_fini(&b->vsock);
	b->vsock_ok = false;
	if (b->net_ok)
		vnet_fini(&b->net);
	b->net_ok = false;
	for (int i = 0; i < b->nfs; i++)
		vfsdev_fini(&b->fs[i]);
	b->nfs = 0;
	if (b->ctr_made)
		ctr_fini(&b->ctr);
	b->ctr_made = false;
	proto_buf_free(&b->stream);
}
