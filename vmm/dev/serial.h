/* A 16550A UART, transmit side, as the guest's debug console. The guest
 * never gets input from it. Output goes to a host fd, a line at a time. */
#ifndef MVM_DEV_SERIAL_H
#define MVM_DEV_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/core/bus.h"
#include "vmm/dev/irq.h"

#define SERIAL_COM1 0x3f8
#define SERIAL_COM1_IRQ 4

struct serial {
	pthread_mutex_t lock;
	int out_fd;              /* -1: output discarded */
	struct irq_line irq;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending;       /* a THRE interrupt is due */
	uint32_t buf_len;
	uint8_t buf[256];
};

/* Register COM1 on `pio`, writing output to out_fd (not owned). */
int serial_attach(struct serial *s, struct bus *pio, int out_fd, struct irq_line irq);

/* Write out buffered output. Safe to call at any time. */
void serial_flush(struct serial *s);

#endif
