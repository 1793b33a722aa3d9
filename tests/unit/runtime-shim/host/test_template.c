/* The template key's view of mvm's command line (tpl_argv_key): what
 * decides the guest's state is in it, per-container values are not, and a
 * command line that cannot use a template has no key. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "runtime-shim/host/template.h"

#define K "/proc/self/exe" /* a file that exists, standing in for the kernel */

static char *key(char *const *argv)
{
	return tpl_argv_key(argv);
}

Test(template, per_container_values_are_not_in_the_key)
{
	char *a[] = { "mvm", "--kernel", K, "--mem", "128", "--cpus", "1", "--root", "/b1/rootfs",
		      "--volume", "/b1/data:ro", "--file", "/run/mvrun/c1/files/f0",
		      "--control-socket", "/run/mvrun/c1/ctl.sock", "--ready-fd", "3",
		      "--stream-fd", "4", NULL };
	char *b[] = { "mvm", "--kernel", K, "--mem", "128", "--cpus", "1", "--root", "/b2/rootfs",
		      "--volume", "/b2/other:ro", "--file", "/run/mvrun/c2/files/f0",
		      "--control-socket", "/run/mvrun/c2/ctl.sock", "--ready-fd", "3",
		      "--stream-fd", "4", NULL };
	char *ka = key(a), *kb = key(b);
	cr_assert(ka && kb);
	cr_expect_str_eq(ka, kb);
	cr_expect_null(strstr(ka, "/b1"));
	cr_expect_null(strstr(ka, "ctl.sock"));
	cr_expect_not_null(strstr(ka, "--volume ro\n"));
	free(ka);
	free(kb);
}

Test(template, the_vm_shape_is_in_the_key)
{
	char *base[] = { "mvm", "--kernel", K, "--mem", "128", "--cpus", "1", "--root", "/r",
			 "--volume", "/v", NULL };
	char *mem[] = { "mvm", "--kernel", K, "--mem", "256", "--cpus", "1", "--root", "/r",
			"--volume", "/v", NULL };
	char *ro[] = { "mvm", "--kernel", K, "--mem", "128", "--cpus", "1", "--root", "/r",
		       "--volume", "/v:ro", NULL };
	char *more[] = { "mvm", "--kernel", K, "--mem", "128", "--cpus", "1", "--root", "/r",
			 "--volume", "/v", "--volume", "/w", NULL };
	char *con[] = { "mvm", "--kernel", K, "--mem", "128", "--cpus", "1", "--root", "/r",
			"--console", "--volume", "/v", NULL };
	char *kb = key(base);
	cr_assert(kb);
	char *const *others[] = { mem, ro, more, con };
	for (unsigned i = 0; i < sizeof(others) / sizeof(*others); i++) {
		char *ko = key(others[i]);
		cr_assert(ko);
		cr_expect_str_neq(kb, ko, "case %u", i);
		free(ko);
	}
	free(kb);
}

Test(template, no_key_for_net_or_a_missing_kernel)
{
	char *net[] = { "mvm", "--kernel", K, "--root", "/r", "--net", NULL };
	char *missing[] = { "mvm", "--kernel", "/nonexistent/vmlinux", "--root", "/r", NULL };
	cr_expect_null(key(net));
	cr_expect_null(key(missing));
}
