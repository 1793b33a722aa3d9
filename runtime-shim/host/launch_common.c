/* What a container's create and a pod member's create share on the host
 * (launch_int.h). */
#include "runtime-shim/host/launch_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int launch_make_stages(const struct s2v_plan *plan, struct err *err)
{
	char d[PATH_MAX];
	for (int i = 0; i < plan->nfiles; i++) {
		const char *stage = plan->files[i].stage, *slash = strrchr(stage, '/');
		snprintf(d, sizeof(d), "%.*s", (int)(slash - stage), stage);
		if (mkdir(d, 0700) < 0 && errno != EEXIST)
			return err_sys(err, 1, errno, "mkdir %s", d);
		int fd = open(stage, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return err_sys(err, 1, errno, "create %s", stage);
		close(fd);
	}
	return 0;
}

int launch_fill_state(struct store_state *st, const char *id, const char *bundle,
		      const struct s2v_plan *plan, const struct cfg *cfg, struct err *err)
{
	char now[64];
	struct passwd *pw = getpwuid(geteuid());
	snprintf(st->id, sizeof(st->id), "%s", id);
	st->status = STORE_CREATING;
	store_now(now, sizeof(now));
	st->bundle = strdup(bundle);
	st->rootfs = strdup(plan->rootfs);
	st->created = strdup(now);
	st->owner = strdup(pw ? pw->pw_name : "");
	st->cgroup_path = plan->cgroups_path ? strdup(plan->cgroups_path) : NULL;
	json_t *ann = json_object();
	for (int i = 0; ann && i < cfg->nannotations; i++)
		json_object_set_new(ann, cfg->annotations[i].key,
				    json_string(cfg->annotations[i].value));
	st->annotations = ann;
	if (!st->bundle || !st->rootfs || !st->created || !st->owner || !ann ||
	    (plan->cgroups_path && !st->cgroup_path))
		return err_set(err, 1, "out of memory");
	return 0;
}
