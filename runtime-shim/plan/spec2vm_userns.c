/* The container's user namespace (config-linux.md "User namespace
 * mappings"): mvinit makes it in the guest with the config's maps, so the
 * maps are checked here as runc and the kernel would check them, each
 * refusal naming the field instead of a bare EINVAL from the guest. */
#include <stdio.h>
#include <string.h>

#include "runtime-shim/plan/spec2vm_int.h"

/* Two entries of one map whose container ranges or host ranges share an
 * id: the kernel refuses the uid_map write (mappings_overlap()). */
static int check_overlaps(const char *field, const struct cfg_idmap *m, int n,
			  struct err *err)
{
	for (int j = 1; j < n; j++)
		for (int i = 0; i < j; i++) {
			const struct cfg_idmap *a = &m[i], *b = &m[j];
			bool cont = (uint64_t)a->container_id < (uint64_t)b->container_id + b->size &&
				    (uint64_t)b->container_id < (uint64_t)a->container_id + a->size;
			bool host = (uint64_t)a->host_id < (uint64_t)b->host_id + b->size &&
				    (uint64_t)b->host_id < (uint64_t)a->host_id + a->size;
			if (!cont && !host)
				continue;
			char f[48];
			snprintf(f, sizeof(f), "%s[%d]", field, j);
			const char *what = cont ? "containerID" : "hostID";
			uint32_t alo = cont ? a->container_id : a->host_id;
			uint32_t blo = cont ? b->container_id : b->host_id;
			return s2v_bad(err, f, "%s range %u-%u overlaps %s[%d]'s %u-%u", what, blo,
				       blo + (b->size - 1), field, i, alo, alo + (a->size - 1));
		}
	return 0;
}

const char *s2v_unmapped(const struct cfg_process *pr, const struct cfg_linux *l, char *buf,
			 size_t len, uint32_t *id)
{
	if (!l->nuid_mappings && !l->ngid_mappings)
		return NULL;
	if (!cfg_idmap_has(l->uid_mappings, l->nuid_mappings, pr->uid)) {
		*id = pr->uid;
		return "process.user.uid";
	}
	if (!cfg_idmap_has(l->gid_mappings, l->ngid_mappings, pr->gid)) {
		*id = pr->gid;
		return "process.user.gid";
	}
	for (int i = 0; i < pr->nadditional_gids; i++)
		if (!cfg_idmap_has(l->gid_mappings, l->ngid_mappings, pr->additional_gids[i])) {
			*id = pr->additional_gids[i];
			snprintf(buf, len, "process.user.additionalGids[%d]", i);
			return buf;
		}
	return NULL;
}

int s2v_userns(const struct cfg *c, struct s2v_plan *p, struct err *err)
{
	const struct cfg_linux *l = &c->lx;
	const char *userns = NULL;
	char f[48];
	(void)p;
	for (int i = 0; i < l->nnamespaces; i++)
		if (!strcmp(l->namespaces[i].type, "user")) {
			snprintf(f, sizeof(f), "linux.namespaces[%d]", i);
			userns = f;
		}
	if (!userns) {
		if (l->nuid_mappings || l->ngid_mappings)
			return s2v_bad(err, l->nuid_mappings ? "linux.uidMappings" : "linux.gidMappings",
				       "given, but linux.namespaces has no user namespace");
		return 0;
	}
	if (!l->nuid_mappings || !l->ngid_mappings)
		return s2v_bad(err, userns, "a user namespace needs both linux.uidMappings and "
					    "linux.gidMappings; %s missing or empty",
			       l->nuid_mappings ? "linux.gidMappings is"
			       : l->ngid_mappings ? "linux.uidMappings is" : "both are");
	if (check_overlaps("linux.uidMappings", l->uid_mappings, l->nuid_mappings, err) < 0 ||
	    check_overlaps("linux.gidMappings", l->gid_mappings, l->ngid_mappings, err) < 0)
		return -1;
	char buf[48];
	uint32_t id;
	const char *field = s2v_unmapped(&c->process, l, buf, sizeof(buf), &id);
	if (field)
		return s2v_bad(err, field, "%u is not mapped by linux.%s", id,
			       strstr(field, ".uid") ? "uidMappings" : "gidMappings");
	for (int i = 0; i < l->ndevices; i++) {
		const struct cfg_device *d = &l->devices[i];
		bool uid_bad = d->has_uid && !cfg_idmap_has(l->uid_mappings, l->nuid_mappings, d->uid);
		if (uid_bad ||
		    (d->has_gid && !cfg_idmap_has(l->gid_mappings, l->ngid_mappings, d->gid))) {
			snprintf(buf, sizeof(buf), "linux.devices[%d].%s", i, uid_bad ? "uid" : "gid");
			return s2v_bad(err, buf, "%u is not mapped by linux.%s",
				       uid_bad ? d->uid : d->gid, uid_bad ? "uidMappings" : "gidMappings");
		}
	}
	return 0;
}
