/* setup podman and setup containerd: one key = value at a time in a TOML
 * file, placed under its table's header when the file has one, else in a
 * new table appended at the end. The scanner (toml.c) checks the whole file
 * first and gives each statement's bytes, so every other byte stays. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime-shim/host/engines/setup.h"
#include "runtime-shim/host/engines/toml.h"

struct text {
	char *s;
	size_t len;
};

/* A TOML basic string of s, with its quotes, in out (cap bytes). */
static int quote(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	if (cap < 3)
		return -1;
	out[o++] = '"';
	for (; *s; s++) {
		if (o + 4 >= cap)
			return -1;
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o++] = '"';
	out[o] = 0;
	return 0;
}

/* "[a.\"b.c\".d]" for a header line. */
static void render_table(const char *const *path, int depth, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "[");
	for (int i = 0; i < depth && o < cap; i++) {
		bool bare = *path[i] != 0;
		for (const char *p = path[i]; *p; p++)
			if (!(*p == '_' || *p == '-' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9')))
				bare = false;
		char q[TOML_MAX_SEG + 8];
		if (!bare && quote(path[i], q, sizeof(q)) < 0)
			q[0] = 0;
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "." : "", bare ? path[i] : q);
	}
	if (o < cap)
		snprintf(out + o, cap - o, "]");
}

static bool same_value(const char *a, size_t alen, const char *b)
{
	size_t j = 0, blen = strlen(b);
	for (size_t i = 0; i < alen; i++) {
		if (a[i] == ' ' || a[i] == '\t')
			continue;
		while (j < blen && (b[j] == ' ' || b[j] == '\t'))
			j++;
		if (j >= blen || a[i] != b[j++])
			return false;
	}
	while (j < blen && (b[j] == ' ' || b[j] == '\t'))
		j++;
	return j == blen;
}

/* t with [at, at+cut) replaced by ins. */
static int splice(struct text *t, size_t at, size_t cut, const char *ins)
{
	size_t n = strlen(ins), len = t->len - cut + n;
	char *s = malloc(len + 1);
	if (!s)
		return -1;
	memcpy(s, t->s, at);
	memcpy(s + at, ins, n);
	memcpy(s + at + n, t->s + at + cut, t->len - at - cut);
	s[len] = 0;
	free(t->s);
	t->s = s;
	t->len = len;
	return 0;
}

/* Make table.key = value (value as TOML text). Returns 1 if t changed, 0 if
 * it already held that, -1 with err. */
static int ensure(struct text *t, const char *const *table, int tdepth, const char *key, const char *value,
		  struct err *err)
{
	struct toml_doc doc;
	char why[256];
	if (toml_scan(t->s, t->len, &doc, why, sizeof(why)) < 0)
		return err_set(err, 1, "%s", why);
	const char *full[TOML_MAX_DEPTH];
	for (int i = 0; i < tdepth; i++)
		full[i] = table[i];
	full[tdepth] = key;
	char line[TOML_MAX_SEG * TOML_MAX_DEPTH + 64], head[TOML_MAX_SEG * TOML_MAX_DEPTH + 8];
	int r = 1;
	const struct toml_item *it = toml_find(&doc, full, tdepth + 1, false);
	bool table_below = false;
	for (size_t i = 0; i < doc.n && !it; i++) {
		const struct toml_item *h = &doc.items[i];
		bool same = h->header && h->depth > tdepth;
		for (int k = 0; same && k <= tdepth; k++)
			same = !strcmp(h->path[k], full[k]);
		table_below |= same;
	}
	if (table_below) {
		render_table(full, tdepth + 1, head, sizeof(head));
		r = err_set(err, 1, "%s is a table, not a key; remove it or set it by hand", head);
	} else if (it) {
		if (same_value(t->s + it->vstart, it->vend - it->vstart, value))
			r = 0;
		else if (splice(t, it->vstart, it->vend - it->vstart, value) < 0)
			r = err_set(err, 1, "out of memory");
	} else if ((it = toml_find(&doc, table, tdepth, true))) {
		snprintf(line, sizeof(line), "%s%s = %s\n", it->end == t->len && t->len && t->s[t->len - 1] != '\n' ? "\n" : "",
			 key, value);
		if (splice(t, it->end, 0, line) < 0)
			r = err_set(err, 1, "out of memory");
	} else if (toml_defined_inline(&doc, table, tdepth)) {
		render_table(table, tdepth, head, sizeof(head));
		r = err_set(err, 1, "%s is defined by dotted keys or an inline table; add %s = %s to it by hand",
			    head, key, value);
	} else {
		render_table(table, tdepth, head, sizeof(head));
		const char *sep = !t->len ? "" : t->s[t->len - 1] == '\n' ? "\n" : "\n\n";
		snprintf(line, sizeof(line), "%s%s\n%s = %s\n", sep, head, key, value);
		if (splice(t, t->len, 0, line) < 0)
			r = err_set(err, 1, "out of memory");
	}
	toml_free(&doc);
	return r;
}

static int start(const struct setup_file *f, struct text *t, struct err *err)
{
	t->len = f->len;
	t->s = malloc(f->len + 1);
	if (!t->s)
		return err_set(err, 1, "out of memory");
	memcpy(t->s, f->data, f->len + 1);
	return 0;
}

static int finish(struct text *t, int changed, char **out)
{
	if (changed < 0 || !changed) {
		free(t->s);
		return changed < 0 ? -1 : SETUP_UNCHANGED;
	}
	*out = t->s;
	return SETUP_CHANGED;
}

int setup_podman(const struct setup_file *f, const char *mvrun, char **out, struct err *err)
{
	struct text t;
	char q[4200], value[4300];
	if (quote(mvrun, q, sizeof(q)) < 0)
		return err_set(err, 1, "the path of mvrun is too long");
	snprintf(value, sizeof(value), "[%s]", q);
	if (start(f, &t, err) < 0)
		return -1;
	static const char *const table[] = { "engine", "runtimes" };
	return finish(&t, ensure(&t, table, 2, "mvrun", value, err), out);
}

int setup_containerd(const struct setup_file *f, const char *mvrun, char **out, struct err *err)
{
	struct text t;
	char q[4200];
	if (quote(mvrun, q, sizeof(q)) < 0)
		return err_set(err, 1, "the path of mvrun is too long");
	if (start(f, &t, err) < 0)
		return -1;
	struct toml_doc doc;
	char why[256];
	if (toml_scan(t.s, t.len, &doc, why, sizeof(why)) < 0) {
		free(t.s);
		return err_set(err, 1, "%s", why);
	}
	static const char *const version[] = { "version" };
	const struct toml_item *v = toml_find(&doc, version, 1, false);
	/* The CRI plugin's id by config version: 1 (no version key) "cri",
	 * 2 (containerd 1.x) io.containerd.grpc.v1.cri, 3 (2.x) the runtime's. */
	const char *cri = "cri";
	int changed = 0;
	if (v && same_value(t.s + v->vstart, v->vend - v->vstart, "2"))
		cri = "io.containerd.grpc.v1.cri";
	else if (v && same_value(t.s + v->vstart, v->vend - v->vstart, "3"))
		cri = "io.containerd.cri.v1.runtime";
	else if (v && !same_value(t.s + v->vstart, v->vend - v->vstart, "1"))
		changed = err_set(err, 1, "version = %.*s: not a config version mvrun knows (1, 2, 3)",
				  (int)(v->vend - v->vstart), t.s + v->vstart);
	bool empty = doc.n == 0;
	toml_free(&doc);
	if (changed == 0 && empty) {
		/* A new file: version 2, which containerd 1.6 and 1.7 read. */
		cri = "io.containerd.grpc.v1.cri";
		changed = splice(&t, 0, 0, "version = 2\n") < 0 ? err_set(err, 1, "out of memory") : 1;
	}
	const char *base[] = { "plugins", cri, "containerd", "runtimes", "mvrun", "options" };
	int r = changed < 0 ? -1 : ensure(&t, base, 5, "runtime_type", "\"io.containerd.runc.v2\"", err);
	changed = r < 0 ? -1 : changed | r;
	r = changed < 0 ? -1 : ensure(&t, base, 6, "BinaryName", q, err);
	changed = r < 0 ? -1 : changed | r;
	return finish(&t, changed, out);
}
