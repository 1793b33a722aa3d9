/* Which signals the host side hands on to a container's process (SIGNAL,
 * EXEC_SIGNAL): mvm for the container's process, mvrun exec's host process
 * for its exec. Shared so both forward the same set, as runc's kill reaches
 * the process with any signal it can name. */
#ifndef MVRUN_PROTO_SIGFWD_H
#define MVRUN_PROTO_SIGFWD_H

#include <stdbool.h>
#include <stdint.h>

#define PROTO_SIG_MAX 64 /* the kernel's _NSIG - 1 on every 64-bit arch we run on */

/* True for 1..PROTO_SIG_MAX but SIGKILL and SIGSTOP, which no process can
 * catch: those act on the host process (and so on the VM) itself. */
bool proto_sig_forwardable(int sig);

/* The kernel's 64-bit signal set (bit sig-1) of every forwardable signal,
 * the C library's own included: for rt_sigprocmask and signalfd4 called
 * directly (glibc's sigaddset refuses 32 and 33). */
uint64_t proto_sig_forward_mask(void);

/* Whether a signal the host process received (its siginfo's si_code and
 * si_pid; self is the receiver's own pid) was sent from outside and goes on
 * to the process: by another process (kill, sigqueue, tgkill: code <= 0) or
 * by the kernel for a terminal (SI_KERNEL: hangup, interrupt). What the
 * receiver caused itself (a vCPU kick, SIGPIPE, SIGXFSZ) and the kernel's
 * reports about it (SIGCHLD, SIGIO, fault codes) are its own. */
bool proto_sig_from_outside(int32_t code, uint32_t pid, uint32_t self);

#endif
