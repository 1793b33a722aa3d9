#include "vmm/agent/exec.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/sock.h"
#include "proto/confine.h"
#include "vmm/agent/ctr.h"
#include "vmm/agent/stream.h"

void exec_init(struct exec_table *t, struct ctr *c)
{
	for (int i = 0; i < EXEC_MAX; i++)
		t->slot[i] = (struct exec_slot){ .c = c, .state = EXEC_FREE, .fd = -1, .in_member = -1 };
}

static uint32_t id_of(const struct exec_slot *s)
{
	return (uint32_t)(s - s->c->execs.slot);
}

static void drop_client(struct exec_slot *s)
{
	if (s->fd >= 0) {
		evloop_del(s->c->loop, s->fd);
		close(s->fd);
		ctr_listen_resume(s->c);
	}
	s->fd = -1;
	s->streams = 0;
	free(s->in);
	s->in = NULL;
	s->inlen = 0;
	proto_buf_free(&s->confine);
}

/* The slot is free again. */
static void release(struct exec_slot *s)
{
	s->state = EXEC_FREE;
	s->member = false;
	s->name[0] = 0;
	s->in_member = -1;
}

/* One message of an exec's (id, m: an encoder's output) to the guest: as
 * it is, or within MEMBER{its member's id} for an exec in a member.
 * Returns 0 or -1 (nothing queued). */
static int to_exec(struct exec_slot *s, struct proto_buf *m)
{
	int r = m->failed ? -1 : s->in_member < 0 ? proto_append(&s->c->out, m->data, m->len)
			       : proto_encode_member(&s->c->out, (uint32_t)s->in_member, m->data, m->len);
	proto_buf_free(m);
	return r;
}

/* One message of member s's conversation, built by an encoder in m, to
 * the guest as MEMBER{id, m}. Returns 0 or -1 (nothing queued). */
static int to_member(struct exec_slot *s, struct proto_buf *m)
{
	int r = m->failed ? -1 : proto_encode_member(&s->c->out, id_of(s), m->data, m->len);
	proto_buf_free(m);
	return r;
}

/* The client left or broke the protocol. Its process goes with it. */
static void client_gone(struct exec_slot *s)
{
	drop_client(s);
	if (s->state == EXEC_SENT || s->state == EXEC_RUNNING) {
		struct proto_buf m = { 0 };
		if (s->member) {
			proto_encode_u32(&m, PROTO_SIGNAL, SIGKILL);
			to_member(s, &m);
		} else {
			proto_encode_pair(&m, PROTO_EXEC_SIGNAL, id_of(s), SIGKILL);
			to_exec(s, &m);
		}
		ctr_flush(s->c);
		s->state = EXEC_ORPHAN;
	} else if (s->state != EXEC_ORPHAN) {
		release(s);
	}
}

/* Send one message to the client, with fd attached when fd >= 0. The
 * messages are small and the client reads them as they come, so a full
 * socket means a client that is stuck or gone. Returns 0 or -1. */
static int to_client(struct exec_slot *s, struct proto_buf *b, int fd)
{
	union sock_fd_cmsg u;
	struct iovec iov = { b->data, b->len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int r = -1;
	if (s->fd >= 0 && !b->failed) {
		if (fd >= 0)
			sock_attach_fd(&msg, &u, fd);
		ssize_t n;
		while ((n = sendmsg(s->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EINTR)
			;
		r = n == (ssize_t)b->len ? 0 : -1;
	}
	proto_buf_free(b);
	return r;
}

static void error_to_client(struct exec_slot *s, const char *msg)
{
	struct proto_buf b = { 0 };
	proto_encode_exec_error(&b, id_of(s), 1, msg);
	to_client(s, &b, -1);
	drop_client(s);
	release(s);
}

/* The member's name in the pod share: NAME of its root tag "pod/NAME/...". */
static void name_of(const char *tag, char *out, size_t cap)
{
	const char *n = tag + strlen(PROTO_POD_TAG) + 1, *e = strchr(n, '/');
	snprintf(out, cap, "%.*s", e ? (int)(e - n) : 0, n);
}

/* The client's MEMBER: a pod member's container stream, checked as a
 * container's (its shares under the pod share), passed on message by
 * message as MEMBER{id, message}. */
static void member(struct exec_slot *s, const struct proto_hdr *h, const uint8_t *p)
{
	struct ctr *c = s->c;
	struct vfs_policy *unused = calloc(1, sizeof(*unused));
	struct err err = { 0 };
	uint32_t flags, n = 0;
	for (int i = 0; i < EXEC_MAX; i++)
		n += c->execs.slot[i].member && c->execs.slot[i].state != EXEC_FREE;
	if (!unused || h->len < 4 ||
	    stream_check(p + 4, h->len - 4, NULL, 0, unused, &flags, &err) < 0) {
		free(unused);
		error_to_client(s, err.msg[0] ? err.msg : "malformed member request");
		return;
	}
	free(unused);
	struct proto_hdr sh;
	const char **scratch = calloc(PROTO_MAX_STRS + 2, sizeof(*scratch));
	struct proto_spec *spec = malloc(sizeof(*spec));
	proto_parse_hdr(p + 4, &sh); /* the SPEC, checked by stream_check */
	if (!scratch || !spec ||
	    proto_decode_spec(p + 4 + PROTO_HDR_LEN, sh.len, spec, scratch, PROTO_MAX_STRS + 2) < 0) {
		free(scratch);
		free(spec);
		error_to_client(s, "out of memory");
		return;
	}
	name_of(spec->root_tag, s->name, sizeof(s->name));
	free(scratch);
	free(spec);
	for (int i = 0; i < EXEC_MAX; i++)
		if (c->execs.slot[i].member && c->execs.slot[i].state != EXEC_FREE &&
		    !strcmp(c->execs.slot[i].name, s->name)) {
			error_to_client(s, "a member of that name runs in this pod already");
			return;
		}
	if (n >= PROTO_MAX_MEMBERS) {
		error_to_client(s, "too many members in this pod (at most 16)");
		return;
	}
	if (c->state != CTR_RUNNING && c->state != CTR_WAIT_START) {
		error_to_client(s, "the pod's sandbox container is not running");
		return;
	}
	size_t mark = c->out.len;
	int r = 0;
	for (size_t off = 4; r == 0 && off < h->len;) {
		struct proto_hdr m;
		proto_parse_hdr(p + off, &m); /* checked whole by stream_check */
		r = proto_encode_member(&c->out, id_of(s), p + off, PROTO_HDR_LEN + m.len);
		off += PROTO_HDR_LEN + m.len;
	}
	if (r < 0) {
		c->out.len = mark; /* none of it goes */
		c->out.failed = 0;
		error_to_client(s, "the member does not fit in the guest's control stream");
		return;
	}
	ctr_flush(c);
	s->member = true;
	s->state = EXEC_SENT;
}

/* The client's UPDATE (mvrun update): passed on with our id; the guest
 * answers it as an exec that exited 0, or one that never ran. */
static void update(struct exec_slot *s, const struct proto_hdr *h, const uint8_t *p)
{
	struct ctr *c = s->c;
	struct proto_update u;
	if (proto_decode_update(p, h->len, &u) < 0) {
		error_to_client(s, "malformed update request");
		return;
	}
	if (c->state != CTR_RUNNING && c->state != CTR_WAIT_START) {
		error_to_client(s, "the container is not running");
		return;
	}
	u.id = id_of(s);
	if (proto_encode_update(&c->out, &u) < 0) {
		c->out.failed = 0; /* that message alone was dropped: the request fails */
		error_to_client(s, "the update does not fit in the guest's control stream");
		return;
	}
	ctr_flush(c);
	s->state = EXEC_SENT;
}

/* The client's EXEC: checked by the codec, then passed on with our id. */
static void request(struct exec_slot *s, const struct proto_hdr *h, const uint8_t *p)
{
	struct ctr *c = s->c;
	size_t n = h->len / 5 + 2; /* each string takes at least 5 bytes */
	const char **scratch = calloc(n < PROTO_MAX_STRS ? n : PROTO_MAX_STRS, sizeof(*scratch));
	struct proto_spec spec;
	struct proto_confine conf;
	uint32_t ignored;
	if (h->type == PROTO_UPDATE) {
		free(scratch);
		update(s, h, p);
		return;
	}
	if (h->type == PROTO_MEMBER) {
		free(scratch);
		member(s, h, p);
		return;
	}
	if (h->type == PROTO_CONFINE) {
		free(scratch);
		if (s->confine.len || proto_decode_confine(p, h->len, &conf) < 0 ||
		    proto_encode_exec_confine(&s->confine, id_of(s), &conf) < 0)
			error_to_client(s, "malformed or second CONFINE before the exec request");
		return;
	}
	if (h->type != PROTO_EXEC || !scratch ||
	    proto_decode_exec(p, h->len, &ignored, &spec, scratch,
			      n < PROTO_MAX_STRS ? n : PROTO_MAX_STRS) < 0) {
		free(scratch);
		error_to_client(s, "malformed exec request");
		return;
	}
	/* As runc: a created container (waiting for start) takes execs too. */
	if (c->state != CTR_RUNNING && c->state != CTR_WAIT_START) {
		free(scratch);
		error_to_client(s, c->state == CTR_WAIT_READY || c->state == CTR_WAIT_HELLO
					   ? "the container is still being created"
					   : "the container is not running");
		return;
	}
	if (!(spec.flags & PROTO_SPEC_CONFINE) != !s->confine.len) {
		free(scratch);
		error_to_client(s, "the exec request's CONFINE flag does not match its CONFINE");
		return;
	}
	/* In a member: the one of that name. */
	if (proto_pod_tag(spec.root_tag)) {
		char name[256];
		name_of(spec.root_tag, name, sizeof(name));
		for (int i = 0; i < EXEC_MAX && s->in_member < 0; i++)
			if (c->execs.slot[i].member && !strcmp(c->execs.slot[i].name, name) &&
			    (c->execs.slot[i].state == EXEC_SENT || c->execs.slot[i].state == EXEC_RUNNING))
				s->in_member = i;
		if (s->in_member < 0) {
			free(scratch);
			error_to_client(s, "no such member runs in this pod");
			return;
		}
	}
	size_t mark = c->out.len;
	struct proto_buf m = { 0 };
	int r = 0;
	if (s->confine.len) {
		proto_append(&m, s->confine.data, s->confine.len);
		r = to_exec(s, &m);
	}
	if (r == 0) {
		proto_encode_exec(&m, id_of(s), &spec);
		r = to_exec(s, &m);
	}
	if (r < 0)
		c->out.len = mark; /* neither goes */
	proto_buf_free(&s->confine);
	free(scratch);
	if (r < 0) {
		c->out.failed = 0; /* that message alone was dropped: the request fails */
		error_to_client(s, c->out.len - c->out_off > CTR_MAX_OUT - PROTO_MAX_MSG
					   ? "the guest is not reading its control stream"
					   : "the exec request is too large");
		return;
	}
	ctr_flush(c);
	s->state = EXEC_SENT;
}

/* A member's client relays an UPDATE (mvrun update, pause, kill --all on
 * the member): to the member with the member's id, in m. 0 or -1. */
static int member_update(struct exec_slot *s, const struct proto_hdr *h, const uint8_t *p,
			 struct proto_buf *m)
{
	struct proto_update *u = malloc(sizeof(*u)); /* large */
	int r = -1;
	if (u && proto_decode_update(p, h->len, u) == 0) {
		u->id = id_of(s);
		r = proto_encode_update(m, u);
	}
	free(u);
	return r;
}

static void from_client(struct exec_slot *s, const struct proto_hdr *h, const uint8_t *p)
{
	uint32_t v;
	uint16_t rows, cols;
	if (s->state == EXEC_REQ) {
		request(s, h, p);
		return;
	}
	if (s->member) {
		struct proto_buf m = { 0 };
		if (h->type == PROTO_START && h->len == 0)
			proto_encode_empty(&m, PROTO_START);
		else if (h->type == PROTO_SIGNAL && proto_decode_u32(p, h->len, &v) == 0 && v > 0 &&
			 v < 65)
			proto_encode_u32(&m, PROTO_SIGNAL, v);
		else if (h->type == PROTO_RESIZE && proto_decode_resize(p, h->len, &rows, &cols) == 0)
			proto_encode_resize(&m, rows, cols);
		else if (h->type == PROTO_UPDATE && member_update(s, h, p, &m) == 0)
			; /* answered as MEMBER{id, EXEC_EXIT or EXEC_ERROR{id}} */
		else
			return;
		to_member(s, &m);
		ctr_flush(s->c);
		return;
	}
	struct proto_buf m = { 0 };
	if (h->type == PROTO_SIGNAL && proto_decode_u32(p, h->len, &v) == 0 && v > 0 && v < 65)
		proto_encode_pair(&m, PROTO_EXEC_SIGNAL, id_of(s), v);
	else if (h->type == PROTO_RESIZE && proto_decode_resize(p, h->len, &rows, &cols) == 0)
		proto_encode_exec_resize(&m, id_of(s), rows, cols);
	else
		return;
	to_exec(s, &m);
	ctr_flush(s->c);
}

/* Take every whole message from the client's buffer. */
static void parse_client(struct exec_slot *s)
{
	while (s->fd >= 0 && s->inlen >= PROTO_HDR_LEN) {
		struct proto_hdr h;
		if (proto_parse_hdr(s->in, &h) < 0 || h.len > EXEC_MAX_IN - PROTO_HDR_LEN) {
			if (s->state == EXEC_REQ)
				error_to_client(s, "malformed exec request");
			else
				client_gone(s);
			return;
		}
		if (s->inlen < PROTO_HDR_LEN + h.len)
			return;
		from_client(s, &h, s->in + PROTO_HDR_LEN);
		if (s->fd < 0)
			return;
		uint32_t used = PROTO_HDR_LEN + h.len;
		memmove(s->in, s->in + used, s->inlen - used);
		s->inlen -= used;
	}
}

static void on_client(void *opaque, uint32_t events)
{
	struct exec_slot *s = opaque;
	(void)events;
	ssize_t n = read(s->fd, s->in + s->inlen, EXEC_MAX_IN - s->inlen);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		client_gone(s);
		return;
	}
	s->inlen += (uint32_t)n;
	parse_client(s);
}

void exec_adopt(struct ctr *c, int fd, const uint8_t *head, size_t n)
{
	struct exec_slot *s = NULL;
	for (int i = 0; i < EXEC_MAX && !s; i++)
		if (c->execs.slot[i].state == EXEC_FREE)
			s = &c->execs.slot[i];
	if (!s) {
		struct proto_buf b = { 0 };
		char msg[64];
		snprintf(msg, sizeof(msg), "too many execs in this container (at most %d)", EXEC_MAX);
		proto_encode_exec_error(&b, UINT32_MAX, 1, msg);
		if (!b.failed && write(fd, b.data, b.len) < 0) {
			/* the client left */
		}
		proto_buf_free(&b);
		close(fd);
		return;
	}
	s->in = malloc(EXEC_MAX_IN);
	if (!s->in || n > EXEC_MAX_IN || evloop_add(c->loop, fd, EPOLLIN, on_client, s) < 0) {
		free(s->in);
		s->in = NULL;
		close(fd);
		return;
	}
	s->fd = fd;
	s->state = EXEC_REQ;
	memcpy(s->in, head, n);
	s->inlen = (uint32_t)n;
	parse_client(s);
}

void exec_from_guest(struct ctr *c, const struct proto_hdr *h, const uint8_t *p)
{
	uint32_t id, status = 0;
	const char *msg = NULL;
	int ok = h->type == PROTO_EXEC_STARTED ? proto_decode_u32(p, h->len, &id)
		 : h->type == PROTO_EXEC_EXIT  ? proto_decode_pair(p, h->len, &id, &status)
					       : proto_decode_exec_error(p, h->len, &id, &status, &msg);
	if (ok < 0 || id >= EXEC_MAX)
		return;
	struct exec_slot *s = &c->execs.slot[id];
	if (s->state != EXEC_SENT && s->state != EXEC_RUNNING && s->state != EXEC_ORPHAN)
		return;
	if (h->type == PROTO_EXEC_STARTED) {
		if (s->state != EXEC_SENT)
			return;
		s->state = EXEC_RUNNING;
	}
	struct proto_buf b = { 0 };
	if (h->type == PROTO_EXEC_STARTED)
		proto_encode_u32(&b, PROTO_EXEC_STARTED, id);
	else if (h->type == PROTO_EXEC_EXIT)
		proto_encode_pair(&b, PROTO_EXEC_EXIT, id, status & 0xff);
	else
		proto_encode_exec_error(&b, id, status & 0xff, msg);
	if (to_client(s, &b, -1) < 0 && s->state == EXEC_RUNNING) {
		client_gone(s);
		return;
	}
	if (h->type != PROTO_EXEC_STARTED) {
		drop_client(s);
		release(s);
	}
}

/* Member id ended: so did every exec in it (the guest's word for them is
 * gone with its init). */
static void member_ended(struct ctr *c, uint32_t id)
{
	for (int i = 0; i < EXEC_MAX; i++) {
		struct exec_slot *x = &c->execs.slot[i];
		if (x->in_member != (int)id || x->state == EXEC_FREE)
			continue;
		struct proto_buf b = { 0 };
		proto_encode_pair(&b, PROTO_EXEC_EXIT, (uint32_t)i, 137);
		to_client(x, &b, -1);
		drop_client(x);
		release(x);
	}
}

void exec_member_from_guest(struct ctr *c, const struct proto_hdr *h, const uint8_t *p)
{
	uint32_t id, status = 0;
	struct proto_hdr in;
	const uint8_t *q;
	const char *msg = NULL;
	if (proto_decode_member(p, h->len, &id, &in, &q) < 0 || id >= EXEC_MAX)
		return;
	struct exec_slot *s = &c->execs.slot[id];
	if (!s->member || (s->state != EXEC_SENT && s->state != EXEC_RUNNING &&
			   s->state != EXEC_ORPHAN))
		return;
	if (in.type == PROTO_EXEC_STARTED || in.type == PROTO_EXEC_ERROR ||
	    in.type == PROTO_EXEC_EXIT) {
		uint32_t x;
		/* An exec in the member: its own slot, one of this member's. */
		if (in.len >= 4 && proto_decode_u32(q, 4, &x) == 0 && x < EXEC_MAX &&
		    c->execs.slot[x].in_member == (int)id)
			exec_from_guest(c, &in, q);
		/* The answer to the member's UPDATE: to its client as it came. */
		if (in.type != PROTO_EXEC_STARTED && in.len >= 4 && x == id) {
			struct proto_buf b = { 0 };
			proto_encode_member(&b, id, p + 4, h->len - 4);
			to_client(s, &b, -1);
		}
		return;
	}
	struct proto_buf b = { 0 };
	bool end = false;
	if (in.type == PROTO_READY && proto_decode_empty(q, in.len) == 0 && s->state == EXEC_SENT) {
		proto_encode_empty(&b, PROTO_READY);
	} else if (in.type == PROTO_STARTED && proto_decode_empty(q, in.len) == 0 &&
		   s->state == EXEC_SENT) {
		s->state = EXEC_RUNNING;
		proto_encode_u32(&b, PROTO_EXEC_STARTED, id);
	} else if (in.type == PROTO_EXIT && proto_decode_u32(q, in.len, &status) == 0) {
		end = true;
		proto_encode_pair(&b, PROTO_EXEC_EXIT, id, status & 0xff);
	} else if (in.type == PROTO_ERROR && proto_decode_error(q, in.len, &status, &msg) == 0) {
		end = true;
		proto_encode_exec_error(&b, id, status & 0xff, msg);
	} else {
		return;
	}
	if (to_client(s, &b, -1) < 0 && !end && s->fd >= 0) {
		client_gone(s);
		return;
	}
	if (end) {
		drop_client(s);
		release(s);
		member_ended(c, id);
	}
}

int exec_is_port(uint32_t port)
{
	return port >= PROTO_PORT_EXEC_BASE &&
	       port < PROTO_EXEC_PORT(EXEC_MAX, PROTO_EXEC_STDIN);
}

int exec_accept(struct ctr *c, uint32_t port)
{
	uint32_t off = port - PROTO_PORT_EXEC_BASE, id = off / 4, stream = off % 4;
	if (!exec_is_port(port))
		return -1;
	struct exec_slot *s = &c->execs.slot[id];
	if (s->state != EXEC_SENT || s->fd < 0)
		return -1; /* streams come before EXEC_STARTED */
	if (s->streams & (1u << stream))
		return -1; /* each once: the client holds at most PROTO_EXEC_NSTREAMS fds */
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0)
		return -1;
	struct proto_buf b = { 0 };
	proto_encode_u32(&b, PROTO_EXEC_FD, stream);
	int r = to_client(s, &b, sp[0]);
	close(sp[0]);
	if (r < 0) {
		close(sp[1]);
		client_gone(s);
		return -1;
	}
	s->streams |= (uint8_t)(1u << stream);
	return sp[1];
}

void exec_fini(struct exec_table *t)
{
	for (int i = 0; i < EXEC_MAX; i++) {
		if (t->slot[i].c)
			drop_client(&t->slot[i]);
		release(&t->slot[i]);
	}
}
