/* The I/O thread's event loop: epoll over ioeventfds, host sockets and
 * timers. Handlers run on the loop's thread, one at a time, so device state
 * touched only from handlers needs no lock. */
#ifndef MVM_EVLOOP_H
#define MVM_EVLOOP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/err.h"

#define EVLOOP_MAX 256

typedef void (*evloop_fn)(void *opaque, uint32_t events);

struct evloop_reg {
	int fd;         /* -1: free slot */
	evloop_fn fn;
	void *opaque;
};

struct evloop {
	int epfd;
	int wake_fd;    /* eventfd that interrupts epoll_wait for evloop_stop() */
	atomic_bool stop;
	struct evloop_reg regs[EVLOOP_MAX];
};

/* Create the epoll and wake fds. Returns 0 or -1 with err. */
int evloop_init(struct evloop *l, struct err *err);

/* Close the fds (not the registered ones). Idempotent. */
void evloop_fini(struct evloop *l);

/* Watch fd for `events` (EPOLLIN, EPOLLOUT, ...); fn(opaque, revents) runs
 * on the loop thread. Returns 0, or -1 with errno: EEXIST (fd is already
 * watched), ENOSPC (all EVLOOP_MAX slots taken), or epoll_ctl's (EPERM: fd
 * cannot be polled, a regular file or /dev/null). */
int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn, void *opaque);

/* Change the events watched for a registered fd. Returns 0 or -1 with
 * errno (ENOENT: not registered). */
int evloop_mod(struct evloop *l, int fd, uint32_t events);

/* Stop watching fd (does not close it). Safe from a handler. */
void evloop_del(struct evloop *l, int fd);

/* Dispatch events until evloop_stop(). Returns 0, or -1 if epoll fails. */
int evloop_run(struct evloop *l);

/* Make evloop_run() return soon. Safe from any thread. */
void evloop_stop(struct evloop *l);

#endif
