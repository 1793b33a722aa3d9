/* config.json → struct cfg. Types and required fields are checked here, with
 * the field's JSON path in every message; unknown fields are ignored, as the
 * runtime spec requires. JSON null counts as absent (Go's encoding/json, which
 * engines use, writes null for empty slices and maps).
 */
#include "runtime-shim/oci/config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-shim/oci/config_json.h"

const char *const cfg_hook_names[CFG_HOOK_KINDS] = {
	"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

static const char *const rlimit_names[] = {
	"RLIMIT_AS",	  "RLIMIT_CORE",   "RLIMIT_CPU",	"RLIMIT_DATA",	 "RLIMIT_FSIZE",
	"RLIMIT_LOCKS",	  "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",	 "RLIMIT_NOFILE",
	"RLIMIT_NPROC",	  "RLIMIT_RSS",	   "RLIMIT_RTPRIO",	"RLIMIT_RTTIME", "RLIMIT_SIGPENDING",
	"RLIMIT_STACK",
};

static int parse_user(json_t *proc, struct cfg_process *p, struct err *err)
{
	json_t *u;
	if (cj_obj(proc, "user", "process.user", false, &u, err) < 0)
		return -1;
	if (!u)
		return 0; /* runc runs as 0:0 */
	if (cj_u32(u, "uid", "process.user.uid", true, NULL, &p->uid, err) < 0 ||
	    cj_u32(u, "gid", "process.user.gid", true, NULL, &p->gid, err) < 0 ||
	    cj_u32(u, "umask", "process.user.umask", false, &p->has_umask, &p->umask, err) < 0)
		return -1;
	if (p->has_umask && p->umask > 0777)
		return cj_bad(err, "process.user.umask", "%#o is not a file mode mask", p->umask);
	json_t *g;
	size_t n;
	if (cj_arr(u, "additionalGids", "process.user.additionalGids", false, &g, &n, err) < 0)
		return -1;
	if (!(p->additional_gids = cj_alloc(n, sizeof(uint32_t), err)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		char f[64];
		snprintf(f, sizeof(f), "process.user.additionalGids[%zu]", i);
		if (cj_u32_value(json_array_get(g, i), f, &p->additional_gids[i], err) < 0)
			return -1;
	}
	p->nadditional_gids = (int)n;
	return 0;
}

static int parse_rlimits(json_t *proc, struct cfg_process *p, struct err *err)
{
	json_t *a;
	size_t n;
	if (cj_arr(proc, "rlimits", "process.rlimits", false, &a, &n, err) < 0)
		return -1;
	if (!(p->rlimits = cj_alloc(n, sizeof(*p->rlimits), err)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(a, i);
		struct cfg_rlimit *l = &p->rlimits[i];
		char f[96], ft[128], fs[128], fh[128];
		snprintf(f, sizeof(f), "process.rlimits[%zu]", i);
		snprintf(ft, sizeof(ft), "%s.type", f);
		snprintf(fs, sizeof(fs), "%s.soft", f);
		snprintf(fh, sizeof(fh), "%s.hard", f);
		if (!json_is_object(r))
			return cj_bad(err, f, "must be an object");
		if (cj_str(r, "type", ft, true, &l->type, err) < 0 ||
		    cj_u64(r, "soft", fs, true, NULL, &l->soft, err) < 0 ||
		    cj_u64(r, "hard", fh, true, NULL, &l->hard, err) < 0)
			return -1;
		bool known = false;
		for (size_t k = 0; k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
			known |= !strcmp(l->type, rlimit_names[k]);
		if (!known)
			return cj_bad(err, ft, "unknown resource \"%s\"", l->type);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(p->rlimits[k].type, l->type))
				return cj_bad(err, ft, "%s is given twice", l->type);
		if (l->soft > l->hard)
			return cj_bad(err, f, "soft limit %llu is above the hard limit %llu",
				      (unsigned long long)l->soft, (unsigned long long)l->hard);
	}
	p->nrlimits = (int)n;
	return 0;
}

const char *const cfg_cap_set_names[CFG_CAP_SETS] = { "bounding", "effective", "permitted",
						       "inheritable", "ambient" };

static int parse_capabilities(json_t *proc, struct cfg_process *p, struct err *err)
{
	json_t *caps;
	if (cj_obj(proc, "capabilities", "process.capabilities", false, &caps, err) < 0)
		return -1;
	p->has_capabilities = caps != NULL;
	for (int i = 0; caps && i < CFG_CAP_SETS; i++) {
		char f[96];
		snprintf(f, sizeof(f), "process.capabilities.%s", cfg_cap_set_names[i]);
		if (cj_strs(caps, cfg_cap_set_names[i], f, &p->caps[i], &p->ncaps[i], err) < 0)
			return -1;
		for (int k = 0; k < p->ncaps[i]; k++)
			if (strncmp(p->caps[i][k], "CAP_", 4) != 0)
				return cj_bad(err, f, "\"%s\" is not a capability name (CAP_...)",
					      p->caps[i][k]);
	}
	return 0;
}

static int parse_process(json_t *root, struct cfg *c, struct err *err)
{
	json_t *proc, *cs;
	struct cfg_process *p = &c->process;
	if (cj_obj(root, "process", "process", true, &proc, err) < 0)
		return -1;
	c->has_process = true;
	if (!json_is_array(cj_get(proc, "args")) || json_array_size(cj_get(proc, "args")) == 0)
		return cj_bad(err, "process.args", "must be a non-empty array of strings");
	if (cj_strs(proc, "args", "process.args", &p->args, &p->nargs, err) < 0)
		return -1;
	if (!p->args[0][0])
		return cj_bad(err, "process.args[0]", "must not be empty");
	if (cj_strs(proc, "env", "process.env", &p->env, &p->nenv, err) < 0)
		return -1;
	for (int i = 0; i < p->nenv; i++) {
		const char *eq = strchr(p->env[i], '=');
		char f[96];
		snprintf(f, sizeof(f), "process.env[%d]", i);
		if (!eq || eq == p->env[i])
			return cj_bad(err, f, "\"%s\" is not NAME=VALUE", p->env[i]);
	}
	if (cj_str(proc, "cwd", "process.cwd", true, &p->cwd, err) < 0)
		return -1;
	if (p->cwd[0] != '/')
		return cj_bad(err, "process.cwd", "\"%s\" must be an absolute path", p->cwd);
	if (cj_bool(proc, "terminal", "process.terminal", &p->terminal, err) < 0 ||
	    cj_obj(proc, "consoleSize", "process.consoleSize", false, &cs, err) < 0)
		return -1;
	if (cs && (cj_u32(cs, "height", "process.consoleSize.height", true, NULL,
			  &p->console_height, err) < 0 ||
		   cj_u32(cs, "width", "process.consoleSize.width", true, NULL, &p->console_width,
			  err) < 0))
		return -1;
	if (parse_user(proc, p, err) < 0 || parse_rlimits(proc, p, err) < 0 ||
	    parse_capabilities(proc, p, err) < 0)
		return -1;
	if (cj_bool(proc, "noNewPrivileges", "process.noNewPrivileges", &p->no_new_privileges,
		    err) < 0 ||
	    cj_str(proc, "apparmorProfile", "process.apparmorProfile", false, &p->apparmor_profile,
		   err) < 0 ||
	    cj_str(proc, "selinuxLabel", "process.selinuxLabel", false, &p->selinux_label, err) < 0)
		return -1;
	int64_t oom = 0;
	if (cj_i64(proc, "oomScoreAdj", "process.oomScoreAdj", &p->has_oom_score_adj, &oom, err) < 0)
		return -1;
	if (p->has_oom_score_adj && (oom < -1000 || oom > 1000))
		return cj_bad(err, "process.oomScoreAdj", "%lld is not from -1000 to 1000",
			      (long long)oom);
	p->oom_score_adj = (int)oom;
	p->has_io_priority = cj_get(proc, "ioPriority") != NULL;
	p->has_scheduler = cj_get(proc, "scheduler") != NULL;
	return 0;
}

static int parse_mounts(json_t *root, struct cfg *c, struct err *err)
{
	json_t *a;
	size_t n;
	if (cj_arr(root, "mounts", "mounts", false, &a, &n, err) < 0)
		return -1;
	if (!(c->mounts = cj_alloc(n, sizeof(*c->mounts), err)))
		return -1;
	c->nmounts = (int)n; /* so cfg_free releases the options parsed so far */
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(a, i);
		struct cfg_mount *cm = &c->mounts[i];
		char f[96], fd[128], ft[128], fs[128], fo[128];
		snprintf(f, sizeof(f), "mounts[%zu]", i);
		snprintf(fd, sizeof(fd), "%s.destination", f);
		snprintf(ft, sizeof(ft), "%s.type", f);
		snprintf(fs, sizeof(fs), "%s.source", f);
		snprintf(fo, sizeof(fo), "%s.options", f);
		if (!json_is_object(m))
			return cj_bad(err, f, "must be an object");
		if (cj_str(m, "destination", fd, true, &cm->destination, err) < 0 ||
		    cj_str(m, "type", ft, false, &cm->type, err) < 0 ||
		    cj_str(m, "source", fs, false, &cm->source, err) < 0 ||
		    cj_strs(m, "options", fo, &cm->options, &cm->noptions, err) < 0)
			return -1;
		if (!cm->destination[0])
			return cj_bad(err, fd, "must not be empty");
		cm->has_idmap = cj_get(m, "uidMappings") || cj_get(m, "gidMappings");
	}
	return 0;
}

static int parse_hooks(json_t *root, struct cfg *c, struct err *err)
{
	json_t *hooks;
	if (cj_obj(root, "hooks", "hooks", false, &hooks, err) < 0)
		return -1;
	for (int k = 0; hooks && k < CFG_HOOK_KINDS; k++) {
		char fk[48];
		json_t *a;
		size_t n;
		snprintf(fk, sizeof(fk), "hooks.%s", cfg_hook_names[k]);
		if (cj_arr(hooks, cfg_hook_names[k], fk, false, &a, &n, err) < 0)
			return -1;
		if (!(c->hooks[k] = cj_alloc(n, sizeof(struct hook), err)))
			return -1;
		c->nhooks[k] = (int)n;
		for (size_t i = 0; i < n; i++) {
			json_t *h = json_array_get(a, i);
			struct hook *hk = &c->hooks[k][i];
			char f[96], fp[128], fa[128], fe[128], ft[128];
			snprintf(f, sizeof(f), "%s[%zu]", fk, i);
			snprintf(fp, sizeof(fp), "%s.path", f);
			snprintf(fa, sizeof(fa), "%s.args", f);
			snprintf(fe, sizeof(fe), "%s.env", f);
			snprintf(ft, sizeof(ft), "%s.timeout", f);
			if (!json_is_object(h))
				return cj_bad(err, f, "must be an object");
			int na, ne;
			int64_t t = 0;
			bool has_t;
			if (cj_str(h, "path", fp, true, &hk->path, err) < 0 ||
			    cj_strs(h, "args", fa, (const char ***)&hk->args, &na, err) < 0 ||
			    cj_strs(h, "env", fe, (const char ***)&hk->env, &ne, err) < 0 ||
			    cj_i64(h, "timeout", ft, &has_t, &t, err) < 0)
				return -1;
			if (hk->path[0] != '/')
				return cj_bad(err, fp, "\"%s\" must be an absolute path", hk->path);
			if (has_t && (t <= 0 || t > 86400))
				return cj_bad(err, ft, "must be from 1 to 86400 seconds");
			hk->timeout = (int)t;
		}
	}
	return 0;
}

static int parse_root(json_t *doc, struct cfg *c, struct err *err)
{
	json_t *root;
	if (cj_str(doc, "ociVersion", "ociVersion", true, &c->oci_version, err) < 0)
		return -1;
	const char *v = c->oci_version;
	size_t digits = strspn(v, "0123456789");
	if (!digits || (v[digits] != '.' && v[digits] != 0))
		return cj_bad(err, "ociVersion", "\"%s\" is not a version (1.x.y)", v);
	if (digits != 1 || v[0] != '1')
		return cj_bad(err, "ociVersion", "\"%s\" is not supported: mvrun reads 1.x configs", v);
	if (cj_obj(doc, "root", "root", true, &root, err) < 0 ||
	    cj_str(root, "path", "root.path", true, &c->root_path, err) < 0 ||
	    cj_bool(root, "readonly", "root.readonly", &c->root_readonly, err) < 0)
		return -1;
	if (!c->root_path[0])
		return cj_bad(err, "root.path", "must not be empty");
	if (cj_str(doc, "hostname", "hostname", false, &c->hostname, err) < 0 ||
	    cj_str(doc, "domainname", "domainname", false, &c->domainname, err) < 0)
		return -1;
	return cj_kvs(doc, "annotations", "annotations", &c->annotations, &c->nannotations, err);
}

int cfg_parse(const char *text, size_t len, struct cfg *c, struct err *err)
{
	json_error_t je;
	memset(c, 0, sizeof(*c));
	/* Numbers as doubles: see config_json.c. */
	json_t *doc = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, &je);
	if (!doc)
		return err_set(err, CFG_EXIT, "config.json: line %d column %d: %s", je.line,
			       je.column, je.text);
	c->doc = doc;
	if (!json_is_object(doc)) {
		cj_bad(err, "(top level)", "must be an object");
		goto fail;
	}
	if (parse_root(doc, c, err) < 0 || parse_process(doc, c, err) < 0 ||
	    parse_mounts(doc, c, err) < 0 || cfg_parse_linux(doc, c, err) < 0 ||
	    parse_hooks(doc, c, err) < 0)
		goto fail;
	return 0;
fail:
	cfg_free(c);
	return -1;
}

/* A whole small file, NUL-terminated, into *out (malloc'd). */
/* The whole file: a regular one, or a pipe (exec --process /dev/fd/N, as
 * runc reads it), read to EOF. */
static int slurp(const char *path, char **out, size_t *len, struct err *err)
{
	const size_t max = 64u << 20;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, CFG_EXIT, errno, "%s", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && (size_t)st.st_size > max)) {
		close(fd);
		return err_set(err, CFG_EXIT, "%s: not a file of at most 64 MiB", path);
	}
	size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 4096, got = 0;
	char *buf = malloc(cap);
	bool big = false;
	while (buf) {
		if (got + 1 == cap) {
			char *nb = cap > max ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				big = cap > max;
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			buf = NULL;
		}
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf)
		return err_set(err, CFG_EXIT, big ? "%s: larger than 64 MiB" : "%s: could not read it",
			       path);
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
}

int cfg_load(const char *bundle, struct cfg *c, char **text, struct err *err)
{
	char path[4096], *buf;
	size_t got;
	memset(c, 0, sizeof(*c));
	if ((size_t)snprintf(path, sizeof(path), "%s/config.json", bundle) >= sizeof(path))
		return err_set(err, CFG_EXIT, "bundle path %s: too long", bundle);
	if (slurp(path, &buf, &got, err) < 0)
		return -1;
	int r = cfg_parse(buf, got, c, err);
	if (r == 0 && text)
		*text = buf;
	else
		free(buf);
	return r;
}

int cfg_load_process(const char *path, struct cfg *c, struct err *err)
{
	char *buf;
	size_t len;
	json_error_t je;
	memset(c, 0, sizeof(*c));
	if (slurp(path, &buf, &len, err) < 0)
		return -1;
	json_t *proc = json_loadb(buf, len, JSON_DECODE_INT_AS_REAL, &je);
	free(buf);
	if (!proc)
		return err_set(err, CFG_EXIT, "%s: line %d column %d: %s", path, je.line,
			       je.column, je.text);
	/* The same checks as config.json's "process", so the same messages. */
	c->doc = json_object();
	if (!c->doc || json_object_set_new(c->doc, "process", proc) < 0) {
		cfg_free(c);
		return err_set(err, CFG_EXIT, "out of memory");
	}
	if (parse_process(c->doc, c, err) < 0) {
		cfg_free(c);
		return -1;
	}
	return 0;
}

const char *cfg_annotation(const struct cfg *c, const char *key)
{
	for (int i = 0; i < c->nannotations; i++)
		if (!strcmp(c->annotations[i].key, key))
			return c->annotations[i].value;
	return NULL;
}

void cfg_free(struct cfg *c)
{
	free(c->process.args);
	free(c->process.env);
	free(c->process.additional_gids);
	free(c->process.rlimits);
	for (int i = 0; i < CFG_CAP_SETS; i++)
		free(c->process.caps[i]);
	free(c->lx.masked_paths);
	free(c->lx.readonly_paths);
	free(c->lx.devices);
	free(c->lx.devrules);
	for (int i = 0; c->mounts && i < c->nmounts; i++)
		free(c->mounts[i].options);
	free(c->mounts);
	free(c->lx.namespaces);
	free(c->lx.sysctl);
	free(c->lx.unified);
	for (int k = 0; k < CFG_HOOK_KINDS; k++) {
		for (int i = 0; c->hooks[k] && i < c->nhooks[k]; i++) {
			free(c->hooks[k][i].args);
			free(c->hooks[k][i].env);
		}
		free(c->hooks[k]);
	}
	free(c->annotations);
	if (c->doc)
		json_decref(c->doc);
	memset(c, 0, sizeof(*c));
}
