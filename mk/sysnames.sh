#!/bin/sh
# Prints a C initialiser body, one `[__NR_x] = "x",` per syscall the C
# library's <sys/syscall.h> defines, for mvm's SIGSYS handler (vmm/sandbox/seccomp.c).
set -eu
echo '#include <sys/syscall.h>' | ${CC:-cc} -E -dM - |
	sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' | sort -u |
	while read -r n; do
		printf '#ifdef __NR_%s\n[__NR_%s] = "%s",\n#endif\n' "$n" "$n" "$n"
	done
