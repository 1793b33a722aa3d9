/* The Intel MultiProcessor Specification 1.4 table that tells an ACPI-less
 * Linux how many CPUs there are and how ISA IRQs reach the IOAPIC. */
#ifndef MVM_MPTABLE_H
#define MVM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/core/err.h"
#include "vmm/core/gmem.h"

#define MPTABLE_MAX_CPUS 254 /* APIC IDs 0..ncpus-1, the IOAPIC takes ncpus */
#define MPTABLE_IRQS 24      /* IOAPIC pins, identity-mapped to ISA IRQs/GSIs */

/* Build the floating pointer and configuration table for `ncpus` CPUs into
 * buf (cap bytes), to be placed at guest-physical `gpa`. Returns the size
 * used, or -1 if cap is too small or ncpus is out of range. */
int mptable_build(uint8_t *buf, size_t cap, uint64_t gpa, int ncpus);

/* mptable_build() at LAYOUT_EBDA, where Linux looks for it. */
int mptable_write(const struct gmem *gm, int ncpus, struct err *err);

#endif
