/* Pod members (member.h): recognised by their namespace paths, created in
 * their sandbox's running VM. */
#include "runtime-shim/host/member.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/openat2.h>

/* mvm's jail's (vmm/sandbox/jail.h, JAIL_POD_DIR), from the jail's root:
 * in_mvm's child works there (its namespace's root is not the jail's,
 * which mvm pivoted into). */
#define POD_DIR "pod"

static bool same_file(const char *a, const char *b)
{
	struct stat x, y;
	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static const char *proc_ns_name(const char *type)
{
	return !strcmp(type, "network") ? "net" : !strcmp(type, "ipc") ? "ipc"
	       : !strcmp(type, "uts")   ? "uts" : !strcmp(type, "pid") ? "pid" : NULL;
}

/* The running containers of root, one by one: st filled, 1; 0 at the end. */
static int next_running(const char *root, DIR *d, struct store_state *st)
{
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || store_check_id(de->d_name, NULL) < 0)
			continue;
		if (store_read(root, de->d_name, st, NULL, NULL) < 0)
			continue;
		if (store_current(st) != STORE_STOPPED && st->pid > 0)
			return 1;
		store_free(st);
	}
	return 0;
}

int member_find(const char *root, const struct cfg *c, struct member_ref *ref, struct err *err)
{
	const struct cfg_linux *l = &c->lx;
	int decisive = -1, netonly = -1; /* the namespaces[] index that says "member" */
	memset(ref, 0, sizeof(*ref));
	for (int i = 0; i < l->nnamespaces; i++) {
		const char *t = proc_ns_name(l->namespaces[i].type);
		if (!l->namespaces[i].path || !t)
			continue;
		if (strcmp(t, "net"))
			decisive = decisive < 0 ? i : decisive;
		else
			netonly = i;
	}
	if (decisive < 0 && netonly < 0)
		return 0;
	DIR *d = opendir(root);
	int found = 0, nnet = 0;
	struct store_state st;
	char ns[64];
	while (d && next_running(root, d, &st)) {
		const char *sandbox = st.sandbox ? st.sandbox : st.id;
		bool hit = false;
		for (int i = 0; i < l->nnamespaces && !hit; i++) {
			const char *t = proc_ns_name(l->namespaces[i].type), *path = l->namespaces[i].path;
			if (!path || !t)
				continue;
			/* A member of a member: its host process names the sandbox. */
			int pid = 0;
			if (st.sandbox && sscanf(path, "/proc/%d/ns/", &pid) == 1 && pid == st.pid) {
				hit = true;
				continue;
			}
			if (st.sandbox)
				continue;
			snprintf(ns, sizeof(ns), "/proc/%d/ns/%s", (int)st.pid, t);
			if (!same_file(path, ns))
				continue;
			/* mvm's net is the engine's (or the host's): it names the
			 * sandbox only if it is no one else's and not the host's. */
			if (!strcmp(t, "net")) {
				if (!same_file(path, "/proc/1/ns/net"))
					nnet++, hit = decisive < 0;
			} else {
				hit = true;
			}
		}
		if (hit && !found) {
			snprintf(ref->sandbox, sizeof(ref->sandbox), "%s", sandbox);
			found = 1;
		}
		store_free(&st);
	}
	if (d)
		closedir(d);
	if (found && (decisive >= 0 || nnet == 1))
		return 1;
	if (decisive < 0)
		return 0; /* an engine's network namespace: the VM starts in it */
	return err_set(err, 1, "config.json: linux.namespaces[%d]: %s is not a namespace of a "
		       "running mvrun container (a VM can join only its pod's)", decisive,
		       l->namespaces[decisive].path);
}

/* The child's failure, one line on fd 2 (a pipe to in_mvm): returns 1. */
static int why(const char *what, const char *name)
{
	dprintf(2, "%s %s: %s", what, name, strerror(errno));
	return 1;
}

/* In a child: pre(arg) where we are (if not NULL), then fn(arg) in mvm's
 * mount namespace; 0 if both returned 0, else -1 with err saying why. */
static int in_mvm(pid_t mvm, int (*pre)(void *), int (*fn)(void *), void *arg, struct err *err)
{
	char path[64], msg[512];
	int p[2];
	snprintf(path, sizeof(path), "/proc/%d/root", (int)mvm);
	int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)mvm);
	int ns = root < 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0) {
		err_sys(err, 1, errno, "the pod's VM: %s", path);
		if (root >= 0)
			close(root);
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		close(ns);
		close(root);
		return err_sys(err, 1, errno, "pipe");
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		_exit(pre && pre(arg)			       ? 1
		      : setns(ns, CLONE_NEWNS) < 0 || fchdir(root) < 0 ? why("join", path)
								       : fn(arg));
	}
	close(ns);
	close(root);
	close(p[1]);
	ssize_t n = pid < 0 ? 0 : read(p[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = 0;
	close(p[0]);
	int ws = 0;
	while (pid > 0 && waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (pid < 0)
		return err_sys(err, 1, errno, "fork");
	if (!WIFEXITED(ws) || WEXITSTATUS(ws))
		return err_set(err, 1, "the pod's VM: %s its shares: %s",
			       pre ? "could not set up" : "could not remove", msg[0] ? msg : "failed");
	return 0;
}

struct shares {
	const char *name;
	const struct s2v_plan *p;
	int n;
	const char *tag[MEMBER_MAX_SHARES];
	int tree[MEMBER_MAX_SHARES];
};

static int open_beneath(int dirfd, const char *name)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_XDEV };
	return (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
}

/* In mvm's namespace: POD_DIR/NAME/TAG for each tree, moved there. */
static int attach(void *arg)
{
	struct shares *s = arg;
	int pod = open(POD_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW), dir;
	if (pod < 0)
		return why("open", POD_DIR);
	if (mkdirat(pod, s->name, 0755) < 0)
		return why("mkdir", s->name);
	if ((dir = open_beneath(pod, s->name)) < 0)
		return why("open", s->name);
	for (int i = 0; i < s->n; i++) {
		if (mkdirat(dir, s->tag[i], 0755) < 0)
			return why("mkdir", s->tag[i]);
		if (move_mount(s->tree[i], "", dir, s->tag[i], MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return why("mount", s->tag[i]);
	}
	return 0;
}

static int detach(void *arg)
{
	const char *name = arg;
	int pod = open(POD_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW), dir;
	if (pod < 0 || (dir = open_beneath(pod, name)) < 0)
		return errno == ENOENT ? 0 : why("open", name);
	char p[PATH_MAX];
	int dd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dd < 0 ? NULL : fdopendir(dd);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), POD_DIR "/%s/%s", name, de->d_name);
		umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW);
		unlinkat(dir, de->d_name, AT_REMOVEDIR);
	}
	if (d)
		closedir(d);
	return unlinkat(pod, name, AT_REMOVEDIR) < 0 ? why("rmdir", name) : 0;
}

/* A clone of path's mount tree with the share's attributes, or -1. */
static int tree(const char *path, bool ro)
{
	int t = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	struct mount_attr a = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
					    (ro ? MOUNT_ATTR_RDONLY : 0) };
	if (t >= 0 && mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0) {
		close(t);
		return -1;
	}
	return t;
}

/* In the child, before it joins mvm: the single files bound onto their
 * stages (in a mount namespace of its own), then a clone of each share. */
static int trees(void *arg)
{
	struct shares *s = arg;
	const struct s2v_plan *p = s->p;
	static const char *const vtags[] = { "vol0", "vol1", "vol2", "vol3", "vol4", "vol5",
					     "vol6", "vol7", "vol8", "vol9", "vol10", "vol11" };
	static const char *const ftags[] = { "files0", "files1" };
	char dirs[2][PATH_MAX];
	int nvol = 0, ndirs = 0;
	bool ro = false;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return why("a mount namespace", "for the shares");
	for (int i = 0; i < p->nfiles; i++)
		if (mount(p->files[i].src, p->files[i].stage, NULL, MS_BIND, NULL) < 0)
			return why("bind", p->files[i].src);
	for (int i = 1; i < p->argc; i++)
		ro |= !strcmp(p->argv[i], "--read-only");
	for (int i = 1; i + 1 < p->argc && s->n < MEMBER_MAX_SHARES; i++) {
		const char *a = p->argv[i], *v = p->argv[i + 1];
		char path[PATH_MAX];
		size_t len = strlen(v);
		bool vro = len > 3 && !strcmp(v + len - 3, ":ro");
		snprintf(path, sizeof(path), "%.*s", (int)(vro ? len - 3 : len), v);
		if (!strcmp(a, "--root")) {
			s->tag[s->n] = LAUNCH_TAG_ROOT;
			s->tree[s->n++] = tree(path, ro);
		} else if (!strcmp(a, "--volume") && nvol < 12) {
			s->tag[s->n] = vtags[nvol++];
			s->tree[s->n++] = tree(path, vro);
		} else if (!strcmp(a, "--file")) {
			char *slash = strrchr(path, '/');
			if (slash)
				*slash = 0;
			int d = 0;
			while (d < ndirs && strcmp(dirs[d], path))
				d++;
			i++;
			if (d < ndirs || ndirs == 2)
				continue;
			snprintf(dirs[ndirs++], sizeof(dirs[0]), "%s", path);
			s->tag[s->n] = ftags[d];
			s->tree[s->n++] = tree(path, vro);
			continue;
		} else {
			continue;
		}
		i++;
	}
	for (int i = 0; i < s->n; i++)
		if (s->tree[i] < 0)
			return why("share", s->tag[i]);
	return 0;
}

int member_attach(pid_t mvm, const char *name, const struct s2v_plan *p, struct err *err)
{
	struct shares s = { .name = name, .p = p };
	return in_mvm(mvm, trees, attach, &s, err);
}

int member_detach(pid_t mvm, const char *name, struct err *err)
{
	return in_mvm(mvm, NULL, detach, (void *)name, err);
}

int member_tags(struct s2v_plan *p, const char *name, char **owned, int cap)
{
	int n = 0;
	char *t;
	if (asprintf(&t, PROTO_POD_TAG "/%s/%s", name, p->spec.root_tag) < 0)
		return -1;
	owned[n++] = t;
	p->spec.root_tag = t;
	for (uint32_t i = 0; i < p->spec.nmounts; i++) {
		struct proto_mount *m = &p->spec.mounts[i];
		if (m->flags & (PROTO_MOUNT_TMPFS | PROTO_MOUNT_KERNFS))
			continue;
		if (n == cap || asprintf(&t, PROTO_POD_TAG "/%s/%s", name, m->tag) < 0)
			return -1;
		owned[n++] = t;
		m->tag = t;
	}
	return n;
}
