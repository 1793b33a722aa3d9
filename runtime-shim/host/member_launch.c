/* create for a pod member (member.h): the plan as for any container, its
 * shares mounted into the sandbox's mvm, and its host process, which hands
 * mvm the container stream and waits for the guest's READY. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/sock.h"
#include "runtime-shim/host/cgroup/cgroup.h"
#include "runtime-shim/host/exec_host.h"
#include "runtime-shim/host/launch_int.h"
#include "runtime-shim/host/member.h"

struct ml {
	struct shim_ctx *g;
	const struct launch_opts *o;
	const struct member_ref *ref;
	struct cfg cfg;
	char *cfg_text;
	struct s2v_plan plan;
	struct store_state st, sb;
	struct cg_layout cgl;
	char bundle[PATH_MAX], dir[PATH_MAX], sock[PATH_MAX], sbsock[PATH_MAX], cgroup[PATH_MAX];
	char *owned[1 + PROTO_MAX_MOUNTS];
	int nowned, lock, listen, ctl;
	bool made_dir, attached, in_cgroup;
	pid_t pid;
};

static int listen_at(struct ml *l, struct err *err)
{
	/* Engines' state dirs (Docker's exec root and a 64-character id)
	 * make paths beyond sun_path: bound through the directory then. */
	struct sockaddr_un sa;
	int dirfd = -1, r = sock_unix_addr(l->sock, &sa, &dirfd);
	if (r == SOCK_PATH_TOO_LONG || r == SOCK_NAME_TOO_LONG)
		return err_set(err, 1, "%s: path too long", l->sock);
	if (r < 0)
		return err_sys(err, 1, errno, "listen on %s", l->sock);
	l->listen = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	r = l->listen < 0 || bind(l->listen, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(l->listen, 4) < 0 ? -1 : 0;
	int e = errno;
	if (dirfd >= 0)
		close(dirfd);
	return r < 0 ? err_sys(err, 1, e, "listen on %s", l->sock) : 0;
}

/* The host process: the stream (with HOOKS, whose state names this pid)
 * as MEMBER{0, stream} to mvm, then the member's life. */
static void __attribute__((noreturn)) host(struct ml *l, int report)
{
	struct proto_buf stream = { 0 }, msg = { 0 };
	struct err e = { 0 };
	uint8_t zero[4] = { 0 };
	int r = s2v_encode_stream(&l->plan, 0, 0, &stream);
	if (r == 0 && l->plan.guest_hooks) {
		l->st.pid = getpid();
		char *creating = store_oci_state(&l->st, STORE_CREATING, false);
		char *created = store_oci_state(&l->st, STORE_CREATED, false);
		r = creating && created ? s2v_encode_hooks(&l->cfg, creating, created, &stream) : -1;
		free(creating);
		free(created);
	}
	struct proto_buf payload = { 0 };
	if (r < 0 || proto_append(&payload, zero, 4) < 0 ||
	    proto_append(&payload, stream.data, stream.len) < 0 ||
	    proto_encode_raw(&msg, PROTO_MEMBER, payload.data, payload.len) < 0) {
		dprintf(report, "error 1 config.json: the container does not fit in a control message\n");
		_exit(1);
	}
	struct exec_host h = { .ctl = l->ctl, .tin = -1, .tout = -1, .tsize = -1,
			       .report_fd = report, .member = &msg, .listen = l->listen };
	r = exec_host_run(&h, NULL, &e);
	_exit(r < 0 ? e.status : r);
}

/* The state create records first, naming the member's sandbox. */
static int fill_state(struct ml *l, struct err *err)
{
	if (launch_fill_state(&l->st, l->o->id, l->bundle, &l->plan, &l->cfg, err) < 0)
		return -1;
	l->st.sandbox = strdup(l->ref->sandbox);
	return l->st.sandbox ? 0 : err_set(err, 1, "out of memory");
}

/* The host process's word: "ok", or "error STATUS MESSAGE". */
static int await(int rep, struct err *err)
{
	char line[1200];
	size_t got = 0;
	ssize_t n;
	while (got < sizeof(line) - 1 &&
	       ((n = read(rep, line + got, sizeof(line) - 1 - got)) > 0 || (n < 0 && errno == EINTR)))
		got += n > 0 ? (size_t)n : 0;
	line[got] = 0;
	char *nl = strchr(line, '\n'), *end;
	if (nl)
		*nl = 0;
	if (!strcmp(line, "ok"))
		return 0;
	long s = strtol(line + 6, &end, 10);
	if (!strncmp(line, "error ", 6) && end != line + 6)
		return err_set(err, s > 0 && s < 256 ? (int)s : 1, "%s", *end ? end + 1 : end);
	return err_set(err, 1, "the member's host process died before the container was ready");
}

static int launch(struct ml *l, struct err *err)
{
	const struct launch_opts *o = l->o;
	char mvm[PATH_MAX], kernel[PATH_MAX], initrd[PATH_MAX];
	int rep[2] = { -1, -1 };
	if (store_check_id(o->id, err) < 0)
		return -1;
	if (!realpath(o->bundle ? o->bundle : ".", l->bundle))
		return err_sys(err, 1, errno, "--bundle %s", o->bundle ? o->bundle : ".");
	if (cfg_load(l->bundle, &l->cfg, &l->cfg_text, err) < 0 ||
	    shim_vm_files(mvm, kernel, initrd, err) < 0 ||
	    store_read(l->g->root, l->ref->sandbox, &l->sb, NULL, err) < 0 ||
	    store_path(l->g->root, o->id, "ctl.sock", l->sock, sizeof(l->sock), err) < 0 ||
	    store_path(l->g->root, l->ref->sandbox, "ctl.sock", l->sbsock, sizeof(l->sbsock), err) < 0 ||
	    store_path(l->g->root, o->id, NULL, l->dir, sizeof(l->dir), err) < 0)
		return -1;
	if (l->cfg.process.terminal)
		return err_set(err, 1, "process.terminal: a pod member with a terminal is not "
			       "supported yet");
	struct s2v_inputs in = { .bundle = l->bundle, .mvm = mvm, .kernel = kernel,
				 .initrd = initrd, .ready_fd = -1, .stream_fd = -1,
				 .state_dir = l->dir, .member = true };
	if (s2v_build(&l->cfg, &in, &l->plan, err) < 0)
		return -1;
	for (int i = 0; i < l->plan.nnotes; i++)
		shim_warn(l->g, "create %s: %s", o->id, l->plan.notes[i]);
	if (!l->plan.cgroups_path) {
		if (cg_default_path(o->id, l->cgroup, sizeof(l->cgroup), err) < 0)
			return -1;
		l->plan.cgroups_path = l->cgroup;
	}
	if ((l->nowned = member_tags(&l->plan, o->id, l->owned, 1 + PROTO_MAX_MOUNTS)) < 0)
		return err_set(err, 1, "out of memory");
	if (store_create(l->g->root, o->id, err) < 0)
		return -1;
	l->made_dir = true;
	if ((l->lock = store_lock(l->g->root, o->id, err)) < 0 ||
	    store_save_config(l->g->root, o->id, l->cfg_text, err) < 0 || fill_state(l, err) < 0 ||
	    launch_make_stages(&l->plan, err) < 0)
		return -1;
	if (member_attach(l->sb.pid, o->id, &l->plan, err) < 0)
		return -1;
	l->attached = true;
	if (listen_at(l, err) < 0 ||
	    (l->ctl = shim_unix_connect(l->sbsock, "connect to the pod's mvm", err)) < 0)
		return -1;
	if (pipe2(rep, O_CLOEXEC) < 0)
		return err_sys(err, 1, errno, "pipe");
	fflush(NULL);
	l->pid = fork();
	if (l->pid == 0) {
		/* Not the container's lock: start and delete take it. */
		close(l->lock);
		close(rep[0]);
		host(l, rep[1]);
	}
	close(rep[1]);
	if (l->pid < 0) {
		l->pid = 0;
		close(rep[0]);
		return err_sys(err, 1, errno, "fork");
	}
	l->st.pid = l->pid;
	int r = 0;
	if (store_proc_stat(l->pid, &l->st.start_time, NULL) < 0 ||
	    store_write(l->g->root, &l->st, err) < 0 || cg_detect(&l->cgl, "/sys/fs/cgroup", err) < 0 ||
	    cg_enter(&l->cgl, l->plan.cgroups_path, l->pid, &l->plan.res, err) < 0)
		r = -1;
	else
		l->in_cgroup = true;
	if (r == 0)
		r = await(rep[0], err);
	close(rep[0]);
	if (r < 0)
		return err->status ? -1 : err_set(err, 1, "the member's host process vanished");
	if (hooks_run_kind(&l->cfg, CFG_HOOK_PRESTART, &l->st, STORE_CREATING, err) < 0 ||
	    hooks_run_kind(&l->cfg, CFG_HOOK_CREATE_RUNTIME, &l->st, STORE_CREATING, err) < 0)
		return -1;
	l->st.status = STORE_CREATED;
	if (store_write(l->g->root, &l->st, err) < 0 ||
	    (o->pid_file && shim_write_pidfile(o->pid_file, l->pid, err) < 0))
		return -1;
	return 0;
}

int member_launch(struct shim_ctx *g, const struct launch_opts *o, const struct member_ref *ref,
		  pid_t *pid, struct err *err)
{
	struct ml l = { .g = g, .o = o, .ref = ref, .lock = -1, .listen = -1, .ctl = -1 };
	int r = launch(&l, err);
	if (r < 0) {
		if (l.pid > 0) {
			kill(l.pid, SIGKILL);
			while (waitpid(l.pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		if (l.attached)
			member_detach(l.sb.pid, o->id, NULL);
		if (l.in_cgroup)
			cg_remove(&l.cgl, l.plan.cgroups_path, NULL);
		if (l.made_dir)
			store_remove(g->root, o->id, NULL);
	} else {
		*pid = l.pid;
	}
	if (l.lock >= 0)
		close(l.lock);
	if (l.listen >= 0)
		close(l.listen);
	if (l.ctl >= 0)
		close(l.ctl);
	for (int i = 0; i < l.nowned; i++)
		free(l.owned[i]);
	store_free(&l.st);
	if (l.sb.id[0])
		store_free(&l.sb);
	s2v_free(&l.plan);
	cfg_free(&l.cfg);
	free(l.cfg_text);
	return r;
}
