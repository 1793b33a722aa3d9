/* mvm's side of the control conversation with mvinit (proto/proto.h), and
 * the bridges between the container's stdio streams and mvm's own fds
 * 0/1/2. Runs on the I/O thread; the vsock device hands it each stream the
 * guest opens through ctr_accept(). */
#ifndef MVM_CONTAINER_H
#define MVM_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/proto.h"
#include "vmm/core/err.h"
#include "vmm/core/evloop.h"
#include "vmm/agent/exec.h"
#include "vmm/agent/relay.h"

#define CTR_MAX_IN (64u << 10) /* the largest message mvm accepts from the guest */
/* Host-to-guest bytes queued on the control stream at most (the codec's
 * cap): a guest that stops reading fails the container at this point. */
#define CTR_MAX_OUT (2ull * PROTO_MAX_MSG)

enum ctr_state { CTR_WAIT_HELLO, CTR_WAIT_READY, CTR_WAIT_START, CTR_RUNNING, CTR_EXITED,
		 CTR_FAILED };

struct ctr {
	struct evloop *loop;
	const struct proto_buf *stream;  /* the container stream (SPEC first), sent whole at HELLO;
					  * not owned */
	bool tty;
	int ctl_fd;                      /* our end of the control stream, -1 before */
	enum ctr_state state;
	int exit_status;                 /* from EXIT or ERROR, -1 before */
	char error[256];                 /* ERROR's message, "" if none */
	uint32_t inlen;
	uint8_t in[CTR_MAX_IN];
	struct proto_buf out;            /* bytes not yet written to ctl_fd */
	size_t out_off;
	int out_fd;                      /* dup of ctl_fd watched for EPOLLOUT while out is pending */
	bool ctl_down;                   /* the control stream broke: nothing more goes out */
	int sig_fd;                      /* signalfd of the signals forwarded to the process */
	pid_t self;                      /* mvm's pid: its own signals are not forwarded */
	bool wait_start;                 /* after READY, wait for START on the control socket */
	int ready_fd;                    /* gets READY or ERROR (launch.h), then closed; -1 */
	int listen_fd;                   /* the control socket, -1 */
	const char *listen_path;         /* unlinked at ctr_fini; not owned */
	int client_fd;                   /* one control client at a time, -1 */
	int reserve_fd;                  /* spare fd, given up to refuse a client at EMFILE; -1 */
	bool listen_paused;              /* out of fds: the listener is out of the loop */
	bool start_waiting;              /* client_fd sent START: answered at STARTED or ERROR */
	uint8_t client_in[64];           /* the client's first bytes, until its first header */
	uint32_t client_len;
	struct relay rel[4];             /* stdin, stdout, stderr, tty-out */
	uint8_t stdio_taken;             /* bit (port - PROTO_PORT_STDIN): one stream per port, ever */
	int host_out[2];                 /* mvm's fds 1 and 2 for writing without blocking (relay_out_fd) */
	struct exec_table execs;         /* exec clients and their ids (exec.c) */
	int net_tap;                     /* the tap's ifindex with --net, else 0 */
	char net_if[16];                 /* the namespace's interface at create, "" none */
	int net_joined;                  /* the ifindex ctr_start joined the tap to, else 0 */
};

/* Set up: block every signal but KILL, STOP and SYS (proto/sigfwd.h) in the
 * calling thread and open a signalfd for them: those sent from outside go to
 * the process. Call on the main thread before any other thread starts, so every
 * thread inherits the mask. stream (not copied) goes to the guest at its
 * HELLO. Returns 0 or -1 with err. */
int ctr_init(struct ctr *c, struct evloop *loop, const struct proto_buf *stream, bool tty,
	     struct err *err);

/* After an fd was closed: put a listener that ran out of fds back in the
 * loop. (ctlsock.c) */
void ctr_listen_resume(struct ctr *c);

/* Serve the host control socket at `path` (proto framing, launch.h: START
 * from mvrun start, EXEC from mvrun exec, see exec.h), and hold the process
 * until START. Returns 0 or -1 with err. (ctlsock.c) */
int ctr_listen(struct ctr *c, const char *path, struct err *err);

/* Answer a START that waits for the guest's STARTED: STARTED (msg NULL) or
 * ERROR{status, msg} (the container's exit status, as the ready fd's), then
 * drop the client. Nothing if no start waits. (ctlsock.c) */
void ctr_start_answer(struct ctr *c, int status, const char *msg);

/* Report the container's readiness on fd (closed after one message). */
void ctr_set_ready_fd(struct ctr *c, int fd);

/* The VM is over: if nobody heard about readiness yet, tell the ready fd
 * that set-up failed, with this status and message. */
void ctr_finish(struct ctr *c, int status, const char *msg);

/* vsock accept callback: the guest opened a stream to host port `port`.
 * Returns the fd the device should relay (it owns it), or -1 to refuse: a
 * second control stream, a stdio port that had its stream already (or that
 * does not match --tty), or a full loop. */
int ctr_accept(void *opaque, uint32_t port);

/* Release fds. */
void ctr_fini(struct ctr *c);

/* Write what c->out holds to the guest without blocking (the reader is the
 * vsock device on this same thread); the rest goes when it has room. If the
 * stream broke, or c->out overflowed (a message did not fit under
 * CTR_MAX_OUT: the guest stopped reading), the container fails with that
 * error and the stream is shut: nothing is dropped without a word. */
void ctr_flush(struct ctr *c);

/* Send START (and the window size with a tty): the process runs. With a
 * tap (net_tap), first join it to the network namespace's interface and send
 * NET; if that fails, nothing is sent and msg (cap bytes) says why: returns
 * -1, else 0. */
int ctr_start(struct ctr *c, char *msg, size_t cap);

/* Undo ctr_start's join, if it made one (hostnet_detach): the namespace's
 * interface loses the ingress qdisc and the redirect to the tap. Call on the
 * I/O thread (its seccomp filter allows rtnetlink) once the VM is over; a
 * failure goes to stderr. */
void ctr_net_stop(struct ctr *c);

#endif
