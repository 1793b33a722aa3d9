#include "proto/escape.h"

#include <stdint.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at s that is not a C1 control, or 0. */
static size_t utf8_ok(const uint8_t *s)
{
	uint8_t c = s[0];
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 && !(c == 0xc2 && s[1] < 0xa0) ? 2 : 0;
	uint8_t lo = 0x80, hi = 0xbf;
	size_t n;
	if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
		hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf; /* at most U+10FFFF */
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) /* a NUL stops here: it is not 10xxxxxx */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

char *proto_escape(char *dst, size_t cap, const char *src)
{
	const uint8_t *s = (const uint8_t *)src;
	size_t o = 0;
	while (*s) {
		char esc[5];
		const char *out = (const char *)s;
		size_t n = 1;
		if (*s >= 0x80) {
			n = utf8_ok(s);
		} else if (*s < 0x20 || *s == 0x7f) {
			n = 0;
		}
		if (n == 0) {
			n = 1;
			out = esc;
			if (*s == '\n' || *s == '\r' || *s == '\t')
				snprintf(esc, sizeof(esc), "\\%c", *s == '\n' ? 'n' : *s == '\r' ? 'r' : 't');
			else
				snprintf(esc, sizeof(esc), "\\x%02x", *s);
		}
		size_t len = out == esc ? (esc[1] == 'x' ? 4 : 2) : n;
		if (o + len >= cap)
			break;
		for (size_t i = 0; i < len; i++)
			dst[o++] = out[i];
		s += n;
	}
	dst[o] = 0;
	return dst;
}
