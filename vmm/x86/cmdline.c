#include "vmm/x86/cmdline.h"

#include <stdio.h>
#include <string.h>

/* Firecracker's defaults, for the same reasons: reboot through the i8042
 * reset line (mvm's clean exit), reboot at once on panic so mvm can report
 * it, and no probing of buses the VM does not have. */
static const char cmdline_base[] =
	"reboot=k panic=-1 pci=off nomodules i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd "
	"tsc=reliable quiet";

int cmdline_build(char *out, size_t cap, const struct cmdline_opts *o, struct err *err)
{
	if (o->user) {
		for (const char *p = o->user; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return err_set(err, MVM_EXIT_BADARG,
					       "--cmdline: control character at offset %zu",
					       (size_t)(p - o->user));
	}
	int n = snprintf(out, cap, "%s %s%s%s%s%s%s", cmdline_base,
			 o->console ? "console=ttyS0" : "8250.nr_uarts=0",
			 o->no_xsave ? " noxsave" : "",
			 o->extra && *o->extra ? " " : "", o->extra ? o->extra : "",
			 o->user && *o->user ? " " : "", o->user ? o->user : "");
	if (n < 0 || (size_t)n >= cap)
		return err_set(err, MVM_EXIT_BADARG,
			       "--cmdline: the kernel command line would be %d bytes; the limit is %zu",
			       n, cap - 1);
	return n;
}
