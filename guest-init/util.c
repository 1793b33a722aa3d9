/* mvinit's pure helpers: no state, no side effects beyond stat() and
 * stderr, so the host's unit tests compile this file as is
 * (tests/unit/guest-init/test_mvinit.c). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "guest-init/mvinit.h"

void mvi_warn(const char *fmt, ...)
{
	char line[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mvinit: %s\n", line);
}

/* Parse a hook's decimal value in 0..max; -1 (after saying so) if it is
 * malformed, and the hook keeps its value. */
static int hook_value(const char *param, const char *val, int max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(val, &end, 10);
	if (!isdigit((unsigned char)*val) || *end || errno || v > (unsigned)max) {
		fprintf(stderr, "mvinit: ignoring %s=\"%s\": want 0..%d\n", param, val, max);
		return -1;
	}
	return (int)v;
}

void mvi_parse_cmdline(char *line, struct mvi_boot *b)
{
	static const struct {
		const char *name;
		int max;
	} hooks[] = { { "mvinit.exit", 255 }, { "mvinit.panic", 1 }, { "mvinit.control", 1 } };
	char *save = NULL;

	/* Later params win, as they do for the kernel's own. */
	for (char *tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
			size_t n = strlen(hooks[i].name);
			int v;

			if (strncmp(tok, hooks[i].name, n) != 0 || tok[n] != '=')
				continue;
			if ((v = hook_value(hooks[i].name, tok + n + 1, hooks[i].max)) < 0)
				break;
			if (i == 0)
				b->exit_status = v;
			else if (i == 1)
				b->panic = v;
			else
				b->control = v;
			break;
		}
	}
}

int mvi_count_cpus(const char *s)
{
	int n = 0;

	for (;;) {
		char *end;
		unsigned long lo, hi;

		if (!isdigit((unsigned char)*s))
			return -1;
		lo = hi = strtoul(s, &end, 10);
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return -1;
			hi = strtoul(end + 1, &end, 10);
			if (hi < lo || hi - lo > 65535)
				return -1;
		}
		n += (int)(hi - lo + 1);
		s = end;
		if (*s != ',')
			break;
		s++;
	}
	return (*s == '\n' || *s == '\0') ? n : -1;
}

int mvi_wait_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255; /* stopped/continued never reach here: no WUNTRACED */
}

const char *mvi_env_get(const char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* 0 if path names a regular file with an x bit, else an errno. */
static int executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno;
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return EACCES;
	return 0;
}

int mvi_lookpath(const char *file, const char *path, char *out, size_t size)
{
	if (!*file)
		return ENOENT;
	if (strchr(file, '/')) {
		int err = executable(file);

		if (err)
			return err;
		if (strlen(file) >= size)
			return ENAMETOOLONG;
		strcpy(out, file);
		return 0;
	}
	if (!path)
		path = MVI_DEFAULT_PATH;
	/* As Go's LookPath (what runc uses): entries that are not executable
	 * files are skipped, and only "not found" is reported. */
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		int n;

		if (dlen == 0)
			n = snprintf(out, size, "./%s", file);
		else
			n = snprintf(out, size, "%.*s/%s", (int)dlen, p, file);
		if (n > 0 && (size_t)n < size && executable(out) == 0)
			return 0;
		if (!*end)
			break;
		p = end;
	}
	out[0] = '\0';
	return ENOENT;
}

int mvi_exec_fail(struct err *e, const char *file, int err, bool searched)
{
	char why[128];

	if (searched && err == ENOENT)
		return err_set(e, MVI_EXIT_NOTFOUND, "exec \"%s\": executable file not found in $PATH",
			       file);
	/* Go spells errors in lower case; runc's messages follow. */
	snprintf(why, sizeof(why), "%s", strerror(err));
	why[0] = (char)tolower((unsigned char)why[0]);
	return err_set(e, err == ENOENT || err == ENOTDIR ? MVI_EXIT_NOTFOUND : MVI_EXIT_NOEXEC,
		       "exec \"%s\": %s", file, why);
}

uint32_t mvi_map_id(const struct proto_idmap *m, uint32_t n, uint32_t id)
{
	for (uint32_t i = 0; i < n; i++)
		if (id >= m[i].inside && id - m[i].inside < m[i].count)
			return m[i].outside + (id - m[i].inside);
	return MVI_UNMAPPED;
}
