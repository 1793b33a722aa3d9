/* mvrun exec's options and the process they make (exec_opts.h). */
#include "runtime-shim/cmd/exec_opts.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "runtime-shim/plan/confine.h"

/* --additional-gids G, or a comma-separated list of them. */
static int add_gids(struct exec_opts *o, const char *v, struct err *err)
{
	const char *s = v;
	do {
		char *end;
		errno = 0;
		unsigned long g = strtoul(s, &end, 10);
		if (*s < '0' || *s > '9' || errno || g > UINT32_MAX - 1 || (*end && *end != ','))
			return err_set(err, 1, "exec: --additional-gids %s: want numeric gids", v);
		if (o->ngids == EXEC_MAX_GIDS)
			return err_set(err, 1, "exec: at most %d --additional-gids", EXEC_MAX_GIDS);
		o->gids[o->ngids++] = (uint32_t)g;
		s = *end ? end + 1 : end;
	} while (*s);
	return 0;
}

int exec_parse_opts(int argc, char **argv, struct exec_opts *o, struct err *err)
{
	static const struct option opts[] = {
		{ "process", required_argument, 0, 'p' }, { "detach", no_argument, 0, 'd' },
		{ "pid-file", required_argument, 0, 'P' }, { "tty", no_argument, 0, 't' },
		{ "console-socket", required_argument, 0, 's' }, { "cwd", required_argument, 0, 'C' },
		{ "env", required_argument, 0, 'e' },	  { "user", required_argument, 0, 'u' },
		{ "no-new-privs", no_argument, 0, 'N' },   { "preserve-fds", required_argument, 0, 'f' },
		{ "process-label", required_argument, 0, 'L' }, { "apparmor", required_argument, 0, 'A' },
		{ "cap", required_argument, 0, 'c' },	  { "additional-gids", required_argument, 0, 'g' },
		{ "ignore-paused", no_argument, 0, 'I' },  { "cgroup", required_argument, 0, 'G' },
		{ 0, 0, 0, 0 },
	};
	int c;
	while ((c = shim_getopt(argc, argv, "p:dtu:e:g:c:", opts, err)) != -1) {
		switch (c) {
		case -2: return -1;
		case 'p': o->process = optarg; break;
		case 'd': o->detach = true; break;
		case 'N': o->nnp = true; break;
		case 'I': o->ignore_paused = true; break;
		case 'P': o->pid_file = optarg; break;
		case 't': o->tty = true; break;
		case 's': o->console_socket = optarg; break;
		case 'C': o->cwd = optarg; break;
		case 'u': o->user = optarg; break;
		case 'A': o->apparmor = optarg; break;
		case 'L': o->label = optarg; break;
		case 'G': o->cgroup = optarg; break;
		case 'e':
			if (o->nenv == EXEC_MAX_ENV)
				return err_set(err, 1, "exec: at most %d --env", EXEC_MAX_ENV);
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return err_set(err, 1, "exec: --env %s: not NAME=VALUE", optarg);
			o->env[o->nenv++] = optarg;
			break;
		case 'c':
			if (cf_cap_number(optarg) < 0)
				return err_set(err, 1, "exec: --cap %s: not a capability name (such as "
					       "CAP_NET_ADMIN)", optarg);
			if (o->ncaps == EXEC_MAX_CAPS)
				return err_set(err, 1, "exec: at most %d --cap", EXEC_MAX_CAPS);
			o->caps[o->ncaps++] = optarg;
			break;
		case 'g':
			if (add_gids(o, optarg, err) < 0)
				return -1;
			break;
		case 'f':
			if (strcmp(optarg, "0"))
				return err_set(err, 1, "exec: --preserve-fds %s: host fds cannot be "
					       "passed into the VM", optarg);
			break;
		default: break;
		}
	}
	char usage[512];
	shim_usage("exec", usage, sizeof(usage));
	if (argc - optind < 1)
		return err_set(err, 1, "exec: missing argument (usage: %s)", usage);
	if (!o->process && argc - optind < 2)
		return err_set(err, 1, "exec: no command: give ARGS or --process (usage: %s)",
			       usage);
	if (o->process && argc - optind > 1)
		return err_set(err, 1, "exec: ARGS and --process are exclusive");
	if (o->tty && o->detach && !o->console_socket)
		return err_set(err, 1, "exec: --tty with --detach needs --console-socket");
	return 0;
}

static int parse_user(const char *v, struct cfg_process *p, struct err *err)
{
	char *end;
	errno = 0;
	unsigned long u = strtoul(v, &end, 10), gid = p->gid;
	if (*end == ':' && end[1] >= '0' && end[1] <= '9')
		gid = strtoul(end + 1, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end || errno || u > UINT32_MAX - 1 || gid > UINT32_MAX - 1)
		return err_set(err, 1, "exec: --user %s: want UID[:GID], numeric", v);
	p->uid = (uint32_t)u;
	p->gid = (uint32_t)gid;
	return 0;
}

/* Append o's --cap names to set s of p (the strings are o's, whose argv
 * outlives p). */
static int add_caps(struct cfg_process *p, int s, const struct exec_opts *o, struct err *err)
{
	const char **v = realloc(p->caps[s], ((size_t)p->ncaps[s] + (size_t)o->ncaps + 1) * sizeof(*v));
	if (!v)
		return err_set(err, 1, "out of memory");
	memcpy(v + p->ncaps[s], o->caps, (size_t)o->ncaps * sizeof(*v));
	p->ncaps[s] += o->ncaps;
	v[p->ncaps[s]] = NULL;
	p->caps[s] = v;
	return 0;
}

/* runc exec --cap: bounding, effective and permitted; ambient only when
 * the config has an inheritable set (the kernel raises an ambient cap only
 * if it is inheritable too). */
static int exec_caps(struct cfg_process *p, const struct exec_opts *o, struct err *err)
{
	if (!o->ncaps)
		return 0;
	bool ambient = p->caps[CFG_CAP_INHERITABLE] != NULL;
	p->has_capabilities = true;
	if (add_caps(p, CFG_CAP_BOUNDING, o, err) < 0 || add_caps(p, CFG_CAP_EFFECTIVE, o, err) < 0 ||
	    add_caps(p, CFG_CAP_PERMITTED, o, err) < 0 ||
	    (ambient && add_caps(p, CFG_CAP_AMBIENT, o, err) < 0))
		return -1;
	return 0;
}

static int exec_gids(struct cfg_process *p, const struct exec_opts *o, struct err *err)
{
	if (!o->ngids)
		return 0;
	size_t n = (size_t)p->nadditional_gids + (size_t)o->ngids;
	uint32_t *g = realloc(p->additional_gids, n * sizeof(*g));
	if (!g)
		return err_set(err, 1, "out of memory");
	memcpy(g + p->nadditional_gids, o->gids, (size_t)o->ngids * sizeof(*g));
	p->additional_gids = g;
	p->nadditional_gids = (int)n;
	return 0;
}

int exec_own_process(struct shim_ctx *g, const char *id, const struct exec_opts *o,
		     char **args, int nargs, struct cfg *c, struct err *err)
{
	char dir[PATH_MAX];
	if (store_path(g->root, id, NULL, dir, sizeof(dir), err) < 0 || cfg_load(dir, c, NULL, err) < 0)
		return -1;
	struct cfg_process *p = &c->process;
	const char **a = calloc((size_t)nargs + 1, sizeof(*a));
	const char **env = calloc((size_t)p->nenv + (size_t)o->nenv + 1, sizeof(*env));
	if (!a || !env) {
		free(a);
		free(env);
		return err_set(err, 1, "out of memory");
	}
	memcpy(a, args, (size_t)nargs * sizeof(*a));
	free(p->args);
	p->args = a;
	p->nargs = nargs;
	memcpy(env, p->env, (size_t)p->nenv * sizeof(*env));
	int n = p->nenv;
	for (int i = 0; i < o->nenv; i++) { /* --env replaces a variable of the same name */
		size_t k = (size_t)(strchr(o->env[i], '=') - o->env[i]) + 1;
		int j = 0;
		while (j < n && strncmp(env[j], o->env[i], k))
			j++;
		env[j] = o->env[i];
		n += j == n;
	}
	free(p->env);
	p->env = env;
	p->nenv = n;
	if (o->cwd && o->cwd[0] != '/')
		return err_set(err, 1, "exec: --cwd %s: must be an absolute path", o->cwd);
	if (o->cwd)
		p->cwd = o->cwd;
	if (o->user && parse_user(o->user, p, err) < 0)
		return -1;
	p->terminal = o->tty;
	return exec_caps(p, o, err) < 0 || exec_gids(p, o, err) < 0 ? -1 : 0;
}
