/* err: the error object of mvm, mvrun and mvinit (common/err.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "common/err.h"

Test(err, formats_and_returns_minus_one)
{
	struct err e = { 0 };
	cr_assert_eq(err_set(&e, 64, "bad %s %d", "value", 7), -1);
	cr_assert_eq(e.status, 64);
	cr_assert_str_eq(e.msg, "bad value 7");
}

/* A caller's more general message never hides its callee's. */
Test(err, the_first_error_wins)
{
	struct err e = { 0 };
	err_set(&e, 70, "inner");
	cr_assert_eq(err_sys(&e, 64, ENOENT, "outer"), -1);
	err_set(&e, 1, "outermost");
	cr_assert_eq(e.status, 70);
	cr_assert_str_eq(e.msg, "inner");
	e = (struct err){ 0 };
	err_set(&e, 2, "again");
	cr_assert_str_eq(e.msg, "again", "a cleared object takes a new error");
}

Test(err, sys_appends_the_errno_text_and_keeps_errno)
{
	struct err e = { 0 };
	errno = EINTR;
	cr_assert_eq(err_sys(&e, 1, ENOENT, "open %s", "/x"), -1);
	cr_assert_str_eq(e.msg, "open /x: No such file or directory");
	cr_assert_eq(errno, EINTR);
	e = (struct err){ 0 };
	err_sys(&e, 1, 0, "no errno");
	cr_assert_str_eq(e.msg, "no errno");
	errno = EPERM;
	err_set(&(struct err){ 0 }, 1, "x");
	cr_assert_eq(errno, EPERM);
}

Test(err, status_zero_is_recorded_as_one_and_null_is_fine)
{
	struct err e = { 0 };
	err_set(&e, 0, "zero");
	cr_assert_eq(e.status, 1);
	cr_assert_eq(err_set(NULL, 5, "nowhere"), -1);
	cr_assert_eq(err_sys(NULL, 5, EIO, "nowhere"), -1);
}

/* Long messages are cut at the object's size; the errno text is added only
 * when the message left room for it. */
Test(err, long_messages_are_cut)
{
	struct err e = { 0 };
	char big[2 * sizeof(e.msg)];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	err_sys(&e, 1, EIO, "%s", big);
	cr_assert_eq(strlen(e.msg), sizeof(e.msg) - 1);
	cr_assert_null(strchr(e.msg, ':'));
	cr_assert_eq(sizeof(e.msg), 1024, "mvrun's messages keep their length");
}
