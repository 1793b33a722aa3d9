#include "vmm/dev/serial.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Register numbers and bits: the 8250/16550 data sheet, as named in
 * linux/serial_reg.h. */
enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define LCR_DLAB 0x80
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_FIFO 0xc0
#define FCR_ENABLE 0x01
#define MCR_LOOP 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

static void flush_locked(struct serial *s)
{
	uint32_t off = 0;
	while (s->out_fd >= 0 && off < s->buf_len) {
		ssize_t n = write(s->out_fd, s->buf + off, s->buf_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* a closed console loses output, never the VM */
		off += (uint32_t)n;
	}
	s->buf_len = 0;
}

static void tx(struct serial *s, uint8_t c)
{
	s->buf[s->buf_len++] = c;
	if (c == '\n' || s->buf_len == sizeof(s->buf))
		flush_locked(s);
	/* The byte leaves at once, so the holding register is empty again. */
	s->thre_pending = true;
}

static uint8_t iir(const struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO : 0;
	if ((s->ier & IER_THRI) && s->thre_pending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

static uint8_t msr(const struct serial *s)
{
	if (s->mcr & MCR_LOOP) {
		/* Loopback: DTR→DSR, RTS→CTS, OUT1→RI, OUT2→DCD. Linux's autoconfig
		 * checks this before it trusts the port. */
		return (uint8_t)(((s->mcr & 0x01) << 5) | ((s->mcr & 0x02) << 3) |
				 ((s->mcr & 0x04) << 4) | ((s->mcr & 0x08) << 4));
	}
	return 0xb0; /* DCD, DSR, CTS */
}

static void serial_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool wr)
{
	struct serial *s = opaque;
	if (len != 1) {
		if (!wr)
			memset(data, 0xff, len);
		return;
	}
	bool raise = false;
	pthread_mutex_lock(&s->lock);
	bool dlab = s->lcr & LCR_DLAB;
	if (wr) {
		uint8_t v = data[0];
		switch (off) {
		case RBR_THR:
			if (dlab) {
				s->dll = v;
			} else {
				tx(s, v);
				raise = s->ier & IER_THRI;
			}
			break;
		case IER:
			if (dlab) {
				s->dlm = v;
			} else {
				if ((v & IER_THRI) && !(s->ier & IER_THRI)) {
					s->thre_pending = true;
					raise = true;
				}
				s->ier = v & 0x0f;
			}
			break;
		case IIR_FCR: s->fcr = v; break;
		case LCR: s->lcr = v; break;
		case MCR: s->mcr = v & 0x1f; break;
		case SCR: s->scr = v; break;
		default: break; /* LSR and MSR are read-only */
		}
	} else {
		uint8_t v = 0;
		switch (off) {
		case RBR_THR: v = dlab ? s->dll : 0; break;
		case IER: v = dlab ? s->dlm : s->ier; break;
		case IIR_FCR:
			v = iir(s);
			if ((v & 0x0f) == IIR_THRI)
				s->thre_pending = false; /* reading IIR acknowledges THRE */
			break;
		case LCR: v = s->lcr; break;
		case MCR: v = s->mcr; break;
		case LSR: v = LSR_THRE | LSR_TEMT; break;
		case MSR: v = msr(s); break;
		case SCR: v = s->scr; break;
		}
		data[0] = v;
	}
	pthread_mutex_unlock(&s->lock);
	if (raise)
		irq_pulse(&s->irq);
}

int serial_attach(struct serial *s, struct bus *pio, int out_fd, struct irq_line irq)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->irq = irq;
	return bus_register(pio, SERIAL_COM1, 8, serial_io, s, "serial-com1");
}

void serial_flush(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	flush_locked(s);
	pthread_mutex_unlock(&s->lock);
}
