/* The VM's side of seccomp: which fds vCPU threads write, building one
 * filter per thread, and the order in which threads take them (vm.h). */
#include "vmm/core/vm.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static void add_fd(struct sec_env *e, int fd)
{
	if (fd < 0 || e->nwfds == SEC_MAX_FDS)
		return;
	for (int i = 0; i < e->nwfds; i++)
		if (e->wfds[i] == fd)
			return;
	e->wfds[e->nwfds++] = fd;
}

void vm_vcpu_write_fds(const struct vm *vm, struct sec_env *e)
{
	e->nwfds = 0;
	add_fd(e, 2); /* the SIGSYS report */
	add_fd(e, vm->log_fd);
	if (vm->has_serial)
		add_fd(e, vm->serial.out_fd);
	for (int i = 0; i < vm->nvirtio; i++) {
		const struct virtio_mmio *t = vm->virtio[i];
		add_fd(e, t->irq_fd);
		for (int q = 0; q < t->dev->nqueues && q < VIRTIO_MAX_QUEUES; q++)
			add_fd(e, t->kick_fd[q]);
		if (t->dev->vcpu_fd)
			add_fd(e, *t->dev->vcpu_fd);
	}
}

int vm_seccomp(struct vm *vm, enum sec_mode mode, int test_kind, struct err *err)
{
	struct sec_env e = { .mode = mode, .pid = getpid(), .kick_signal = VM_KICK_SIGNAL,
			     .vm_fd = vm->vm_fd, .vcpu_fd = -1, .uart = vm->has_serial,
			     .tap_fd = vm->sec_tap_fd };
	vm_vcpu_write_fds(vm, &e);
	if (sec_handler_init() < 0)
		return err_sys(err, MVM_EXIT_INTERNAL, errno, "seccomp: SIGSYS handler");
	if (sec_build(SEC_MAIN, &e, &vm->sec_main, err) < 0 ||
	    sec_build(SEC_IO, &e, &vm->sec_io, err) < 0)
		return -1;
	for (int i = 0; i < vm->ncpus; i++) {
		e.vcpu_fd = vm->vcpus[i].fd;
		if (sec_build(SEC_VCPU, &e, &vm->sec_vcpu[i], err) < 0)
			return -1;
	}
	vm->sec_test = test_kind;
	vm->sec_on = true;
	return 0;
}

/* The SIGSYS test: one syscall no thread may make. */
static void break_rules(struct vm *vm, const struct sec_prog *p)
{
	if (vm->sec_test == (int)p->kind) {
		struct utsname u;
		syscall(SYS_uname, &u);
	}
}

int vm_sec_enter(struct vm *vm, const struct sec_prog *p)
{
	if (!vm->sec_on)
		return 0;
	if (sec_install(p) < 0) {
		vmstop_request(&vm->stop, VM_STOP_INTERNAL, -1, "seccomp: cannot install the %s "
				"thread's filter: %s", sec_kind_name(p->kind), strerror(errno));
		return -1;
	}
	break_rules(vm, p);
	return 0;
}

void vm_gate_wait(struct vm *vm)
{
	pthread_mutex_lock(&vm->gate_lock);
	while (!vm->gate_open)
		pthread_cond_wait(&vm->gate_cond, &vm->gate_lock);
	pthread_mutex_unlock(&vm->gate_lock);
}

void vm_main_enter(struct vm *vm)
{
	if (vm->sec_on) {
		/* No thread or process is made after this one: no filter allows
		 * clone, clone3, fork, vfork or execve. The limit binds only a
		 * non-root mvm (the kernel never applies it to uid 0). */
		struct rlimit none = { 0, 0 };
		setrlimit(RLIMIT_NPROC, &none);
		vm_sec_enter(vm, &vm->sec_main);
	}
	pthread_mutex_lock(&vm->gate_lock);
	vm->gate_open = true;
	pthread_cond_broadcast(&vm->gate_cond);
	pthread_mutex_unlock(&vm->gate_lock);
}

void *vm_park(struct vm *vm)
{
	if (!vm->sec_on)
		return NULL;
	pthread_mutex_lock(&vm->gate_lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->gate_cond);
	for (;;)
		pthread_cond_wait(&vm->gate_cond, &vm->gate_lock);
}

void vm_wait_parked(struct vm *vm, int n)
{
	pthread_mutex_lock(&vm->gate_lock);
	while (vm->parked < n)
		pthread_cond_wait(&vm->gate_cond, &vm->gate_lock);
	pthread_mutex_unlock(&vm->gate_lock);
}
