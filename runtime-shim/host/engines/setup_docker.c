/* setup docker: "runtimes": {"mvrun": {"path": MVRUN}} in daemon.json. The
 * file is rewritten by jansson (members keep their order); any other member
 * of runtimes.mvrun (runtimeArgs) is kept. */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "runtime-shim/host/engines/setup.h"

static bool blank(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return !*s;
}

int setup_docker(const struct setup_file *f, const char *mvrun, char **out, struct err *err)
{
	json_error_t je;
	json_t *root = blank(f->data) ? json_object() : json_loads(f->data, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return err_set(err, 1, "line %d: %s", je.line, je.text);
	int r = -1;
	if (!json_is_object(root)) {
		err_set(err, 1, "not a JSON object");
		goto out;
	}
	json_t *rts = json_object_get(root, "runtimes");
	if (rts && !json_is_object(rts)) {
		err_set(err, 1, "\"runtimes\" is not an object");
		goto out;
	}
	if (!rts && json_object_set_new(root, "runtimes", rts = json_object()) < 0)
		goto oom;
	json_t *mine = json_object_get(rts, "mvrun");
	if (mine && !json_is_object(mine)) {
		err_set(err, 1, "\"runtimes\".\"mvrun\" is not an object");
		goto out;
	}
	json_t *path = mine ? json_object_get(mine, "path") : NULL;
	if (path && json_is_string(path) && !strcmp(json_string_value(path), mvrun)) {
		r = SETUP_UNCHANGED;
		goto out;
	}
	if (!mine && json_object_set_new(rts, "mvrun", mine = json_object()) < 0)
		goto oom;
	if (json_object_set_new(mine, "path", json_string(mvrun)) < 0)
		goto oom;
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		goto oom;
	size_t n = strlen(text);
	*out = malloc(n + 2);
	if (!*out) {
		free(text);
		goto oom;
	}
	memcpy(*out, text, n);
	memcpy(*out + n, "\n", 2);
	free(text);
	r = SETUP_CHANGED;
	goto out;
oom:
	err_set(err, 1, "out of memory");
out:
	json_decref(root);
	return r;
}
