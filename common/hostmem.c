/* The host's RAM (hostmem.h). */
#include "common/hostmem.h"

#include <unistd.h>

uint64_t hostmem_mib(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || psz <= 0)
		return UINT64_MAX;
	return (uint64_t)pages * (uint64_t)psz >> 20;
}
