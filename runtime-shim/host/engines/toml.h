/* A TOML scanner for `mvrun setup`: it checks a whole file's syntax (TOML
 * 1.0: tables, arrays of tables, dotted and quoted keys, every string form,
 * arrays, inline tables, scalars) and records where each table header and
 * key/value statement is, so that setup can insert or replace one statement
 * and leave every other byte of the file as it was. It does not build values. */
#ifndef MVRUN_SHIM_TOML_H
#define MVRUN_SHIM_TOML_H

#include <stdbool.h>
#include <stddef.h>

#define TOML_MAX_DEPTH 8
#define TOML_MAX_SEG 128

/* One statement: a [table] / [[table]] header, or a key = value. */
struct toml_item {
	char path[TOML_MAX_DEPTH][TOML_MAX_SEG]; /* full key path, unquoted: table + key */
	int depth;
	int table_depth; /* key/value: the depth of the [table] it was stated under */
	bool header;   /* a [table] or [[table]] line */
	size_t start;  /* first byte of the statement */
	size_t end;    /* just past the statement's line (its newline, if any) */
	size_t vstart; /* key/value only: the value's first byte */
	size_t vend;   /* and just past its last */
};

struct toml_doc {
	struct toml_item *items; /* in file order; owned, free with toml_free */
	size_t n, cap;
};

/* Scan text (len bytes, need not be NUL-terminated). Returns 0 with doc
 * filled, or -1 with why ("line N: ...") and doc freed. */
int toml_scan(const char *text, size_t len, struct toml_doc *doc, char *why, size_t cap);

/* Free doc's items. */
void toml_free(struct toml_doc *doc);

/* The item whose path is exactly path[0..depth) and whose kind is `header`,
 * or NULL. */
const struct toml_item *toml_find(const struct toml_doc *doc, const char *const *path, int depth,
				  bool header);

/* Whether table path[0..depth) is defined, wholly or in part, by a key/value
 * stated above it: dotted keys or an inline table, which setup does not
 * edit (TOML forbids a [header] for it then). */
bool toml_defined_inline(const struct toml_doc *doc, const char *const *path, int depth);

#endif
