#include "vmm/box.h"

#include "vmm/hostnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/confine.h"
#include "proto/hooks.h"

static const char *const vol_tags[MVM_MAX_VOLUMES] = {
	"vol0", "vol1", "vol2", "vol3", "vol4", "vol5",
	"vol6", "vol7", "vol8", "vol9", "vol10", "vol11",
};

/* Group the --file files by directory: one share each, all ro or all rw. */
static int file_dirs(const struct mvm_args *a, struct box_files *f, struct mvm_err *err)
{
	f->ndirs = 0;
	memset(f->nnames, 0, sizeof(f->nnames));
	for (int i = 0; i < a->nfiles; i++) {
		const struct mvm_file *m = &a->files[i];
		const char *slash = strrchr(m->host, '/'); /* args_parse checked there is one */
		const char *name = slash + 1;
		int dlen = slash == m->host ? 1 : (int)(slash - m->host), d;
		if (strlen(name) > 255 || !strcmp(name, ".") || !strcmp(name, ".."))
			return mvm_errf(err, MVM_EXIT_BADARG, "--file %s: not a file name", m->host);
		for (d = 0; d < f->ndirs; d++)
			if ((int)strlen(f->dirs[d]) == dlen && !strncmp(f->dirs[d], m->host, (size_t)dlen))
				break;
		if (d == f->ndirs) {
			if (d == MVM_MAX_FILE_DIRS || dlen >= (int)sizeof(f->dirs[d]))
				return mvm_errf(err, MVM_EXIT_BADARG, "--file %s: the files come from more "
						"than %d directories", m->host, MVM_MAX_FILE_DIRS);
			snprintf(f->dirs[d], sizeof(f->dirs[d]), "%.*s", dlen, m->host);
			snprintf(f->dir_tags[d], sizeof(f->dir_tags[d]), "files%d", d);
			f->dir_ro[d] = m->ro;
			f->ndirs++;
		} else if (f->dir_ro[d] != m->ro) {
			return mvm_errf(err, MVM_EXIT_BADARG, "--file %s: the files of one directory are "
					"shared together, so all must be ro or all rw", m->host);
		}
		snprintf(f->file_tags[i], sizeof(f->file_tags[i]), "files%d/%s", d, name);
		f->names[d][f->nnames[d]++] = name;
	}
	return 0;
}

int box_spec(const struct mvm_args *a, struct box_files *f, struct proto_spec *s,
	     struct mvm_err *err)
{
	memset(s, 0, sizeof(*s));
	if (file_dirs(a, f, err) < 0)
		return -1;
	if (a->argc < 1)
		return mvm_errf(err, MVM_EXIT_BADARG, "no command to run");
	s->flags = (a->tty ? PROTO_SPEC_TTY : 0) | (a->read_only ? PROTO_SPEC_READONLY_ROOT : 0) |
		   (a->tty && a->no_onlcr ? PROTO_SPEC_NO_ONLCR : 0);
	s->uid = a->uid;
	s->gid = a->gid;
	s->umask = a->umask;
	s->ngroups = a->ngroups;
	memcpy(s->groups, a->groups, sizeof(s->groups));
	s->nrlimits = a->nrlimits;
	for (uint32_t i = 0; i < a->nrlimits; i++)
		s->rlimits[i] = (struct proto_rlimit){ a->rlimits[i].resource, a->rlimits[i].soft,
						       a->rlimits[i].hard };
	s->cwd = a->cwd ? a->cwd : "/";
	s->hostname = a->hostname ? a->hostname : "";
	s->root_tag = "root";
	s->argc = (uint32_t)a->argc;
	s->argv = (const char **)a->argv;
	s->envc = (uint32_t)a->nenv;
	s->env = (const char **)a->env;
	/* The FILES shares first (out of the container's view), then the
	 * mounts in the order of their options, the config's. */
	for (int d = 0; d < f->ndirs; d++)
		s->mounts[s->nmounts++] = (struct proto_mount){ .tag = f->dir_tags[d], .path = "",
			.flags = PROTO_MOUNT_FILES | (f->dir_ro[d] ? PROTO_MOUNT_RO : 0) };
	for (int seq = 0; seq < a->nmountargs; seq++) {
		struct proto_mount *m = &s->mounts[s->nmounts];
		for (int i = 0; i < a->ntmpfs; i++)
			if (a->tmpfs_seq[i] == seq)
				*m = (struct proto_mount){ a->tmpfs_opts[i], a->tmpfs_dest[i],
							   PROTO_MOUNT_TMPFS, "tmpfs",
							   a->tmpfs_source[i] };
		for (int i = 0; i < a->nkernfs; i++)
			if (a->kernfs[i].seq == seq)
				*m = (struct proto_mount){ a->kernfs[i].opts, a->kernfs[i].dest,
							   PROTO_MOUNT_KERNFS, a->kernfs[i].type,
							   a->kernfs[i].source };
		for (int i = 0; i < a->nvolumes; i++)
			if (a->volumes[i].seq == seq)
				*m = (struct proto_mount){ .tag = vol_tags[i], .path = a->volumes[i].guest,
							   .flags = (a->volumes[i].ro ? PROTO_MOUNT_RO : 0) |
								    a->volumes[i].restrict_flags };
		for (int i = 0; i < a->nfiles; i++)
			if (a->files[i].seq == seq)
				*m = (struct proto_mount){ .tag = f->file_tags[i], .path = a->files[i].guest,
					.flags = PROTO_MOUNT_FILE | (a->files[i].ro ? PROTO_MOUNT_RO : 0) |
						 a->files[i].restrict_flags };
		s->nmounts++;
	}
	if (a->nkernfs)
		s->flags |= PROTO_SPEC_ALL_MOUNTS;
	struct winsize ws;
	if (a->tty && ioctl(0, TIOCGWINSZ, &ws) == 0) {
		s->rows = ws.ws_row;
		s->cols = ws.ws_col;
	}
	return 0;
}

/* A well-formed HOOKS payload? (decoded into the heap: 17 KiB) */
static bool hooks_ok(const uint8_t *p, size_t len)
{
	struct proto_hooks *h = malloc(sizeof(*h));
	bool ok = h && proto_decode_hooks(p, len, h) == 0;
	free(h);
	return ok;
}

/* What the shares take from SETUP: the device nodes of linux.devices (the
 * only ones MKNOD may make) and the id maps' host ranges (the only owners). */
static void setup_policy(struct vfs_policy *p, const struct proto_setup *s)
{
	p->ndevs = 0;
	for (uint32_t i = 0; i < s->ndevices && p->ndevs < VFS_POLICY_MAX_DEVS; i++) {
		const struct proto_device *d = &s->devices[i];
		if (d->type == 'b' || d->type == 'c')
			p->devs[p->ndevs++] = (struct vfs_devnode){ d->type == 'b' ? S_IFBLK : S_IFCHR,
								    d->major, d->minor };
	}
	p->nuids = s->nuidmap < VFS_POLICY_MAX_IDS ? s->nuidmap : VFS_POLICY_MAX_IDS;
	p->ngids = s->ngidmap < VFS_POLICY_MAX_IDS ? s->ngidmap : VFS_POLICY_MAX_IDS;
	for (uint32_t i = 0; i < p->nuids; i++)
		p->uids[i] = (struct vfs_idrange){ s->uidmap[i].outside, s->uidmap[i].count };
	for (uint32_t i = 0; i < p->ngids; i++)
		p->gids[i] = (struct vfs_idrange){ s->gidmap[i].outside, s->gidmap[i].count };
}

/* A well-formed SETUP payload? If so, its share policy goes into p. */
static bool setup_ok(const uint8_t *m, size_t len, struct vfs_policy *p)
{
	struct proto_setup *s = malloc(sizeof(*s)); /* large */
	bool ok = s && proto_decode_setup(m, len, s) == 0;
	if (ok)
		setup_policy(p, s);
	free(s);
	return ok;
}

/* The messages mvrun wrote to --confine-fd: a CONFINE, a SETUP and a HOOKS,
 * each at most once and in that order, checked by their decoders; they
 * announce themselves in the SPEC's flags. */
static int read_confine(struct box *b, int fd, struct mvm_err *err)
{
	struct proto_buf *x = &b->confine;
	uint8_t chunk[4096];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR)) {
		if (n <= 0)
			continue;
		if (x->len + (size_t)n > 3 * PROTO_MAX_MSG)
			return mvm_errf(err, MVM_EXIT_BADARG, "--confine-fd: more than three messages");
		uint8_t *d = realloc(x->data, x->len + (size_t)n);
		if (!d)
			return mvm_errf(err, MVM_EXIT_INTERNAL, "--confine-fd: out of memory");
		memcpy(d + x->len, chunk, (size_t)n);
		x->data = d;
		x->len = x->cap = x->len + (size_t)n;
	}
	if (n < 0)
		return mvm_errf(err, MVM_EXIT_BADARG, "--confine-fd: read: %s", strerror(errno));
	close(fd);
	for (size_t off = 0; off < x->len;) {
		struct proto_hdr h;
		struct proto_confine c;
		const uint8_t *p = x->data + off + PROTO_HDR_LEN;
		if (x->len - off < PROTO_HDR_LEN || proto_parse_hdr(x->data + off, &h) < 0 ||
		    h.len > x->len - off - PROTO_HDR_LEN)
			return mvm_errf(err, MVM_EXIT_BADARG, "--confine-fd: a malformed message");
		uint32_t later = PROTO_SPEC_SETUP | PROTO_SPEC_HOOKS;
		if (h.type == PROTO_CONFINE && !(b->spec.flags & (PROTO_SPEC_CONFINE | later)) &&
		    proto_decode_confine(p, h.len, &c) == 0)
			b->spec.flags |= PROTO_SPEC_CONFINE;
		else if (h.type == PROTO_SETUP && !(b->spec.flags & later) &&
			 setup_ok(p, h.len, &b->policy))
			b->spec.flags |= PROTO_SPEC_SETUP;
		else if (h.type == PROTO_HOOKS && !(b->spec.flags & PROTO_SPEC_HOOKS) &&
			 hooks_ok(p, h.len))
			b->spec.flags |= PROTO_SPEC_HOOKS;
		else
			return mvm_errf(err, MVM_EXIT_BADARG, "--confine-fd: message type %u is not a "
					"valid CONFINE, SETUP then HOOKS", h.type);
		off += PROTO_HDR_LEN + h.len;
	}
	return 0;
}

/* One share: through the jail when there is one, else by path; with the
 * box's policy, and files-only when names is not NULL. */
static int share(struct box *b, struct jail *j, const char *tag, const char *dir, bool ro,
		 const char *const *names, int nnames, struct mvm_err *err)
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
		return mvm_errf(err, MVM_EXIT_INTERNAL, "virtio-fs %s: out of memory", tag);
	return 0;
}

/* The VM is over (I/O thread): the namespace's interface without the join. */
static void net_stop(void *opaque)
{
	ctr_net_stop(opaque);
}

int box_setup(struct box *b, const struct mvm_args *a, struct vm *vm, struct jail *j,
	      struct mvm_err *err)
{
	if (box_spec(a, &b->files, &b->spec, err) < 0)
		return -1;
	b->budget = (struct vfs_budget){ .max_inodes = VFS_MAX_INODES, .max_handles = VFS_MAX_HANDLES };
	memset(&b->policy, 0, sizeof(b->policy));
	b->policy.setid = a->share_privileges;
	if (a->confine_fd >= 0 && read_confine(b, a->confine_fd, err) < 0)
		return -1;
	b->ctr_made = true; /* ctr_init marks every fd unset before it can fail */
	if (ctr_init(&b->ctr, &vm->loop, &b->spec, a->tty, err) < 0)
		return -1;
	b->ctr.confine = &b->confine;
	if (a->ready_fd >= 0)
		ctr_set_ready_fd(&b->ctr, a->ready_fd);
	if (a->control_socket && ctr_listen(&b->ctr, a->control_socket, err) < 0)
		return -1;
	b->nfs = 0;
	if (share(b, j, "root", a->root, a->read_only, NULL, 0, err) < 0)
		return -1;
	for (int i = 0; i < a->nvolumes; i++)
		if (share(b, j, vol_tags[i], a->volumes[i].host, a->volumes[i].ro, NULL, 0, err) < 0)
			return -1;
	for (int d = 0; d < b->files.ndirs; d++)
		if (share(b, j, b->files.dir_tags[d], b->files.dirs[d], b->files.dir_ro[d],
			  b->files.names[d], b->files.nnames[d], err) < 0)
			return -1;
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
	if (a->tty && isatty(0) && tcgetattr(0, &b->saved) == 0) {
		/* The guest's pty does the line discipline; ours passes bytes. */
		struct termios raw = b->saved;
		cfmakeraw(&raw);
		if (tcsetattr(0, TCSANOW, &raw) == 0)
			b->raw = true;
	}
	return 0;
}

int box_status(struct box *b, int vm_status, char *line, size_t cap)
{
	int st = vm_status;
	if (b->ctr.state == CTR_FAILED && b->ctr.error[0]) {
		snprintf(line, cap, "container: %s", b->ctr.error);
		st = b->ctr.exit_status >= 0 ? b->ctr.exit_status : 1;
	}
	ctr_finish(&b->ctr, st, line);
	return st;
}

void box_restore_tty(struct box *b)
{
	if (b->raw)
		tcsetattr(0, TCSANOW, &b->saved);
	b->raw = false;
}

bool box_fail_ready(struct box *b, int ready_fd, const char *msg)
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

void box_fini(struct box *b)
{
	box_restore_tty(b);
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
	proto_buf_free(&b->confine);
}
