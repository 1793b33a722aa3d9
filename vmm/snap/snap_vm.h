/* A whole VM in and out of a snapshot directory, for mvm --snapshot-save and
 * --restore:
 *   DIR/state  the snapshot format (vmm/snap/snapshot.h): this mvm's build
 *              id, the VM's shape, KVM state (snap_kvm.h), device state
 *              (snap_dev.h)
 *   DIR/mem    guest RAM (gmem_save: zero pages are holes)
 * A restored VM maps DIR/mem copy-on-write (MAP_PRIVATE): the pages it never
 * writes stay the file's pages in the page cache, shared by every VM made
 * from DIR. What such VMs share is the guest as it was at mvinit's save
 * point: the kernel, mvinit and whatever both had in memory then, its RNG
 * state included. Nothing of a container is in it (the save point comes
 * before the control stream), and each restored guest reseeds its RNG and
 * sets its clock from its own mvm (proto/mvm_port.h, MVM_PORT_FRESH) before
 * any container process runs. */
#ifndef MVM_SNAP_VM_H
#define MVM_SNAP_VM_H

#include <stdint.h>

#include "vmm/core/vm.h"
#include "vmm/snap/snapshot.h"

/* A snapshot directory opened for a restore. */
struct snap_file {
	uint8_t *buf;          /* DIR/state, read whole; owned */
	size_t len;
	struct snap_view v;    /* checked; points into buf */
	int mem_fd;            /* DIR/mem, read-only; owned; -1 */
};

/* Open dir for a VM of mem_bytes and ncpus: DIR/state read and checked
 * whole (the format, this build's id, the shape) and DIR/mem opened (it
 * must be mem_bytes long). Returns 0, or -1 with err saying why (f then
 * holds nothing). */
int snap_vm_open(struct snap_file *f, const char *dir, uint64_t mem_bytes, int ncpus,
		 struct err *err);

/* Load f's device and KVM state into vm: made by vm_create() with
 * mem_from_file on f->mem_fd and its devices attached in the order they
 * had when saved; before vm_run(). 0, or -1 with err. */
int snap_vm_load(struct vm *vm, const struct snap_file *f, struct err *err);

/* Release f. Safe on a zeroed or failed one. */
void snap_vm_close(struct snap_file *f);

/* Where a save goes, set up before mvm enters its jail (which hides the
 * file system): dir's parent held open, a new directory made beside dir
 * under a temporary name with its two files. */
struct snap_out {
	int parent_fd, tmp_fd, state_fd, mem_fd; /* -1 when absent */
	char name[256], tmp[300];
};

/* Prepare o for a save into dir, which must not exist. 0, or -1 with err. */
int snap_out_prepare(struct snap_out *o, const char *dir, struct err *err);

/* Save vm, stopped at its save point (vm_run() returned with VM_STOP_SAVE),
 * into o: the state and RAM written and fsynced, then the directory renamed
 * to its name, so a reader sees a whole snapshot or none. 0, or -1 with
 * err (nothing left behind). */
int snap_vm_save(struct vm *vm, struct snap_out *o, struct err *err);

/* Remove what o made (after a failure) and close it. Idempotent. */
void snap_out_abort(struct snap_out *o);

/* The id of this mvm build, as written in SNAP_BUILD. */
const char *snap_build_id(void);

#endif
