#include "vmm/dev/i8042.h"

#include <string.h>

static void i8042_data(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool wr)
{
	(void)opaque;
	(void)off;
	if (!wr)
		memset(data, 0, len); /* no key, ever */
}

static void i8042_cmd(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool wr)
{
	struct i8042 *d = opaque;
	(void)off;
	if (!wr) {
		/* Status 0: output buffer empty, input buffer empty, so Linux's
		 * kb_wait() proceeds straight to the reset command. */
		memset(data, 0, len);
		return;
	}
	if (data[0] == I8042_CMD_RESET)
		vmstop_request(d->stop, VM_STOP_RESET, -1, "i8042 reset");
}

int i8042_attach(struct i8042 *d, struct bus *pio, struct vm_stop *stop)
{
	d->stop = stop;
	if (bus_register(pio, I8042_DATA_PORT, 1, i8042_data, d, "i8042-data") < 0)
		return -1;
	return bus_register(pio, I8042_CMD_PORT, 1, i8042_cmd, d, "i8042-cmd");
}
