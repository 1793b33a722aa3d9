/* The snapshot format: the state of a stopped VM (vCPUs, the in-kernel
 * irqchip and PIT, the clock, each device) as one checked byte string. Guest
 * RAM is not in it: it lives in a file of its own that a restored VM maps.
 *
 * Layout (little-endian, every section 8-byte aligned):
 *   header  magic "MVMSNAP\0", u32 version, u32 nsections, u64 total bytes,
 *           u32 CRC-32C of every byte after the header, u32 reserved (0)
 *   section u32 type, u32 instance, u64 payload bytes, payload, zero pad
 * A snapshot is input: snap_parse() checks all of it (magic, version, sizes,
 * bounds, padding, the checksum, known types, one section per (type,
 * instance), the caps below) before anyone reads a payload, so a truncated
 * or corrupt file gives one error and nothing else. */
#ifndef MVM_SNAPSHOT_H
#define MVM_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/core/err.h"

#define SNAP_MAGIC "MVMSNAP"     /* 8 bytes with its NUL */
#define SNAP_VERSION 1
#define SNAP_HEADER_BYTES 32
#define SNAP_SECTION_HEADER_BYTES 16
#define SNAP_MAX_SECTIONS 1024
#define SNAP_MAX_PAYLOAD (1u << 20) /* one section; an XSAVE area is 4 KiB */
#define SNAP_MAX_BYTES (16u << 20)  /* the whole state, RAM excluded */

enum snap_type {
	SNAP_VM = 1,          /* struct snap_vm_info */
	SNAP_CPU_REGS,        /* struct kvm_regs, one a vCPU (instance = vCPU id) */
	SNAP_CPU_SREGS,       /* struct kvm_sregs */
	SNAP_CPU_FPU,         /* struct kvm_fpu (no XSAVE) */
	SNAP_CPU_XSAVE,       /* struct kvm_xsave */
	SNAP_CPU_XCRS,        /* struct kvm_xcrs */
	SNAP_CPU_MSRS,        /* n struct kvm_msr_entry */
	SNAP_CPU_LAPIC,       /* struct kvm_lapic_state (with the irqchip) */
	SNAP_CPU_MPSTATE,     /* struct kvm_mp_state */
	SNAP_CPU_EVENTS,      /* struct kvm_vcpu_events */
	SNAP_CPU_DEBUGREGS,   /* struct kvm_debugregs */
	SNAP_IRQCHIP,         /* struct kvm_irqchip; instance = chip id (PIC master, slave, IOAPIC) */
	SNAP_PIT,             /* struct kvm_pit_state2 */
	SNAP_CLOCK,           /* struct kvm_clock_data */
	SNAP_DEVICE,          /* a device's own state; instance = its slot (vmm/snap/snap_dev.h) */
	SNAP_VIRTIO,          /* a virtio-mmio transport and its queues; instance = its index */
	SNAP_BUILD,           /* the build id of the mvm that wrote it (MVM_BUILD_ID) */
	SNAP_TYPE_END,
};

/* What the VM was: a restore refuses a snapshot of another shape. */
struct snap_vm_info {
	uint64_t mem_bytes;
	uint32_t ncpus;
	uint32_t irqchip; /* 0 or 1 */
};

/* Builds a snapshot in a growing buffer. Zero-initialise, add sections,
 * finish; snap_writer_free() releases the buffer either way. */
struct snap_writer {
	uint8_t *buf;
	size_t len, cap;
	uint32_t nsections;
	int failed; /* an allocation or a cap failed; finish reports it */
};

/* Append one section (copying len bytes of data). Failures are kept in w
 * and reported by snap_finish. */
void snap_add(struct snap_writer *w, enum snap_type type, uint32_t instance, const void *data,
	      size_t len);

/* Fill in the header and checksum. Returns 0 and sets *out and *out_len (still
 * owned by w), or -1 with err. */
int snap_finish(struct snap_writer *w, const uint8_t **out, size_t *out_len,
		struct err *err);

/* Release the writer's buffer. */
void snap_writer_free(struct snap_writer *w);

/* A checked snapshot: pointers into the caller's buffer, which must outlive
 * it. */
struct snap_section {
	uint32_t type, instance;
	const uint8_t *data;
	size_t len;
};
struct snap_view {
	uint32_t nsections;
	struct snap_section *sections; /* malloc'd; snap_view_free() */
};

/* Check buf (len bytes) whole and index its sections. Returns 0, or -1 with
 * err naming the first problem (err->status MVM_EXIT_BADARG). */
int snap_parse(const uint8_t *buf, size_t len, struct snap_view *v, struct err *err);

/* Release a view's index. Safe on a zeroed or failed view. */
void snap_view_free(struct snap_view *v);

/* The section (type, instance), or NULL. */
const struct snap_section *snap_find(const struct snap_view *v, enum snap_type type,
				     uint32_t instance);

/* The section (type, instance) copied into out, which must be exactly its
 * size: 0, or -1 with err naming what is missing or of the wrong size. */
int snap_get(const struct snap_view *v, enum snap_type type, uint32_t instance, void *out,
	     size_t size, struct err *err);

/* CRC-32C (Castagnoli) of len bytes, continuing from crc (0 to start). */
uint32_t snap_crc32c(uint32_t crc, const void *data, size_t len);

#endif
