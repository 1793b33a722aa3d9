/* mkcpio: write a newc ("070701") cpio archive described by a list file, so
 * the initramfs can hold device nodes without root or mknod. Modelled on the
 * kernel's usr/gen_init_cpio, with only what the initramfs needs.
 *
 *   usage: mkcpio LIST SRCDIR > out.cpio
 *
 * LIST, one entry a line (blank lines and lines starting with '#' ignored):
 *   dir   NAME MODE
 *   file  NAME SRC MODE        SRC is relative to SRCDIR
 *   nod   NAME MODE c|b MAJ MIN
 *   slink NAME TARGET MODE
 * MODE is octal permission bits (at most 07777); the type comes from the
 * keyword. A leading '/' on NAME is dropped, as the kernel unpacks relative
 * to rootfs. Every entry is uid/gid 0 and mtime 0, and inodes are numbered
 * in list order, so the same inputs always give the same bytes.
 *
 * The whole archive is built in memory and written only once the list has
 * been read without error: a bad list gives one "mkcpio: LIST:LINE: ..."
 * line on stderr, exit status 1 and no output at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FIELDS 7

struct buf {
	char *data;
	size_t len, cap;
};

struct ctx {
	const char *list; /* path of the list, for messages */
	unsigned line;
	const char *srcdir;
	struct buf out;
	uint32_t ino;
	/* Names already emitted, so a child whose parent was never listed is
	 * caught here: the kernel's unpacker does not create parents, it
	 * silently fails to create the child. */
	char **names;
	size_t nnames;
};

static void fail(const struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void fail(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->line)
		fprintf(stderr, "mkcpio: %s:%u: ", c->list, c->line);
	else
		fprintf(stderr, "mkcpio: %s: ", c->list);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void buf_put(struct ctx *c, const void *p, size_t n)
{
	struct buf *b = &c->out;

	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;

		while (cap < b->len + n)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (!b->data)
			fail(c, "out of memory");
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* newc aligns both the header+name and the data to 4 bytes, counted from
 * the start of the archive. */
static void buf_pad4(struct ctx *c)
{
	static const char zero[4];

	buf_put(c, zero, (4 - c->out.len % 4) % 4);
}

static void emit(struct ctx *c, const char *name, uint32_t mode,
		 uint32_t rmaj, uint32_t rmin, const void *data, size_t size)
{
	char hdr[6 + 13 * 8 + 1];
	uint32_t nlink = S_ISDIR(mode) ? 2 : 1;
	uint32_t ino = c->ino++;

	if (size > UINT32_MAX)
		fail(c, "\"%s\" is too large for a newc archive", name);
	/* Fields: ino mode uid gid nlink mtime filesize devmajor devminor
	 * rdevmajor rdevminor namesize check. */
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ino, mode, 0u, 0u, nlink, 0u, (uint32_t)size, 0u, 0u, rmaj,
		 rmin, (uint32_t)strlen(name) + 1, 0u);
	buf_put(c, hdr, sizeof(hdr) - 1);
	buf_put(c, name, strlen(name) + 1);
	buf_pad4(c);
	if (size) {
		buf_put(c, data, size);
		buf_pad4(c);
	}
}

static uint32_t parse_num(const struct ctx *c, const char *s, int base,
			  unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, base);
	if (*s == '\0' || *s == '-' || *s == '+' || *end != '\0' || errno ||
	    v > max)
		fail(c, base == 8 ? "bad %s \"%s\" (want octal 0..0%lo)"
				  : "bad %s \"%s\" (want 0..%lu)",
		     what, s, max);
	return (uint32_t)v;
}

static uint32_t parse_mode(const struct ctx *c, const char *s)
{
	return parse_num(c, s, 8, 07777, "mode");
}

/* Returns NAME without its leading '/', after checking that it is a plain
 * path whose parent has already been listed. */
static const char *check_name(struct ctx *c, const char *name)
{
	const char *given = name, *slash;
	size_t plen;

	while (*name == '/')
		name++;
	if (*name == '\0' || strlen(name) >= PATH_MAX)
		fail(c, "bad name \"%.40s\"", given);
	for (const char *p = name; *p; p = slash + 1) {
		slash = strchr(p, '/');
		plen = slash ? (size_t)(slash - p) : strlen(p);
		if (plen == 0 || (plen == 1 && p[0] == '.') ||
		    (plen == 2 && p[0] == '.' && p[1] == '.'))
			fail(c, "bad name \"%s\" (empty, \".\" or \"..\" part)",
			     name);
		if (!slash)
			break;
	}
	for (size_t i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i], name) == 0)
			fail(c, "\"%s\" is listed twice", name);
	slash = strrchr(name, '/');
	if (slash) {
		size_t i;

		plen = (size_t)(slash - name);
		for (i = 0; i < c->nnames; i++)
			if (strlen(c->names[i]) == plen &&
			    memcmp(c->names[i], name, plen) == 0)
				break;
		if (i == c->nnames)
			fail(c, "parent of \"%s\" is not listed before it", name);
	}
	c->names = realloc(c->names, (c->nnames + 1) * sizeof(*c->names));
	if (!c->names || !(c->names[c->nnames] = strdup(name)))
		fail(c, "out of memory");
	c->nnames++;
	return name;
}

static void do_file(struct ctx *c, const char *name, const char *src,
		    uint32_t mode)
{
	char path[PATH_MAX];
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->srcdir, src) >=
	    sizeof(path))
		fail(c, "source path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		fail(c, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		fail(c, "%s: not a regular file", path);
	if (st.st_size > 0 && !(data = malloc((size_t)st.st_size)))
		fail(c, "out of memory");
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail(c, "%s: %s", path,
			     n < 0 ? strerror(errno) : "file shrank while read");
		got += (size_t)n;
	}
	close(fd);
	emit(c, name, S_IFREG | mode, 0, 0, data, got);
	free(data);
}

static void do_line(struct ctx *c, char *text)
{
	char *f[MAX_FIELDS + 1];
	int n = 0;
	const char *type, *name;

	if (text[strspn(text, " \t")] == '#')
		return;
	for (char *tok = strtok(text, " \t\r\n"); tok;
	     tok = strtok(NULL, " \t\r\n")) {
		if (n == MAX_FIELDS)
			fail(c, "too many fields");
		f[n++] = tok;
	}
	if (n == 0)
		return;
	type = f[0];

#define NEED(k, usage)                                                       \
	do {                                                                 \
		if (n != (k))                                                \
			fail(c, "want \"%s\"", usage);                       \
	} while (0)

	if (strcmp(type, "dir") == 0) {
		NEED(3, "dir NAME MODE");
		name = check_name(c, f[1]);
		emit(c, name, S_IFDIR | parse_mode(c, f[2]), 0, 0, NULL, 0);
	} else if (strcmp(type, "file") == 0) {
		NEED(4, "file NAME SRC MODE");
		name = check_name(c, f[1]);
		do_file(c, name, f[2], parse_mode(c, f[3]));
	} else if (strcmp(type, "nod") == 0) {
		uint32_t fmt;

		NEED(6, "nod NAME MODE c|b MAJ MIN");
		name = check_name(c, f[1]);
		if (strcmp(f[3], "c") == 0)
			fmt = S_IFCHR;
		else if (strcmp(f[3], "b") == 0)
			fmt = S_IFBLK;
		else
			fail(c, "bad device type \"%s\" (want c or b)", f[3]);
		/* Linux's dev_t holds a 12-bit major and a 20-bit minor. */
		emit(c, name, fmt | parse_mode(c, f[2]),
		     parse_num(c, f[4], 10, 4095, "major"),
		     parse_num(c, f[5], 10, 1048575, "minor"), NULL, 0);
	} else if (strcmp(type, "slink") == 0) {
		NEED(4, "slink NAME TARGET MODE");
		name = check_name(c, f[1]);
		emit(c, name, S_IFLNK | parse_mode(c, f[3]), 0, 0, f[2],
		     strlen(f[2]));
	} else {
		fail(c, "unknown type \"%s\"", type);
	}
#undef NEED
}

int main(int argc, char **argv)
{
	struct ctx c = { .ino = 721 }; /* gen_init_cpio's first inode */
	char *text = NULL;
	size_t cap = 0;
	FILE *list;

	if (argc != 3) {
		fprintf(stderr, "usage: mkcpio LIST SRCDIR > out.cpio\n");
		return 2;
	}
	c.list = argv[1];
	c.srcdir = argv[2];
	list = fopen(c.list, "r");
	if (!list)
		fail(&c, "%s", strerror(errno));
	for (ssize_t n; (n = getline(&text, &cap, list)) >= 0;) {
		c.line++;
		if (strlen(text) != (size_t)n)
			fail(&c, "NUL byte in line");
		do_line(&c, text);
	}
	if (ferror(list))
		fail(&c, "read: %s", strerror(errno));
	c.line = 0;
	fclose(list);
	free(text);

	c.ino = 0;
	emit(&c, "TRAILER!!!", 0, 0, 0, NULL, 0);
	if (isatty(STDOUT_FILENO))
		fail(&c, "refusing to write an archive to a terminal");
	for (size_t off = 0; off < c.out.len;) {
		ssize_t n = write(STDOUT_FILENO, c.out.data + off,
				  c.out.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "mkcpio: write: %s\n", strerror(errno));
			return 1;
		}
		off += (size_t)n;
	}
	return 0;
}
