/* vsockhostile: what any process in the guest can do to mvm's vsock ports,
 * run inside the guest by tests/box/hostile-tests.sh (built static with musl
 * at test time).
 *   vsockhostile storm N   N streams one after another to each of mvm's
 *                          ports (control, stdio, the first exec ids), then
 *                          N at once to each, left half-open; prints
 *                          "storm accepted=A refused=R", then "alive", and
 *                          exits 7 (the kernel closes what it held)
 *   vsockhostile flood MIB MiB to stdout, "flooding" first on stderr; on
 *                          SIGTERM "got-term" on stderr and exit 5 */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* <linux/vm_sockets.h>, which musl's headers lack */
struct vm_addr {
	unsigned short family;
	unsigned short reserved;
	unsigned int port;
	unsigned int cid;
	unsigned char zero[4];
};
#define VSOCK_FAMILY 40
#define HOST_CID 2

static int dial(unsigned int port)
{
	int fd = socket(VSOCK_FAMILY, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct vm_addr a = { .family = VSOCK_FAMILY, .port = port, .cid = HOST_CID };
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static const unsigned int ports[] = { 1024, 1025, 1026, 1027, 1028, 2048, 2049, 2050, 2051, 2052, 2300 };
#define NPORTS (sizeof(ports) / sizeof(ports[0]))

static int storm(int n)
{
	int accepted = 0, refused = 0;
	for (size_t p = 0; p < NPORTS; p++)
		for (int i = 0; i < n; i++) {
			int fd = dial(ports[p]);
			if (fd < 0) {
				refused++;
				continue;
			}
			accepted++;
			if (write(fd, "x", 1) < 0) {
				/* the host may have closed it already */
			}
			close(fd);
		}
	for (size_t p = 0; p < NPORTS; p++)
		for (int i = 0; i < n; i++) { /* held: the kernel closes them at exit */
			int fd = dial(ports[p]);
			if (fd < 0) {
				refused++;
				continue;
			}
			accepted++;
			if (i % 2)
				shutdown(fd, SHUT_WR);
		}
	printf("storm accepted=%d refused=%d\n", accepted, refused);
	printf("alive\n");
	fflush(stdout);
	return 7;
}

static void on_term(int sig)
{
	(void)sig;
	static const char m[] = "got-term\n";
	if (write(2, m, sizeof(m) - 1) < 0) {
	}
	_exit(5);
}

static int flood(long mib)
{
	signal(SIGTERM, on_term);
	static char buf[65536];
	memset(buf, 'f', sizeof(buf));
	fprintf(stderr, "flooding\n");
	for (long i = 0; i < mib * 16; i++)
		if (write(1, buf, sizeof(buf)) < 0)
			return perror("write"), 1;
	fprintf(stderr, "flood done\n");
	return 0;
}

/* Open PATH n times and hold every fd: past mvm's virtio-fs budget the
 * opens fail (ENFILE), mvm stays up; after they are closed, opens work
 * again. */
static int handles(int n, const char *path)
{
	struct rlimit lim = { (rlim_t)n + 64, (rlim_t)n + 64 };
	if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
		return perror("setrlimit"), 1;
	int *fds = calloc((size_t)n, sizeof(int));
	int opened = 0, first_err = 0;
	for (int i = 0; fds && i < n; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			fds[opened++] = fd;
		else if (!first_err)
			first_err = errno;
	}
	printf("handles opened=%d first-error=%s\n", opened,
	       first_err == ENFILE ? "ENFILE" : first_err ? strerror(first_err) : "none");
	for (int i = 0; i < opened; i++)
		close(fds[i]);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	printf("reopen %s\n", fd >= 0 ? "ok" : strerror(errno));
	fflush(stdout);
	free(fds);
	return 9;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "handles") == 0)
		return handles(atoi(argv[2]), argv[3]);
	if (argc == 3 && strcmp(argv[1], "storm") == 0)
		return storm(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "flood") == 0)
		return flood(atol(argv[2]));
	fprintf(stderr, "usage: vsockhostile storm N | flood MIB | handles N PATH\n");
	return 2;
}
