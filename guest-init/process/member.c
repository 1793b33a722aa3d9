/* Pod members (mvinit.h, "pods"): PID 1 routes each MEMBER{id, message} to
 * the member's own init over a socketpair, which is that init's control
 * stream, and wraps what the init sends back as MEMBER{id, ...} to the host.
 * The init is a child of PID 1 that builds the member as PID 1 builds the
 * container (container_run), from a root of its own. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest-init/mvi.h"
#include "guest-init/rootfs/rootfs.h"
#include "common/io.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

struct mvi_member {
	uint32_t id;
	pid_t pid;            /* its init */
	int fd;               /* PID 1's end of the init's control stream, -1 once closed */
	struct ctl_reader rd;
	bool ended;           /* its ERROR or EXIT went to the host */
	bool reaped;
	int status;           /* its init's, once reaped */
};

int member_share_src(const char *t, char *buf, size_t cap)
{
	if (!proto_pod_tag(t))
		return 0;
	if ((size_t)snprintf(buf, cap, MVI_POD_DIR "%s", t + strlen(PROTO_POD_TAG)) >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 1;
}

/* One message of member id's conversation to the host, as MEMBER{id, ...}. */
static void to_host(struct mvi *m, uint32_t id, uint16_t type, const uint8_t *p, uint32_t len)
{
	struct proto_buf in = { 0 }, out = { 0 };

	if (proto_encode_raw(&in, type, p, len) < 0 ||
	    proto_encode_member(&out, id, in.data, in.len) < 0 ||
	    io_send_all(m->ctl, out.data, out.len) < 0)
		mvi_warn("member %u: send to the host: %s", id, strerror(errno));
	proto_buf_free(&in);
	proto_buf_free(&out);
}

static void error_to_host(struct mvi *m, uint32_t id, const char *msg)
{
	struct proto_buf b = { 0 };

	mvi_warn("member %u: %s", id, msg);
	if (proto_encode_error(&b, MVI_EXIT_SETUP, msg) == 0)
		to_host(m, id, PROTO_ERROR, b.data + PROTO_HDR_LEN, (uint32_t)(b.len - PROTO_HDR_LEN));
	proto_buf_free(&b);
}

/* The member's root: a tmpfs of its own mount namespace, holding the pod
 * share, which container_run then treats as PID 1 treats the initramfs. */
static int member_root(struct err *e)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "a mount namespace for the member");
	/* Over the sandbox's /proc, which every container root has, then
	 * moved onto / (as switch_root): this namespace's only. */
	if (mount("tmpfs", "/proc", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0 ||
	    chdir("/proc") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "the member's own root");
	/* What mvinit's initramfs has (mvinit.c's main), which the set-up
	 * uses: /proc/self/fd, /dev/null for masked paths. */
	if (mkdir("/proc", 0755) < 0 || mkdir("/dev", 0755) < 0 || mkdir("/sys", 0755) < 0 ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") < 0 ||
	    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "the member's /proc, /dev and /sys");
	/* PID 1's cgroup namespace is rooted at the sandbox's cgroup; the
	 * member's is a sibling, made from the guest's own (a kernel
	 * thread's, which nothing unshares). */
	int cgns = open("/proc/2/ns/cgroup", O_RDONLY | O_CLOEXEC);

	if (cgns < 0 || setns(cgns, CLONE_NEWCGROUP) < 0) {
		int err = errno;

		if (cgns >= 0)
			close(cgns);
		return err_sys(e, MVI_EXIT_SETUP, err, "the guest's cgroup namespace");
	}
	close(cgns);
	if (mkdir(MVI_POD_DIR, 0700) < 0 ||
	    mount(PROTO_POD_TAG, MVI_POD_DIR, "virtiofs", MS_NOSUID | MS_NODEV, NULL) < 0)
		return err_sys(e, MVI_EXIT_SETUP, errno, "mount the pod share");
	return 0;
}

/* The member's init, in PID 1's fork: sock is its control stream. */
static __attribute__((noreturn)) void member_init(uint32_t id, int sock)
{
	struct mvi *mm = calloc(1, sizeof(*mm));
	struct err e = { 0 };

	/* Nothing of PID 1's: its control stream, pumps, other members. */
	if (sock != 3) {
		if (dup2(sock, 3) < 0)
			_exit(MVI_EXIT_SETUP);
		close(sock);
		sock = 3;
	}
	syscall(SYS_close_range, 4u, ~0u, 0u);
	if (!mm)
		_exit(MVI_EXIT_SETUP);
	mm->ctl = sock;
	mm->sigfd = mm->master = -1;
	mm->child_fd[0] = mm->child_fd[1] = mm->child_fd[2] = -1;
	mm->member = true;
	mm->member_id = id;
	snprintf(mm->cgroup.name, sizeof(mm->cgroup.name), "m%u", id);
	userns_init(&mm->userns);
	pidns_init(&mm->pidns);
	fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK);
	if (proc_signals(mm, &e) < 0 || member_root(&e) < 0) {
		struct ctl_msg drop;

		/* The SPEC is on its way: say why, once. */
		ctl_wait(sock, &mm->rd, &drop);
		if (ctl_send_error(sock, &e) < 0)
			mvi_warn("member %u: %s", id, e.msg);
		_exit((int)e.status);
	}
	container_run(mm);
}

static struct mvi_member *start(struct mvi *m, uint32_t id)
{
	struct mvi_member *mb;
	int sp[2];
	pid_t pid;

	if (m->nmembers >= PROTO_MAX_MEMBERS) {
		error_to_host(m, id, "too many members in this pod");
		return NULL;
	}
	if (!(mb = calloc(1, sizeof(*mb))) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		free(mb);
		error_to_host(m, id, "out of memory or fds for a member");
		return NULL;
	}
	if ((pid = fork()) == 0) {
		close(sp[0]);
		member_init(id, sp[1]);
	}
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		free(mb);
		error_to_host(m, id, "fork the member's init");
		return NULL;
	}
	fcntl(sp[0], F_SETFL, fcntl(sp[0], F_GETFL) | O_NONBLOCK);
	*mb = (struct mvi_member){ .id = id, .pid = pid, .fd = sp[0] };
	m->members[id] = mb;
	m->nmembers++;
	return mb;
}

void member_route(struct mvi *m, struct ctl_msg *msg)
{
	uint32_t id;
	struct proto_hdr in;
	const uint8_t *p;
	struct mvi_member *mb;

	if (proto_decode_member(msg->payload, msg->hdr.len, &id, &in, &p) < 0 ||
	    id >= PROTO_MAX_EXECS) {
		mvi_warn("bad MEMBER from the host: ignored");
		return;
	}
	mb = m->members[id];
	/* A member starts with its SPEC; anything for one that ended (a late
	 * SIGNAL) is dropped. */
	if (!mb && in.type == PROTO_SPEC)
		mb = start(m, id);
	if (!mb || mb->ended || mb->fd < 0)
		return;
	if (io_send_all(mb->fd, msg->payload + 4, msg->hdr.len - 4) < 0)
		mvi_warn("member %u: pass a message on: %s", id, strerror(errno));
}

static void finish(struct mvi *m, struct mvi_member *mb)
{
	if (mb->fd >= 0 || !mb->reaped)
		return;
	/* An init that died without its word. */
	if (!mb->ended) {
		uint8_t st[4] = { (uint8_t)mb->status, 0, 0, 0 };

		to_host(m, mb->id, PROTO_EXIT, st, 4);
	}
	m->members[mb->id] = NULL;
	m->nmembers--;
	free(mb);
}

void member_poll_setup(struct mvi *m, struct pollfd *pfd)
{
	int k = 0;

	for (int i = 0; i < PROTO_MAX_EXECS && k < MEMBER_POLLFDS; i++)
		if (m->members[i] && m->members[i]->fd >= 0)
			pfd[k++] = (struct pollfd){ .fd = m->members[i]->fd, .events = POLLIN };
	while (k < MEMBER_POLLFDS)
		pfd[k++] = (struct pollfd){ .fd = -1 };
}

/* Everything the init has sent, passed on; its end noted. */
static void from_init(struct mvi *m, struct mvi_member *mb)
{
	struct ctl_msg msg;
	enum ctl_status st;

	while ((st = ctl_read(mb->fd, &mb->rd, &msg)) == CTL_MSG) {
		if (msg.hdr.type == PROTO_ERROR || msg.hdr.type == PROTO_EXIT)
			mb->ended = true;
		to_host(m, mb->id, msg.hdr.type, msg.payload, msg.hdr.len);
		ctl_msg_free(&msg);
	}
	if (st != CTL_MORE) {
		ctl_msg_free(&mb->rd.msg);
		close(mb->fd);
		mb->fd = -1;
		finish(m, mb);
	}
}

void member_poll_done(struct mvi *m, const struct pollfd *pfd)
{
	for (int k = 0; k < MEMBER_POLLFDS; k++) {
		if (pfd[k].fd < 0 || !pfd[k].revents)
			continue;
		for (int i = 0; i < PROTO_MAX_EXECS; i++)
			if (m->members[i] && m->members[i]->fd == pfd[k].fd) {
				from_init(m, m->members[i]);
				break;
			}
	}
}

bool member_reaped(struct mvi *m, pid_t pid, int status)
{
	for (int i = 0; i < PROTO_MAX_EXECS; i++) {
		struct mvi_member *mb = m->members[i];

		if (mb && mb->pid == pid) {
			mb->reaped = true;
			mb->status = status;
			if (mb->fd >= 0)
				from_init(m, mb); /* its last words, then EOF */
			else
				finish(m, mb);
			return true;
		}
	}
	return false;
}
