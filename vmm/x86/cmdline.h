/* Assembling the guest kernel command line from mvm's defaults, the device
 * list and the user's --cmdline. */
#ifndef MVM_CMDLINE_H
#define MVM_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/core/err.h"

struct cmdline_opts {
	bool console;      /* 8250 console on ttyS0; otherwise no UART at all */
	bool no_xsave;     /* also tell the kernel not to use XSAVE */
	const char *extra; /* mvm's own additions (devices, mvinit flags); may be NULL */
	const char *user;  /* appended last, so it can override defaults; may be NULL */
};

/* Write the command line into out (cap bytes incl. the NUL; the guest limit
 * is LAYOUT_CMDLINE_MAX). Returns its length, or -1 with err naming the
 * problem (too long, or a control character in user text). */
int cmdline_build(char *out, size_t cap, const struct cmdline_opts *o, struct err *err);

#endif
