/* mvrun setup docker|podman|containerd|kubernetes [--config FILE]: register
 * mvrun as a runtime of an engine, merging with the configuration there and
 * changing nothing else. Run twice, the second run changes nothing. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime-shim/host/engines/setup.h"
#include "runtime-shim/cmd/cmd.h"

static const struct engine {
	const char *name, *config, *restart, *use;
	int (*edit)(const struct setup_file *, const char *, char **, struct err *);
} engines[] = {
	{ "docker", "/etc/docker/daemon.json", "restart dockerd",
	  "docker run --runtime mvrun IMAGE CMD", setup_docker },
	{ "podman", "/etc/containers/containers.conf", NULL,
	  "podman run --runtime mvrun IMAGE CMD", setup_podman },
	{ "containerd", "/etc/containerd/config.toml", "restart containerd",
	  "pods of a RuntimeClass with handler mvrun (mvrun setup kubernetes prints it)",
	  setup_containerd },
};

static const char runtimeclass[] = "apiVersion: node.k8s.io/v1\n"
				   "kind: RuntimeClass\n"
				   "metadata:\n"
				   "  name: mvrun\n"
				   "handler: mvrun\n";

int setup_read(const char *path, struct setup_file *f, struct err *err)
{
	memset(f, 0, sizeof(*f));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		f->missing = true;
		f->data = calloc(1, 1);
		return f->data ? 0 : err_set(err, 1, "out of memory");
	}
	if (fd < 0)
		return err_sys(err, 1, errno, "%s", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 16 << 20) {
		close(fd);
		return err_set(err, 1, "%s: not a regular file of at most 16 MiB", path);
	}
	f->data = malloc((size_t)st.st_size + 1);
	ssize_t n = f->data ? read(fd, f->data, (size_t)st.st_size) : -1;
	close(fd);
	if (n != st.st_size) {
		free(f->data);
		f->data = NULL;
		return err_set(err, 1, "%s: cannot read it", path);
	}
	f->len = (size_t)n;
	f->data[n] = 0;
	return 0;
}

int setup_write(const char *path, const char *text, size_t len, struct err *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return err_sys(err, 1, errno, "%s", dir);
	}
	if (snprintf(tmp, sizeof(tmp), "%s.mvrun-tmp", path) >= (int)sizeof(tmp))
		return err_set(err, 1, "%s: path too long", path);
	struct stat st;
	mode_t mode = stat(path, &st) == 0 ? st.st_mode & 07777 : 0644;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return err_sys(err, 1, errno, "%s", tmp);
	bool ok = fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		err_sys(err, 1, errno, "%s: write", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int shim_setup(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	(void)g;
	static const struct option opts[] = { { "config", required_argument, 0, 'c' }, { 0, 0, 0, 0 } };
	const char *config = NULL, *name = NULL;
	/* The engine may come first (mvrun setup docker --config F): take it,
	 * then parse the options after it. */
	if (argc > 1 && argv[1][0] != '-') {
		name = argv[1];
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	int c;
	while ((c = shim_getopt(argc, argv, "", opts, err)) != -1) {
		if (c == -2)
			return err->status;
		config = optarg;
	}
	if (argc - optind != (name ? 0 : 1))
		return shim_operands(argc, argv, name ? 0 : 1, err), err->status;
	if (!name)
		name = argv[optind];
	if (!strcmp(name, "kubernetes")) {
		fputs(runtimeclass, stdout);
		return 0;
	}
	const struct engine *e = NULL;
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (!strcmp(engines[i].name, name))
			e = &engines[i];
	char usage[256];
	if (!e)
		return err_set(err, 1, "setup: unknown engine \"%s\" (%s)", name,
			       shim_usage("setup", usage, sizeof(usage))), 1;
	if (!config)
		config = e->config;
	char self[PATH_MAX];
	if (!realpath("/proc/self/exe", self))
		return err_sys(err, 1, errno, "setup: /proc/self/exe"), 1;
	struct setup_file f;
	struct err why = { 0 };
	if (setup_read(config, &f, &why) < 0)
		return err_set(err, 1, "setup %s: %s", name, why.msg), 1;
	char *out = NULL;
	int r = e->edit(&f, self, &out, &why);
	if (r < 0) {
		free(f.data);
		return err_set(err, 1, "setup %s: %s: %s (left unchanged)", name, config, why.msg), 1;
	}
	if (r == SETUP_UNCHANGED) {
		printf("%s: %s already has runtime mvrun (%s); nothing changed\n", name, config, self);
	} else {
		int w = setup_write(config, out, strlen(out), &why);
		free(out);
		if (w < 0) {
			free(f.data);
			return err_set(err, 1, "setup %s: %s", name, why.msg), 1;
		}
		printf("%s: %s %s: runtime mvrun (%s); %s%suse it: %s\n", name,
		       f.missing ? "wrote" : "updated", config, self, e->restart ? e->restart : "",
		       e->restart ? ", then " : "", e->use);
	}
	free(f.data);
	return 0;
}
