/* One-way byte relays between host fds on the I/O thread: the container's
 * stdio (mvm's fds 0/1/2) to and from the vsock streams. */
#ifndef MVM_RELAY_H
#define MVM_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/evloop.h"

struct relay {
	struct evloop *loop;
	int src, dst;        /* a non-blocking dst is waited for with EPOLLOUT */
	bool src_pollable;   /* false: a regular file or /dev/null, always ready */
	bool src_watched, dst_watched;
	uint32_t len, off;   /* pending bytes in buf[off..len) */
	char buf[65536];
	bool done;
	bool close_src, close_dst; /* close them when done */
	int shut_dst;        /* shutdown(dst, how) at EOF, or -1 */
	void (*on_done)(void *opaque);
	void *opaque;
};

/* Copy src to dst until EOF or an error on either side; then shutdown(dst,
 * shut_dst) (unless -1), close what close_* says, and call on_done. Returns
 * 0, or -1 if the loop is full. r must stay valid until on_done. */
int relay_start(struct relay *r, struct evloop *loop, int src, int dst, int shut_dst,
		bool close_src, bool close_dst);

/* Stop relaying now (no on_done call). */
void relay_stop(struct relay *r);

#endif
