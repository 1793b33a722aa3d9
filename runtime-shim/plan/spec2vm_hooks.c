/* The config's createContainer and startContainer hooks, which mvinit runs
 * inside the container (proto/hooks.h): checked at create, encoded once
 * mvm's pid, the state's, is known (launch.c). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proto/hooks.h"
#include "runtime-shim/plan/spec2vm_int.h"

static const enum cfg_hook_kind kinds[PROTO_HOOK_KINDS] = { CFG_HOOK_CREATE_CONTAINER,
							     CFG_HOOK_START_CONTAINER };

static int count(const char **v)
{
	int n = 0;
	while (v && v[n])
		n++;
	return n;
}

/* Is path, resolved as the guest will (inside rootfs, symlinks kept in),
 * there? A path under a mount's destination cannot be checked here. */
static bool in_rootfs(const struct cfg *c, const char *rootfs, const char *path)
{
	for (int i = 0; i < c->nmounts; i++) {
		size_t n = strlen(c->mounts[i].destination);
		if (!strncmp(path, c->mounts[i].destination, n) && (path[n] == '/' || n == 1))
			return true;
	}
	int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int fd = root < 0 ? -1 : (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	if (fd >= 0)
		close(fd);
	if (root >= 0)
		close(root);
	return fd >= 0;
}

int s2v_hooks(const struct cfg *c, struct s2v_plan *p, struct err *err)
{
	int total = 0;
	for (int k = 0; k < PROTO_HOOK_KINDS; k++) {
		const char *name = cfg_hook_names[kinds[k]];
		for (int i = 0; i < c->nhooks[kinds[k]]; i++) {
			const struct hook *h = &c->hooks[kinds[k]][i];
			char f[64];
			snprintf(f, sizeof(f), "hooks.%s[%d]", name, i);
			if (++total > PROTO_MAX_HOOKS)
				return s2v_bad(err, "hooks", "more than %d createContainer and startContainer "
					       "hooks", PROTO_MAX_HOOKS);
			if (count((const char **)h->args) > PROTO_MAX_HOOK_STRS ||
			    count((const char **)h->env) > PROTO_MAX_HOOK_STRS)
				return s2v_bad(err, f, "more than %d args or env entries", PROTO_MAX_HOOK_STRS);
			/* The spec resolves createContainer's path on the host; no host
			 * binary can run in the VM, so the container's own is used. */
			if (kinds[k] == CFG_HOOK_CREATE_CONTAINER && !in_rootfs(c, p->rootfs, h->path))
				return s2v_bad(err, f, "%s is not in the container's rootfs (%s): mvrun runs "
					       "createContainer hooks inside the VM, in the container, with "
					       "the path resolved there, since no host binary can run in it",
					       h->path, p->rootfs);
		}
	}
	if (c->nhooks[CFG_HOOK_CREATE_CONTAINER])
		s2v_note(p, "hooks.createContainer: run inside the VM with the path resolved in the "
			    "container, after the host's prestart and createRuntime would be in runc "
			    "(here they run first, once the guest is set up)");
	p->guest_hooks = total > 0;
	return 0;
}

int s2v_encode_hooks(const struct cfg *c, const char *creating, const char *created,
		     struct proto_buf *b)
{
	static struct proto_hooks hs; /* large; mvrun is single-threaded */
	memset(&hs, 0, sizeof(hs));
	hs.state_creating = creating;
	hs.state_created = created;
	for (int k = 0; k < PROTO_HOOK_KINDS; k++)
		for (int i = 0; i < c->nhooks[kinds[k]] && hs.n < PROTO_MAX_HOOKS; i++) {
			const struct hook *h = &c->hooks[kinds[k]][i];
			struct proto_hook *o = &hs.hook[hs.n++];
			o->kind = (uint32_t)k;
			o->timeout = h->timeout > 0 ? (uint32_t)h->timeout : 0;
			o->path = h->path;
			for (int j = 0; h->args && h->args[j] && o->nargs < PROTO_MAX_HOOK_STRS; j++)
				o->args[o->nargs++] = h->args[j];
			for (int j = 0; h->env && h->env[j] && o->nenv < PROTO_MAX_HOOK_STRS; j++)
				o->env[o->nenv++] = h->env[j];
		}
	return proto_encode_hooks(b, &hs);
}
