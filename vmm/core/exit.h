/* The vCPU exit handler: a function of the kvm_run record and the buses
 * alone, so unit tests can feed it fabricated exits. */
#ifndef MVM_EXIT_H
#define MVM_EXIT_H

#include <linux/kvm.h>
#include <stdatomic.h>
#include <stddef.h>

#include "vmm/core/bus.h"

struct exit_stats {
	atomic_ullong pio, mmio;                  /* accesses a device took */
	atomic_ullong unmapped_pio_read, unmapped_pio_write;
	atomic_ullong unmapped_mmio_read, unmapped_mmio_write;
};

struct exit_ctx {
	const struct bus *pio;
	const struct bus *mmio;
	struct exit_stats *stats;
	int log_fd;     /* > 0: unmapped accesses are logged there, rate-limited */
};

/* The exit reasons exit_handle() knows (the rest stop the VM as unknown). */
#define EXIT_KINDS_HANDLED 8
extern const char *const exit_kind_names[EXIT_KINDS_HANDLED];

/* Log lines per kind of unmapped access (PIO/MMIO, read/write): the first
 * EXIT_LOG_FIRST one by one, then one at each power of two with the count. */
#define EXIT_LOG_FIRST 4

enum exit_result {
	EXIT_CONTINUE,  /* handled; run the vCPU again */
	EXIT_HALT,      /* HLT with no in-kernel irqchip (tiny test guests) */
	EXIT_TRIPLE,    /* KVM_EXIT_SHUTDOWN: triple fault */
	EXIT_KVM_ERROR, /* internal/emulation error, failed entry, unknown exit */
};

/* Handle the exit in `run` (run_size bytes, as mmapped). Device accesses go
 * to the buses; unmapped reads return all-ones (PIO) or zeros (MMIO), writes
 * are dropped, and both are counted (and logged, see EXIT_LOG_FIRST). For EXIT_KVM_ERROR, a one-line
 * description goes into desc (cap bytes). */
enum exit_result exit_handle(struct kvm_run *run, size_t run_size, const struct exit_ctx *ctx,
			     char *desc, size_t cap);

#endif
