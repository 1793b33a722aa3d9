/* mvm's own devices and stop reasons with a real guest: the 8250 console,
 * the i8042 reset line with and without mvinit's shutdown notice, HLT,
 * triple fault, and the kick that stops a guest that never exits. */
#include "tests/kvm/kvmtest.h"
#include "proto/mvm_port.h"

/* Print the NUL-terminated string at GUEST_DATA to COM1, then HLT. */
static const uint8_t print_code[] = {
	0xbe, 0x00, 0x11, /* mov si, 0x1100            */
	0xba, 0xf8, 0x03, /* mov dx, 0x3f8             */
	0xfc,             /* cld                       */
	0xac,             /* next: lodsb               */
	0x84, 0xc0,       /* test al, al               */
	0x74, 0x03,       /* jz done                   */
	0xee,             /* out dx, al                */
	0xeb, 0xf8,       /* jmp next                  */
	0xf4,             /* done: hlt                 */
	0xeb, 0xfd,       /* jmp done                  */
};

static void print_guest(const char *s)
{
	kt_create(1 << 20, 1, true);
	cr_assert_eq(gmem_write(&kt.vm->gm, GUEST_DATA, s, strlen(s) + 1), 0);
	KT_LOAD(print_code);
	kt_run();
	kt_assert_stop(VM_STOP_HALT);
}

Test(kvm_platform, serial_hello, .fini = kt_fini, .timeout = 10)
{
	print_guest("hello\n");
	cr_assert_str_eq(kt_console(), "hello\n");
	cr_assert_eq(atomic_load(&kt.vm->stats.pio), 6);
}

Test(kvm_platform, serial_partial_line_flushed_at_stop, .fini = kt_fini, .timeout = 10)
{
	print_guest("line one\nno newline");
	cr_assert_str_eq(kt_console(), "line one\nno newline");
}

Test(kvm_platform, no_uart_without_a_console, .fini = kt_fini, .timeout = 10)
{
	/* console_fd -1: COM1 does not exist, so its bytes are unmapped writes. */
	kt_create(1 << 20, 1, false);
	cr_assert_eq(gmem_write(&kt.vm->gm, GUEST_DATA, "hi\n", 4), 0);
	KT_LOAD(print_code);
	kt_run();
	kt_assert_stop(VM_STOP_HALT);
	cr_assert_not(kt.vm->has_serial);
	cr_assert_eq(atomic_load(&kt.vm->stats.unmapped_pio_write), 3);
}

Test(kvm_platform, i8042_reset_without_notice, .fini = kt_fini, .timeout = 10)
{
	static const uint8_t code[] = {
		0xb0, 0xfe,       /* mov al, 0xfe              */
		0xe6, 0x64,       /* out 0x64, al ; pulse reset */
		0xf4,             /* hlt (not reached)          */
		0xeb, 0xfd,       /* jmp hlt                    */
	};
	kt_create(1 << 20, 1, false);
	KT_LOAD(code);
	kt_run();
	kt_assert_stop(VM_STOP_RESET);
	cr_assert_eq(atomic_load(&kt.vm->port.shutdown), -1, "no notice: a panic to mvm");
}

static void reset_with_notice(uint8_t status)
{
	const uint8_t code[] = {
		0x66, 0xb8, status, 0, 0, 0, /* mov eax, status          */
		0xba, 0x04, 0x06,            /* mov dx, 0x604            */
		0x66, 0xef,                  /* out dx, eax ; the notice */
		0xb0, 0xfe,                  /* mov al, 0xfe             */
		0xe6, 0x64,                  /* out 0x64, al             */
		0xf4,                        /* hlt (not reached)        */
		0xeb, 0xfd,                  /* jmp hlt                  */
	};
	cr_assert_eq(MVM_PORT_SHUTDOWN, 0x604);
	kt_create(1 << 20, 1, false);
	KT_LOAD(code);
	kt_run();
	kt_assert_stop(VM_STOP_RESET);
	cr_assert_eq(atomic_load(&kt.vm->port.shutdown), status);
	cr_assert_eq(atomic_load(&kt.vm->port.bad_writes), 0);
}

Test(kvm_platform, i8042_reset_with_shutdown_notice_0, .fini = kt_fini, .timeout = 10)
{
	reset_with_notice(0);
}

Test(kvm_platform, i8042_reset_with_shutdown_notice_7, .fini = kt_fini, .timeout = 10)
{
	reset_with_notice(7);
}

Test(kvm_platform, boot_milestone, .fini = kt_fini, .timeout = 10)
{
	static const uint8_t code[] = {
		0xb0, 0x01,       /* mov al, MVM_MARK_INIT     */
		0xba, 0x00, 0x06, /* mov dx, 0x600             */
		0xee,             /* out dx, al                */
		0x66, 0xed,       /* in eax, dx  ; µs          */
		0xba, 0x00, 0x05, /* mov dx, 0x500             */
		0x66, 0xef,       /* out dx, eax ; unmapped    */
		0xf4,             /* hlt                       */
		0xeb, 0xfd,       /* jmp hlt                   */
	};
	kt_create(1 << 20, 1, false);
	KT_LOAD(code);
	kt_run();
	kt_assert_stop(VM_STOP_HALT);
	cr_assert_eq(atomic_load(&kt.vm->port.mark), MVM_MARK_INIT);
	cr_assert_neq(atomic_load(&kt.vm->port.mark_us), 0);
}

/* True when /dev/kvm is kvm_pvm, the software hypervisor (see kvmhost.c). */
static bool on_kvm_pvm(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

/* Real mode, IDT limit 0: the exception's IVT entry is past the limit (a
 * #GP in the SDM's INT n pseudocode), so is the #GP's and the #DF's, and the
 * CPU shuts down. The IVT itself is filled with a handler that
 * reports on port 0x500 and halts, to tell "delivered anyway" from a hang. */
static void triple_fault_real(uint8_t op0, uint8_t op1)
{
	const uint8_t code[] = {
		0x0f, 0x01, 0x1e, 0x00, 0x12, /* lidt [0x1200] ; limit 0, base 0 */
		op0, op1,                     /* int3; nop  or  ud2              */
		0xf4,                         /* hlt (not reached)               */
		0xeb, 0xfd,                   /* jmp hlt                         */
	};
	static const uint8_t handler[] = {
		0xba, 0x00, 0x05, /* mov dx, 0x500                */
		0xee,             /* out dx, al ; "IVT was used"  */
		0xf4,             /* hlt                          */
		0xeb, 0xfd,       /* jmp hlt                      */
	};
	static const uint8_t idtr[6] = { 0 };
	kt_create(1 << 20, 1, false);
	for (uint16_t v = 0; v < 256; v++) {
		uint16_t ent[2] = { 0x3000, 0 }; /* 0000:3000 */
		cr_assert_eq(gmem_write(&kt.vm->gm, v * 4u, ent, 4), 0);
	}
	cr_assert_eq(gmem_write(&kt.vm->gm, 0x3000, handler, sizeof(handler)), 0);
	cr_assert_eq(gmem_write(&kt.vm->gm, 0x1200, idtr, sizeof(idtr)), 0);
	KT_LOAD(code);
	kt_run();
	int why = vmstop_reason(&kt.vm->stop);
	if (on_kvm_pvm() && why == VM_STOP_HALT && kt.vm->stats.unmapped_pio_write == 1)
		cr_skip_test("kvm_pvm emulates real mode, and KVM's emulator delivers real-mode "
			     "exceptions through the IVT without the IDT limit check "
			     "(__emulate_int_real: \"TODO: Add limit checks\"), so an empty IDT "
			     "does not triple-fault here; the guest ran the IVT handler instead");
	kt_assert_stop(VM_STOP_TRIPLE);
	cr_assert(strstr(kt.vm->stop.detail, "triple"), "%s", kt.vm->stop.detail);
}

Test(kvm_platform, triple_fault_real_mode_int3, .fini = kt_fini, .timeout = 10)
{
	triple_fault_real(0xcc, 0x90);
}

Test(kvm_platform, triple_fault_real_mode_ud2, .fini = kt_fini, .timeout = 10)
{
	triple_fault_real(0x0f, 0x0b);
}

/* Long mode on mvm's linux64 boot state (identity map, flat GDT), with
 * code at 1 MiB. */
static void load_long_mode(const uint8_t *code, size_t len)
{
	kt_create(2 << 20, 1, false);
	static const uint8_t idtr[10] = { 0 };
	cr_assert_eq(gmem_write(&kt.vm->gm, 0x1200, idtr, sizeof(idtr)), 0);
	cr_assert_eq(gmem_write(&kt.vm->gm, LAYOUT_HIMEM, code, len), 0);
	cr_assert_eq(vcpu_boot_linux64(&kt.vm->vcpus[0], &kt.vm->gm, LAYOUT_HIMEM,
				       LAYOUT_ZERO_PAGE, &kt.err), 0, "%s", kt.err.msg);
}

Test(kvm_platform, long_mode_pio_and_hlt, .fini = kt_fini, .timeout = 10)
{
	static const uint8_t code[] = {
		0xba, 0x00, 0x05, 0x00, 0x00, /* mov edx, 0x500 */
		0xb0, 0x42,                   /* mov al, 0x42   */
		0xee,                         /* out dx, al     */
		0xf4,                         /* hlt            */
		0xeb, 0xfd,                   /* jmp hlt        */
	};
	load_long_mode(code, sizeof(code));
	kt_run();
	kt_assert_stop(VM_STOP_HALT);
	cr_assert_eq(atomic_load(&kt.vm->stats.unmapped_pio_write), 1);
}

Test(kvm_platform, triple_fault_long_mode_ud2, .fini = kt_fini, .timeout = 10)
{
	static const uint8_t code[] = {
		0x0f, 0x01, 0x1c, 0x25, 0x00, 0x12, 0x00, 0x00, /* lidt [0x1200] ; limit 0 */
		0x0f, 0x0b,                                     /* ud2                     */
		0xf4,                                           /* hlt (not reached)       */
		0xeb, 0xfd,                                     /* jmp hlt                 */
	};
	load_long_mode(code, sizeof(code));
	kt_run();
	kt_assert_stop(VM_STOP_TRIPLE);
	cr_assert(strstr(kt.vm->stop.detail, "triple"), "%s", kt.vm->stop.detail);
	/* On AMD, KVM re-initialises the VMCB on the SHUTDOWN intercept before
	 * it exits (svm.c, shutdown_interception), so the rip is the reset one. */
	if (access("/sys/module/kvm_amd", F_OK) == 0)
		cr_assert(strstr(kt.vm->stop.detail, "rip 0x"), "detail names a rip: %s", kt.vm->stop.detail);
	else
		cr_assert(strstr(kt.vm->stop.detail, "0x100008"), "detail names the rip: %s",
			  kt.vm->stop.detail);
}

Test(kvm_platform, triple_fault_long_mode_int3, .fini = kt_fini, .timeout = 10)
{
	static const uint8_t code[] = {
		0x0f, 0x01, 0x1c, 0x25, 0x00, 0x12, 0x00, 0x00, /* lidt [0x1200] ; limit 0 */
		0xcc,                                           /* int3                    */
		0xf4,                                           /* hlt (not reached)       */
		0xeb, 0xfd,                                     /* jmp hlt                 */
	};
	load_long_mode(code, sizeof(code));
	kt_run();
	int why = vmstop_reason(&kt.vm->stop);
	if (on_kvm_pvm() && why == VM_STOP_KVM_ERROR) {
		/* mvm must still report it cleanly, as an emulation failure. */
		cr_assert(strstr(kt.vm->stop.detail, "emulation"), "%s", kt.vm->stop.detail);
		cr_skip_test("kvm_pvm ends int3 in long mode with KVM_EXIT_INTERNAL_ERROR "
			     "(emulation failure), not a triple fault; mvm reported: %s",
			     kt.vm->stop.detail);
	}
	kt_assert_stop(VM_STOP_TRIPLE);
}

Test(kvm_platform, spinning_guest_is_kicked_out, .fini = kt_fini, .timeout = 10)
{
	static const uint8_t code[] = {
		0xeb, 0xfe, /* jmp $ : never exits on its own */
	};
	kt_create(1 << 20, 1, false);
	KT_LOAD(code);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert(kt_run_for(0.3), "the guest stopped by itself?");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	kt_assert_stop(VM_STOP_INTERNAL);
	cr_assert(strstr(kt.vm->stop.detail, "watchdog"), "%s", kt.vm->stop.detail);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	cr_assert_lt(s, 3.0, "the kick took %.2f s to stop the vCPU", s);
}
