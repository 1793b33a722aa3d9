/* Container state on disk (see store.h). */
#include "runtime-shim/host/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const status_names[] = { "creating", "created", "running", "stopped", "paused" };
#define NSTATUS (sizeof(status_names) / sizeof(status_names[0]))

const char *store_status_name(enum store_status s)
{
	return (unsigned)s < NSTATUS ? status_names[s] : "unknown";
}

int store_check_id(const char *id, struct err *err)
{
	size_t n = strlen(id);
	if (!n)
		return err_set(err, STORE_EXIT, "the container id is empty");
	if (n > STORE_ID_MAX)
		return err_set(err, STORE_EXIT, "container id \"%.40s...\": longer than %d bytes", id,
			       STORE_ID_MAX);
	if (id[0] == '.')
		return err_set(err, STORE_EXIT, "container id \"%s\": must not start with '.'", id);
	for (const char *p = id; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '.' || c == '-'))
			return err_set(err, STORE_EXIT,
				       "container id \"%s\": only letters, digits and _+.- are allowed",
				       id);
	}
	return 0;
}

int store_path(const char *root, const char *id, const char *name, char *out, size_t cap,
	       struct err *err)
{
	int n = name ? snprintf(out, cap, "%s/%s/%s", root, id, name) :
		       snprintf(out, cap, "%s/%s", root, id);
	if (n < 0 || (size_t)n >= cap)
		return err_set(err, STORE_EXIT, "state path %s/%s: too long", root, id);
	return 0;
}

static int missing(const char *id, struct err *err)
{
	return err_set(err, STORE_EXIT, "container \"%s\" does not exist", id);
}

static int mkdir_p(const char *path, struct err *err)
{
	char buf[PATH_MAX];
	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
		return err_set(err, STORE_EXIT, "--root %s: too long", path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = 0;
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return err_sys(err, STORE_EXIT, errno, "mkdir %s", buf);
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

int store_create(const char *root, const char *id, struct err *err)
{
	char dir[PATH_MAX];
	if (store_check_id(id, err) < 0 || store_path(root, id, NULL, dir, sizeof(dir), err) < 0 ||
	    mkdir_p(root, err) < 0)
		return -1;
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return err_set(err, STORE_EXIT, "container \"%s\" already exists", id);
		return err_sys(err, STORE_EXIT, errno, "mkdir %s", dir);
	}
	return 0;
}

int store_lock(const char *root, const char *id, struct err *err)
{
	char path[PATH_MAX];
	if (store_check_id(id, err) < 0 || store_path(root, id, "lock", path, sizeof(path), err) < 0)
		return -1;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return errno == ENOENT ? missing(id, err) : err_sys(err, STORE_EXIT, errno, "%s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return err_sys(err, STORE_EXIT, errno, "lock %s", path);
		}
	}
	return fd;
}

static int write_atomic(const char *path, const char *data, struct err *err)
{
	char tmp[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return err_set(err, STORE_EXIT, "%s: path too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_sys(err, STORE_EXIT, errno, "%s", tmp);
	size_t len = strlen(data), off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_sys(err, STORE_EXIT, errno, "write %s", tmp);
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		err_sys(err, STORE_EXIT, errno, "write %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int store_write(const char *root, const struct store_state *st, struct err *err)
{
	char path[PATH_MAX];
	if (store_path(root, st->id, "state.json", path, sizeof(path), err) < 0)
		return -1;
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:i}",
			      "ociVersion", SHIM_OCI_VERSION, "id", st->id, "pid", (json_int_t)st->pid,
			      "mvm_start_time", (json_int_t)st->start_time, "status",
			      store_status_name(st->status), "bundle", st->bundle ? st->bundle : "",
			      "rootfs", st->rootfs ? st->rootfs : "", "created",
			      st->created ? st->created : "", "owner", st->owner ? st->owner : "",
			      "vm_mem_mib", (json_int_t)st->mem_mib, "vm_cpus", st->cpus);
	if (o && st->cgroup_path)
		json_object_set_new(o, "cgroup_path", json_string(st->cgroup_path));
	if (o && st->sandbox)
		json_object_set_new(o, "pod_sandbox", json_string(st->sandbox));
	if (o && st->annotations)
		json_object_set(o, "annotations", st->annotations);
	char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	if (!text)
		return err_set(err, STORE_EXIT, "%s: out of memory", path);
	int r = write_atomic(path, text, err);
	free(text);
	return r;
}

static char *dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? strdup(s) : NULL;
}

int store_read(const char *root, const char *id, struct store_state *st, bool *is_missing,
	       struct err *err)
{
	char path[PATH_MAX];
	json_error_t je;
	memset(st, 0, sizeof(*st));
	if (is_missing)
		*is_missing = false;
	if (store_check_id(id, err) < 0 ||
	    store_path(root, id, "state.json", path, sizeof(path), err) < 0)
		return -1;
	json_t *o = json_load_file(path, 0, &je);
	if (!o) {
		if (access(path, F_OK) < 0 && errno == ENOENT) {
			if (is_missing)
				*is_missing = true;
			return missing(id, err);
		}
		return err_set(err, STORE_EXIT, "%s: %s", path, je.text);
	}
	json_t *pid = json_object_get(o, "pid"), *t = json_object_get(o, "mvm_start_time");
	const char *status = json_string_value(json_object_get(o, "status"));
	if (!json_is_integer(pid) || !json_is_integer(t) || !status) {
		json_decref(o);
		return err_set(err, STORE_EXIT, "%s: not a state file mvrun wrote", path);
	}
	snprintf(st->id, sizeof(st->id), "%s", id);
	st->pid = (pid_t)json_integer_value(pid);
	st->start_time = (uint64_t)json_integer_value(t);
	st->status = STORE_STOPPED;
	for (unsigned i = 0; i < NSTATUS; i++)
		if (!strcmp(status, status_names[i]))
			st->status = (enum store_status)i;
	st->bundle = dup_str(o, "bundle");
	st->rootfs = dup_str(o, "rootfs");
	st->created = dup_str(o, "created");
	st->owner = dup_str(o, "owner");
	st->cgroup_path = dup_str(o, "cgroup_path");
	st->sandbox = dup_str(o, "pod_sandbox");
	st->mem_mib = (uint64_t)json_integer_value(json_object_get(o, "vm_mem_mib"));
	st->cpus = (int)json_integer_value(json_object_get(o, "vm_cpus"));
	json_t *ann = json_object_get(o, "annotations");
	if (json_is_object(ann))
		st->annotations = json_incref(ann);
	json_decref(o);
	return 0;
}

int store_save_config(const char *root, const char *id, const char *text, struct err *err)
{
	char path[PATH_MAX];
	if (store_path(root, id, "config.json", path, sizeof(path), err) < 0)
		return -1;
	return write_atomic(path, text, err);
}

/* The state directory holds files and the single-file-bind staging
 * directories (files/, files-ro/), which hold files: two levels. Deeper
 * trees are not mvrun's, so removal stops there. */
#define STORE_REMOVE_DEPTH 2

/* Empty the directory dfd (taken) and its subdirectories, at most depth
 * levels down. Entries are removed relative to dfd, and a subdirectory is
 * entered only by openat(O_NOFOLLOW | O_DIRECTORY): a symlink is unlinked
 * as itself, never followed, so nothing outside dir is touched. */
static int empty_dir(int dfd, const char *dir, int depth, struct err *err)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return err_sys(err, STORE_EXIT, errno, "%s", dir);
	}
	struct dirent *e;
	int r = 0;
	while (r == 0 && (errno = 0, e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			r = err_sys(err, STORE_EXIT, errno, "remove %s/%s", dir, e->d_name);
			break;
		}
		char sub[PATH_MAX];
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (depth <= 0) {
			r = err_set(err, STORE_EXIT, "remove %s: nested deeper than mvrun makes", sub);
			break;
		}
		int sfd = openat(dirfd(d), e->d_name,
				 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0) {
			r = err_sys(err, STORE_EXIT, errno, "remove %s", sub);
			break;
		}
		if (empty_dir(sfd, sub, depth - 1, err) < 0)
			r = -1;
		else if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			r = err_sys(err, STORE_EXIT, errno, "remove %s", sub);
	}
	if (r == 0 && errno)
		r = err_sys(err, STORE_EXIT, errno, "read %s", dir);
	closedir(d);
	return r;
}

int store_remove(const char *root, const char *id, struct err *err)
{
	char dir[PATH_MAX];
	if (store_check_id(id, err) < 0 || store_path(root, id, NULL, dir, sizeof(dir), err) < 0)
		return -1;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return errno == ENOENT ? 0 : err_sys(err, STORE_EXIT, errno, "%s", dir);
	if (empty_dir(dfd, dir, STORE_REMOVE_DEPTH - 1, err) < 0)
		return -1;
	if (rmdir(dir) < 0 && errno != ENOENT)
		return err_sys(err, STORE_EXIT, errno, "remove %s", dir);
	return 0;
}

int store_proc_stat(pid_t pid, uint64_t *start_time, char *state)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: fields resume after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -1;
	p += 2;
	char st = *p;
	for (int field = 3; field < 22; field++) { /* p is at field 3 (state) */
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	if (state)
		*state = st;
	*start_time = strtoull(p, NULL, 10);
	return 0;
}

bool store_alive(pid_t pid, uint64_t start_time)
{
	uint64_t t;
	char state;
	if (pid <= 0 || store_proc_stat(pid, &t, &state) < 0)
		return false;
	return t == start_time && state != 'Z' && state != 'X';
}

enum store_status store_current(const struct store_state *st)
{
	if (st->status == STORE_STOPPED || !store_alive(st->pid, st->start_time))
		return STORE_STOPPED;
	return st->status;
}

char *store_oci_state(const struct store_state *st, enum store_status status, bool pretty)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "ociVersion", SHIM_OCI_VERSION, "id",
			      st->id, "pid", (json_int_t)(status == STORE_STOPPED ? 0 : st->pid),
			      "status", store_status_name(status), "bundle",
			      st->bundle ? st->bundle : "", "rootfs", st->rootfs ? st->rootfs : "",
			      "created", st->created ? st->created : "");
	if (!o)
		return NULL;
	if (st->annotations && json_object_size(st->annotations))
		json_object_set(o, "annotations", st->annotations);
	json_object_set_new(o, "owner", json_string(st->owner ? st->owner : ""));
	char *s = json_dumps(o, pretty ? JSON_INDENT(2) : JSON_COMPACT);
	json_decref(o);
	return s;
}

void store_now(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char frac[16] = "";
	if (ts.tv_nsec) {
		snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
		size_t n = strlen(frac);
		while (frac[n - 1] == '0')
			frac[--n] = 0;
	}
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

void store_free(struct store_state *st)
{
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	free(st->cgroup_path);
	free(st->sandbox);
	if (st->annotations)
		json_decref(st->annotations);
	memset(st, 0, sizeof(*st));
}
