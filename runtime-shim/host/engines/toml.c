/* The TOML scanner of toml.h. Recursive descent over the bytes; it stops at
 * the first error, reported with its line. Nesting is capped so that a
 * hostile file cannot exhaust the stack. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime-shim/host/engines/toml.h"

#define MAX_NEST 64

struct scan {
	const char *s;
	size_t len, pos;
	char *why;
	size_t cap;
	int failed;
};

static int err(struct scan *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int err(struct scan *sc, const char *fmt, ...)
{
	if (sc->failed)
		return -1;
	sc->failed = 1;
	size_t line = 1;
	for (size_t i = 0; i < sc->pos && i < sc->len; i++)
		line += sc->s[i] == '\n';
	int n = snprintf(sc->why, sc->cap, "line %zu: ", line);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sc->cap)
		vsnprintf(sc->why + n, sc->cap - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int peek(const struct scan *sc, size_t off)
{
	return sc->pos + off < sc->len ? (unsigned char)sc->s[sc->pos + off] : -1;
}

static bool at(const struct scan *sc, const char *lit)
{
	size_t n = strlen(lit);
	return sc->pos + n <= sc->len && !memcmp(sc->s + sc->pos, lit, n);
}

static void skip_ws(struct scan *sc)
{
	while (peek(sc, 0) == ' ' || peek(sc, 0) == '\t')
		sc->pos++;
}

static void skip_comment(struct scan *sc)
{
	if (peek(sc, 0) == '#')
		while (sc->pos < sc->len && sc->s[sc->pos] != '\n')
			sc->pos++;
}

/* Whitespace, newlines and comments (inside arrays). */
static void skip_blank(struct scan *sc)
{
	for (;;) {
		skip_ws(sc);
		skip_comment(sc);
		if (peek(sc, 0) == '\n' || (peek(sc, 0) == '\r' && peek(sc, 1) == '\n'))
			sc->pos += peek(sc, 0) == '\r' ? 2 : 1;
		else
			return;
	}
}

/* End of a statement: optional comment, then a newline or the end. */
static int end_of_line(struct scan *sc)
{
	skip_ws(sc);
	skip_comment(sc);
	if (sc->pos >= sc->len)
		return 0;
	if (peek(sc, 0) == '\r' && peek(sc, 1) == '\n')
		sc->pos++;
	if (peek(sc, 0) != '\n')
		return err(sc, "unexpected '%c' after the statement", peek(sc, 0));
	sc->pos++;
	return 0;
}

/* A one-line string ("..." or '...'); its unescaped text to out (cap bytes)
 * when out is given. Escapes are kept as the two characters they are: setup
 * compares only keys, and none it looks for has one. */
static int one_line_string(struct scan *sc, char *out, size_t cap)
{
	int q = peek(sc, 0);
	size_t o = 0;
	sc->pos++;
	for (;;) {
		int c = peek(sc, 0);
		if (c < 0 || c == '\n')
			return err(sc, "unterminated string");
		sc->pos++;
		if (c == q)
			break;
		if (c == '\\' && q == '"') {
			if (peek(sc, 0) < 0 || peek(sc, 0) == '\n')
				return err(sc, "bad escape in a string");
			if (out && o + 1 < cap)
				out[o++] = (char)c;
			c = peek(sc, 0);
			sc->pos++;
		}
		if (out && o + 1 < cap)
			out[o++] = (char)c;
	}
	if (out)
		out[o] = 0;
	return 0;
}

static int multi_line_string(struct scan *sc)
{
	const char *delim = peek(sc, 0) == '"' ? "\"\"\"" : "'''";
	sc->pos += 3;
	for (;;) {
		if (sc->pos >= sc->len)
			return err(sc, "unterminated multi-line string");
		if (delim[0] == '"' && peek(sc, 0) == '\\') {
			sc->pos += 2;
			continue;
		}
		if (at(sc, delim)) {
			sc->pos += 3;
			/* Up to two quotes of the content may touch the delimiter. */
			for (int i = 0; i < 2 && peek(sc, 0) == delim[0]; i++)
				sc->pos++;
			return 0;
		}
		sc->pos++;
	}
}

static bool bare_char(int c)
{
	return c >= 0 && (isalnum(c) || c == '_' || c == '-');
}

/* A key: simple keys joined by dots, appended to path[*depth...]. */
static int key(struct scan *sc, char path[][TOML_MAX_SEG], int *depth)
{
	for (;;) {
		skip_ws(sc);
		if (*depth >= TOML_MAX_DEPTH)
			return err(sc, "key nested deeper than %d", TOML_MAX_DEPTH);
		char *seg = path[(*depth)++];
		int c = peek(sc, 0);
		if (c == '"' || c == '\'') {
			if (one_line_string(sc, seg, TOML_MAX_SEG) < 0)
				return -1;
		} else if (bare_char(c)) {
			size_t n = 0;
			while (bare_char(peek(sc, 0))) {
				if (n + 1 < TOML_MAX_SEG)
					seg[n++] = sc->s[sc->pos];
				sc->pos++;
			}
			seg[n] = 0;
		} else {
			return err(sc, "expected a key");
		}
		skip_ws(sc);
		if (peek(sc, 0) != '.')
			return 0;
		sc->pos++;
	}
}

static int value(struct scan *sc, int nest);

static int array(struct scan *sc, int nest)
{
	sc->pos++;
	for (;;) {
		skip_blank(sc);
		if (peek(sc, 0) == ']') {
			sc->pos++;
			return 0;
		}
		if (value(sc, nest + 1) < 0)
			return -1;
		skip_blank(sc);
		if (peek(sc, 0) == ',') {
			sc->pos++;
			continue;
		}
		if (peek(sc, 0) != ']')
			return err(sc, "expected ',' or ']' in an array");
	}
}

static int inline_table(struct scan *sc, int nest)
{
	sc->pos++;
	skip_ws(sc);
	if (peek(sc, 0) == '}') {
		sc->pos++;
		return 0;
	}
	for (;;) {
		char path[TOML_MAX_DEPTH][TOML_MAX_SEG];
		int depth = 0;
		if (key(sc, path, &depth) < 0)
			return -1;
		if (peek(sc, 0) != '=')
			return err(sc, "expected '=' after a key");
		sc->pos++;
		skip_ws(sc);
		if (value(sc, nest + 1) < 0)
			return -1;
		skip_ws(sc);
		if (peek(sc, 0) == '}') {
			sc->pos++;
			return 0;
		}
		if (peek(sc, 0) != ',')
			return err(sc, "expected ',' or '}' in an inline table");
		sc->pos++;
		skip_ws(sc);
	}
}

static bool scalar_char(int c)
{
	return c >= 0 && (isalnum(c) || c == '_' || c == '+' || c == '-' || c == '.' || c == ':');
}

/* Numbers, booleans, dates and times: a token, checked loosely (its first
 * character), with the one space a date-time may hold. */
static int scalar(struct scan *sc)
{
	size_t start = sc->pos;
	while (scalar_char(peek(sc, 0)))
		sc->pos++;
	size_t n = sc->pos - start;
	if (!n)
		return err(sc, "expected a value");
	const char *t = sc->s + start;
	if (n == 10 && isdigit((unsigned char)t[0]) && t[4] == '-' && t[7] == '-' && peek(sc, 0) == ' ' &&
	    isdigit(peek(sc, 1))) {
		sc->pos++;
		while (scalar_char(peek(sc, 0)))
			sc->pos++;
	}
	if (isdigit((unsigned char)t[0]) || t[0] == '+' || t[0] == '-')
		return 0;
	static const char *const words[] = { "true", "false", "inf", "nan" };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (n == strlen(words[i]) && !memcmp(t, words[i], n))
			return 0;
	sc->pos = start;
	return err(sc, "'%.*s' is not a value", (int)(n > 40 ? 40 : n), t);
}

static int value(struct scan *sc, int nest)
{
	if (nest > MAX_NEST)
		return err(sc, "values nested deeper than %d", MAX_NEST);
	int c = peek(sc, 0);
	if (at(sc, "\"\"\"") || at(sc, "'''"))
		return multi_line_string(sc);
	if (c == '"' || c == '\'')
		return one_line_string(sc, NULL, 0);
	if (c == '[')
		return array(sc, nest);
	if (c == '{')
		return inline_table(sc, nest);
	return scalar(sc);
}

static struct toml_item *add(struct toml_doc *doc)
{
	if (doc->n == doc->cap) {
		size_t cap = doc->cap ? doc->cap * 2 : 32;
		struct toml_item *p = realloc(doc->items, cap * sizeof(*p));
		if (!p)
			return NULL;
		doc->items = p;
		doc->cap = cap;
	}
	struct toml_item *it = &doc->items[doc->n++];
	memset(it, 0, sizeof(*it));
	return it;
}

int toml_scan(const char *text, size_t len, struct toml_doc *doc, char *why, size_t cap)
{
	struct scan sc = { .s = text, .len = len, .why = why, .cap = cap };
	char table[TOML_MAX_DEPTH][TOML_MAX_SEG];
	int tdepth = 0;
	memset(doc, 0, sizeof(*doc));
	if (memchr(text, 0, len)) {
		sc.pos = (size_t)((const char *)memchr(text, 0, len) - text);
		err(&sc, "a NUL byte");
		goto fail;
	}
	for (;;) {
		skip_blank(&sc);
		if (sc.pos >= len)
			return 0;
		struct toml_item *it = add(doc);
		if (!it) {
			err(&sc, "out of memory");
			goto fail;
		}
		it->start = sc.pos;
		if (peek(&sc, 0) == '[') {
			bool array_table = peek(&sc, 1) == '[';
			sc.pos += array_table ? 2 : 1;
			it->header = true;
			if (key(&sc, it->path, &it->depth) < 0)
				goto fail;
			if (!at(&sc, array_table ? "]]" : "]")) {
				err(&sc, "expected '%s' to close the table header", array_table ? "]]" : "]");
				goto fail;
			}
			sc.pos += array_table ? 2 : 1;
			memcpy(table, it->path, sizeof(table));
			tdepth = it->depth;
		} else {
			memcpy(it->path, table, sizeof(table));
			it->depth = it->table_depth = tdepth;
			if (key(&sc, it->path, &it->depth) < 0)
				goto fail;
			if (peek(&sc, 0) != '=') {
				err(&sc, "expected '=' after a key");
				goto fail;
			}
			sc.pos++;
			skip_ws(&sc);
			it->vstart = sc.pos;
			if (value(&sc, 0) < 0)
				goto fail;
			it->vend = sc.pos;
		}
		if (end_of_line(&sc) < 0)
			goto fail;
		it->end = sc.pos;
	}
fail:
	toml_free(doc);
	return -1;
}

void toml_free(struct toml_doc *doc)
{
	free(doc->items);
	memset(doc, 0, sizeof(*doc));
}

static bool prefix(const struct toml_item *it, const char *const *path, int depth)
{
	int n = it->depth < depth ? it->depth : depth;
	for (int i = 0; i < n; i++)
		if (strcmp(it->path[i], path[i]))
			return false;
	return true;
}

const struct toml_item *toml_find(const struct toml_doc *doc, const char *const *path, int depth,
				  bool header)
{
	for (size_t i = 0; i < doc->n; i++) {
		const struct toml_item *it = &doc->items[i];
		if (it->header == header && it->depth == depth && prefix(it, path, depth))
			return it;
	}
	return NULL;
}

bool toml_defined_inline(const struct toml_doc *doc, const char *const *path, int depth)
{
	for (size_t i = 0; i < doc->n; i++) {
		const struct toml_item *it = &doc->items[i];
		if (!it->header && it->table_depth < depth && prefix(it, path, depth))
			return true;
	}
	return false;
}
