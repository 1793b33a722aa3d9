#include "runtime-shim/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(struct shim_err *err, int status, int errnum, const char *fmt, va_list ap)
{
	if (!err || err->status)
		return;
	err->status = status ? status : 1;
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
}

int shim_errf(struct shim_err *err, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(err, status, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int shim_errno(struct shim_err *err, int status, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vset(err, status, saved, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}
