/* One-way byte relays between host fds on the I/O thread: the container's
 * stdio (mvm's fds 0/1/2) to and from the vsock streams. */
#ifndef MVM_RELAY_H
#define MVM_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/evloop.h"

struct relay {
	struct evloop *loop;
	int src, dst;        /* a non-blocking dst is waited for with EPOLLOUT */
	bool src_pollable;   /* false: a regular file or /dev/null, always ready */
	bool src_watched, dst_watched;
	bool dst_sock;       /* send with MSG_DONTWAIT: never block on a shared socket */
	uint32_t len, off;   /* pending bytes in buf[off..len) */
	char buf[65536];
	bool done;
	bool close_src, close_dst; /* close them when done */
	int shut_dst;        /* shutdown(dst, how) at EOF, or -1 */
	void (*on_done)(void *opaque);
	void *opaque;
};

/* Copy src to dst until EOF or an error on either side; then shutdown(dst,
 * shut_dst) (unless -1), close what close_* says, and call on_done. dst
 * must not block (see relay_out_fd); while it is full src is not read, which
 * holds back src's writer. Returns 0, or -1 with errno (EEXIST: src is in
 * the loop already, ENOSPC: the loop is full), nothing started or closed.
 * A relay that later finds no loop slot ends as at EOF. r must stay valid
 * until on_done. */
int relay_start(struct relay *r, struct evloop *loop, int src, int dst, int shut_dst,
		bool close_src, bool close_dst);

/* A descriptor for writing fd's file without blocking, without touching
 * the O_NONBLOCK of a description the engine shares: a pipe, FIFO or tty is
 * reopened through /proc (call before the jail hides it); a socket, regular
 * file, or anything that cannot be reopened comes back as fd itself (the
 * relay sends to sockets with MSG_DONTWAIT). */
int relay_out_fd(int fd);

/* Stop relaying now (no on_done call). */
void relay_stop(struct relay *r);

#endif
