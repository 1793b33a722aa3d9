/* The host's RAM, for the checks on both sides of the launch contract that
 * a VM's RAM fits (mvrun's plan, mvm's --mem). */
#ifndef MVRUN_COMMON_HOSTMEM_H
#define MVRUN_COMMON_HOSTMEM_H

#include <stdint.h>

/* This host's physical RAM in MiB, or UINT64_MAX when it cannot be told. */
uint64_t hostmem_mib(void);

#endif
