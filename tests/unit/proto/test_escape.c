/* proto_escape(): what mvm and mvrun print of the guest's words. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/escape.h"

static const char *esc(const char *s)
{
	static char out[256];
	return proto_escape(out, sizeof(out), s);
}

Test(escape, newlines_and_terminal_escapes_become_text)
{
	cr_assert_str_eq(esc("oops\nmvm: forged line"), "oops\\nmvm: forged line");
	cr_assert_str_eq(esc("\x1b[2J\x1b]0;title\x07"), "\\x1b[2J\\x1b]0;title\\x07");
	cr_assert_str_eq(esc("a\rb\tc\x7f"), "a\\rb\\tc\\x7f");
}

Test(escape, utf8_stays_c1_controls_and_bad_bytes_do_not)
{
	cr_assert_str_eq(esc("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x99\x82"), "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x99\x82");
	cr_assert_str_eq(esc("\xc2\x9b" "31m"), "\\xc2\\x9b31m", "C1 CSI in UTF-8");
	cr_assert_str_eq(esc("\x9b" "31m"), "\\x9b31m", "a lone 8-bit CSI");
	cr_assert_str_eq(esc("\xff\xc0\xaf"), "\\xff\\xc0\\xaf", "invalid and overlong");
	cr_assert_str_eq(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80", "a surrogate");
	cr_assert_str_eq(esc("\xe2\x82"), "\\xe2\\x82", "cut short at the end");
}

Test(escape, escaping_twice_changes_nothing)
{
	char once[256], twice[256];
	proto_escape(once, sizeof(once), "x\n\x1b\\y");
	proto_escape(twice, sizeof(twice), once);
	cr_assert_str_eq(once, "x\\n\\x1b\\y");
	cr_assert_str_eq(twice, once);
}

Test(escape, a_short_buffer_cuts_before_a_whole_escape)
{
	char out[6];
	cr_assert_str_eq(proto_escape(out, sizeof(out), "ab\x1b" "cd"), "ab");
	cr_assert_str_eq(proto_escape(out, sizeof(out), "abc\xc3\xa9x"), "abc\xc3\xa9");
	cr_assert_str_eq(proto_escape(out, sizeof(out), "abcd\xc3\xa9"), "abcd");
	cr_assert_str_eq(proto_escape(out, 1, "abc"), "");
}
