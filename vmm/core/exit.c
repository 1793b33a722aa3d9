#include "vmm/core/exit.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *const exit_kind_names[EXIT_KINDS_HANDLED] = {
	"IO (PIO, to the port table)", "MMIO (to the MMIO table)", "INTR (a kick)",
	"HLT (tiny guests only)", "SHUTDOWN (triple fault: stop)",
	"INTERNAL_ERROR (stop)", "FAIL_ENTRY (stop)", "SYSTEM_EVENT (stop)",
};

/* One unmapped access, counted; logged while the count is small or a power
 * of two, so a guest hammering a hole costs a line per doubling. */
static void unmapped(const struct exit_ctx *c, atomic_ullong *counter, const char *what,
		     uint64_t addr, uint32_t len)
{
	unsigned long long n = atomic_fetch_add(counter, 1) + 1;
	if (c->log_fd <= 0 || (n > EXIT_LOG_FIRST && (n & (n - 1))))
		return;
	char line[160];
	int k = n <= EXIT_LOG_FIRST
			? snprintf(line, sizeof(line), "mvm: guest: unmapped %s 0x%llx, %u bytes\n",
				   what, (unsigned long long)addr, len)
			: snprintf(line, sizeof(line), "mvm: guest: %llu unmapped %ss so far (last 0x%llx)\n",
				   n, what, (unsigned long long)addr);
	if (k > 0 && write(c->log_fd, line, (size_t)k < sizeof(line) ? (size_t)k : sizeof(line) - 1) < 0) {
		/* a lost log line never stops the VM */
	}
}

static enum exit_result handle_io(struct kvm_run *run, size_t run_size, const struct exit_ctx *c,
				  char *desc, size_t cap)
{
	uint32_t size = run->io.size, count = run->io.count;
	uint64_t off = run->io.data_offset;
	if ((size != 1 && size != 2 && size != 4) || count == 0 || off > run_size ||
	    (uint64_t)size * count > run_size - off) {
		snprintf(desc, cap, "malformed PIO exit (port 0x%x size %u count %u)",
			 run->io.port, size, count);
		return EXIT_KVM_ERROR;
	}
	bool wr = run->io.direction == KVM_EXIT_IO_OUT;
	uint8_t *data = (uint8_t *)run + off;
	for (uint32_t i = 0; i < count; i++, data += size) {
		if (!wr)
			memset(data, 0xff, size);
		if (bus_access(c->pio, run->io.port, data, size, wr))
			atomic_fetch_add(&c->stats->pio, 1);
		else if (wr)
			unmapped(c, &c->stats->unmapped_pio_write, "PIO write", run->io.port, size);
		else
			unmapped(c, &c->stats->unmapped_pio_read, "PIO read", run->io.port, size);
	}
	return EXIT_CONTINUE;
}

static enum exit_result handle_mmio(struct kvm_run *run, const struct exit_ctx *c)
{
	uint32_t len = run->mmio.len;
	bool wr = run->mmio.is_write;
	if (len == 0 || len > sizeof(run->mmio.data)) {
		/* KVM never does this; treat it as an unmapped access. */
		unmapped(c, wr ? &c->stats->unmapped_mmio_write : &c->stats->unmapped_mmio_read,
			 wr ? "MMIO write" : "MMIO read", run->mmio.phys_addr, len);
		return EXIT_CONTINUE;
	}
	if (!wr)
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (bus_access(c->mmio, run->mmio.phys_addr, run->mmio.data, len, wr))
		atomic_fetch_add(&c->stats->mmio, 1);
	else
		unmapped(c, wr ? &c->stats->unmapped_mmio_write : &c->stats->unmapped_mmio_read,
			 wr ? "MMIO write" : "MMIO read", run->mmio.phys_addr, len);
	return EXIT_CONTINUE;
}

static void describe_internal(const struct kvm_run *run, char *desc, size_t cap)
{
	const char *what = run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
				   ? "instruction emulation failed"
			   : run->internal.suberror == KVM_INTERNAL_ERROR_SIMUL_EX
				   ? "simultaneous exceptions"
			   : run->internal.suberror == KVM_INTERNAL_ERROR_DELIVERY_EV
				   ? "event delivery failed"
				   : "internal error";
	int n = snprintf(desc, cap, "KVM %s (suberror %u", what, run->internal.suberror);
	uint32_t nd = run->internal.ndata;
	if (nd > sizeof(run->internal.data) / sizeof(run->internal.data[0]))
		nd = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
	for (uint32_t i = 0; i < nd && n > 0 && (size_t)n < cap; i++)
		n += snprintf(desc + n, cap - n, "%s0x%llx", i ? " " : ", data ",
			      (unsigned long long)run->internal.data[i]);
	if (n > 0 && (size_t)n < cap)
		snprintf(desc + n, cap - n, ")");
}

enum exit_result exit_handle(struct kvm_run *run, size_t run_size, const struct exit_ctx *ctx,
			     char *desc, size_t cap)
{
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return handle_io(run, run_size, ctx, desc, cap);
	case KVM_EXIT_MMIO:
		return handle_mmio(run, ctx);
	case KVM_EXIT_INTR:
		return EXIT_CONTINUE;
	case KVM_EXIT_HLT:
		return EXIT_HALT;
	case KVM_EXIT_SHUTDOWN:
		return EXIT_TRIPLE;
	case KVM_EXIT_INTERNAL_ERROR:
		describe_internal(run, desc, cap);
		return EXIT_KVM_ERROR;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(desc, cap, "KVM entry failed (hardware reason 0x%llx, cpu %u)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			 run->fail_entry.cpu);
		return EXIT_KVM_ERROR;
	case KVM_EXIT_SYSTEM_EVENT:
		snprintf(desc, cap, "unexpected KVM system event %u", run->system_event.type);
		return EXIT_KVM_ERROR;
	default:
		snprintf(desc, cap, "unhandled KVM exit reason %u", run->exit_reason);
		return EXIT_KVM_ERROR;
	}
}
