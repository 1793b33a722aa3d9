/* mvrun ps [--format table|json] ID [PS_ARGS...]: the container's host
 * processes, as runc lists them: the pids in its cgroup (mvm, and the host
 * process of each exec), or mvm alone when it has no cgroup. json prints
 * the array of pids (what the containerd shim reads); table runs ps(1) with
 * PS_ARGS (default -ef) and keeps the header and the container's rows. The
 * processes inside the guest are not host processes and are not listed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime-shim/host/cgroup/cgroup.h"
#include "runtime-shim/cmd/cmd.h"

#define PS_MAX_PIDS 4096

static int pids_of(const struct store_state *st, pid_t *out, struct err *err)
{
	if (!st->cgroup_path) {
		out[0] = st->pid;
		return 1;
	}
	struct cg_layout l;
	if (cg_detect(&l, "/sys/fs/cgroup", err) < 0)
		return -1;
	return cg_pids(&l, st->cgroup_path, out, PS_MAX_PIDS, err);
}

/* Which whitespace-separated column of the header is "PID" (from 0). */
static int pid_column(const char *header)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", header);
	int col = 0;
	for (char *save, *t = strtok_r(buf, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++)
		if (!strcmp(t, "PID"))
			return col;
	return -1;
}

static bool row_in(const char *line, int col, const pid_t *pids, int n)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", line);
	char *save, *t = strtok_r(buf, " \t\n", &save);
	for (int i = 0; t && i < col; i++)
		t = strtok_r(NULL, " \t\n", &save);
	if (!t)
		return false;
	long pid = strtol(t, NULL, 10);
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Run ps ARGS (default -ef) with its stdout on a pipe; keep its header and
 * the rows whose PID column is one of pids. */
static int table(char **ps_args, int nargs, const pid_t *pids, int n, struct err *err)
{
	char *def[] = { "ps", "-ef", NULL };
	char **av = def;
	if (nargs) {
		av = calloc((size_t)nargs + 2, sizeof(*av));
		if (!av)
			return err_set(err, 1, "ps: out of memory");
		av[0] = "ps";
		memcpy(av + 1, ps_args, (size_t)nargs * sizeof(*av));
	}
	int p[2];
	pid_t child = -1;
	if (pipe2(p, O_CLOEXEC) == 0) {
		fflush(NULL);
		child = fork();
		if (child == 0) {
			dup2(p[1], 1);
			execvp("ps", av);
			_exit(127);
		}
		close(p[1]);
	}
	if (av != def)
		free(av);
	if (child < 0)
		return err_sys(err, 1, errno, "ps: run ps");
	FILE *f = fdopen(p[0], "r");
	char line[4096];
	int col = -1;
	if (f && fgets(line, sizeof(line), f)) {
		fputs(line, stdout);
		col = pid_column(line);
	}
	while (f && fgets(line, sizeof(line), f))
		if (col >= 0 && row_in(line, col, pids, n))
			fputs(line, stdout);
	f ? fclose(f) : close(p[0]);
	int ws;
	while (waitpid(child, &ws, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		return err_set(err, 1, "ps: ps exited with status %d", WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
	if (col < 0)
		return err_set(err, 1, "ps: no PID column in ps's output");
	return 0;
}

int shim_ps(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	static const struct option opts[] = { { "format", required_argument, 0, 'f' },
					      { 0, 0, 0, 0 } };
	bool json = false;
	int c;
	while ((c = shim_getopt(argc, argv, "f:", opts, err)) != -1) {
		if (c == -2)
			return err->status;
		if (!strcmp(optarg, "json"))
			json = true;
		else if (strcmp(optarg, "table"))
			return err_set(err, 1, "ps: --format %s: must be table or json", optarg), 1;
	}
	if (optind >= argc)
		return shim_operands(argc, argv, 1, err), err->status;
	const char *id = argv[optind];
	struct store_state st;
	if (store_read(g->root, id, &st, NULL, err) < 0)
		return err->status;
	pid_t *pids = calloc(PS_MAX_PIDS, sizeof(*pids));
	int n = 0;
	if (!pids)
		err_set(err, 1, "ps: out of memory");
	else if (store_current(&st) == STORE_STOPPED)
		n = 0; /* runc lists nothing for a stopped container */
	else
		n = pids_of(&st, pids, err);
	if (!err->status && json) {
		printf("[");
		for (int i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
	} else if (!err->status) {
		table(argv + optind + 1, argc - optind - 1, pids, n, err);
	}
	free(pids);
	store_free(&st);
	return err->status;
}
