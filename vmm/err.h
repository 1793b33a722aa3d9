/* The error object every fallible VMM function takes as its last argument
 * (crun's pattern): the callee fills it once, main() prints it once. */
#ifndef MVM_ERR_H
#define MVM_ERR_H

#include "proto/launch.h" /* enum mvm_status */

struct mvm_err {
	int status;     /* one of enum mvm_status; 0 while no error is set */
	char msg[512];  /* one line, without the "mvm: " prefix or newline */
};

/* Record an error (the first one wins) and return -1, so callers can write
 * `return mvm_errf(err, MVM_EXIT_BADARG, "...")`. */
int mvm_errf(struct mvm_err *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like mvm_errf, with ": strerror(errno)" appended. Preserves errno. */
int mvm_errno(struct mvm_err *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
