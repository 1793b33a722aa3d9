/* The VM builder's contract: failures release everything and leave
 * vm_destroy() safe, and two VMs in one process share nothing. */
#include <fcntl.h>
#include <sys/ioctl.h>

#include "tests/kvm/kvmtest.h"

static void expect_create_fails(uint64_t mem, int ncpus, int status, const char *needle)
{
	kt_require_kvm();
	struct vm *vm = calloc(1, sizeof(*vm));
	cr_assert_not_null(vm);
	struct vm_config c = { .mem_bytes = mem, .ncpus = ncpus, .console_fd = -1 };
	struct err err = { 0 };
	cr_assert_eq(vm_create(vm, &c, NULL, &err), -1, "mem %llu, %d vCPUs accepted",
		     (unsigned long long)mem, ncpus);
	cr_assert_eq(err.status, status, "status %d: %s", err.status, err.msg);
	cr_assert(strstr(err.msg, needle), "\"%s\" does not say \"%s\"", err.msg, needle);
	cr_assert_eq(vm->vm_fd, -1, "fds released on failure");
	cr_assert_eq(vm->kvm_fd, -1);
	cr_assert_null(vm->gm.base, "memory released on failure");
	vm_destroy(vm); /* still safe, twice */
	vm_destroy(vm);
	free(vm);
}

Test(kvm_vm, create_rejects_bad_cpu_counts, .timeout = 10)
{
	expect_create_fails(1 << 20, 0, MVM_EXIT_BADARG, "--cpus");
	expect_create_fails(1 << 20, MVM_MAX_VCPUS + 1, MVM_EXIT_BADARG, "--cpus");
	expect_create_fails(1 << 20, -1, MVM_EXIT_BADARG, "--cpus");
}

Test(kvm_vm, create_rejects_bad_memory_sizes, .timeout = 10)
{
	expect_create_fails(0, 1, MVM_EXIT_BADARG, "memory");
	expect_create_fails((1 << 20) + 1, 1, MVM_EXIT_BADARG, "memory");
}

Test(kvm_vm, max_vcpus_is_in_range, .timeout = 10)
{
	kt_require_kvm();
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	int n = vm_max_vcpus(fd);
	close(fd);
	cr_assert_geq(n, 1);
	cr_assert_leq(n, MVM_MAX_VCPUS);
}

Test(kvm_vm, create_and_destroy, .fini = kt_fini, .timeout = 10)
{
	kt_create(1 << 20, 2, false);
	struct vm *vm = kt.vm;
	cr_assert_eq(vm->ncpus, 2);
	cr_assert_geq(vm->vm_fd, 0);
	cr_assert_geq(vm->run_size, sizeof(struct kvm_run));
	for (int i = 0; i < 2; i++) {
		cr_assert_geq(vm->vcpus[i].fd, 0);
		cr_assert_not_null(vm->vcpus[i].run);
		cr_assert_eq(vm->vcpus[i].id, i);
	}
	cr_assert_eq(vm->vcpus[2].fd, -1, "no third vCPU");
	cr_assert_eq(vmstop_reason(&vm->stop), VM_RUNNING);
	cr_assert_not_null(bus_find(&vm->pio, 0x64, 1), "i8042 attached");
	cr_assert_not_null(bus_find(&vm->pio, 0x604, 4), "mvm port attached");
	cr_assert_null(bus_find(&vm->pio, 0x3f8, 1), "no UART without a console");
	vm_destroy(vm);
	cr_assert_eq(vm->vm_fd, -1);
	cr_assert_null(vm->gm.base);
	vm_destroy(vm);
}

/* Two VMs, each printing its own line, run at the same time from two
 * threads: output, stop reasons and counters must not mix. */
struct one_vm {
	struct vm vm;
	int pipe[2];
	char msg[8];
	struct err err;
	int run_result;
};

static void *run_one(void *arg)
{
	struct one_vm *o = arg;
	o->run_result = vm_run(&o->vm, &o->err);
	return NULL;
}

Test(kvm_vm, two_vms_in_one_process, .timeout = 10)
{
	static const uint8_t print_code[] = {
		0xbe, 0x00, 0x11, /* mov si, 0x1100  */
		0xba, 0xf8, 0x03, /* mov dx, 0x3f8   */
		0xfc,             /* cld             */
		0xac,             /* next: lodsb     */
		0x84, 0xc0,       /* test al, al     */
		0x74, 0x03,       /* jz done         */
		0xee,             /* out dx, al      */
		0xeb, 0xf8,       /* jmp next        */
		0xf4,             /* done: hlt       */
		0xeb, 0xfd,       /* jmp done        */
	};
	kt_require_kvm();
	struct one_vm *o[2];
	for (int i = 0; i < 2; i++) {
		o[i] = calloc(1, sizeof(*o[i]));
		cr_assert_not_null(o[i]);
		cr_assert_eq(pipe2(o[i]->pipe, O_CLOEXEC), 0);
		struct vm_config c = { .mem_bytes = 1 << 20, .ncpus = 1,
				       .console_fd = o[i]->pipe[1] };
		cr_assert_eq(vm_create(&o[i]->vm, &c, NULL, &o[i]->err), 0, "%s", o[i]->err.msg);
		/* VM 0 prints one line, VM 1 two, so the counters differ. */
		strcpy(o[i]->msg, i == 0 ? "vm0\n" : "vm1\nvm1\n");
		cr_assert_eq(gmem_write(&o[i]->vm.gm, GUEST_DATA, o[i]->msg, strlen(o[i]->msg) + 1), 0);
		cr_assert_eq(gmem_write(&o[i]->vm.gm, GUEST_CODE, print_code, sizeof(print_code)), 0);
		cr_assert_eq(vcpu_boot_real(&o[i]->vm.vcpus[0], GUEST_CODE, GUEST_STACK, &o[i]->err), 0);
	}
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, run_one, o[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(o[i]->run_result, 0, "%s", o[i]->err.msg);
		cr_assert_eq(vmstop_reason(&o[i]->vm.stop), VM_STOP_HALT, "VM %d: %s", i,
			     o[i]->vm.stop.detail);
		close(o[i]->pipe[1]);
		char got[64] = { 0 };
		ssize_t n = read(o[i]->pipe[0], got, sizeof(got) - 1);
		cr_assert_gt(n, 0);
		cr_assert_str_eq(got, o[i]->msg, "VM %d printed \"%s\"", i, got);
		cr_assert_eq(atomic_load(&o[i]->vm.stats.pio), strlen(o[i]->msg), "VM %d", i);
		close(o[i]->pipe[0]);
		vm_destroy(&o[i]->vm);
		free(o[i]);
	}
}
