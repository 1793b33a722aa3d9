/* The container's PID namespace (SETUP's PROTO_SETUP_PIDNS), as runc makes
 * it: the container's process is PID 1 of a namespace of its own from
 * create on, and the procfs the container sees is mounted from inside it.
 *
 * A procfs shows the PID namespace of the process that mounts it, and a
 * namespace ends with its first process, so that process must exist before
 * the container's mounts and must be the one that later becomes the
 * container's process. mvinit clones it into a new namespace sharing
 * mvinit's fd table and root (CLONE_FILES, CLONE_FS): the "waiting init".
 * It makes the container's mounts when mvinit asks (so /proc is the
 * namespace's), follows mvinit's switch of root, and at START takes the
 * process's settings, unshares its fd table and root and goes through
 * spawn.c's steps to execve, as a forked child would.
 *
 * mvinit stays PID 1 of the guest, in the parent namespace: it reaps the
 * execs, sends the host's signals with kill(), so the kernel's rules for a
 * namespace's init apply (from an ancestor namespace, only signals the
 * process handles, and SIGKILL and SIGSTOP, get through: an unhandled
 * SIGTERM is ignored, as under runc), and forks execs and hooks into the
 * namespace (setns on it before fork, back after).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest-init/confine/confine.h"
#include "guest-init/process/process.h"
#include "common/io.h"

#define INIT_STACK (256 * 1024) /* spawn.c's steps run on it */

enum { PN_CALL = 1, PN_GO };

/* What mvinit asks of the waiting init. Pointers are valid in its copy of
 * mvinit's memory only if they were set before the clone (the SPEC, CONFINE
 * and SETUP are). */
struct pn_msg {
	int op;
	/* PN_CALL */
	pidns_fn fn;
	const struct proto_spec *s;
	const struct proto_setup *setup;
	/* PN_GO: the process's settings, by value, and the exec report pipe */
	struct spawn sp;
	struct mvi_cgroup cg;
	struct mvi_userns us;
	int report;
	int mvinit; /* a pidfd of mvinit, for its network namespace (NET may have moved it) */
	char exe[4096];
};

struct pn_reply {
	int ret;
	struct err e;
};

static __attribute__((noreturn)) void init_reply(const struct mvi_pidns *pn, int ret,
						  const struct err *e)
{
	struct pn_reply r = { .ret = ret };

	if (e)
		r.e = *e;
	(void)!io_write_all(pn->rep[1], &r, sizeof(r));
	_exit(1);
}

/* The waiting init: serve PN_CALLs until PN_GO, then become the process. */
static int waiting_init(void *arg)
{
	const struct mvi_pidns *pn = arg;
	struct pn_msg msg;
	struct pn_reply r;
	struct err e = { 0 };

	for (;;) {
		if (io_read_all(pn->cmd[0], &msg, sizeof(msg)) < 0)
			_exit(1);
		if (msg.op != PN_CALL)
			break;
		r = (struct pn_reply){ 0 };
		r.ret = msg.fn(msg.s, msg.setup, &r.e);
		if (io_write_all(pn->rep[1], &r, sizeof(r)) < 0)
			_exit(1);
	}
	if (msg.op != PN_GO)
		_exit(1);
	/* Its own files and root from here on: mvinit may close and change
	 * its own once it has the answer. The network namespace is mvinit's
	 * now, which NET may have changed since the clone. */
	if (unshare(CLONE_FILES | CLONE_FS) < 0) {
		err_sys(&e, MVI_EXIT_SETUP, errno, "unshare the container's init's files");
		init_reply(pn, -1, &e);
	}
	if (setns(msg.mvinit, CLONE_NEWNET) < 0) {
		err_sys(&e, MVI_EXIT_SETUP, errno, "join mvinit's network namespace");
		init_reply(pn, -1, &e);
	}
	r = (struct pn_reply){ 0 };
	if (io_write_all(pn->rep[1], &r, sizeof(r)) < 0)
		_exit(1);
	if (msg.sp.cgroup)
		msg.sp.cgroup = &msg.cg;
	if (msg.sp.userns)
		msg.sp.userns = &msg.us;
	if (msg.sp.exe)
		msg.sp.exe = msg.exe;
	spawn_child(&msg.sp, msg.report);
}

void pidns_init(struct mvi_pidns *pn)
{
	*pn = (struct mvi_pidns){ .pidfd = -1, .own = -1, .ctr = -1,
				  .cmd = { -1, -1 }, .rep = { -1, -1 } };
}

static void close_pipes(struct mvi_pidns *pn)
{
	int *fds[] = { &pn->cmd[0], &pn->cmd[1], &pn->rep[0], &pn->rep[1] };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int pidns_create(struct mvi_pidns *pn, struct err *e)
{
	char path[64];
	char *stack;

	pidns_init(pn);
	if (pipe2(pn->cmd, O_CLOEXEC) < 0 || pipe2(pn->rep, O_CLOEXEC) < 0) {
		err_sys(e, MVI_EXIT_SETUP, errno, "pid namespace: pipe");
		close_pipes(pn);
		return -1;
	}
	if (!(stack = malloc(INIT_STACK))) {
		close_pipes(pn);
		return err_set(e, MVI_EXIT_SETUP, "pid namespace: out of memory");
	}
	/* The child runs on its own copy of the stack: ours can go now. */
	pn->init = clone(waiting_init, stack + INIT_STACK,
			 CLONE_NEWPID | CLONE_FILES | CLONE_FS | SIGCHLD, pn);
	free(stack);
	if (pn->init < 0) {
		pn->init = 0;
		close_pipes(pn);
		return err_sys(e, MVI_EXIT_SETUP, errno, "pid namespace: clone the init");
	}
	/* The initramfs's /proc still: it shows both. */
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pn->init);
	if ((pn->pidfd = (int)syscall(SYS_pidfd_open, pn->init, 0)) < 0 ||
	    (pn->own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0 ||
	    (pn->ctr = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "pid namespace: open %s",
			       pn->pidfd < 0 ? "a pidfd" : pn->own < 0 ? "mvinit's" : path);
	return 0;
}

/* The waiting init's answer, or -1 with e if it died first. */
static int wait_reply(struct mvi_pidns *pn, struct pn_reply *r, struct err *e)
{
	struct pollfd pfd[2] = { { .fd = pn->rep[0], .events = POLLIN },
				 { .fd = pn->pidfd, .events = POLLIN } };

	while (!(pfd[0].revents & POLLIN)) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			return err_sys(e, MVI_EXIT_SETUP, errno, "pid namespace: poll");
		if (!(pfd[0].revents & POLLIN) && pfd[1].revents)
			return err_set(e, MVI_EXIT_SETUP, "the container's init died before START");
	}
	if (io_read_all(pn->rep[0], r, sizeof(*r)) < 0)
		return err_set(e, MVI_EXIT_SETUP, "the container's init died before START");
	if (r->ret < 0) {
		*e = r->e;
		return -1;
	}
	return r->ret;
}

int pidns_call(struct mvi_pidns *pn, pidns_fn fn, const struct proto_spec *s,
	       const struct proto_setup *setup, struct err *e)
{
	static struct pn_msg msg; /* large; mvinit has one thread */
	struct pn_reply r;

	if (pn->cmd[1] < 0)
		return err_set(e, MVI_EXIT_SETUP, "pid namespace: the init has started");
	memset(&msg, 0, sizeof(msg));
	msg.op = PN_CALL;
	msg.fn = fn;
	msg.s = s;
	msg.setup = setup;
	if (io_write_all(pn->cmd[1], &msg, sizeof(msg)) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "pid namespace: ask the init");
	return wait_reply(pn, &r, e);
}

int pidns_go(struct mvi_pidns *pn, const struct spawn *sp, int report, struct err *e)
{
	static struct pn_msg msg;
	struct pn_reply r;
	int ret;

	if (pn->cmd[1] < 0)
		return err_set(e, MVI_EXIT_SETUP, "pid namespace: the init has started");
	memset(&msg, 0, sizeof(msg));
	msg.op = PN_GO;
	msg.sp = *sp;
	if (sp->cgroup)
		msg.cg = *sp->cgroup;
	if (sp->userns)
		msg.us = *sp->userns;
	if (sp->exe)
		snprintf(msg.exe, sizeof(msg.exe), "%s", sp->exe);
	msg.report = report;
	/* By pidfd: /proc is the container's, where mvinit has no pid. */
	msg.mvinit = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (msg.mvinit < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "pid namespace: pidfd of mvinit");
	if (io_write_all(pn->cmd[1], &msg, sizeof(msg)) < 0)
		ret = err_sys(e, MVI_EXIT_SETUP, errno, "pid namespace: start the init");
	else
		ret = wait_reply(pn, &r, e);
	/* The init has its own copies now (or is gone). */
	close(msg.mvinit);
	close_pipes(pn);
	return ret;
}

int pidns_enter(const struct mvi_pidns *pn)
{
	return pn && pn->ctr >= 0 ? setns(pn->ctr, CLONE_NEWPID) : 0;
}

void pidns_leave(const struct mvi_pidns *pn)
{
	if (pn && pn->ctr >= 0 && setns(pn->own, CLONE_NEWPID) < 0)
		mvi_warn("leave the container's pid namespace: %s", strerror(errno));
}
