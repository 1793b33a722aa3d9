#include "vmm/dev/irq.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>

void irq_pulse(const struct irq_line *l)
{
	if (l->vm_fd < 0)
		return;
	struct kvm_irq_level lv = { .irq = (unsigned)l->gsi, .level = 1 };
	ioctl(l->vm_fd, KVM_IRQ_LINE, &lv);
	lv.level = 0;
	ioctl(l->vm_fd, KVM_IRQ_LINE, &lv);
}
