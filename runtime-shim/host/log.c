/* Errors, warnings and debug lines in runc 1.1's logrus format (text:
 * time="..." level=debug msg="...", json: {"level":..,"msg":..,"time":..}),
 * as the runc shim and people reading --log expect. Where they go follows
 * runc: to --log when given, else to stderr, but a warning reaches stderr
 * only with --debug and a debug line is made only with --debug (engines
 * own stderr; go-runc reads state's stdout and stderr mixed). An error is
 * also always "mvrun: MSG" on stderr, for people and podman. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime-shim/host/host.h"

/* RFC 3339 in local time, to the second, as logrus prints it ("Z" for UTC). */
static void log_time(char *out, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	long off = tm.tm_gmtoff / 60;
	if (off == 0)
		snprintf(out + n, cap - n, "Z");
	else
		snprintf(out + n, cap - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 60,
			 labs(off) % 60);
}

/* logrus's text formatter quotes a value (as Go's %q) unless it is all
 * letters, digits and -._/@^+. */
static void text_value(FILE *f, const char *s)
{
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/@^+") ==
			  strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* One line, newline-terminated, malloc'd; NULL when out of memory. */
static char *format_line(bool json, const char *level, const char *msg)
{
	char now[48], *line = NULL;
	size_t len = 0;
	log_time(now, sizeof(now));
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", now);
		char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(o);
		if (s && asprintf(&line, "%s\n", s) < 0)
			line = NULL;
		free(s);
		return line;
	}
	FILE *f = open_memstream(&line, &len);
	if (!f)
		return NULL;
	fputs("time=", f);
	text_value(f, now);
	fprintf(f, " level=%s msg=", level);
	text_value(f, msg);
	fputc('\n', f);
	if (fclose(f) != 0) {
		free(line);
		return NULL;
	}
	return line;
}

static void write_all(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* to_stderr: whether the line goes to stderr when there is no --log. */
static void emit(const struct shim_ctx *g, const char *level, const char *msg, bool to_stderr)
{
	if (!g || (!g->log_path && !to_stderr))
		return;
	char *line = format_line(g->log_json, level, msg);
	if (!line)
		return;
	if (g->log_path) {
		int fd = open(g->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			/* One write with O_APPEND: lines from concurrent mvruns stay whole. */
			write_all(fd, line);
			close(fd);
		}
	} else {
		write_all(STDERR_FILENO, line);
	}
	free(line);
}

int shim_log_open(const struct shim_ctx *g, struct err *err)
{
	if (!g->log_path)
		return 0;
	int fd = open(g->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_sys(err, 1, errno, "--log %s", g->log_path);
	close(fd);
	return 0;
}

void shim_report(const struct shim_ctx *g, const struct err *err)
{
	const char *msg = err->msg[0] ? err->msg : "failed (no message)";
	fprintf(stderr, "mvrun: %s\n", msg);
	if (g && g->log_path)
		emit(g, "error", msg, false);
}

static void vnote(const struct shim_ctx *g, const char *level, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	emit(g, level, msg, g && g->debug);
}

void shim_warn(const struct shim_ctx *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(g, "warning", fmt, ap);
	va_end(ap);
}

void shim_debug(const struct shim_ctx *g, const char *fmt, ...)
{
	if (!g || !g->debug)
		return;
	va_list ap;
	va_start(ap, fmt);
	vnote(g, "debug", fmt, ap);
	va_end(ap);
}
