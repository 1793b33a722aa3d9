/* i8042: only the reset line matters; it stops the VM with VM_STOP_RESET. */
#include <criterion/criterion.h>
#include <string.h>

#include "vmm/core/bus.h"
#include "vmm/dev/i8042.h"
#include "vmm/core/stop.h"

static struct bus pio;
static struct vm_stop stop;
static struct i8042 kbd;
static int kicks;

static void count_kick(void *arg)
{
	(void)arg;
	kicks++;
}

static void setup(void)
{
	memset(&pio, 0, sizeof(pio));
	vmstop_init(&stop);
	stop.kick = count_kick;
	kicks = 0;
	cr_assert_eq(i8042_attach(&kbd, &pio, &stop), 0);
}

TestSuite(i8042, .init = setup);

static void out8(uint16_t port, uint8_t v)
{
	cr_assert(bus_access(&pio, port, &v, 1, true), "port 0x%x not claimed", port);
}

Test(i8042, reset_command_stops_the_vm)
{
	out8(I8042_CMD_PORT, 0xfe);
	cr_assert_eq(vmstop_reason(&stop), VM_STOP_RESET);
	cr_assert_eq(stop.vcpu, -1, "requested by a device");
	cr_assert(strstr(stop.detail, "i8042"), "%s", stop.detail);
	cr_assert_eq(kicks, 0, "the waiter kicks, not the device's (vCPU) thread");
	vmstop_wait(&stop); /* returns at once, having kicked */
	cr_assert_eq(kicks, 1, "vCPUs kicked once");
	vmstop_wait(&stop);
	cr_assert_eq(kicks, 1, "and only once");
}

Test(i8042, other_commands_do_not_stop)
{
	uint8_t cmds[] = { 0x00, 0x20, 0x60, 0xa7, 0xad, 0xd1, 0xf0, 0xfd, 0xff };
	for (size_t i = 0; i < sizeof(cmds); i++)
		out8(I8042_CMD_PORT, cmds[i]);
	out8(I8042_DATA_PORT, 0xfe); /* 0xfe on the data port is not a command */
	cr_assert_eq(vmstop_reason(&stop), VM_RUNNING);
	cr_assert_eq(kicks, 0);
}

Test(i8042, second_reset_changes_nothing)
{
	out8(I8042_CMD_PORT, 0xfe);
	out8(I8042_CMD_PORT, 0xfe);
	cr_assert_eq(vmstop_reason(&stop), VM_STOP_RESET);
	vmstop_wait(&stop);
	cr_assert_eq(kicks, 1);
}

Test(i8042, first_stop_reason_wins)
{
	cr_assert(vmstop_request(&stop, VM_STOP_HALT, 0, "halted"));
	out8(I8042_CMD_PORT, 0xfe);
	cr_assert_eq(vmstop_reason(&stop), VM_STOP_HALT);
	cr_assert_str_eq(stop.detail, "halted");
}

Test(i8042, status_reads_empty_so_kb_wait_proceeds)
{
	uint8_t v = 0xff;
	cr_assert(bus_access(&pio, I8042_CMD_PORT, &v, 1, false));
	cr_assert_eq(v & 0x03, 0, "output and input buffers empty");
	v = 0xff;
	cr_assert(bus_access(&pio, I8042_DATA_PORT, &v, 1, false));
	cr_assert_eq(v, 0);
	cr_assert_eq(vmstop_reason(&stop), VM_RUNNING);
}

Test(i8042, claims_only_its_two_ports)
{
	cr_assert_not_null(bus_find(&pio, 0x60, 1));
	cr_assert_not_null(bus_find(&pio, 0x64, 1));
	cr_assert_null(bus_find(&pio, 0x61, 1), "port 0x61 is the PC speaker, not ours");
	cr_assert_null(bus_find(&pio, 0x63, 1));
	cr_assert_null(bus_find(&pio, 0x65, 1));
	struct i8042 again;
	cr_assert_eq(i8042_attach(&again, &pio, &stop), -1, "ports already taken");
}
