/* qinit: the init of bench/startup's "plain microVM" baseline. It runs
 * /bin/true (busybox, as in the container bundle) the way mvinit runs a
 * container's process, fork, exec, wait, then powers off: the shutdown
 * notice on mvm's port (proto/mvm_port.h; on QEMU the port is unassigned and
 * the write is dropped) and a reset, which mvm (reboot=k) and QEMU
 * (reboot=t, -no-reboot) both turn into their exit. No mounts, no console
 * output: only the boot and the process. Built static with musl by
 * `make bench` into build/bench/qinit.cpio. */
#include <stdio.h>
#include <sys/io.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto/mvm_port.h"

int main(void)
{
	char *argv[] = { "true", NULL }, *envp[] = { "PATH=/bin", NULL };
	int st = 0, status = 1;
	int port = ioperm(MVM_PORT_BASE, MVM_PORT_LEN, 1) == 0;
	pid_t pid;

	if (port)
		outb(MVM_MARK_INIT, MVM_PORT_MARK);
	pid = fork();

	if (pid == 0) {
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid)
		status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (port)
		outl((unsigned)status, MVM_PORT_SHUTDOWN);
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
