/* Errors and warnings: stderr for people and podman, --log for the runc
 * shim, which reads the last {"level":"error"} line (runc's logrus format,
 * text or JSON). */
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime-shim/shim.h"

static void log_line(const struct shim_ctx *g, const char *level, const char *msg)
{
	if (!g || !g->log_path)
		return;
	char now[64], *line = NULL;
	store_now(now, sizeof(now));
	if (g->log_json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", now);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (s && asprintf(&line, "%s\n", s) < 0)
			line = NULL;
		free(s);
	} else {
		json_t *q = json_string(msg); /* logrus quotes msg as Go does; JSON's escaping is close */
		char *s = q ? json_dumps(q, JSON_ENCODE_ANY) : NULL;
		json_decref(q);
		if (s && asprintf(&line, "time=\"%s\" level=%s msg=%s\n", now, level, s) < 0)
			line = NULL;
		free(s);
	}
	if (!line)
		return;
	int fd = open(g->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		/* One write with O_APPEND: lines from concurrent mvruns stay whole. */
		if (write(fd, line, strlen(line)) < 0) {
		}
		close(fd);
	}
	free(line);
}

void shim_report(const struct shim_ctx *g, const struct shim_err *err)
{
	const char *msg = err->msg[0] ? err->msg : "failed (no message)";
	fprintf(stderr, "mvrun: %s\n", msg);
	log_line(g, "error", msg);
}

static void vnote(const struct shim_ctx *g, const char *level, const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (g && g->debug)
		fprintf(stderr, "mvrun: %s: %s\n", level, msg);
	log_line(g, level, msg);
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
