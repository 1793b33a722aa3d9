/* Guest device I/O through the real KVM exit path: PIO and MMIO round trips,
 * string I/O, and unmapped accesses that are counted but not fatal. */
#include "tests/kvm/kvmtest.h"
#include "tests/unit/recdev.h"

static struct recdev pdev, mdev;

static void attach_pio_dev(uint64_t read_value)
{
	memset(&pdev, 0, sizeof(pdev));
	pdev.read_value = read_value;
	cr_assert_eq(bus_register(&kt.vm->pio, TEST_PORT, 4, recdev_io, &pdev, "test-pio"), 0);
}

static void assert_access(const struct recdev *d, int i, uint64_t off, uint32_t len, bool wr,
			  uint64_t value)
{
	cr_assert_gt(d->n, i, "only %d accesses, want access %d", d->n, i);
	const struct recdev_access *x = &d->a[i];
	cr_assert_eq(x->offset, off, "access %d: offset 0x%llx, want 0x%llx", i,
		     (unsigned long long)x->offset, (unsigned long long)off);
	cr_assert_eq(x->len, len, "access %d: len %u, want %u", i, x->len, len);
	cr_assert_eq(x->is_write, wr, "access %d: %s, want %s", i, x->is_write ? "write" : "read",
		     wr ? "write" : "read");
	if (wr)
		cr_assert_eq(recdev_value(d, i), value, "access %d wrote 0x%llx, want 0x%llx", i,
			     (unsigned long long)recdev_value(d, i), (unsigned long long)value);
}

Test(kvm_io, pio_round_trip, .fini = kt_fini, .timeout = 10)
{
	static const uint8_t code[] = {
		0xb0, 0x42,                         /* mov al, 0x42          */
		0xba, 0x00, 0x05,                   /* mov dx, 0x500         */
		0xee,                               /* out dx, al            */
		0x42,                               /* inc dx      ; 0x501   */
		0xec,                               /* in al, dx   ; device  */
		0x4a,                               /* dec dx      ; 0x500   */
		0xee,                               /* out dx, al  ; echo    */
		0xb8, 0x34, 0x12,                   /* mov ax, 0x1234        */
		0xef,                               /* out dx, ax            */
		0x66, 0xb8, 0x78, 0x56, 0x34, 0x12, /* mov eax, 0x12345678   */
		0x66, 0xef,                         /* out dx, eax           */
		0xf4,                               /* hlt                   */
		0xeb, 0xfd,                         /* jmp hlt               */
	};
	kt_create(1 << 20, 1, false);
	attach_pio_dev(0x5a);
	KT_LOAD(code);
	kt_run();
	kt_assert_stop(VM_STOP_HALT);
	cr_assert_eq(kt.vm->stop.vcpu, 0);
	cr_assert_eq(pdev.n, 5, "device saw %d accesses", pdev.n);
	assert_access(&pdev, 0, 0, 1, true, 0x42);
	assert_access(&pdev, 1, 1, 1, false, 0);
	assert_access(&pdev, 2, 0, 1, true, 0x5a); /* the value read, echoed */
	assert_access(&pdev, 3, 0, 2, true, 0x1234);
	assert_access(&pdev, 4, 0, 4, true, 0x12345678);
	cr_assert_eq(atomic_load(&kt.vm->stats.pio), 5);
	cr_assert_eq(atomic_load(&kt.vm->stats.unmapped_pio_read), 0);
	cr_assert_eq(atomic_load(&kt.vm->stats.unmapped_pio_write), 0);
}

Test(kvm_io, mmio_round_trip, .fini = kt_fini, .timeout = 10)
{
	/* A 64 KiB VM: 0x20000 is not RAM, so accesses there exit as MMIO.
	 * Real mode reaches it through DS = 0x2000. */
	static const uint8_t code[] = {
		0xb8, 0x00, 0x20,                   /* mov ax, 0x2000               */
		0x8e, 0xd8,                         /* mov ds, ax                   */
		0xc6, 0x06, 0x00, 0x00, 0x99,       /* mov byte [0x0000], 0x99      */
		0xc7, 0x06, 0x10, 0x00, 0xcd, 0xab, /* mov word [0x0010], 0xabcd    */
		0xa1, 0x20, 0x00,                   /* mov ax, [0x0020]             */
		0xba, 0x00, 0x05,                   /* mov dx, 0x500                */
		0xef,                               /* out dx, ax     ; echo word   */
		0x66, 0xa1, 0x30, 0x00,             /* mov eax, [0x0030]            */
		0x66, 0xef,                         /* out dx, eax    ; echo dword  */
		0xf4,                               /* hlt                          */
		0xeb, 0xfd,                         /* jmp hlt                      */
	};
	kt_create(64 << 10, 1, false);
	attach_pio_dev(0);
	memset(&mdev, 0, sizeof(mdev));
	mdev.read_value = 0x11223344;
	cr_assert_eq(bus_register(&kt.vm->mmio, 0x20000, 0x1000, recdev_io, &mdev, "test-mmio"), 0);
	KT_LOAD(code);
	kt_run();
	kt_assert_stop(VM_STOP_HALT);
	cr_assert_eq(mdev.n, 4, "MMIO device saw %d accesses", mdev.n);
	assert_access(&mdev, 0, 0x00, 1, true, 0x99);
	assert_access(&mdev, 1, 0x10, 2, true, 0xabcd);
	assert_access(&mdev, 2, 0x20, 2, false, 0);
	assert_access(&mdev, 3, 0x30, 4, false, 0);
	cr_assert_eq(pdev.n, 2);
	assert_access(&pdev, 0, 0, 2, true, 0x3344);
	assert_access(&pdev, 1, 0, 4, true, 0x11223344);
	cr_assert_eq(atomic_load(&kt.vm->stats.mmio), 4);
}

Test(kvm_io, unmapped_pio_is_counted_not_fatal, .fini = kt_fini, .timeout = 10)
{
	static const uint8_t code[] = {
		0xba, 0x00, 0x07, /* mov dx, 0x700  ; nothing there     */
		0xec,             /* in al, dx      ; reads 0xff        */
		0xba, 0x00, 0x05, /* mov dx, 0x500                      */
		0xee,             /* out dx, al     ; echo it           */
		0xba, 0x10, 0x07, /* mov dx, 0x710  ; nothing there     */
		0xee,             /* out dx, al     ; dropped           */
		0xf4,             /* hlt                                */
		0xeb, 0xfd,       /* jmp hlt                            */
	};
	kt_create(1 << 20, 1, false);
	attach_pio_dev(0);
	KT_LOAD(code);
	kt_run();
	kt_assert_stop(VM_STOP_HALT);
	cr_assert_eq(pdev.n, 1);
	assert_access(&pdev, 0, 0, 1, true, 0xff);
	cr_assert_eq(atomic_load(&kt.vm->stats.unmapped_pio_read), 1);
	cr_assert_eq(atomic_load(&kt.vm->stats.unmapped_pio_write), 1);
	cr_assert_eq(atomic_load(&kt.vm->stats.pio), 1);
}

Test(kvm_io, unmapped_mmio_reads_zero, .fini = kt_fini, .timeout = 10)
{
	static const uint8_t code[] = {
		0xb8, 0x00, 0x30,             /* mov ax, 0x3000                  */
		0x8e, 0xd8,                   /* mov ds, ax                      */
		0xb8, 0x55, 0x55,             /* mov ax, 0x5555                  */
		0xa1, 0x08, 0x00,             /* mov ax, [0x0008] ; 0x30008: 0   */
		0xba, 0x00, 0x05,             /* mov dx, 0x500                   */
		0xef,                         /* out dx, ax       ; echo         */
		0xc6, 0x06, 0x00, 0x00, 0x01, /* mov byte [0x0000], 1 ; dropped  */
		0xf4,                         /* hlt                             */
		0xeb, 0xfd,                   /* jmp hlt                         */
	};
	kt_create(64 << 10, 1, false);
	attach_pio_dev(0);
	KT_LOAD(code);
	kt_run();
	kt_assert_stop(VM_STOP_HALT);
	cr_assert_eq(pdev.n, 1);
	assert_access(&pdev, 0, 0, 2, true, 0);
	cr_assert_eq(atomic_load(&kt.vm->stats.unmapped_mmio_read), 1);
	cr_assert_eq(atomic_load(&kt.vm->stats.unmapped_mmio_write), 1);
}

Test(kvm_io, rep_outsb, .fini = kt_fini, .timeout = 10)
{
	static const uint8_t code[] = {
		0xbe, 0x00, 0x11, /* mov si, 0x1100 */
		0xba, 0x00, 0x05, /* mov dx, 0x500  */
		0xb9, 0x05, 0x00, /* mov cx, 5      */
		0xfc,             /* cld            */
		0xf3, 0x6e,       /* rep outsb      */
		0xf4,             /* hlt            */
		0xeb, 0xfd,       /* jmp hlt        */
	};
	kt_create(1 << 20, 1, false);
	attach_pio_dev(0);
	cr_assert_eq(gmem_write(&kt.vm->gm, GUEST_DATA, "ABCDE", 5), 0);
	KT_LOAD(code);
	kt_run();
	kt_assert_stop(VM_STOP_HALT);
	cr_assert_eq(pdev.n, 5);
	for (int i = 0; i < 5; i++)
		assert_access(&pdev, i, 0, 1, true, (uint64_t)('A' + i));
}

Test(kvm_io, rep_insb, .fini = kt_fini, .timeout = 10)
{
	static const uint8_t code[] = {
		0xbf, 0x00, 0x12, /* mov di, 0x1200 ; ES:DI, ES = 0 */
		0xba, 0x00, 0x05, /* mov dx, 0x500                  */
		0xb9, 0x04, 0x00, /* mov cx, 4                      */
		0xfc,             /* cld                            */
		0xf3, 0x6c,       /* rep insb                       */
		0xf4,             /* hlt                            */
		0xeb, 0xfd,       /* jmp hlt                        */
	};
	kt_create(1 << 20, 1, false);
	attach_pio_dev(0x61);
	pdev.read_increments = true;
	KT_LOAD(code);
	kt_run();
	kt_assert_stop(VM_STOP_HALT);
	cr_assert_eq(pdev.n, 4);
	uint8_t got[5];
	cr_assert_eq(gmem_read(&kt.vm->gm, 0x1200, got, 5), 0);
	cr_assert_eq(memcmp(got, "abcd\0", 5), 0, "guest memory: %02x %02x %02x %02x %02x",
		     got[0], got[1], got[2], got[3], got[4]);
}
