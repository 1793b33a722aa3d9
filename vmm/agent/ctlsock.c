/* The host control socket (ctr_listen), in proto framing only (launch.h):
 * a client's first message says what it is. START (mvrun start) is answered
 * STARTED once the guest says the process runs, or ERROR{status, message};
 * any other message makes it an exec client, handed to exec.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/sock.h"
#include "proto/launch.h"
#include "vmm/agent/ctr.h"

static void client_drop(struct ctr *c)
{
	evloop_del(c->loop, c->client_fd);
	close(c->client_fd);
	c->client_fd = -1;
	ctr_listen_resume(c);
}

/* ERROR{1, msg}: mvm refused, as runc's failed start. */
static void client_refuse(struct ctr *c, const char *msg)
{
	if (launch_send_error(c->client_fd, 1, "%s", msg) < 0) {
		/* the client left */
	}
	client_drop(c);
}

void ctr_start_answer(struct ctr *c, int status, const char *msg)
{
	if (!c->start_waiting || c->client_fd < 0)
		return;
	c->start_waiting = false;
	if ((msg ? launch_send_error(c->client_fd, (uint32_t)status & 0xff, "%s", msg) :
		   launch_send_empty(c->client_fd, PROTO_STARTED)) < 0) {
		/* the client left */
	}
	client_drop(c);
}

static void on_start(struct ctr *c)
{
	if (c->state == CTR_RUNNING || c->state == CTR_EXITED) {
		client_refuse(c, "the container was already started");
	} else if (c->state != CTR_WAIT_START) {
		client_refuse(c, "the container is not ready");
	} else {
		char why[512];
		if (ctr_start(c, why, sizeof(why)) < 0) {
			client_refuse(c, why);
			return;
		}
		/* As runc's start: it returns once the process has been
		 * executed, so poststart hooks see it running. */
		evloop_del(c->loop, c->client_fd);
		c->start_waiting = true;
	}
}

static void on_client(void *opaque, uint32_t events)
{
	struct ctr *c = opaque;
	(void)events;
	ssize_t n = read(c->client_fd, c->client_in + c->client_len,
			 sizeof(c->client_in) - c->client_len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		client_drop(c);
		return;
	}
	c->client_len += (uint32_t)n;
	if (c->client_len < PROTO_HDR_LEN)
		return;
	struct proto_hdr h;
	if (proto_parse_hdr(c->client_in, &h) < 0) {
		client_refuse(c, "not a control message");
	} else if (h.type == PROTO_START) {
		if (h.len != 0)
			client_refuse(c, "a malformed START");
		else
			on_start(c);
	} else {
		/* An exec client, which stays connected as long as its
		 * process runs. */
		int fd = c->client_fd;
		evloop_del(c->loop, fd);
		c->client_fd = -1;
		exec_adopt(c, fd, c->client_in, c->client_len);
	}
}

static void on_listen(void *opaque, uint32_t events);

/* Out of fds with a client waiting: the listener is level-triggered, so
 * leaving the client in the backlog would call us again at once, for ever.
 * Give up the reserve fd to accept the client and tell it; if even that
 * fails (ENFILE: another process took the fd), take the listener out of the
 * loop until a control client or an exec client leaves. */
static void out_of_fds(struct ctr *c)
{
	if (c->reserve_fd >= 0) {
		close(c->reserve_fd);
		c->reserve_fd = -1;
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		int e = errno;
		if (fd >= 0) {
			if (launch_send_error(fd, 1, "mvm is out of file descriptors") < 0) {
				/* the client left */
			}
			close(fd);
		}
		c->reserve_fd = fcntl(c->listen_fd, F_DUPFD_CLOEXEC, 0);
		if (fd >= 0 || (e != EMFILE && e != ENFILE))
			return;
	}
	evloop_del(c->loop, c->listen_fd);
	c->listen_paused = true;
}

void ctr_listen_resume(struct ctr *c)
{
	if (!c->listen_paused || c->listen_fd < 0)
		return;
	if (c->reserve_fd < 0)
		c->reserve_fd = fcntl(c->listen_fd, F_DUPFD_CLOEXEC, 0);
	if (evloop_add(c->loop, c->listen_fd, EPOLLIN, on_listen, c) == 0)
		c->listen_paused = false;
}

static void on_listen(void *opaque, uint32_t events)
{
	struct ctr *c = opaque;
	(void)events;
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE))
		out_of_fds(c);
	if (fd < 0)
		return;
	if (c->client_fd >= 0) { /* one at a time: mvrun serialises with its lock */
		if (launch_send_error(fd, 1, "busy") < 0) {
			/* the client left */
		}
		close(fd);
		return;
	}
	c->client_fd = fd;
	c->client_len = 0;
	if (evloop_add(c->loop, fd, EPOLLIN, on_client, c) < 0) {
		close(fd);
		c->client_fd = -1;
	}
}

int ctr_listen(struct ctr *c, const char *path, struct err *err)
{
	struct sockaddr_un sa;
	int dirfd;
	switch (sock_unix_addr(path, &sa, &dirfd)) {
	case 0: break;
	case SOCK_PATH_TOO_LONG:
		return err_set(err, MVM_EXIT_BADARG, "--control-socket %s: path too long", path);
	case SOCK_NAME_TOO_LONG:
		return err_set(err, MVM_EXIT_BADARG, "--control-socket %s: name too long", path);
	default: return err_sys(err, MVM_EXIT_BADARG, errno, "--control-socket %s", path);
	}
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int bound = c->listen_fd >= 0 && bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    listen(c->listen_fd, 8) == 0;
	int e = errno;
	if (dirfd >= 0)
		close(dirfd);
	errno = e;
	if (c->listen_fd < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "socket");
	if (!bound)
		return err_sys(err, MVM_EXIT_BADARG, errno, "--control-socket %s", path);
	if (evloop_add(c->loop, c->listen_fd, EPOLLIN, on_listen, c) < 0)
		return err_set(err, MVM_EXIT_INTERNAL, "event loop full");
	c->reserve_fd = fcntl(c->listen_fd, F_DUPFD_CLOEXEC, 0); /* see out_of_fds() */
	c->listen_path = path;
	c->wait_start = true;
	return 0;
}
