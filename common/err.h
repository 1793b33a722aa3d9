/* The error object of mvm, mvrun and mvinit (crun's pattern): every fallible
 * function takes it as its last argument, the step that fails fills it, and
 * main() (or mvinit's container driver) reports it once. Each program keeps
 * its own exit statuses: vmm/core/err.h, runtime-shim's CFG_EXIT and STORE_EXIT,
 * guest-init/mvinit.h's MVI_EXIT_*. */
#ifndef MVRUN_COMMON_ERR_H
#define MVRUN_COMMON_ERR_H

#include <errno.h> /* err_sys()'s callers pass errno */

struct err {
	int status;     /* the program's exit status for this error; 0 while unset */
	char msg[1024]; /* one line, without the program's "NAME: " prefix or a newline */
};

/* Record an error, unless err is NULL or already holds one (the first error
 * wins: a caller's more general message never hides its callee's), and
 * return -1, so a failing step can `return err_set(err, STATUS, "...")`. A
 * status of 0 is recorded as 1. The message is cut at sizeof(msg) - 1. */
int err_set(struct err *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* err_set() with ": strerror(errnum)" appended (nothing when errnum is 0).
 * Preserves errno. */
int err_sys(struct err *err, int status, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
