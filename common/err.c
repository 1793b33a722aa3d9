#include "common/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(struct err *err, int status, int errnum, const char *fmt, va_list ap)
{
	if (!err || err->status)
		return;
	err->status = status ? status : 1;
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(errnum));
}

int err_set(struct err *err, int status, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vset(err, status, 0, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

int err_sys(struct err *err, int status, int errnum, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vset(err, status, errnum, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}
