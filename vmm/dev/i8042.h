/* The i8042 keyboard controller, reduced to its reset line: the guest's
 * reboot=k writes 0xfe to port 0x64, which stops the VM with VM_STOP_RESET. */
#ifndef MVM_DEV_I8042_H
#define MVM_DEV_I8042_H

#include "vmm/core/bus.h"
#include "vmm/core/stop.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_CMD_RESET 0xfe

struct i8042 {
	struct vm_stop *stop;
};

/* Register ports 0x60 and 0x64 on `pio`. Returns 0 or -1 (bus conflict). */
int i8042_attach(struct i8042 *d, struct bus *pio, struct vm_stop *stop);

#endif
