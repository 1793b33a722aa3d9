#include "vmm/core/surface.h"

#include "proto/mvm_port.h"
#include "vmm/dev/i8042.h"
#include "vmm/dev/serial.h"
#include "vmm/core/exit.h"
#include "vmm/x86/layout.h"
#include "vmm/virtio/mmio.h"
#include "vmm/core/vm.h"

const struct surface_entry surface_table[] = {
	{ SURF_PIO, I8042_DATA_PORT, 1, "i8042 data", "always", "reads 0, writes dropped" },
	{ SURF_PIO, I8042_CMD_PORT, 1, "i8042 command", "always",
	  "status reads 0; 0xfe (reset) stops the VM" },
	{ SURF_PIO, SERIAL_COM1, 8, "8250 UART (COM1)", "--console", "transmit only, IRQ 4" },
	{ SURF_PIO, MVM_PORT_BASE, MVM_PORT_LEN, "mvm control port", "always",
	  "boot milestones, mvinit's shutdown status (proto/mvm_port.h)" },
	{ SURF_MMIO, LAYOUT_MMIO_BASE, (uint64_t)VM_MAX_VIRTIO * VIRTIO_MMIO_SIZE,
	  "virtio-mmio windows (4 KiB each)", "--root: vsock, then one virtio-fs per share",
	  "GSI 5 up; kicks by ioeventfd, interrupts by irqfd" },
};

const int surface_nentries = sizeof(surface_table) / sizeof(surface_table[0]);

bool surface_covers(const struct bus *b, enum surface_space space, const char **stray)
{
	for (int i = 0; i < b->nr; i++) {
		const struct bus_dev *d = &b->devs[i];
		bool in = false;
		for (int k = 0; k < surface_nentries && !in; k++) {
			const struct surface_entry *e = &surface_table[k];
			in = e->space == space && d->base >= e->base && d->len <= e->len &&
			     d->base - e->base <= e->len - d->len;
		}
		if (!in) {
			*stray = d->name;
			return false;
		}
	}
	return true;
}

void surface_print(FILE *f)
{
	fprintf(f, "# what the guest can reach in mvm (everything else: PIO reads all-ones, MMIO "
		   "reads zeros, writes dropped; counted, logged rate-limited with --report)\n");
	fprintf(f, "%-5s %-23s %-33s %-12s %s\n", "SPACE", "RANGE", "DEVICE", "WHEN", "NOTES");
	for (int i = 0; i < surface_nentries; i++) {
		const struct surface_entry *e = &surface_table[i];
		char range[32];
		snprintf(range, sizeof(range), "0x%llx-0x%llx", (unsigned long long)e->base,
			 (unsigned long long)(e->base + e->len - 1));
		fprintf(f, "%-5s %-23s %-33s %-12s %s\n", e->space == SURF_PIO ? "pio" : "mmio",
			range, e->device, e->when, e->notes);
	}
	fprintf(f, "in-kernel (KVM): PIT, PIC, IOAPIC, LAPIC; no PCI, no ACPI, no firmware\n");
	int npio = 0;
	for (int i = 0; i < surface_nentries; i++)
		npio += surface_table[i].space == SURF_PIO;
	fprintf(f, "pio ranges: %d, mmio ranges: %d\n", npio, surface_nentries - npio);
	fprintf(f, "KVM exit kinds handled: %d\n", EXIT_KINDS_HANDLED);
	for (int i = 0; i < EXIT_KINDS_HANDLED; i++)
		fprintf(f, "  %s\n", exit_kind_names[i]);
}
