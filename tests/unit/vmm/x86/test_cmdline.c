/* cmdline: mvm's defaults, the console switch, and the user's --cmdline
 * appended last so it overrides (Linux takes the last of repeated params). */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <string.h>

#include "vmm/x86/cmdline.h"
#include "vmm/x86/layout.h"

static char out[LAYOUT_CMDLINE_MAX];

/* True if `word` is one whole space-separated parameter of s. */
static bool has_param(const char *s, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = s; (p = strstr(p, word)); p++)
		if ((p == s || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
			return true;
	return false;
}

/* Position of the last whole-parameter occurrence of word, or -1. */
static long last_param(const char *s, const char *word)
{
	long at = -1;
	size_t n = strlen(word);
	for (const char *p = s; (p = strstr(p, word)); p++)
		if ((p == s || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
			at = p - s;
	return at;
}

static int build(bool console, bool no_xsave, const char *user, struct err *err)
{
	struct cmdline_opts o = { .console = console, .no_xsave = no_xsave, .user = user };
	memset(err, 0, sizeof(*err));
	memset(out, 0x7e, sizeof(out));
	return cmdline_build(out, sizeof(out), &o, err);
}

Test(cmdline, defaults_without_console)
{
	struct err err;
	int n = build(false, false, NULL, &err);
	cr_assert_gt(n, 0, "%s", err.msg);
	cr_assert_eq((size_t)n, strlen(out), "returns the length");
	cr_assert(has_param(out, "reboot=k"), "%s", out);
	cr_assert(has_param(out, "panic=-1"), "%s", out);
	cr_assert(has_param(out, "8250.nr_uarts=0"), "no UART without --console: %s", out);
	cr_assert_not(strstr(out, "console="), "%s", out);
	cr_assert_not(has_param(out, "noxsave"), "%s", out);
	cr_assert_neq(out[n - 1], ' ', "no trailing space: \"%s\"", out);
	cr_assert_neq(out[0], ' ');
	cr_assert_not(strstr(out, "  "), "no empty parameters: \"%s\"", out);
}

Test(cmdline, console_on_ttys0)
{
	struct err err;
	cr_assert_gt(build(true, false, NULL, &err), 0, "%s", err.msg);
	cr_assert(has_param(out, "console=ttyS0"), "%s", out);
	cr_assert_not(strstr(out, "8250.nr_uarts"), "%s", out);
	cr_assert(has_param(out, "reboot=k"), "%s", out);
	cr_assert(has_param(out, "panic=-1"), "%s", out);
}

Test(cmdline, no_xsave_adds_noxsave)
{
	struct err err;
	cr_assert_gt(build(false, true, NULL, &err), 0, "%s", err.msg);
	cr_assert(has_param(out, "noxsave"), "%s", out);
	cr_assert_gt(build(true, true, NULL, &err), 0, "%s", err.msg);
	cr_assert(has_param(out, "noxsave"), "%s", out);
	cr_assert(has_param(out, "console=ttyS0"), "%s", out);
}

Test(cmdline, user_text_comes_last)
{
	struct err err;
	const char *user = "panic=5 init=/bin/sh foo.bar=\"a b\"";
	int n = build(true, true, user, &err);
	cr_assert_gt(n, 0, "%s", err.msg);
	size_t ul = strlen(user);
	cr_assert_geq((size_t)n, ul + 1);
	cr_assert_str_eq(out + n - ul, user, "\"%s\" does not end with the user text", out);
	cr_assert_eq(out[n - ul - 1], ' ');
	cr_assert_gt(last_param(out, "panic=5"), last_param(out, "panic=-1"),
		     "the user's panic= must come after the default: %s", out);
	cr_assert_gt(last_param(out, "init=/bin/sh"), last_param(out, "noxsave"));
	cr_assert_gt(last_param(out, "init=/bin/sh"), last_param(out, "console=ttyS0"));
}

Test(cmdline, empty_user_text_adds_nothing)
{
	struct err err;
	int n0 = build(false, false, NULL, &err);
	char a[LAYOUT_CMDLINE_MAX];
	strcpy(a, out);
	int n1 = build(false, false, "", &err);
	cr_assert_eq(n0, n1);
	cr_assert_str_eq(a, out);
}

Test(cmdline, utf8_is_not_a_control_character)
{
	struct err err;
	cr_assert_gt(build(false, false, "x=caf\xc3\xa9", &err), 0, "%s", err.msg);
}

Test(cmdline, length_limit)
{
	struct err err;
	int base = build(false, false, NULL, &err);
	cr_assert_gt(base, 0);
	/* base + ' ' + user + NUL == sizeof(out): fits exactly. */
	size_t room = sizeof(out) - (size_t)base - 2;
	char user[LAYOUT_CMDLINE_MAX + 16];
	memset(user, 'a', room);
	user[room] = 0;
	int n = build(false, false, user, &err);
	cr_assert_eq(n, (int)sizeof(out) - 1, "%s", err.msg);
	cr_assert_eq(out[n], 0);
	/* One more byte does not. */
	user[room] = 'a';
	user[room + 1] = 0;
	cr_assert_eq(build(false, false, user, &err), -1);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
	cr_assert(strstr(err.msg, "--cmdline"), "%s", err.msg);
	cr_assert(strstr(err.msg, "2047"), "should state the limit: %s", err.msg);
}

Test(cmdline, far_too_long)
{
	static char user[100000];
	memset(user, 'x', sizeof(user) - 1);
	struct err err;
	cr_assert_eq(build(true, true, user, &err), -1);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
	cr_assert(strstr(err.msg, "limit"), "%s", err.msg);
}

Test(cmdline, small_buffer_is_not_overrun)
{
	char small[16 + 8];
	memset(small, 0x7e, sizeof(small));
	struct cmdline_opts o = { .console = true };
	struct err err = { 0 };
	cr_assert_eq(cmdline_build(small, 16, &o, &err), -1);
	cr_assert_eq(err.status, MVM_EXIT_BADARG);
	for (size_t i = 16; i < sizeof(small); i++)
		cr_assert_eq(small[i], 0x7e, "byte %zu past cap written", i);
}

Test(cmdline, control_characters_rejected)
{
	const char *bad[] = { "a\nb", "init=/x\tquiet", "\x01", "x\x1f", "x=\x7f", "\r", "a\x1b[0m" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err;
		cr_assert_eq(build(false, false, bad[i], &err), -1, "case %zu accepted", i);
		cr_assert_eq(err.status, MVM_EXIT_BADARG);
		cr_assert(strstr(err.msg, "--cmdline"), "%s", err.msg);
		cr_assert(strstr(err.msg, "control character"), "%s", err.msg);
	}
	struct err err;
	build(false, false, "abc\ndef", &err);
	cr_assert(strstr(err.msg, "offset 3"), "should say where: %s", err.msg);
}
