/* Templates: guests saved by mvm --snapshot-save at mvinit's save point,
 * kept in a root-only cache (MVRUN_CACHE, else /var/cache/mvrun/templates)
 * and restored by later creates of the same key (README, "Templates").
 * Used only with MVRUN_TEMPLATES=1 in mvrun's environment. */
#ifndef MVRUN_TEMPLATE_H
#define MVRUN_TEMPLATE_H

#include <limits.h>
#include <stdbool.h>

#include "common/err.h"
#include "runtime-shim/plan/spec2vm.h"

struct shim_ctx;

/* One create's view of its template. Zeroed means none. */
struct tpl {
	bool keyed;      /* a key was computed: the plan may use a template */
	bool restoring;  /* --restore DIR was added to the plan's argv */
	char mvm[PATH_MAX];
	char dir[PATH_MAX]; /* CACHE/KEY */
};

/* Before mvm starts: with templates on and a plan that fits one (no
 * --net), key the plan and, when that key's template is one mvm would
 * restore, add --restore to p's argv. A template mvm would not restore is
 * noted in --log and removed. Never fails the create: any problem leaves
 * the cold path. */
void tpl_prepare(struct tpl *t, const struct shim_ctx *g, struct s2v_plan *p);

/* After create (r: its result, err: its error): a restore mvm refused
 * (status 64) removes the template; a created container whose key has no
 * template starts a detached process that makes it, so later creates
 * restore. */
void tpl_finish(const struct tpl *t, const struct shim_ctx *g, const struct s2v_plan *p, int r,
		const struct err *err);

/* The canonical text of what decides a guest's state in argv (mvm's
 * command line): every flag, with the per-container values dropped (paths of
 * the root and shares, sockets, fds) and the kernel and initramfs named by
 * their dev/ino/size/mtime. NULL when argv cannot use a template (--net) or
 * a file is missing. malloc'd. */
char *tpl_argv_key(char *const *argv);

#endif
