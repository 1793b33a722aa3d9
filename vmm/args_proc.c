/* mvm's options for the container process's groups, umask, rlimits and
 * confinement (args.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/args.h"

/* A number in [0, max] that ends at *end (base 10, or 8 for the umask). */
static int number(const char *s, int base, uint64_t max, uint64_t *out, const char **end)
{
	char *e;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &e, base);
	if (errno || v > max)
		return -1;
	*out = v;
	*end = e;
	return 0;
}

static int groups(struct mvm_args *a, const char *v, struct err *err)
{
	const char *p = v;
	a->ngroups = 0;
	while (*p) {
		uint64_t g;
		if (a->ngroups == MVM_MAX_GROUPS)
			return err_set(err, MVM_EXIT_BADARG, "--groups: at most %d", MVM_MAX_GROUPS);
		if (number(p, 10, UINT32_MAX - 1, &g, &p) < 0 || (*p && *p != ',') ||
		    (*p == ',' && !p[1]))
			return err_set(err, MVM_EXIT_BADARG, "--groups %s: expected GID[,GID...]", v);
		a->groups[a->ngroups++] = (uint32_t)g;
		p += *p == ',';
	}
	return 0;
}

static int rlimit(struct mvm_args *a, const char *v, struct err *err)
{
	uint64_t res, soft, hard;
	const char *p;
	if (a->nrlimits == MVM_MAX_RLIMITS)
		return err_set(err, MVM_EXIT_BADARG, "--rlimit: at most %d", MVM_MAX_RLIMITS);
	if (number(v, 10, 63, &res, &p) < 0 || *p++ != ':' ||
	    number(p, 10, UINT64_MAX, &soft, &p) < 0 || *p++ != ':' ||
	    number(p, 10, UINT64_MAX, &hard, &p) < 0 || *p || soft > hard)
		return err_set(err, MVM_EXIT_BADARG, "--rlimit %s: expected RESOURCE:SOFT:HARD as "
			       "numbers, soft at most hard", v);
	a->rlimits[a->nrlimits++] = (struct mvm_rlimit){ (uint32_t)res, soft, hard };
	return 0;
}

int args_proc(struct mvm_args *a, const char *opt, const char *v, struct err *err)
{
	uint64_t n;
	const char *end;
	if (!strcmp(opt, "groups"))
		return groups(a, v, err);
	if (!strcmp(opt, "rlimit"))
		return rlimit(a, v, err);
	if (!strcmp(opt, "umask")) {
		if (number(v, 8, 0777, &n, &end) < 0 || *end)
			return err_set(err, MVM_EXIT_BADARG, "--umask %s: expected an octal mask up "
				       "to 0777", v);
		a->umask = (uint32_t)n;
		return 0;
	}
	/* confine-fd */
	if (number(v, 10, 65535, &n, &end) < 0 || *end || n < 3 || fcntl((int)n, F_GETFD) < 0)
		return err_set(err, MVM_EXIT_BADARG, "--confine-fd %s: not an open fd above 2", v);
	a->confine_fd = (int)n;
	return 0;
}
