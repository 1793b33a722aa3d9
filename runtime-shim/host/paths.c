/* Where mvrun's other files are: mvm, the guest kernel and the initramfs.
 * Three places are tried, in order: the MVRUN_* variable; beside mvrun (a
 * checkout's build/); the installed layout relative to mvrun's own directory
 * (PREFIX/bin/mvrun, PREFIX/libexec/mvrun/mvm, PREFIX/lib/mvrun/...), so an
 * install under any PREFIX or DESTDIR works without variables. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime-shim/host/host.h"

/* The directory of /proc/self/exe in dir (PATH_MAX bytes). */
static int exe_dir(char *dir)
{
	ssize_t n = readlink("/proc/self/exe", dir, PATH_MAX - 1);
	if (n <= 0)
		return -1;
	dir[n] = 0;
	char *slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = 0;
	return 0;
}

int shim_sibling(const char *name, char *out, unsigned cap)
{
	char dir[PATH_MAX];
	if (exe_dir(dir) < 0 || (unsigned)snprintf(out, cap, "%s/%s", dir, name) >= cap)
		return -1;
	return access(out, F_OK);
}

int shim_installed(const char *sub, const char *name, char *out, unsigned cap)
{
	char dir[PATH_MAX];
	if (exe_dir(dir) < 0 || (unsigned)snprintf(out, cap, "%s/../%s/%s", dir, sub, name) >= cap)
		return -1;
	char real[PATH_MAX];
	if (!realpath(out, real) || (unsigned)snprintf(out, cap, "%s", real) >= cap)
		return -1;
	return access(out, F_OK);
}

int shim_find_file(enum shim_file f, char *out, struct err *err)
{
	static const struct {
		const char *env, *name, *sub;
	} files[] = {
		[SHIM_FILE_MVM] = { "MVRUN_MVM", "mvm", SHIM_LIBEXEC_SUBDIR },
		[SHIM_FILE_KERNEL] = { "MVRUN_KERNEL", "vmlinux", SHIM_LIB_SUBDIR },
		[SHIM_FILE_INITRD] = { "MVRUN_INITRD", "initramfs.cpio", SHIM_LIB_SUBDIR },
	};
	const char *e = getenv(files[f].env);
	if (e && *e) {
		if (snprintf(out, PATH_MAX, "%s", e) >= PATH_MAX || access(out, R_OK) < 0)
			return err_sys(err, 1, errno, "%s=%s", files[f].env, e);
		return 0;
	}
	if (shim_sibling(files[f].name, out, PATH_MAX) == 0 ||
	    shim_installed(files[f].sub, files[f].name, out, PATH_MAX) == 0)
		return 0;
	return err_set(err, 1, "cannot find %s beside mvrun or in ../%s (set %s)", files[f].name,
		       files[f].sub, files[f].env);
}

int shim_vm_files(char *mvm, char *kernel, char *initrd, struct err *err)
{
	if (shim_find_file(SHIM_FILE_MVM, mvm, err) < 0 || shim_find_file(SHIM_FILE_KERNEL, kernel, err) < 0 ||
	    shim_find_file(SHIM_FILE_INITRD, initrd, err) < 0)
		return -1;
	return 0;
}
