/* mvrun's error object (crun's pattern): every fallible function takes it
 * last, fills it once, and main() prints it once, as text on stderr and, with
 * --log-format json, as a runc-style JSON line in --log. */
#ifndef MVRUN_SHIM_ERR_H
#define MVRUN_SHIM_ERR_H

struct shim_err {
	int status;     /* mvrun's exit status for this error; 0 while unset */
	char msg[1024]; /* one line, without the "mvrun: " prefix */
};

/* Record an error (the first one wins) and return -1. */
int shim_errf(struct shim_err *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like shim_errf with ": strerror(errno)" appended. Preserves errno. */
int shim_errno(struct shim_err *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
