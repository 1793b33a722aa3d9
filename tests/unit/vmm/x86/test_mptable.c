/* mptable: the MP spec 1.4 floating pointer and configuration table, parsed
 * here from raw bytes (spec chapter 4) the way Linux's mpparse.c reads them,
 * not through mvm's own structs. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "vmm/x86/layout.h"
#include "vmm/x86/mptable.h"

#define GPA 0x9fc00ULL
#define CAP 8192

static uint8_t buf[CAP + 64];

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Spec entry sizes by type (table 4-3). */
static size_t entry_size(uint8_t type)
{
	return type == 0 ? 20 : type <= 4 ? 8 : 0;
}

struct parsed {
	int size;
	int cpus, bsp_count, bsp_id, buses, ioapics, intsrc, lintsrc;
	uint8_t ioapic_id, isa_bus_id;
	uint32_t ioapic_addr;
	uint8_t apic_ids[256];
	uint32_t irq_seen; /* bit i: ISA IRQ i routed */
};

/* Build for ncpus and check everything that does not depend on ncpus. */
static struct parsed build_and_parse(int ncpus)
{
	struct parsed r;
	memset(&r, 0, sizeof(r));
	memset(buf, 0xcc, sizeof(buf));
	r.size = mptable_build(buf, CAP, GPA, ncpus);
	cr_assert_gt(r.size, 0, "mptable_build(%d) failed", ncpus);
	for (size_t i = (size_t)r.size; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 0xcc, "byte %zu past the returned size written", i);

	/* Floating pointer (4.1): 16 bytes, 16-byte aligned gpa. */
	cr_assert_eq(memcmp(buf, "_MP_", 4), 0);
	cr_assert_eq(buf[8], 1, "length in 16-byte units");
	cr_assert(buf[9] == 1 || buf[9] == 4, "spec revision %u", buf[9]);
	cr_assert_eq(sum(buf, 16), 0, "floating pointer checksum");
	cr_assert_eq(buf[11], 0, "feature byte 1: 0 means a config table is present");
	uint32_t physptr = rd32(buf + 4);
	cr_assert_geq(physptr, GPA + 16);
	cr_assert_lt(physptr, GPA + (uint64_t)r.size);
	const uint8_t *t = buf + (physptr - GPA);

	/* Configuration table header (4.2). */
	cr_assert_eq(memcmp(t, "PCMP", 4), 0);
	uint16_t len = rd16(t + 4);
	cr_assert_leq((size_t)(t - buf) + len, (size_t)r.size, "table runs past the returned size");
	cr_assert(t[6] == 1 || t[6] == 4);
	cr_assert_eq(sum(t, len), 0, "configuration table checksum");
	cr_assert_eq(rd32(t + 36), 0xfee00000u, "local APIC address");
	cr_assert_eq(rd16(t + 40), 0, "no extended table");
	uint16_t count = rd16(t + 34);

	const uint8_t *p = t + 44, *end = t + len;
	for (int i = 0; i < count; i++) {
		cr_assert_lt(p, end, "entry %d starts past the table", i);
		size_t es = entry_size(p[0]);
		cr_assert_neq(es, 0, "entry %d has unknown type %u", i, p[0]);
		cr_assert_leq(p + es, end);
		switch (p[0]) {
		case 0:
			cr_assert_eq(r.apic_ids[p[1]], 0, "APIC ID %u twice", p[1]);
			r.apic_ids[p[1]] = 1;
			cr_assert(p[3] & 1, "CPU %d not enabled", r.cpus);
			if (p[3] & 2) {
				r.bsp_count++;
				r.bsp_id = p[1];
			}
			r.cpus++;
			break;
		case 1:
			r.buses++;
			cr_assert_eq(memcmp(p + 2, "ISA   ", 6), 0);
			r.isa_bus_id = p[1];
			break;
		case 2:
			r.ioapics++;
			r.ioapic_id = p[1];
			cr_assert(p[3] & 1, "IOAPIC not enabled");
			r.ioapic_addr = rd32(p + 4);
			break;
		case 3:
			r.intsrc++;
			cr_assert_eq(p[1], 0, "INT type (vectored)");
			cr_assert_eq(p[4], r.isa_bus_id, "source bus");
			cr_assert_eq(p[6], r.ioapic_id, "destination IOAPIC");
			cr_assert_eq(p[5], p[7], "ISA IRQ %u maps to pin %u", p[5], p[7]);
			cr_assert_lt(p[5], 32);
			cr_assert_not(r.irq_seen & (1u << p[5]), "IRQ %u twice", p[5]);
			r.irq_seen |= 1u << p[5];
			break;
		case 4:
			r.lintsrc++;
			break;
		}
		p += es;
	}
	cr_assert_eq(p, end, "%d entries do not fill the %u-byte table", count, len);
	cr_assert_eq((size_t)r.size, (size_t)(end - buf), "returned size");
	return r;
}

static void check_cpus(int ncpus)
{
	struct parsed r = build_and_parse(ncpus);
	cr_assert_eq(r.cpus, ncpus);
	cr_assert_eq(r.bsp_count, 1, "exactly one boot processor");
	cr_assert_eq(r.bsp_id, 0, "CPU 0 is the BSP");
	for (int i = 0; i < ncpus; i++)
		cr_assert(r.apic_ids[i], "APIC ID %d missing", i);
	cr_assert_eq(r.buses, 1);
	cr_assert_eq(r.ioapics, 1);
	cr_assert_eq(r.ioapic_addr, 0xfec00000u);
	cr_assert_eq(r.apic_ids[r.ioapic_id], 0, "IOAPIC ID %u collides with a CPU", r.ioapic_id);
	cr_assert_eq(r.intsrc, MPTABLE_IRQS);
	cr_assert_eq(r.intsrc, 24);
	cr_assert_eq(r.irq_seen, (1u << 24) - 1, "IRQs 0..23 each routed once");
	cr_assert_eq(r.lintsrc, 2, "LINT0 ExtINT and LINT1 NMI");
}

Test(mptable, one_cpu) { check_cpus(1); }
Test(mptable, two_cpus) { check_cpus(2); }
Test(mptable, thirty_two_cpus) { check_cpus(32); }
Test(mptable, max_cpus) { check_cpus(MPTABLE_MAX_CPUS); }

Test(mptable, rejects_cpu_counts_out_of_range)
{
	int bad[] = { 0, -1, MPTABLE_MAX_CPUS + 1, 1000 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(buf, 0xcc, sizeof(buf));
		cr_assert_eq(mptable_build(buf, CAP, GPA, bad[i]), -1, "%d CPUs accepted", bad[i]);
		cr_assert_eq(buf[0], 0xcc, "buffer written for %d CPUs", bad[i]);
	}
}

Test(mptable, rejects_a_too_small_buffer)
{
	int ns[] = { 1, 2, 32 };
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		int need = mptable_build(buf, CAP, GPA, ns[k]);
		cr_assert_gt(need, 0);
		memset(buf, 0xcc, sizeof(buf));
		cr_assert_eq(mptable_build(buf, (size_t)need - 1, GPA, ns[k]), -1);
		cr_assert_eq(buf[0], 0xcc, "buffer written although too small");
		cr_assert_eq(mptable_build(buf, 0, GPA, ns[k]), -1);
		cr_assert_eq(mptable_build(buf, (size_t)need, GPA, ns[k]), need, "exact size fits");
	}
}

Test(mptable, physptr_follows_gpa)
{
	int n = mptable_build(buf, CAP, 0xf0000, 2);
	cr_assert_gt(n, 0);
	cr_assert_eq(rd32(buf + 4), 0xf0010u);
	cr_assert_eq(sum(buf, 16), 0);
}

Test(mptable, write_places_it_in_the_ebda)
{
	struct gmem gm;
	struct err err = { 0 };
	cr_assert_eq(gmem_init(&gm, 16ULL << 20, &err), 0, "%s", err.msg);
	cr_assert_eq(mptable_write(&gm, 32, &err), 0, "%s", err.msg);
	const uint8_t *p = gmem_ptr(&gm, LAYOUT_EBDA, 16);
	/* Linux scans 639..640 KiB on 16-byte boundaries for the signature. */
	cr_assert_eq(LAYOUT_EBDA % 16, 0);
	cr_assert_eq(memcmp(p, "_MP_", 4), 0);
	cr_assert_eq(sum(p, 16), 0);
	uint32_t physptr = rd32(p + 4);
	const uint8_t *t = gmem_ptr(&gm, physptr, 44);
	cr_assert_not_null(t);
	cr_assert_eq(memcmp(t, "PCMP", 4), 0);
	cr_assert_leq(physptr + rd16(t + 4), LAYOUT_EBDA_END, "table leaves the EBDA");
	cr_assert_eq(sum(gmem_ptr(&gm, physptr, rd16(t + 4)), rd16(t + 4)), 0);
	gmem_fini(&gm);
}

Test(mptable, write_fails_cleanly)
{
	struct gmem gm;
	struct err err = { 0 };
	cr_assert_eq(gmem_init(&gm, 512 << 10, &err), 0, "%s", err.msg);
	cr_assert_eq(mptable_write(&gm, 1, &err), -1, "RAM ends below the EBDA");
	cr_assert_neq(err.status, 0);
	gmem_fini(&gm);
	cr_assert_eq(gmem_init(&gm, 16ULL << 20, &err), 0, "%s", err.msg);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(mptable_write(&gm, 0, &err), -1);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
	gmem_fini(&gm);
}
