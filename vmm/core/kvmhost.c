#include "vmm/core/kvmhost.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char way_out[] =
	"use a host with hardware virtualization (vmx or svm), or run under tests/vmhost/run";

static bool cpu_has_hw_virt(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return false;
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		found = strstr(line, " vmx") || strstr(line, " svm");
		break;
	}
	fclose(f);
	return found;
}

int kvmhost_check_linux(struct err *err)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, MVM_EXIT_NOHOST, errno, "cannot open /dev/kvm (%s)", way_out);
	close(fd);
	const char *allow = getenv("MVM_ALLOW_SOFT_KVM");
	if (allow && strcmp(allow, "1") == 0)
		return 0;
	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return err_set(err, MVM_EXIT_NOHOST,
			       "/dev/kvm here is kvm_pvm, a software hypervisor that cannot boot a "
			       "Linux guest; %s", way_out);
	if (!cpu_has_hw_virt())
		return err_set(err, MVM_EXIT_NOHOST,
			       "no vmx or svm in /proc/cpuinfo, so /dev/kvm here cannot boot a "
			       "Linux guest; %s", way_out);
	return 0;
}
