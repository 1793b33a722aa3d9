/* serial: the 16550A as the guest drives it, through the PIO bus, with the
 * output going to a pipe. Register numbers: 8250/16550 data sheet
 * (linux/serial_reg.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "vmm/core/bus.h"
#include "vmm/dev/serial.h"

#define THR (SERIAL_COM1 + 0)
#define IER (SERIAL_COM1 + 1)
#define IIR (SERIAL_COM1 + 2)
#define FCR (SERIAL_COM1 + 2)
#define LCR (SERIAL_COM1 + 3)
#define MCR (SERIAL_COM1 + 4)
#define LSR (SERIAL_COM1 + 5)
#define MSR (SERIAL_COM1 + 6)
#define SCR (SERIAL_COM1 + 7)

static struct bus pio;
static struct serial s;
static int fds[2];

static void setup(void)
{
	memset(&pio, 0, sizeof(pio));
	cr_assert_eq(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	struct irq_line no_irq = { .vm_fd = -1, .gsi = SERIAL_COM1_IRQ };
	cr_assert_eq(serial_attach(&s, &pio, fds[1], no_irq), 0);
}

static void teardown(void)
{
	close(fds[0]);
	close(fds[1]);
}

TestSuite(serial, .init = setup, .fini = teardown);

static void out8(uint16_t port, uint8_t v)
{
	cr_assert(bus_access(&pio, port, &v, 1, true), "port 0x%x not claimed", port);
}

static uint8_t in8(uint16_t port)
{
	uint8_t v = 0x5a;
	cr_assert(bus_access(&pio, port, &v, 1, false), "port 0x%x not claimed", port);
	return v;
}

static void puts_thr(const char *str)
{
	for (; *str; str++)
		out8(THR, (uint8_t)*str);
}

/* Everything in the pipe so far, NUL-terminated. */
static char *drain(void)
{
	static char got[4096];
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fds[0], got + n, sizeof(got) - 1 - n);
		if (r > 0) {
			n += (size_t)r;
			continue;
		}
		cr_assert(r < 0 && errno == EAGAIN, "read: %s", strerror(errno));
		break;
	}
	got[n] = 0;
	return got;
}

Test(serial, claims_eight_ports)
{
	cr_assert_not_null(bus_find(&pio, SERIAL_COM1, 1));
	cr_assert_not_null(bus_find(&pio, SERIAL_COM1 + 7, 1));
	cr_assert_null(bus_find(&pio, SERIAL_COM1 + 8, 1));
	cr_assert_null(bus_find(&pio, SERIAL_COM1 - 1, 1));
}

Test(serial, output_comes_out_a_line_at_a_time)
{
	puts_thr("hello");
	cr_assert_str_eq(drain(), "", "no output before the newline");
	puts_thr(", world\n");
	cr_assert_str_eq(drain(), "hello, world\n");
	puts_thr("second\nthird");
	cr_assert_str_eq(drain(), "second\n");
	serial_flush(&s);
	cr_assert_str_eq(drain(), "third", "flush writes out a partial line");
	serial_flush(&s);
	cr_assert_str_eq(drain(), "", "nothing twice");
}

Test(serial, long_lines_are_not_lost)
{
	char line[1001];
	for (int i = 0; i < 1000; i++)
		line[i] = (char)('a' + i % 26);
	line[1000] = 0;
	puts_thr(line);
	serial_flush(&s);
	cr_assert_str_eq(drain(), line);
}

Test(serial, discarded_without_an_fd)
{
	struct bus b2;
	struct serial s2;
	memset(&b2, 0, sizeof(b2));
	struct irq_line no_irq = { .vm_fd = -1 };
	cr_assert_eq(serial_attach(&s2, &b2, -1, no_irq), 0);
	for (int i = 0; i < 1000; i++) {
		uint8_t c = (i % 50) ? 'x' : '\n';
		cr_assert(bus_access(&b2, THR, &c, 1, true));
	}
	serial_flush(&s2);
}

Test(serial, closed_reader_does_not_stop_the_device)
{
	close(fds[0]);
	fds[0] = open("/dev/null", O_RDONLY);
	signal(SIGPIPE, SIG_IGN);
	puts_thr("into the void\n");
	serial_flush(&s);
	out8(SCR, 0x12);
	cr_assert_eq(in8(SCR), 0x12);
}

Test(serial, scratch_register)
{
	out8(SCR, 0x5a);
	cr_assert_eq(in8(SCR), 0x5a);
	out8(SCR, 0xa5);
	cr_assert_eq(in8(SCR), 0xa5);
	cr_assert_str_eq(drain(), "", "the scratch register is not output");
}

Test(serial, lsr_says_transmitter_empty)
{
	uint8_t lsr = in8(LSR);
	cr_assert(lsr & 0x20, "THRE");
	cr_assert(lsr & 0x40, "TEMT");
	cr_assert_not(lsr & 0x01, "no received data, ever");
}

Test(serial, loopback_check_of_linux_autoconfig)
{
	/* drivers/tty/serial/8250/8250_port.c autoconfig(): MCR = LOOP|OUT2|RTS
	 * must read back as MSR = DCD|CTS in the top nibble. */
	out8(MCR, 0x1a);
	cr_assert_eq(in8(MSR) & 0xf0, 0x90);
	out8(MCR, 0x1f);
	cr_assert_eq(in8(MSR) & 0xf0, 0xf0, "all four lines looped");
	out8(MCR, 0x10);
	cr_assert_eq(in8(MSR) & 0xf0, 0x00);
	out8(MCR, 0x00);
	cr_assert_eq(in8(MSR) & 0xf0, 0xb0, "out of loopback: DCD, DSR, CTS");
	cr_assert_eq(in8(MCR), 0x00);
}

Test(serial, thre_interrupt_identification)
{
	cr_assert_eq(in8(IIR) & 0x0f, 0x01, "no interrupt while IER is 0");
	out8(IER, 0x02); /* THRI */
	cr_assert_eq(in8(IER), 0x02);
	cr_assert_eq(in8(IIR) & 0x0f, 0x02, "enabling THRI with an empty THR reports THRE");
	cr_assert_eq(in8(IIR) & 0x0f, 0x01, "reading IIR acknowledged it");
	out8(THR, 'x');
	cr_assert_eq(in8(IIR) & 0x0f, 0x02, "THRE again once the byte has gone");
	cr_assert_eq(in8(IIR) & 0x0f, 0x01);
	out8(IER, 0x00);
	out8(THR, 'y');
	cr_assert_eq(in8(IIR) & 0x0f, 0x01, "masked");
}

Test(serial, fifo_bits_in_iir)
{
	cr_assert_eq(in8(IIR) & 0xc0, 0x00);
	out8(FCR, 0x01);
	cr_assert_eq(in8(IIR) & 0xc0, 0xc0, "16550A: FIFOs enabled");
}

Test(serial, divisor_latch_is_not_output)
{
	out8(LCR, 0x83); /* DLAB, 8N1 */
	out8(THR, 0x01); /* DLL: 115200 baud */
	out8(IER, 0x00); /* DLM */
	cr_assert_eq(in8(THR), 0x01);
	cr_assert_eq(in8(IER), 0x00);
	out8(LCR, 0x03);
	cr_assert_eq(in8(LCR), 0x03);
	cr_assert_eq(in8(IER), 0x00, "IER, not DLM, once DLAB is off");
	puts_thr("ok\n");
	cr_assert_str_eq(drain(), "ok\n", "the divisor byte was not sent");
}

Test(serial, wide_accesses_are_ignored)
{
	uint8_t w[2] = { 'A', '\n' };
	cr_assert(bus_access(&pio, THR, w, 2, true));
	serial_flush(&s);
	cr_assert_str_eq(drain(), "");
	uint8_t r[4] = { 0 };
	cr_assert(bus_access(&pio, SERIAL_COM1, r, 4, false));
	for (int i = 0; i < 4; i++)
		cr_assert_eq(r[i], 0xff);
}
