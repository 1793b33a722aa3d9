/* Helpers for unit tests that drive a struct evloop on the test's own
 * thread instead of evloop_run(), and check for leaked fds. Header-only. */
#ifndef MVM_TESTS_PUMP_H
#define MVM_TESTS_PUMP_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <sys/epoll.h>

#include "vmm/core/evloop.h"

/* Wait up to timeout_ms for the first event, then run every ready handler
 * until none is ready. Returns how many handler calls were made. Fails the
 * test if the loop never goes idle (a handler that spins). */
static inline int pump_wait(struct evloop *l, int timeout_ms)
{
	int calls = 0;
	for (int round = 0; round < 10000; round++) {
		struct epoll_event evs[32];
		int n = epoll_wait(l->epfd, evs, 32, round ? 0 : timeout_ms);
		cr_assert_geq(n, 0);
		if (n == 0)
			return calls;
		for (int i = 0; i < n; i++) {
			struct evloop_reg *r = evs[i].data.ptr;
			if (r->fd >= 0 && r->fn) {
				r->fn(r->opaque, evs[i].events);
				calls++;
			}
		}
	}
	cr_assert_fail("event loop never went idle");
	return calls;
}

/* Run what is ready now, without waiting. */
static inline int pump(struct evloop *l)
{
	return pump_wait(l, 0);
}

/* Open fds of this process, to check that a test leaks none. */
static inline int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

#endif
