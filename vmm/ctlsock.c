/* The host control socket (ctr_listen): one line "start\n" from mvrun start,
 * answered "ok\n" once the guest says the process runs, or "error MESSAGE\n"
 * ("error STATUS MESSAGE\n" when the process could not start); or, when the first byte opens a
 * proto header, an exec client, handed to exec.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/sock.h"
#include "vmm/container.h"

static void client_done(struct ctr *c, const char *reply)
{
	if (write(c->client_fd, reply, strlen(reply)) < 0) {
		/* the client left */
	}
	evloop_del(c->loop, c->client_fd);
	close(c->client_fd);
	c->client_fd = -1;
	ctr_listen_resume(c);
}

void ctr_start_answer(struct ctr *c, int status, const char *msg)
{
	if (!c->start_waiting || c->client_fd < 0)
		return;
	c->start_waiting = false;
	char reply[300];
	if (msg)
		snprintf(reply, sizeof(reply), "error %d %s\n", status & 0xff, msg);
	client_done(c, msg ? reply : "ok\n");
}

static void on_client(void *opaque, uint32_t events)
{
	struct ctr *c = opaque;
	(void)events;
	ssize_t n = read(c->client_fd, c->client_line + c->client_len,
			 sizeof(c->client_line) - 1 - c->client_len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		client_done(c, "");
		return;
	}
	if (c->client_len == 0 && (uint8_t)c->client_line[0] == (PROTO_VERSION & 0xff)) {
		/* A proto header, not a text line: an exec client, which
		 * stays connected as long as its process runs. */
		int fd = c->client_fd;
		evloop_del(c->loop, fd);
		c->client_fd = -1;
		exec_adopt(c, fd, (const uint8_t *)c->client_line, (size_t)n);
		return;
	}
	c->client_len += (uint32_t)n;
	c->client_line[c->client_len] = 0;
	char *nl = strchr(c->client_line, '\n');
	if (!nl) {
		if (c->client_len == sizeof(c->client_line) - 1)
			client_done(c, "error line too long\n");
		return;
	}
	*nl = 0;
	if (strcmp(c->client_line, "start") != 0) {
		client_done(c, "error unknown command\n");
	} else if (c->state == CTR_WAIT_START) {
		char why[512], reply[540];
		if (ctr_start(c, why, sizeof(why)) < 0) {
			snprintf(reply, sizeof(reply), "error %s\n", why);
			client_done(c, reply);
		} else {
			/* As runc's start: it returns once the process has been
			 * executed, so poststart hooks see it running. */
			evloop_del(c->loop, c->client_fd);
			c->start_waiting = true;
		}
	} else if (c->state == CTR_RUNNING || c->state == CTR_EXITED) {
		client_done(c, "error the container was already started\n");
	} else {
		client_done(c, "error the container is not ready\n");
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
			static const char msg[] = "error mvm is out of file descriptors\n";
			if (write(fd, msg, sizeof(msg) - 1) < 0) {
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
		if (write(fd, "error busy\n", 11) < 0) {
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
