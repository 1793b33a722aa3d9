/* mvrun list [-q] [--format table|json]: the containers under --root, as
 * runc lists them (a table with ID PID STATUS BUNDLE CREATED OWNER, the IDs
 * alone, or a JSON array of states). */
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime-shim/cmd/cmd.h"

struct row {
	struct store_state st;
	enum store_status status;
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->st.id, ((const struct row *)b)->st.id);
}

static void table(const struct row *rows, int n)
{
	/* runc pads with tabwriter: each column at least 12 wide, 3 spaces apart. */
	static const char *const head[6] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
	int w[6];
	char pid[24];
	for (int k = 0; k < 6; k++)
		w[k] = (int)strlen(head[k]);
	for (int i = 0; i < n; i++) {
		const struct store_state *s = &rows[i].st;
		const char *cols[6] = { s->id, "", store_status_name(rows[i].status), s->bundle,
					s->created, s->owner };
		snprintf(pid, sizeof(pid), "%d", rows[i].status == STORE_STOPPED ? 0 : (int)s->pid);
		cols[1] = pid;
		for (int k = 0; k < 6; k++)
			if (cols[k] && (int)strlen(cols[k]) > w[k])
				w[k] = (int)strlen(cols[k]);
	}
	for (int k = 0; k < 6; k++)
		w[k] = (w[k] + 3 > 12 ? w[k] + 3 : 12);
	printf("%-*s%-*s%-*s%-*s%-*s%s\n", w[0], head[0], w[1], head[1], w[2], head[2], w[3],
	       head[3], w[4], head[4], head[5]);
	for (int i = 0; i < n; i++) {
		const struct store_state *s = &rows[i].st;
		snprintf(pid, sizeof(pid), "%d", rows[i].status == STORE_STOPPED ? 0 : (int)s->pid);
		printf("%-*s%-*s%-*s%-*s%-*s%s\n", w[0], s->id, w[1], pid, w[2],
		       store_status_name(rows[i].status), w[3], s->bundle ? s->bundle : "", w[4],
		       s->created ? s->created : "", s->owner ? s->owner : "");
	}
}

static int json_list(const struct row *rows, int n, struct err *err)
{
	json_t *a = json_array();
	for (int i = 0; a && i < n; i++) {
		char *s = store_oci_state(&rows[i].st, rows[i].status, false);
		json_t *o = s ? json_loads(s, 0, NULL) : NULL;
		free(s);
		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	char *out = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	if (!out)
		return err_set(err, 1, "list: out of memory");
	printf("%s\n", out);
	free(out);
	return 0;
}

int shim_list(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = { { "quiet", no_argument, 0, 'q' },
					      { "format", required_argument, 0, 'f' },
					      { 0, 0, 0, 0 } };
	bool quiet = false, json = false;
	int c;
	while ((c = shim_getopt(argc, argv, "qf:", opts, err)) != -1) {
		if (c == -2)
			return err->status;
		if (c == 'q')
			quiet = true;
		else if (!strcmp(optarg, "json"))
			json = true;
		else if (strcmp(optarg, "table"))
			return err_set(err, 1, "list: --format %s: must be table or json", optarg), 1;
	}
	if (shim_operands(argc, argv, 0, err) < 0)
		return err->status;
	struct row *rows = NULL;
	int n = 0;
	DIR *d = opendir(g->root);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct err ignored = { 0 };
		struct store_state st;
		if (e->d_name[0] == '.' || store_read(g->root, e->d_name, &st, NULL, &ignored) < 0)
			continue; /* being created or deleted, or not ours */
		struct row *r = realloc(rows, (size_t)(n + 1) * sizeof(*rows));
		if (!r) {
			store_free(&st);
			break;
		}
		rows = r;
		rows[n].st = st;
		rows[n].status = store_current(&st);
		n++;
	}
	if (d)
		closedir(d);
	if (n > 1) /* qsort takes no NULL base, even for no rows */
		qsort(rows, (size_t)n, sizeof(*rows), by_id);
	int status = 0;
	if (quiet)
		for (int i = 0; i < n; i++)
			printf("%s\n", rows[i].st.id);
	else if (json)
		status = json_list(rows, n, err) < 0 ? err->status : 0;
	else
		table(rows, n);
	for (int i = 0; i < n; i++)
		store_free(&rows[i].st);
	free(rows);
	return status;
}
