#include "vmm/core/evloop.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

static void wake_handler(void *opaque, uint32_t events)
{
	struct evloop *l = opaque;
	uint64_t v;
	(void)events;
	if (read(l->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		atomic_store(&l->stop, true);
}

int evloop_init(struct evloop *l, struct err *err)
{
	memset(l, 0, sizeof(*l));
	for (int i = 0; i < EVLOOP_MAX; i++)
		l->regs[i].fd = -1;
	l->wake_fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "epoll_create1");
	l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wake_fd < 0 || evloop_add(l, l->wake_fd, EPOLLIN, wake_handler, l) < 0) {
		err_sys(err, MVM_EXIT_INTERNAL, errno, "event loop wake fd");
		evloop_fini(l);
		return -1;
	}
	return 0;
}

void evloop_fini(struct evloop *l)
{
	if (l->wake_fd >= 0)
		close(l->wake_fd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->wake_fd = l->epfd = -1;
}

static struct evloop_reg *find(struct evloop *l, int fd)
{
	for (int i = 0; i < EVLOOP_MAX; i++)
		if (l->regs[i].fd == fd)
			return &l->regs[i];
	return NULL;
}

int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn, void *opaque)
{
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (find(l, fd)) {
		errno = EEXIST;
		return -1;
	}
	struct evloop_reg *r = find(l, -1);
	if (!r) {
		errno = ENOSPC;
		return -1;
	}
	struct epoll_event ev = { .events = events, .data.ptr = r };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	*r = (struct evloop_reg){ fd, fn, opaque };
	return 0;
}

int evloop_mod(struct evloop *l, int fd, uint32_t events)
{
	struct evloop_reg *r = find(l, fd);
	if (!r) {
		errno = ENOENT;
		return -1;
	}
	struct epoll_event ev = { .events = events, .data.ptr = r };
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void evloop_del(struct evloop *l, int fd)
{
	struct evloop_reg *r = find(l, fd);
	if (!r)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	r->fd = -1; /* events already fetched for it are skipped below */
	r->fn = NULL;
}

int evloop_run(struct evloop *l)
{
	struct epoll_event evs[32];
	while (!atomic_load(&l->stop)) {
		int n = epoll_wait(l->epfd, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n && !atomic_load(&l->stop); i++) {
			struct evloop_reg *r = evs[i].data.ptr;
			if (r->fd >= 0 && r->fn)
				r->fn(r->opaque, evs[i].events);
		}
	}
	return 0;
}

void evloop_stop(struct evloop *l)
{
	atomic_store(&l->stop, true);
	uint64_t one = 1;
	if (l->wake_fd >= 0 && write(l->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is full only if a wake-up is already pending. */
	}
}
