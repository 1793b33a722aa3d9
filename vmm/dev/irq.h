/* An interrupt line into the in-kernel irqchip. */
#ifndef MVM_DEV_IRQ_H
#define MVM_DEV_IRQ_H

struct irq_line {
	int vm_fd; /* -1: no irqchip (tiny test guests); pulses are dropped */
	int gsi;
};

/* Raise and lower the line: one edge, as an ISA device does. */
void irq_pulse(const struct irq_line *l);

#endif
