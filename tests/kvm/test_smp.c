/* Two vCPUs in one VM: both run, talk through guest memory, and a HLT on
 * one stops the VM and kicks the other out of a busy loop. */
#include <stdatomic.h>

#include "tests/kvm/kvmtest.h"

/* Thread-safe: both vCPU threads write here. Offset i records its last
 * value and a count. */
struct smpdev {
	atomic_uint value[4];
	atomic_uint count[4];
};

static void smpdev_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool wr)
{
	struct smpdev *d = opaque;
	if (!wr) {
		memset(data, 0, len);
		return;
	}
	if (off < 4 && len == 1) {
		atomic_store(&d->value[off], data[0]);
		atomic_fetch_add(&d->count[off], 1);
	}
}

Test(kvm_smp, two_vcpus_halt_and_kick, .fini = kt_fini, .timeout = 10)
{
	/* vCPU 0: wait for vCPU 1's flag, report it, halt. */
	static const uint8_t cpu0[] = {
		0xa0, 0x00, 0x13, /* wait: mov al, [0x1300]   */
		0x84, 0xc0,       /* test al, al              */
		0x74, 0xf9,       /* jz wait                  */
		0xba, 0x00, 0x05, /* mov dx, 0x500            */
		0xee,             /* out dx, al               */
		0xf4,             /* hlt                      */
		0xeb, 0xfd,       /* jmp hlt                  */
	};
	/* vCPU 1: report itself, then set the flag and spin forever. */
	static const uint8_t cpu1[] = {
		0xba, 0x01, 0x05,             /* mov dx, 0x501            */
		0xb0, 0xbb,                   /* mov al, 0xbb             */
		0xee,                         /* out dx, al               */
		0xc6, 0x06, 0x00, 0x13, 0x01, /* mov byte [0x1300], 1     */
		0xeb, 0xfe,                   /* jmp $                    */
	};
	kt_create(1 << 20, 2, false);
	cr_assert_eq(kt.vm->ncpus, 2);
	static struct smpdev dev;
	memset(&dev, 0, sizeof(dev));
	cr_assert_eq(bus_register(&kt.vm->pio, TEST_PORT, 4, smpdev_io, &dev, "smp"), 0);
	kt_load(0, GUEST_CODE, GUEST_STACK, cpu0, sizeof(cpu0));
	kt_load(1, 0x2000, 0x7000, cpu1, sizeof(cpu1));
	cr_assert_not(kt_run_for(WATCHDOG_S), "watchdog: %s", kt.vm->stop.detail);
	kt_assert_stop(VM_STOP_HALT);
	cr_assert_eq(kt.vm->stop.vcpu, 0, "vCPU %d halted, want 0", kt.vm->stop.vcpu);
	cr_assert_eq(atomic_load(&dev.count[1]), 1, "vCPU 1 ran");
	cr_assert_eq(atomic_load(&dev.value[1]), 0xbb);
	cr_assert_eq(atomic_load(&dev.count[0]), 1, "vCPU 0 saw vCPU 1's store");
	cr_assert_eq(atomic_load(&dev.value[0]), 1);
}
