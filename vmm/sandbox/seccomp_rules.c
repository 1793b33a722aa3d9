/* Every syscall mvm makes once the guest runs, per thread kind. A device
 * that needs more adds lines here; `mvm --print-seccomp` and the count test
 * (tests/boot/cli-tests.sh) see them at once. Found by reading vmm/ and by
 * running the box, escape, OCI and engine suites under --seccomp=log.
 *
 * virtio-net: the tap is served on the I/O thread with read and pwritev2
 * (offset -1: writev); its offloads follow the guest's features from a vCPU
 * thread (ioctl TUNSETOFFLOAD on the tap fd only, in SA_KVM_VCPU). */
#include "vmm/sandbox/seccomp.h"

#define V SEC_K(SEC_VCPU)
#define I SEC_K(SEC_IO)
#define M SEC_K(SEC_MAIN)

const struct sec_rule sec_rules[] = {
	/* vCPU threads: run the guest, answer PIO/MMIO exits. */
	{ "ioctl", V, SA_KVM_VCPU, "KVM_RUN; a triple fault's rip; the UART's interrupt" },
	{ "write", V, SA_VCPU_FDS, "UART output, the unmapped-access log, device eventfds" },
	{ "rt_sigreturn", M, SA_NONE, "return from the empty handler of a SIGUSR1 nobody forwards" },
	{ "clock_gettime", V | M, SA_NONE, "boot-timer port; --report (when the vDSO falls back)" },
	{ "close", I | M, SA_NONE, "streams, handles and fds the guest is done with; the ready fd" },
	{ "futex", V | I | M, SA_NONE, "locks, the stop condition, thread joins" },

	/* The I/O thread: event loop, vsock, control socket, exec clients. */
	{ "epoll_wait", I, SA_NONE, "the event loop, the vsock device's own set" },
	{ "epoll_ctl", I, SA_NONE, "streams come and go" },
	{ "read", I, SA_NONE, "eventfds, signalfd, control and exec sockets, relays" },
	{ "write", I | M, SA_NONE, "relays, replies, irqfds (I/O); stderr, ready fd (main)" },
	{ "accept4", I, SA_NONE, "control socket and vsock listener clients" },
	{ "sendmsg", I, SA_NONE, "stream fds to exec clients (SCM_RIGHTS); vsock handshake" },
	{ "socketpair", I, SA_UNIX, "one per stream the guest opens" },
	{ "shutdown", I, SA_NONE, "half-closes (EOF) on relayed streams" },
	{ "fcntl", I, SA_FCNTL, "O_NONBLOCK on vsock fds; a second fd for EPOLLOUT" },
	{ "ioctl", I, SA_WINSZ, "the terminal's size after SIGWINCH (--tty)" },
	{ "mmap", I | M, SA_NOEXEC, "malloc's large blocks" },
	{ "munmap", I | M, SA_NONE, "free's large blocks, thread stacks" },
	{ "mremap", I, SA_NONE, "realloc of large blocks (virtio-fs tables)" },
	{ "brk", I | M, SA_NONE, "malloc's heap" },

	/* --net at start (hostnet.c, libmnl, I/O thread): read the namespace's
	 * interface and join it to the tap over rtnetlink; undo the join once
	 * the VM is over (vm->io_atstop). */
	{ "socket", I, SA_NETLINK, "the rtnetlink socket (--net, at start and at the end)" },
	{ "bind", I, SA_NONE, "libmnl binds the rtnetlink socket (--net)" },
	{ "getsockname", I, SA_NONE, "libmnl learns its netlink port id (--net)" },
	{ "sendto", I, SA_NONE, "rtnetlink requests (--net)" },
	{ "recvmsg", I, SA_NONE, "rtnetlink replies (--net)" },

	/* The virtio-fs server (I/O thread): a passthrough confined to the
	 * shares, one host syscall per FUSE op. */
	{ "openat", I, SA_NONE, "LOOKUP, OPEN, CREATE, reopen through /proc/self/fd" },
	{ "newfstatat", I, SA_NONE, "GETATTR and every reply's attributes" },
	{ "fstatfs", I, SA_NONE, "STATFS" },
	{ "getdents64", I, SA_NONE, "READDIR, READDIRPLUS" },
	{ "lseek", I, SA_NONE, "READDIR offsets, LSEEK" },
	{ "preadv2", I, SA_NONE, "READ into guest buffers; vsock (offset -1: readv)" },
	{ "pwritev2", I, SA_NONE, "WRITE from guest buffers; vsock pipes (offset -1: writev)" },
	{ "copy_file_range", I, SA_NONE, "COPY_FILE_RANGE" },
	{ "fsync", I, SA_NONE, "FSYNC, FSYNCDIR (fdatasync too)" },
	{ "syncfs", I, SA_NONE, "SYNCFS" },
	{ "fallocate", I, SA_NONE, "FALLOCATE" },
	{ "ftruncate", I, SA_NONE, "SETATTR size" },
	{ "fchownat", I, SA_NONE, "SETATTR uid/gid, owner of new nodes" },
	{ "fchmodat", I, SA_NONE, "SETATTR mode" },
	{ "utimensat", I, SA_NONE, "SETATTR times" },
	{ "mkdirat", I, SA_NONE, "MKDIR" },
	{ "mknodat", I, SA_NONE, "MKNOD" },
	{ "symlinkat", I, SA_NONE, "SYMLINK" },
	{ "readlinkat", I, SA_NONE, "READLINK" },
	{ "linkat", I, SA_NONE, "LINK" },
	{ "unlinkat", I, SA_NONE, "UNLINK, RMDIR" },
	{ "renameat2", I, SA_NONE, "RENAME, RENAME2" },
	{ "fgetxattr", I, SA_NONE, "GETXATTR" },
	{ "fsetxattr", I, SA_NONE, "SETXATTR" },
	{ "flistxattr", I, SA_NONE, "LISTXATTR" },
	{ "fremovexattr", I, SA_NONE, "REMOVEXATTR" },

	/* The main thread: waits for the stop, kicks the vCPUs, reports. */
	{ "tgkill", M, SA_KICK, "kick the vCPUs out of KVM_RUN when the VM stops" },
	{ "ioctl", M, SA_TCSETS, "restore the caller's terminal (--tty)" },
	{ "getrusage", M, SA_NONE, "--report: peak RSS" },
	{ "mincore", M, SA_NONE, "--report: guest RAM touched" },
	{ "exit_group", M, SA_NONE, "mvm exits with the guest's status" },
};

const int sec_nrules = sizeof(sec_rules) / sizeof(sec_rules[0]);
