/* mvrun exec [options] ID [ARGS...]: run another process in a running
 * container, as runc exec does. The process is --process FILE (an OCI
 * process object) or the container's own process with ARGS and the
 * overrides. Its host process (exec_host.c) is mvrun itself, or with
 * --detach a forked child of it, named in --pid-file: a child of the
 * caller, in the container's cgroup, that forwards signals into the guest
 * and exits with the exec'd process's status (engines.md, "The contract"). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime-shim/host/cgroup/cgroup.h"
#include "runtime-shim/oci/config.h"
#include "runtime-shim/plan/confine.h"
#include "runtime-shim/host/exec_host.h"
#include "runtime-shim/cmd/exec_opts.h"
#include "runtime-shim/cmd/cmd.h"
#include "runtime-shim/plan/spec2vm.h"

/* runc's status when exec itself fails (the process never ran): its own
 * errors, and the guest's (the command not found, a cwd it cannot enter). */
#define EXEC_FAILED 255

/* A pty whose master goes to the console socket (as at create); returns the
 * slave, raw (the guest's pty does the line discipline), or -1 with err. */
static int console_pty(const char *sock, const struct cfg_process *p, struct err *err)
{
	char name[64];
	int cs = shim_unix_connect(sock, "--console-socket", err), slave = -1;
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (cs < 0 || master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, name, sizeof(name)) != 0 ||
	    (slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		if (cs >= 0)
			err_sys(err, 1, errno, "exec: create a pty");
		goto out;
	}
	struct winsize ws = { .ws_row = (unsigned short)p->console_height,
			      .ws_col = (unsigned short)p->console_width };
	if (ws.ws_row && ws.ws_col)
		ioctl(master, TIOCSWINSZ, &ws);
	struct termios t;
	if (tcgetattr(slave, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(slave, TCSANOW, &t);
	}
	if (shim_send_pty(cs, name, master, sock, err) < 0) {
		close(slave);
		slave = -1;
	}
out:
	if (cs >= 0)
		close(cs);
	if (master >= 0)
		close(master);
	return slave;
}

/* Put pid in the container's cgroup, as mvm is; with sub (exec --cgroup,
 * runc 1.1's on cgroup v2: "[:]SUB", no controller) in its existing
 * sub-cgroup SUB. */
static int join_cgroup(const struct store_state *st, const char *sub, pid_t pid,
		       struct err *err)
{
	struct cg_layout l;
	struct cg_resources none = { .memory_limit = -1, .memory_swap = -1, .cpu_quota = -1,
				     .pids_limit = -1 };
	char dir[PATH_MAX + 300];
	const char *cg = st->cgroup_path, *s = sub;
	if (s) {
		const char *colon = strchr(s, ':');
		if (colon && colon != s)
			return err_set(err, 1, "exec: --cgroup %s: unknown controller %.*s in the "
						 "sub-cgroup paths (cgroup v2 takes [:]SUB)",
					 sub, (int)(colon - s), s);
		s = colon ? colon + 1 : s;
		while (*s == '/')
			s++;
		if (!*s || !strcmp(s, "..") || !strncmp(s, "../", 3) || strstr(s, "/../") ||
		    (strlen(s) >= 3 && !strcmp(s + strlen(s) - 3, "/..")))
			return err_set(err, 1, "exec: --cgroup %s: not a sub-cgroup", sub);
		if (!cg)
			return err_set(err, 1, "exec: --cgroup %s: the container has no cgroup "
						 "(linux.cgroupsPath)", sub);
	}
	if (!cg)
		return 0;
	if (cg_detect(&l, "/sys/fs/cgroup", err) < 0)
		return -1;
	if (!s)
		return cg_enter(&l, cg, pid, &none, err);
	if (!l.unified && !l.hybrid)
		return err_set(err, 1, "exec: --cgroup %s: needs cgroup v2", sub);
	/* runc's: the sub-cgroup must exist. */
	struct stat sb;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", cg, s);
	snprintf(dir, sizeof(dir), "%s%s%s%s", l.root, l.hybrid ? "/unified" : "",
		 cg[0] == '/' ? "" : "/mvrun/", path);
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return err_set(err, 1, "exec: --cgroup %s: %s: no such cgroup", sub, dir);
	/* Only the move, as runc's: enabling controllers for it would fail
	 * while the container's cgroup holds mvm (no internal processes). */
	char procs[PATH_MAX + 320], num[24];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	int n = snprintf(num, sizeof(num), "%d", (int)pid);
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, num, (size_t)n) != n) {
		err_sys(err, 1, errno, "exec: --cgroup %s: add %d to %s", sub, (int)pid, procs);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* --detach: the host process is a child; wait for its word that the
 * process runs, then name it in the pid file. */
static int detach(struct exec_host *h, const struct proto_spec *spec,
		  const struct store_state *st, const char *sub, const char *pid_file,
		  struct err *err)
{
	int rep[2];
	if (pipe2(rep, O_CLOEXEC) < 0)
		return err_sys(err, 1, errno, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct err e = { 0 };
		close(rep[0]);
		/* The pty's session leader, so an engine's resize of the master
		 * reaches us as SIGWINCH. Still the caller's descendant. */
		if (h->tin >= 0 && (setsid() < 0 || ioctl(h->tin, TIOCSCTTY, 0) < 0))
			_exit(1);
		h->report_fd = rep[1];
		int r = exec_host_run(h, spec, &e);
		_exit(r < 0 ? e.status : r);
	}
	close(rep[1]);
	if (pid < 0) {
		close(rep[0]);
		return err_sys(err, 1, errno, "fork");
	}
	char line[1200];
	size_t got = 0;
	ssize_t n;
	if (join_cgroup(st, sub, pid, err) == 0) {
		while (got < sizeof(line) - 1 &&
		       ((n = read(rep[0], line + got, sizeof(line) - 1 - got)) > 0 ||
			(n < 0 && errno == EINTR)))
			got += n > 0 ? (size_t)n : 0;
	}
	close(rep[0]);
	line[got] = 0;
	char *nl = strchr(line, '\n');
	if (nl)
		*nl = 0;
	if (!err->status && !strcmp(line, "ok"))
		return pid_file ? shim_write_pidfile(pid_file, pid, err) : 0;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (err->status)
		return -1;
	char *end;
	long s = strtol(line + 6, &end, 10);
	if (!strncmp(line, "error ", 6) && end != line + 6)
		return err_set(err, s > 0 && s < 256 ? (int)s : 1, "%s", *end ? end + 1 : end);
	return err_set(err, 1, "exec: the host process died before the process started");
}

int shim_exec(struct shim_ctx *g, int argc, char **argv, struct err *err)
{
	struct exec_opts o = { 0 };
	struct store_state st = { 0 };
	struct cfg c = { 0 }, ctr = { 0 };
	struct sc_prog prog = { 0 };
	struct proto_confine conf;
	struct exec_host h = { .ctl = -1, .tin = -1, .tout = -1, .tsize = -1, .report_fd = -1 };
	int term = -1;
	struct termios saved;
	bool raw = false;
	char sock[PATH_MAX];
	int r = -1;
	if (exec_parse_opts(argc, argv, &o, err) < 0)
		return err->status;
	const char *id = argv[optind];
	if (store_read(g->root, id, &st, NULL, err) < 0)
		return err->status = EXEC_FAILED;
	enum store_status now = store_current(&st);
	/* runc's words. A paused VM takes the exec once it is resumed: the
	 * host process joins the frozen cgroup and waits there, as under runc. */
	if (now == STORE_STOPPED || (now == STORE_PAUSED && !o.ignore_paused)) {
		err_set(err, 1, "cannot exec in a %s container%s", store_status_name(now),
			now == STORE_PAUSED ? " (use --ignore-paused to override)" : "");
		goto out;
	}
	if ((o.process ? cfg_load_process(o.process, &c, err)
		       : exec_own_process(g, id, &o, argv + optind + 1, argc - optind - 1, &c, err)) < 0)
		goto out;
	/* As runc: with --process, the process is the file's alone. */
	if (o.process && (o.cwd || o.nenv || o.user || o.ncaps || o.ngids || o.apparmor || o.label))
		shim_warn(g, "exec %s: --process given: --cwd, --env, --user, --cap, --additional-gids, "
			     "--apparmor and --process-label are ignored, as runc ignores them", id);
	const char *ap = o.process ? c.process.apparmor_profile : o.apparmor;
	const char *lb = o.process ? c.process.selinux_label : o.label;
	if (ap && *ap)
		shim_warn(g, "exec %s: apparmor profile %s ignored (the guest has no AppArmor)", id, ap);
	if (lb && *lb)
		shim_warn(g, "exec %s: process label %s ignored (the guest has no SELinux)", id, lb);
	/* --process: the container's config gives the seccomp profile, and
	 * capabilities and rlimits when the process names none (runc exec). */
	char dir[PATH_MAX];
	int unknown;
	if (o.process && (store_path(g->root, id, NULL, dir, sizeof(dir), err) < 0 ||
			  cfg_load(dir, &ctr, NULL, err) < 0))
		goto out;
	/* In a user namespace, an id without a mapping cannot be the process's
	 * (runc: "cannot set uid to unmapped user in user namespace"). */
	char ubuf[48];
	uint32_t uid;
	const char *uf = s2v_unmapped(&c.process, o.process ? &ctr.lx : &c.lx, ubuf, sizeof(ubuf),
				      &uid);
	if (uf) {
		err_set(err, 1, "exec %s: %s: %u is not mapped by the container's linux.%s", id, uf,
			uid, strstr(uf, ".uid") ? "uidMappings" : "gidMappings");
		goto out;
	}
	if (o.nnp)
		c.process.no_new_privileges = true;
	if (cf_process(&c.process, o.process ? &ctr.process : NULL, o.process ? &ctr.lx : &c.lx,
		       &conf, &prog, &unknown, err) < 0)
		goto out;
	struct proto_spec spec;
	s2v_process_spec(&c.process, o.process ? &ctr.process : NULL, &spec);
	spec.flags |= PROTO_SPEC_CONFINE;
	/* runc's pty on the caller's own terminal passes "\n" as is. */
	if (c.process.terminal && !o.console_socket)
		spec.flags |= PROTO_SPEC_NO_ONLCR;
	h.confine = &conf;
	/* As runc's: the caller's terminal is the first of stderr, stdout and
	 * stdin that is one, else its controlling terminal; stdin and stdout
	 * are relayed whatever they are. */
	if (c.process.terminal && !o.console_socket) {
		for (int fd = 2; fd >= 0 && term < 0; fd--)
			if (isatty(fd))
				term = fd;
		if (term < 0 && (term = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
			err_sys(err, 1, errno, "exec: a terminal needs --console-socket or a terminal: "
					   "open /dev/tty");
			goto out;
		}
	}
	/* A pod member's exec goes to its sandbox's mvm, naming the member by
	 * its share in the pod (proto/proto.h, "Pods"). */
	char tag[STORE_ID_MAX + 32];
	if (st.sandbox) {
		snprintf(tag, sizeof(tag), PROTO_POD_TAG "/%s/" LAUNCH_TAG_ROOT, id);
		spec.root_tag = tag;
	}
	if (store_path(g->root, st.sandbox ? st.sandbox : id, "ctl.sock", sock, sizeof(sock), err) < 0 ||
	    (h.ctl = shim_unix_connect(sock, "exec: connect to mvm's control socket", err)) < 0)
		goto out;
	if (c.process.terminal && o.console_socket) {
		if ((h.tin = h.tout = h.tsize = console_pty(o.console_socket, &c.process, err)) < 0)
			goto out;
	} else if (c.process.terminal) {
		struct winsize ws;
		h.tin = 0;
		h.tout = 1;
		h.tsize = term;
		if (!spec.rows && ioctl(term, TIOCGWINSZ, &ws) == 0) {
			spec.rows = ws.ws_row;
			spec.cols = ws.ws_col;
		}
		if (tcgetattr(term, &saved) == 0) {
			struct termios t = saved;
			cfmakeraw(&t);
			raw = tcsetattr(term, TCSANOW, &t) == 0;
		}
	}
	if (o.detach) {
		r = detach(&h, &spec, &st, o.cgroup, o.pid_file, err) < 0 ? -1 : 0;
	} else if (join_cgroup(&st, o.cgroup, getpid(), err) == 0) {
		if (o.pid_file && shim_write_pidfile(o.pid_file, getpid(), err) < 0)
			goto out;
		r = exec_host_run(&h, &spec, err);
	}
out:
	if (raw)
		tcsetattr(term, TCSANOW, &saved);
	if (term > 2)
		close(term);
	if (h.ctl >= 0)
		close(h.ctl);
	if (h.tin > 2)
		close(h.tin);
	cfg_free(&c);
	cfg_free(&ctr);
	sc_free(&prog);
	store_free(&st);
	if (r >= 0)
		return r;
	if (!err->status)
		err_set(err, EXEC_FAILED, "exec failed");
	return err->status = EXEC_FAILED;
}
