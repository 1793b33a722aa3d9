/* libFuzzer target: the TOML scanner of `mvrun setup` and its two editors.
 * Any input is scanned without a crash; whatever an editor writes scans
 * again, and a second edit of its output changes nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime-shim/host/engines/setup.h"
#include "runtime-shim/host/engines/toml.h"

static void edit_twice(int (*edit)(const struct setup_file *, const char *, char **, struct err *),
		       const struct setup_file *f)
{
	char *out = NULL;
	struct err err = { 0 };
	if (edit(f, "/usr/bin/mvrun", &out, &err) != SETUP_CHANGED)
		return;
	struct toml_doc doc;
	char why[256];
	if (toml_scan(out, strlen(out), &doc, why, sizeof(why)) < 0)
		abort(); /* setup wrote a file it cannot read back */
	toml_free(&doc);
	struct setup_file g = { .data = out, .len = strlen(out) };
	char *again = NULL;
	struct err err2 = { 0 };
	if (edit(&g, "/usr/bin/mvrun", &again, &err2) != SETUP_UNCHANGED)
		abort(); /* a second run must change nothing */
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	struct toml_doc doc;
	char why[256];
	if (toml_scan(text, size, &doc, why, sizeof(why)) == 0)
		toml_free(&doc);
	struct setup_file f = { .data = text, .len = size };
	edit_twice(setup_podman, &f);
	edit_twice(setup_containerd, &f);
	free(text);
	return 0;
}
