/* Why a VM stopped. Any vCPU or device may request a stop; the first request
 * wins, and the thread in vmstop_wait() kicks every vCPU out of KVM_RUN (so
 * only that thread's seccomp filter needs to signal threads). */
#ifndef MVM_STOP_H
#define MVM_STOP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_RESET,    /* the guest pulsed the i8042 reset line */
	VM_STOP_HALT,     /* HLT without an in-kernel irqchip (tiny test guests) */
	VM_STOP_TRIPLE,   /* triple fault */
	VM_STOP_KVM_ERROR,/* KVM internal/emulation error or failed entry */
	VM_STOP_INTERNAL, /* a host-side failure in mvm while running */
	VM_STOP_SAVE,     /* the guest reached its save point (mvm --snapshot-save) */
};

struct vm_stop {
	atomic_int reason;     /* enum vm_stop_reason */
	pthread_mutex_t lock;  /* guards the fields below while requests race */
	int vcpu;              /* the vCPU that caused it, -1 for a device/host */
	char detail[384];      /* one line, may be empty */
	void (*kick)(void *arg); /* forces every vCPU out of KVM_RUN */
	void *kick_arg;
	bool kicked;           /* vmstop_wait() has kicked */
	pthread_cond_t kicked_cond; /* signalled by the winning request */
};

/* Initialise; kick may be set later, before the vCPUs run. */
void vmstop_init(struct vm_stop *s);

/* Request a stop. Returns true if this request won (detail recorded, the
 * waiter woken), false if the VM was already stopping. */
bool vmstop_request(struct vm_stop *s, int reason, int vcpu, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Block until a stop was requested, then kick every vCPU (once, from the
 * calling thread). After this, no thread touches the vCPU threads any more,
 * so they may be joined. */
void vmstop_wait(struct vm_stop *s);

/* The current reason (VM_RUNNING while running). */
int vmstop_reason(struct vm_stop *s);

#endif
