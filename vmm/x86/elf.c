#include "vmm/x86/elf.h"

#include <elf.h>
#include <string.h>

#include "vmm/x86/layout.h"

/* Xen's PVH entry note (xen/include/public/elfnote.h), which Linux emits in
 * arch/x86/platform/pvh/head.S. */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define ELF_MAX_PHDRS 64

static int bad(struct err *err, const char *what, const char *why)
{
	return err_set(err, MVM_EXIT_BADARG, "%s: not a loadable x86_64 vmlinux: %s", what, why);
}

/* Walk one PT_NOTE segment's notes for the PVH entry. */
static int find_pvh_note(const uint8_t *p, uint64_t len, uint32_t *entry)
{
	uint64_t off = 0;
	for (int guard = 0; guard < 1024 && len - off >= sizeof(Elf64_Nhdr); guard++) {
		Elf64_Nhdr nh;
		memcpy(&nh, p + off, sizeof(nh));
		off += sizeof(nh);
		uint64_t name_sz = ((uint64_t)nh.n_namesz + 3) & ~3ULL;
		uint64_t desc_sz = ((uint64_t)nh.n_descsz + 3) & ~3ULL;
		if (name_sz > len - off || desc_sz > len - off - name_sz)
			return -1;
		const uint8_t *name = p + off;
		const uint8_t *desc = p + off + name_sz;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    memcmp(name, "Xen", 4) == 0) {
			/* 4 bytes, or 8 where _ASM_PTR is .quad: an address below 4 GiB. */
			uint64_t v = 0;
			if (nh.n_descsz == 4) {
				uint32_t v32;
				memcpy(&v32, desc, 4);
				v = v32;
			} else if (nh.n_descsz == 8) {
				memcpy(&v, desc, 8);
			} else {
				return -1;
			}
			if (v == 0 || v > UINT32_MAX)
				return -1;
			*entry = (uint32_t)v;
			return 0;
		}
		off += name_sz + desc_sz;
	}
	return 0;
}

int elf_parse(const uint8_t *img, size_t len, const char *what, struct elf_info *out,
	      struct err *err)
{
	memset(out, 0, sizeof(*out));
	Elf64_Ehdr eh;
	if (len < sizeof(eh))
		return bad(err, what, "file too short for an ELF header");
	memcpy(&eh, img, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return bad(err, what, "no ELF magic (a bzImage or compressed kernel? mvm needs the uncompressed vmlinux)");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return bad(err, what, "not a 64-bit little-endian ELF");
	if (eh.e_machine != EM_X86_64)
		return bad(err, what, "not an x86_64 ELF");
	if (eh.e_type != ET_EXEC)
		return bad(err, what, "not an executable ELF");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > ELF_MAX_PHDRS)
		return bad(err, what, "bad program header table size");
	if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return bad(err, what, "program headers extend past the end of the file");

	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD && ph.p_type != PT_NOTE)
			continue;
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return bad(err, what, "a segment extends past the end of the file (truncated?)");
		if (ph.p_type == PT_NOTE) {
			if (find_pvh_note(img + ph.p_offset, ph.p_filesz, &out->pvh_entry) < 0)
				return bad(err, what, "malformed ELF note");
			continue;
		}
		if (ph.p_filesz > ph.p_memsz)
			return bad(err, what, "a segment's file size exceeds its memory size");
		if (ph.p_paddr > UINT64_MAX - ph.p_memsz)
			return bad(err, what, "a segment's address range wraps");
		if (ph.p_memsz == 0)
			continue;
		if (ph.p_paddr < lo)
			lo = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > hi)
			hi = ph.p_paddr + ph.p_memsz;
	}
	if (hi == 0)
		return bad(err, what, "no loadable segments");
	if (lo < LAYOUT_HIMEM)
		return bad(err, what, "a segment loads below 1 MiB");
	out->entry64 = eh.e_entry;
	out->load_lo = lo;
	out->load_hi = hi;
	return 0;
}

int elf_load(const struct gmem *gm, const uint8_t *img, size_t len, const char *what,
	     struct elf_info *out, struct err *err)
{
	if (elf_parse(img, len, what, out, err) < 0)
		return -1;
	if (!gmem_ptr(gm, out->load_lo, out->load_hi - out->load_lo))
		return err_set(err, MVM_EXIT_BADARG,
			       "%s: the kernel needs guest RAM up to %llu MiB; give the guest more memory",
			       what, (unsigned long long)((out->load_hi + (1 << 20) - 1) >> 20));
	Elf64_Ehdr eh;
	memcpy(&eh, img, sizeof(eh));
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		/* Inside [load_lo, load_hi), which gmem_ptr accepted as a whole. */
		uint8_t *dst = gmem_ptr(gm, ph.p_paddr, ph.p_memsz);
		memcpy(dst, img + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	if (!gmem_ptr(gm, out->entry64, 1) && !out->pvh_entry)
		return bad(err, what, "the entry point is outside guest RAM");
	return 0;
}
