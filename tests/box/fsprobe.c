/* fsprobe: file operations busybox has no applet for, run inside the guest
 * by tests/box/box-tests.sh (built static with musl at test time).
 *   fsprobe xattr FILE     set user.mvrun=hello, read it back, list it
 *   fsprobe mmap FILE      write "mapped" through a shared mapping, msync,
 *                          and read it back with read()
 * Prints what it saw; exits non-zero on the first failure. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/xattr.h>
#include <unistd.h>

static int xattr(const char *f)
{
	char v[64] = { 0 }, list[256] = { 0 };
	if (setxattr(f, "user.mvrun", "hello", 5, 0) < 0)
		return perror("setxattr"), 1;
	ssize_t n = getxattr(f, "user.mvrun", v, sizeof(v) - 1);
	if (n < 0)
		return perror("getxattr"), 1;
	ssize_t l = listxattr(f, list, sizeof(list));
	if (l < 0)
		return perror("listxattr"), 1;
	int found = 0;
	for (ssize_t i = 0; i < l; i += (ssize_t)strlen(list + i) + 1)
		found |= strcmp(list + i, "user.mvrun") == 0;
	printf("xattr user.mvrun=%s listed=%d\n", v, found);
	return 0;
}

static int map(const char *f)
{
	int fd = open(f, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return perror("open/ftruncate"), 1;
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return perror("mmap"), 1;
	memcpy(p, "mapped", 6);
	if (msync(p, 4096, MS_SYNC) < 0)
		return perror("msync"), 1;
	char buf[7] = { 0 };
	if (pread(fd, buf, 6, 0) != 6)
		return perror("pread"), 1;
	printf("mmap wrote and read back: %s\n", buf);
	munmap(p, 4096);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return fprintf(stderr, "usage: fsprobe xattr|mmap FILE\n"), 2;
	if (!strcmp(argv[1], "xattr"))
		return xattr(argv[2]);
	if (!strcmp(argv[1], "mmap"))
		return map(argv[2]);
	return 2;
}
