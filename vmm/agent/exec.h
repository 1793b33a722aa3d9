/* Execs in a running container: mvm's side. A client (mvrun exec) on the
 * control socket sends EXEC with the process spec; mvm gives it an id (its
 * slot), passes EXEC to mvinit, hands the client each stdio stream the
 * guest opens for that id (EXEC_FD, the fd by SCM_RIGHTS; the client relays
 * its own stdio), and relays EXEC_STARTED/ERROR/EXIT back and SIGNAL/RESIZE
 * forward (proto/proto.h). A CONFINE before the EXEC goes to the guest as
 * EXEC_CONFINE{id} right before it (proto/confine.h). A client may send UPDATE
 * (mvrun update) in place of EXEC: it goes to the guest with the slot's id
 * and the guest's EXEC_EXIT or EXEC_ERROR for that id is its answer. A client
 * may send MEMBER (a pod member's container stream, proto.h) in place of
 * EXEC: the slot is the member's. An EXEC whose root tag is a pod share's
 * ("pod/NAME/...") runs in member NAME: its messages go as MEMBER{member's
 * id, ...}, and it ends (EXEC_EXIT 137) when the member does. A client that
 * leaves takes its process with it
 * (SIGKILL); its id is reused only once the guest has reported the end.
 * Runs on the I/O thread. */
#ifndef MVM_EXEC_H
#define MVM_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#define EXEC_MAX PROTO_MAX_EXECS
#define EXEC_MAX_IN (64u << 10) /* the largest message mvm takes from a client */

struct ctr;

enum exec_state {
	EXEC_FREE,
	EXEC_REQ,     /* reading the client's EXEC */
	EXEC_SENT,    /* EXEC is with the guest */
	EXEC_RUNNING, /* the guest said EXEC_STARTED */
	EXEC_ORPHAN,  /* the client left; waiting for the guest's EXIT or ERROR */
};

struct exec_slot {
	struct ctr *c;
	enum exec_state state;
	int fd;          /* the client's connection, -1 */
	uint8_t *in;     /* EXEC_MAX_IN bytes while a client is attached */
	uint32_t inlen;
	uint8_t streams;  /* bit per proto_exec_stream the guest opened: each once */
	struct proto_buf confine; /* the client's CONFINE as EXEC_CONFINE{id}, until EXEC */
	bool member;     /* a pod member (proto.h), not an exec */
	char name[256];  /* a member's name in the pod share ("pod/NAME/..."), "" */
	int in_member;   /* an exec in the member of this slot, else -1 */
};

struct exec_table {
	struct exec_slot slot[EXEC_MAX];
};

/* Mark every slot free (c is the owning control client). */
void exec_init(struct exec_table *t, struct ctr *c);

/* A control-socket client whose first bytes (head, n of them, already
 * read) are a proto header: take over fd (non-blocking; closed by us from
 * now on). Past EXEC_MAX execs it gets EXEC_ERROR and is closed. */
void exec_adopt(struct ctr *c, int fd, const uint8_t *head, size_t n);

/* EXEC_STARTED, EXEC_ERROR or EXEC_EXIT from the guest (payload p of h->len
 * bytes). Unknown ids and messages out of turn are ignored. */
void exec_from_guest(struct ctr *c, const struct proto_hdr *h, const uint8_t *p);

/* MEMBER{id, message} from the guest: a member's READY, STARTED, ERROR or
 * EXIT goes to its client (as an exec's), its execs' reports to theirs.
 * Anything else, unknown ids and messages out of turn are ignored. */
void exec_member_from_guest(struct ctr *c, const struct proto_hdr *h, const uint8_t *p);

/* Is port one of the exec stdio ports? */
int exec_is_port(uint32_t port);

/* The guest opened an exec stdio stream: returns the fd for the vsock
 * device (it owns it), the other end going to the exec's client; or -1 to
 * refuse (no such exec, its client is gone, or that stream came already). */
int exec_accept(struct ctr *c, uint32_t port);

/* Close every client connection and free the buffers. */
void exec_fini(struct exec_table *t);

#endif
