/* virtio-vsock, host side: the connection table, the host fds (edge-
 * triggered in the device's own epoll set), the guest → host buffer, the
 * unix-socket listener and the CONNECT handshake of host clients. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/virtio/vsock/vsock_conn.h"

#define TAG_LISTEN 0xffffffffu
#define TAG_WAKE 0xfffffffeu
#define BUF_MIN 4096u

static uint64_t tag(const struct vsock *v, uint32_t slot)
{
	return (uint64_t)v->slot_gen[slot] << 32 | slot;
}

static void close_fd(struct vsock *v, struct vsock_conn *c)
{
	if (c->fd < 0)
		return;
	/* Explicitly: the registration follows the open file, which a dup held
	 * elsewhere (stdio) would keep alive past close(). */
	if (c->pollable)
		epoll_ctl(v->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
}

struct vsock_conn *vsock_conn_new(struct vsock *v, int fd, enum vsock_cstate state)
{
	struct vsock_conn *c = NULL;
	uint32_t i = 0;
	if (v->nconns >= v->max_conns)
		goto fail;
	while (i < VSOCK_MAX_CONNS && v->slot[i])
		i++;
	if (i == VSOCK_MAX_CONNS || !(c = calloc(1, sizeof(*c))))
		goto fail;
	c->slot = i;
	c->state = state;
	c->fd = fd;
	v->slot_gen[i]++;
	if (fd >= 0) {
		struct stat st;
		c->is_sock = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
			goto fail;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
					  .data.u64 = tag(v, i) };
		if (epoll_ctl(v->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
			c->pollable = true;
		else if (errno != EPERM)
			goto fail;
		/* Optimistic: EAGAIN clears these, and the next edge sets them. An fd
		 * epoll refuses (regular file, /dev/null) stays always ready. */
		c->readable = c->writable = true;
	}
	v->slot[i] = c;
	v->nconns++;
	return c;
fail:
	free(c);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static uint32_t hash(uint32_t gport, uint32_t hport)
{
	return ((gport * 0x9e3779b1u) ^ hport) % VSOCK_HASH;
}

void vsock_conn_hash(struct vsock *v, struct vsock_conn *c, uint32_t gport, uint32_t hport)
{
	c->gport = gport;
	c->hport = hport;
	uint32_t h = hash(gport, hport);
	c->hnext = v->hash[h];
	v->hash[h] = c;
	c->hashed = true;
}

struct vsock_conn *vsock_conn_find(struct vsock *v, uint32_t gport, uint32_t hport)
{
	for (struct vsock_conn *c = v->hash[hash(gport, hport)]; c; c = c->hnext)
		if (c->gport == gport && c->hport == hport)
			return c;
	return NULL;
}

void vsock_conn_free(struct vsock *v, struct vsock_conn *c)
{
	vsock_svc_remove(v, c);
	if (c->hashed) {
		struct vsock_conn **pp = &v->hash[hash(c->gport, c->hport)];
		while (*pp != c)
			pp = &(*pp)->hnext;
		*pp = c->hnext;
	}
	close_fd(v, c);
	v->slot[c->slot] = NULL;
	v->slot_gen[c->slot]++; /* events already fetched for it no longer match */
	v->nconns--;
	free(c->buf);
	free(c);
}

void vsock_conn_free_all(struct vsock *v)
{
	for (uint32_t i = 0; i < VSOCK_MAX_CONNS; i++)
		if (v->slot[i])
			vsock_conn_free(v, v->slot[i]);
	v->rst_head = v->rst_len = 0;
}

void vsock_conn_fail(struct vsock *v, struct vsock_conn *c)
{
	if (!c->hashed) { /* the guest never heard of it */
		vsock_conn_free(v, c);
		return;
	}
	close_fd(v, c);
	free(c->buf);
	c->buf = NULL;
	c->cap = c->head = c->len = 0;
	c->state = VC_CLOSING;
	c->pend = VC_P_RST;
	vsock_svc_update(v, c);
}

void vsock_conn_check_done(struct vsock *v, struct vsock_conn *c)
{
	if (c->state != VC_ESTABLISHED)
		return;
	bool host_done = c->host_eof || c->guest_shut_rcv;
	bool guest_done = c->guest_shut_send && c->len == 0;
	if (host_done && guest_done)
		vsock_conn_fail(v, c); /* 5.10.6.6: both shut down; RST ends it */
}

static ssize_t fd_writev(struct vsock_conn *c, const struct iovec *iov, int n)
{
	ssize_t w;
	do {
		if (c->is_sock) {
			struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };
			w = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		} else {
			w = pwritev2(c->fd, iov, n, -1, 0); /* -1: writev; seccomp lists pwritev2 only */
		}
	} while (w < 0 && errno == EINTR);
	if (w < 0 && errno == EAGAIN && c->pollable)
		c->writable = false;
	return w;
}

/* Our credit as the guest last heard it has fallen below half: tell it
 * what has been forwarded since (Linux guests never ask). */
static void credit_check(struct vsock *v, struct vsock_conn *c)
{
	if (c->state != VC_ESTABLISHED || c->guest_shut_send || c->fwd_cnt == c->fwd_sent)
		return;
	uint32_t used = c->rx_cnt - c->fwd_sent;
	if (used > v->buf_alloc / 2) {
		c->pend |= VC_P_CREDIT;
		vsock_svc_update(v, c);
	}
}

/* Append len bytes of iov from off to the ring, growing it up to `max`. */
static int buf_put(struct vsock_conn *c, const struct iovec *iov, int n, size_t off, uint32_t len,
		   uint32_t max)
{
	if (c->len + len > c->cap) {
		uint32_t cap = c->cap ? c->cap : BUF_MIN;
		while (cap < c->len + len)
			cap *= 2;
		if (cap > max)
			cap = max;
		uint8_t *nb = malloc(cap);
		if (!nb)
			return -1;
		uint32_t first = c->cap - c->head < c->len ? c->cap - c->head : c->len;
		if (c->len) {
			memcpy(nb, c->buf + c->head, first);
			memcpy(nb + first, c->buf, c->len - first);
		}
		free(c->buf);
		c->buf = nb;
		c->cap = cap;
		c->head = 0;
	}
	uint32_t tail = (c->head + c->len) % c->cap;
	uint32_t k = c->cap - tail < len ? c->cap - tail : len;
	iov_to_buf(iov, n, off, c->buf + tail, k);
	iov_to_buf(iov, n, off + k, c->buf, len - k);
	c->len += len;
	return 0;
}

int vsock_conn_from_guest(struct vsock *v, struct vsock_conn *c, const struct iovec *iov, int n,
			  size_t off, uint32_t len)
{
	uint32_t done = 0;
	if (c->len == 0 && c->writable && len) {
		struct iovec sl[VQ_MAX_IOV];
		int k = vsock_iov_slice(iov, n, off, len, sl, VQ_MAX_IOV);
		ssize_t w = fd_writev(c, sl, k);
		if (w < 0 && errno != EAGAIN)
			return -1;
		done = w > 0 ? (uint32_t)w : 0;
	}
	/* A guest within its credit always fits: it may have sent at most
	 * buf_alloc - (rx_cnt - fwd_sent) <= buf_alloc - len. */
	uint32_t rest = len - done;
	if (rest > v->buf_alloc - c->len)
		return -1;
	if (rest && buf_put(c, iov, n, off + done, rest, v->buf_alloc) < 0)
		return -1;
	c->rx_cnt += len;
	c->fwd_cnt += done;
	if (rest)
		vsock_conn_flush(v, c); /* a non-pollable fd gets no EPOLLOUT */
	else
		credit_check(v, c);
	return 0;
}

void vsock_conn_flush(struct vsock *v, struct vsock_conn *c)
{
	while (c->fd >= 0 && c->len && c->writable) {
		uint32_t first = c->cap - c->head < c->len ? c->cap - c->head : c->len;
		struct iovec iov[2] = { { c->buf + c->head, first }, { c->buf, c->len - first } };
		ssize_t w = fd_writev(c, iov, c->len > first ? 2 : 1);
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) {
			vsock_conn_fail(v, c);
			return;
		}
		c->head = (c->head + (uint32_t)w) % c->cap;
		c->len -= (uint32_t)w;
		c->fwd_cnt += (uint32_t)w;
	}
	if (c->len == 0 && c->buf) { /* idle connections hold no buffer */
		free(c->buf);
		c->buf = NULL;
		c->cap = c->head = 0;
	}
	if (c->fd >= 0 && c->guest_shut_send && c->len == 0 && !c->shut_wr_done) {
		c->shut_wr_done = true;
		if (c->is_sock)
			shutdown(c->fd, SHUT_WR);
	}
	credit_check(v, c);
	vsock_conn_check_done(v, c);
}

/* Read a host client's "CONNECT <port>\n" a byte at a time, so that no byte
 * of the stream behind it is taken early. */
static void handshake(struct vsock *v, struct vsock_conn *c)
{
	while (c->line_len < VSOCK_CONNECT_MAX) {
		char ch;
		ssize_t n = read(c->fd, &ch, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			vsock_conn_free(v, c);
			return;
		}
		c->line[c->line_len++] = ch;
		if (ch == '\n')
			break;
	}
	uint32_t port, hport;
	if (vsock_parse_connect(c->line, c->line_len, &port) < 0) {
		vsock_conn_free(v, c);
		return;
	}
	do { /* skip ports in use: at most max_conns of them */
		hport = v->next_hport++;
		if (v->next_hport == 0)
			v->next_hport = VSOCK_HPORT_BASE;
	} while (vsock_conn_find(v, port, hport));
	vsock_conn_hash(v, c, port, hport);
	c->state = VC_CONNECTING;
	c->pend |= VC_P_REQUEST;
	c->readable = true; /* bytes behind the line raised no new edge */
	vsock_svc_update(v, c);
}

static void accept_clients(struct vsock *v)
{
	for (;;) { /* edge-triggered: until EAGAIN */
		int fd = accept4(v->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		vsock_conn_new(v, fd, VC_HANDSHAKE); /* at the cap: closed, the client sees EOF */
	}
}

static void conn_event(struct vsock *v, struct vsock_conn *c, uint32_t ev)
{
	if (c->state == VC_HANDSHAKE) {
		handshake(v, c);
		return;
	}
	if (c->fd < 0)
		return;
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->readable = true;
	if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
		c->writable = true;
		vsock_conn_flush(v, c);
	}
	vsock_svc_update(v, c);
}

void vsock_conn_events(struct vsock *v)
{
	struct epoll_event evs[64];
	int n = epoll_wait(v->epfd, evs, 64, 0); /* more than 64: the loop calls again */
	for (int i = 0; i < n; i++) {
		uint32_t slot = (uint32_t)evs[i].data.u64, gen = (uint32_t)(evs[i].data.u64 >> 32);
		if (slot == TAG_LISTEN) {
			accept_clients(v);
		} else if (slot == TAG_WAKE) {
			uint64_t x;
			if (read(v->wake_fd, &x, sizeof(x)) < 0) {
				/* EAGAIN: already drained */
			}
		} else if (slot < VSOCK_MAX_CONNS && v->slot[slot] && v->slot_gen[slot] == gen) {
			conn_event(v, v->slot[slot], evs[i].events);
		}
	}
}

int vsock_conn_default_accept(struct vsock *v, uint32_t port)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (!v->uds_path ||
	    (size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s_%u", v->uds_path, port) >=
		    sizeof(a.sun_path))
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* Unix sockets connect at once or fail (EAGAIN: backlog full). */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int vsock_conn_listen(struct vsock *v, struct err *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	/* Leave room for the "_<port>" of vsock_conn_default_accept. */
	if (strlen(v->uds_path) + 11 >= sizeof(a.sun_path))
		return err_set(err, MVM_EXIT_BADARG, "vsock socket path too long: %s", v->uds_path);
	strcpy(a.sun_path, v->uds_path);
	v->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (v->listen_fd < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "vsock: socket");
	if (bind(v->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return err_sys(err, MVM_EXIT_BADARG, errno, "vsock: bind %s", v->uds_path);
	v->listening_unlink = true;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = TAG_LISTEN };
	if (listen(v->listen_fd, 128) < 0 || epoll_ctl(v->epfd, EPOLL_CTL_ADD, v->listen_fd, &ev) < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "vsock: listen %s", v->uds_path);
	return 0;
}

int vsock_conn_wake_init(struct vsock *v)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_WAKE };
	return epoll_ctl(v->epfd, EPOLL_CTL_ADD, v->wake_fd, &ev);
}
