#include "vmm/x86/mptable.h"

#include <string.h>

#include "vmm/x86/layout.h"

/* MP spec 1.4, chapter 4. All structures are packed little-endian. */
struct __attribute__((packed)) mpf_intel {
	char signature[4]; /* "_MP_" */
	uint32_t physptr;
	uint8_t length;    /* in 16-byte units */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature[5];
};

struct __attribute__((packed)) mpc_table {
	char signature[4]; /* "PCMP" */
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;
	uint32_t lapic;
	uint32_t reserved;
};

struct __attribute__((packed)) mpc_cpu {
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t cpufeature, featureflag;
	uint32_t reserved[2];
};

struct __attribute__((packed)) mpc_bus {
	uint8_t type, busid;
	char bustype[6];
};

struct __attribute__((packed)) mpc_ioapic {
	uint8_t type, apicid, apicver, flags;
	uint32_t apicaddr;
};

struct __attribute__((packed)) mpc_intsrc {
	uint8_t type, irqtype;
	uint16_t irqflag;
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
};

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };
#define CPU_ENABLED 1
#define CPU_BOOTPROCESSOR 2
#define APIC_VERSION 0x14
#define IOAPIC_VERSION 0x11
#define IOAPIC_ADDR 0xfec00000u
#define LAPIC_ADDR 0xfee00000u

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return (uint8_t)-s;
}

int mptable_build(uint8_t *buf, size_t cap, uint64_t gpa, int ncpus)
{
	if (ncpus < 1 || ncpus > MPTABLE_MAX_CPUS)
		return -1;
	size_t need = sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
		      ncpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
		      sizeof(struct mpc_ioapic) + (MPTABLE_IRQS + 2) * sizeof(struct mpc_intsrc);
	if (need > cap || gpa + sizeof(struct mpf_intel) > UINT32_MAX)
		return -1;
	memset(buf, 0, need);

	struct mpf_intel *mpf = (struct mpf_intel *)buf;
	struct mpc_table *mpc = (struct mpc_table *)(buf + sizeof(*mpf));
	uint8_t *p = (uint8_t *)(mpc + 1);
	uint16_t count = 0;
	uint8_t ioapic_id = (uint8_t)ncpus;

	for (int i = 0; i < ncpus; i++, count++) {
		struct mpc_cpu c = {
			.type = MP_PROCESSOR,
			.apicid = (uint8_t)i,
			.apicver = APIC_VERSION,
			.cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0),
			.cpufeature = 0x600,        /* family 6 */
			.featureflag = (1u << 9) | 1u, /* APIC, FPU */
		};
		memcpy(p, &c, sizeof(c));
		p += sizeof(c);
	}
	struct mpc_bus bus = { .type = MP_BUS, .busid = 0 };
	memcpy(bus.bustype, "ISA   ", 6);
	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	count++;
	struct mpc_ioapic io = { .type = MP_IOAPIC, .apicid = ioapic_id, .apicver = IOAPIC_VERSION,
				 .flags = 1, .apicaddr = IOAPIC_ADDR };
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	count++;
	/* KVM's default GSI routing is the identity onto IOAPIC pins. */
	for (int i = 0; i < MPTABLE_IRQS; i++, count++) {
		struct mpc_intsrc s = { .type = MP_INTSRC, .irqtype = MP_INT, .srcbus = 0,
					.srcbusirq = (uint8_t)i, .dstapic = ioapic_id, .dstirq = (uint8_t)i };
		memcpy(p, &s, sizeof(s));
		p += sizeof(s);
	}
	/* LINT0 takes the 8259's ExtINT, LINT1 is NMI: matches vcpu LAPIC setup. */
	struct mpc_intsrc l0 = { .type = MP_LINTSRC, .irqtype = MP_EXTINT, .srcbus = 0,
				 .dstapic = 0xff, .dstirq = 0 };
	struct mpc_intsrc l1 = { .type = MP_LINTSRC, .irqtype = MP_NMI, .srcbus = 0,
				 .dstapic = 0xff, .dstirq = 1 };
	memcpy(p, &l0, sizeof(l0));
	p += sizeof(l0);
	memcpy(p, &l1, sizeof(l1));
	p += sizeof(l1);
	count += 2;

	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = (uint16_t)(p - (uint8_t *)mpc);
	mpc->spec = 4;
	memcpy(mpc->oem, "MVRUN   ", 8);
	memcpy(mpc->productid, "MVM         ", 12);
	mpc->oemcount = count;
	mpc->lapic = LAPIC_ADDR;
	mpc->checksum = checksum((uint8_t *)mpc, mpc->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = (uint32_t)(gpa + sizeof(*mpf));
	mpf->length = 1;
	mpf->specification = 4;
	mpf->checksum = checksum((uint8_t *)mpf, sizeof(*mpf));
	return (int)(p - buf);
}

int mptable_write(const struct gmem *gm, int ncpus, struct err *err)
{
	size_t cap = LAYOUT_EBDA_END - LAYOUT_EBDA;
	uint8_t *dst = gmem_ptr(gm, LAYOUT_EBDA, cap);
	if (!dst)
		return err_set(err, MVM_EXIT_INTERNAL, "guest RAM does not cover the MP table area");
	if (mptable_build(dst, cap, LAYOUT_EBDA, ncpus) < 0)
		return err_set(err, MVM_EXIT_BADARG, "%d vCPUs do not fit an MP table", ncpus);
	return 0;
}
