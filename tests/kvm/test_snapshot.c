/* Save a stopped VM's KVM state into a snapshot, restore it into a new VM
 * with a copy of the guest's RAM, and run on: the guest goes on from where
 * it stopped, with its registers (a value held in BX, the port in DX). */
#include "tests/kvm/kvmtest.h"
#include <sys/stat.h>

#include "vmm/snap/snap_kvm.h"

/* Prints 'A', halts (the save point), then prints BH and BL: "YX". */
static const uint8_t halves_code[] = {
	0xbb, 0x58, 0x59, /* mov bx, 0x5958  */
	0xba, 0xf8, 0x03, /* mov dx, 0x3f8   */
	0xb0, 0x41,       /* mov al, 'A'     */
	0xee,             /* out dx, al      */
	0xf4,             /* hlt: saved here */
	0x88, 0xf8,       /* mov al, bh      */
	0xee,             /* out dx, al      */
	0x88, 0xd8,       /* mov al, bl      */
	0xee,             /* out dx, al      */
	0xc6, 0x06, 0x00, 0x20, 0x5a, /* mov byte [0x2000], 0x5a */
	0xf4,             /* hlt             */
	0xeb, 0xfd,       /* jmp hlt         */
};

struct restored {
	struct vm vm;
	int pipe[2];
	struct err err;
};

static struct restored *new_vm_from(uint64_t mem, int ncpus, int mem_fd)
{
	struct restored *r = calloc(1, sizeof(*r));
	cr_assert_not_null(r);
	cr_assert_eq(pipe2(r->pipe, O_CLOEXEC), 0);
	struct vm_config c = { .mem_bytes = mem, .ncpus = ncpus, .console_fd = r->pipe[1],
			       .mem_from_file = mem_fd >= 0, .mem_fd = mem_fd };
	cr_assert_eq(vm_create(&r->vm, &c, NULL, &r->err), 0, "%s", r->err.msg);
	return r;
}

static struct restored *new_vm(uint64_t mem, int ncpus)
{
	return new_vm_from(mem, ncpus, -1);
}

static void free_vm(struct restored *r)
{
	vm_destroy(&r->vm);
	close(r->pipe[0]);
	close(r->pipe[1]);
	free(r);
}

/* Run the first VM to its save point, take its state into w and check it
 * into v. */
static void save_first(struct snap_writer *w, struct snap_view *v)
{
	const uint8_t *snap;
	size_t len;
	kt_create(1 << 20, 1, true);
	KT_LOAD(halves_code);
	kt_run();
	kt_assert_stop(VM_STOP_HALT);
	cr_assert_str_eq(kt_console(), "A");
	memset(w, 0, sizeof(*w));
	memset(&kt.err, 0, sizeof(kt.err));
	cr_assert_eq(snap_kvm_save(kt.vm, w, &kt.err), 0, "%s", kt.err.msg);
	cr_assert_eq(snap_finish(w, &snap, &len, &kt.err), 0, "%s", kt.err.msg);
	cr_assert_eq(snap_parse(snap, len, v, &kt.err), 0, "%s", kt.err.msg);
}

/* Run a restored VM and return what it printed. */
static const char *run_restored(struct restored *b)
{
	static char got[16];
	memset(got, 0, sizeof(got));
	cr_assert_eq(vm_run(&b->vm, &b->err), 0, "%s", b->err.msg);
	cr_assert_eq(vmstop_reason(&b->vm.stop), VM_STOP_HALT, "%s", b->vm.stop.detail);
	cr_assert_eq(fcntl(b->pipe[0], F_SETFL, O_NONBLOCK), 0);
	ssize_t n = read(b->pipe[0], got, sizeof(got) - 1);
	if (n < 0)
		got[0] = 0;
	return got;
}

Test(kvm_snapshot, restore_goes_on_where_it_stopped, .fini = kt_fini, .timeout = 10)
{
	struct snap_writer w;
	struct snap_view v;
	save_first(&w, &v);
	cr_assert_not_null(snap_find(&v, SNAP_CPU_REGS, 0));
	cr_assert_not_null(snap_find(&v, SNAP_CPU_MSRS, 0));

	struct restored *b = new_vm(1 << 20, 1);
	for (int i = 0; i < kt.vm->gm.nr; i++)
		memcpy(b->vm.gm.r[i].hva, kt.vm->gm.r[i].hva, kt.vm->gm.r[i].size);
	cr_assert_eq(snap_kvm_restore(&b->vm, &v, &b->err), 0, "%s", b->err.msg);
	snap_view_free(&v);
	snap_writer_free(&w);
	const char *got = run_restored(b);
	cr_assert_str_eq(got, "YX", "the restored guest printed \"%s\": registers or RIP not restored",
			 got);
	free_vm(b);
}

/* RAM through a memory file: saved with holes for zero pages, mapped
 * copy-on-write by two VMs at once, each going on alone; the file keeps
 * the saved bytes whatever the guests write. */
Test(kvm_snapshot, memory_file_is_shared_copy_on_write, .fini = kt_fini, .timeout = 10)
{
	struct snap_writer w;
	struct snap_view v;
	save_first(&w, &v);
	char path[] = "/tmp/mvm-memXXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	unlink(path);
	cr_assert_eq(gmem_save(&kt.vm->gm, fd, &kt.err), 0, "%s", kt.err.msg);
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(st.st_size, 1 << 20);
	cr_assert_lt(st.st_blocks * 512, 1 << 20, "zero pages are holes (%lld bytes allocated)",
		     (long long)st.st_blocks * 512);

	struct restored *b[2];
	for (int i = 0; i < 2; i++) {
		b[i] = new_vm_from(1 << 20, 1, fd);
		cr_assert_eq(snap_kvm_restore(&b[i]->vm, &v, &b[i]->err), 0, "%s", b[i]->err.msg);
	}
	for (int i = 0; i < 2; i++) {
		cr_assert_str_eq(run_restored(b[i]), "YX", "restored VM %d", i);
		uint8_t mark = 0;
		cr_assert_eq(gmem_read(&b[i]->vm.gm, 0x2000, &mark, 1), 0);
		cr_assert_eq(mark, 0x5a, "VM %d's write is in its RAM", i);
	}
	uint8_t in_file = 0xff;
	cr_assert_eq(pread(fd, &in_file, 1, 0x2000), 1);
	cr_assert_eq(in_file, 0, "a guest's write reached the memory file");
	uint8_t code[sizeof(halves_code)];
	cr_assert_eq(pread(fd, code, sizeof(code), GUEST_CODE), (ssize_t)sizeof(code));
	cr_assert_eq(memcmp(code, halves_code, sizeof(code)), 0, "the saved RAM holds the code");
	for (int i = 0; i < 2; i++)
		free_vm(b[i]);

	struct restored *c = calloc(1, sizeof(*c));
	struct vm_config bad = { .mem_bytes = 2 << 20, .ncpus = 1, .console_fd = -1,
				 .mem_from_file = true, .mem_fd = fd };
	cr_assert_eq(vm_create(&c->vm, &bad, NULL, &c->err), -1, "a 1 MiB file mapped as 2 MiB");
	cr_assert(strstr(c->err.msg, "memory file: 1048576 bytes, the VM has 2097152"), "%s",
		  c->err.msg);
	vm_destroy(&c->vm);
	free(c);
	close(fd);
	snap_view_free(&v);
	snap_writer_free(&w);
}

Test(kvm_snapshot, another_shape_is_refused, .fini = kt_fini, .timeout = 10)
{
	struct snap_writer w;
	struct snap_view v;
	save_first(&w, &v);

	struct restored *b = new_vm(2 << 20, 1);
	cr_assert_eq(snap_kvm_restore(&b->vm, &v, &b->err), -1, "2 MiB VM took a 1 MiB snapshot");
	cr_assert(strstr(b->err.msg, "of a VM with 1048576 bytes, 1 vCPUs"), "%s", b->err.msg);
	free_vm(b);

	b = new_vm(1 << 20, 2);
	cr_assert_eq(snap_kvm_restore(&b->vm, &v, &b->err), -1, "2 vCPUs took a 1-vCPU snapshot");
	cr_assert(strstr(b->err.msg, "this one has 1048576 bytes, 2 vCPUs"), "%s", b->err.msg);
	free_vm(b);
	snap_view_free(&v);
	snap_writer_free(&w);
}
