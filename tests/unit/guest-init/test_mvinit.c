/* mvinit's host-testable parts: the pure helpers (util.c), the control
 * stream's message reassembly and sends (ctl.c) and the stdio pumps
 * (relay.c). mvinit itself is built only for the guest (musl, static); the
 * unit tests link these three files built for the host (Makefile). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest-init/mvinit.h"
#include "guest-init/process/process.h"

/* ---- util.c ---- */

Test(mvinit_cmdline, control_and_hooks)
{
	char line[] = "console=ttyS0 mvinit.control=1 mvinit.exit=7 quiet mvinit.panic=1\n";
	struct mvi_boot b = { 0 };

	mvi_parse_cmdline(line, &b);
	cr_assert(b.control);
	cr_assert_eq(b.exit_status, 7);
	cr_assert(b.panic);
}

Test(mvinit_cmdline, later_wins_and_bad_values_are_ignored)
{
	char line[] = "mvinit.exit=9 mvinit.exit=300 mvinit.control=1 mvinit.control=0 "
		      "mvinit.controlx=1 mvinit.control=yes mvinit.exit=";
	struct mvi_boot b = { 0 };

	mvi_parse_cmdline(line, &b);
	cr_assert_eq(b.exit_status, 9);
	cr_assert(!b.control);
	cr_assert(!b.panic);
}

Test(mvinit_util, count_cpus)
{
	cr_assert_eq(mvi_count_cpus("0\n"), 1);
	cr_assert_eq(mvi_count_cpus("0-3\n"), 4);
	cr_assert_eq(mvi_count_cpus("0-1,3"), 3);
	cr_assert_eq(mvi_count_cpus(""), -1);
	cr_assert_eq(mvi_count_cpus("3-1\n"), -1);
	cr_assert_eq(mvi_count_cpus("0,x"), -1);
}

static int status_of(void (*body)(void))
{
	int ws;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		body();
		_exit(99);
	}
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	return mvi_wait_status(ws);
}

static void exit3(void)
{
	_exit(3);
}

static void die_by_kill(void)
{
	signal(SIGTERM, SIG_DFL);
	kill(getpid(), SIGTERM);
	pause();
}

Test(mvinit_util, wait_status)
{
	cr_assert_eq(status_of(exit3), 3);
	cr_assert_eq(status_of(die_by_kill), 128 + SIGTERM);
}

Test(mvinit_util, env_get)
{
	const char *env[] = { "PATHX=no", "PATH=/a:/b", "EMPTY=", NULL };

	cr_assert_str_eq(mvi_env_get(env, "PATH"), "/a:/b");
	cr_assert_str_eq(mvi_env_get(env, "EMPTY"), "");
	cr_assert_null(mvi_env_get(env, "PAT"));
	cr_assert_null(mvi_env_get(NULL, "PATH"));
}

/* A scratch tree: d1/tool (not executable), d1/dir/ (a directory named
 * like the tool), d2/tool (executable). */
static char tree[64];

static void make_file(const char *rel, mode_t mode)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, mode);
	cr_assert_geq(fd, 0, "create %s", p);
	close(fd);
	chmod(p, mode);
}

static void tree_setup(void)
{
	char p[128];

	strcpy(tree, "/tmp/mvinit-test-XXXXXX");
	cr_assert_not_null(mkdtemp(tree));
	snprintf(p, sizeof(p), "%s/d1", tree);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/d2", tree);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/d1/dir", tree);
	mkdir(p, 0755);
	make_file("d1/tool", 0644);
	make_file("d2/tool", 0755);
	make_file("d1/run", 0700);
}

static void tree_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tree);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(mvinit_lookpath, .init = tree_setup, .fini = tree_teardown);

Test(mvinit_lookpath, searches_path_skipping_non_executables)
{
	char path[256], out[256], want[128];

	snprintf(path, sizeof(path), "/nonexistent:%s/d1:%s/d2", tree, tree);
	cr_assert_eq(mvi_lookpath("tool", path, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/d2/tool", tree);
	cr_assert_str_eq(out, want);
	/* A directory is never a match. */
	cr_assert_eq(mvi_lookpath("dir", path, out, sizeof(out)), ENOENT);
	cr_assert_eq(mvi_lookpath("nosuch", path, out, sizeof(out)), ENOENT);
	cr_assert_eq(mvi_lookpath("", path, out, sizeof(out)), ENOENT);
}

Test(mvinit_lookpath, empty_element_is_cwd)
{
	char path[256], out[256];

	snprintf(path, sizeof(path), "/nonexistent::/also-not");
	cr_assert_eq(chdir(tree), 0);
	cr_assert_eq(mvi_lookpath("run", "/x:", out, sizeof(out)), ENOENT);
	cr_assert_eq(chdir("d1"), 0);
	cr_assert_eq(mvi_lookpath("run", path, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "./run");
	cr_assert_eq(chdir("/"), 0);
}

Test(mvinit_lookpath, names_with_a_slash_are_not_searched)
{
	char p[128], out[256];

	snprintf(p, sizeof(p), "%s/d1/tool", tree);
	cr_assert_eq(mvi_lookpath(p, "/bin", out, sizeof(out)), EACCES);
	snprintf(p, sizeof(p), "%s/d1/dir", tree);
	cr_assert_eq(mvi_lookpath(p, "/bin", out, sizeof(out)), EACCES);
	snprintf(p, sizeof(p), "%s/d1/none", tree);
	cr_assert_eq(mvi_lookpath(p, "/bin", out, sizeof(out)), ENOENT);
	snprintf(p, sizeof(p), "%s/d2/tool", tree);
	cr_assert_eq(mvi_lookpath(p, "/nonexistent", out, sizeof(out)), 0);
	cr_assert_str_eq(out, p);
	cr_assert_eq(mvi_lookpath(p, NULL, out, 8), ENAMETOOLONG);
}

Test(mvinit_lookpath, default_path)
{
	char out[256];

	cr_assert_eq(mvi_lookpath("sh", NULL, out, sizeof(out)), 0);
	cr_assert(strlen(out) > 3 && strcmp(out + strlen(out) - 3, "/sh") == 0, "%s", out);
}

Test(mvinit_util, exec_errors_read_like_runc)
{
	struct err e = { 0 };

	cr_assert_eq(mvi_exec_fail(&e, "foo", ENOENT, true), -1);
	cr_assert_eq(e.status, 127);
	cr_assert_str_eq(e.msg, "exec \"foo\": executable file not found in $PATH");
	e = (struct err){ 0 };
	mvi_exec_fail(&e, "/bin/nope", ENOENT, false);
	cr_assert_eq(e.status, 127);
	cr_assert_str_eq(e.msg, "exec \"/bin/nope\": no such file or directory");
	e = (struct err){ 0 };
	mvi_exec_fail(&e, "/etc/passwd", EACCES, false);
	cr_assert_eq(e.status, 126);
	cr_assert_str_eq(e.msg, "exec \"/etc/passwd\": permission denied");
	e = (struct err){ 0 };
	mvi_exec_fail(&e, "/bin/x", ENOEXEC, false);
	cr_assert_eq(e.status, 126);
}

Test(mvinit_util, fail_formats_and_truncates)
{
	struct err e = { 0 };
	char big[2 * sizeof(e.msg)];

	cr_assert_eq(err_sys(&e, 1, ENOENT, "mount %s", "/x"), -1);
	cr_assert_eq(e.status, 1);
	cr_assert_str_eq(e.msg, "mount /x: No such file or directory");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	e = (struct err){ 0 };
	err_sys(&e, 2, EIO, "%s", big);
	cr_assert_eq(strlen(e.msg), sizeof(e.msg) - 1);
}

/* ---- ctl.c ---- */

static int sp[2]; /* sp[0]: mvinit's end (non-blocking), sp[1]: the host's */

static void pair_setup(void)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
}

static void pair_teardown(void)
{
	close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
}

TestSuite(mvinit_ctl, .init = pair_setup, .fini = pair_teardown);

static void host_send(const void *p, size_t n)
{
	cr_assert_eq(write(sp[1], p, n), (ssize_t)n);
}

Test(mvinit_ctl, reassembles_byte_by_byte)
{
	struct proto_buf b = { 0 };
	struct ctl_reader r = { 0 };
	struct ctl_msg m;
	uint16_t rows, cols;

	cr_assert_eq(proto_encode_resize(&b, 24, 80), 0);
	for (size_t i = 0; i < b.len; i++) {
		cr_assert_eq(ctl_read(sp[0], &r, &m), CTL_MORE);
		host_send(b.data + i, 1);
	}
	cr_assert_eq(ctl_read(sp[0], &r, &m), CTL_MSG);
	cr_assert_eq(m.hdr.type, PROTO_RESIZE);
	cr_assert_eq(proto_decode_resize(m.payload, m.hdr.len, &rows, &cols), 0);
	cr_assert_eq(rows, 24);
	cr_assert_eq(cols, 80);
	ctl_msg_free(&m);
	proto_buf_free(&b);
}

Test(mvinit_ctl, back_to_back_messages_and_empty_payloads)
{
	struct proto_buf b = { 0 };
	struct ctl_reader r = { 0 };
	struct ctl_msg m;
	uint32_t v;

	proto_encode_empty(&b, PROTO_START);
	proto_encode_u32(&b, PROTO_SIGNAL, 15);
	host_send(b.data, b.len);
	cr_assert_eq(ctl_wait(sp[0], &r, &m), CTL_MSG);
	cr_assert_eq(m.hdr.type, PROTO_START);
	cr_assert_null(m.payload);
	cr_assert_eq(ctl_wait(sp[0], &r, &m), CTL_MSG);
	cr_assert_eq(m.hdr.type, PROTO_SIGNAL);
	cr_assert_eq(proto_decode_u32(m.payload, m.hdr.len, &v), 0);
	cr_assert_eq(v, 15);
	ctl_msg_free(&m);
	cr_assert_eq(ctl_read(sp[0], &r, &m), CTL_MORE);
	proto_buf_free(&b);
}

Test(mvinit_ctl, bad_header_and_eof)
{
	uint8_t bad[PROTO_HDR_LEN] = { 2, 0, PROTO_START, 0, 0, 0, 0, 0 }; /* version 2 */
	struct ctl_reader r = { 0 };
	struct ctl_msg m;

	host_send(bad, sizeof(bad));
	cr_assert_eq(ctl_read(sp[0], &r, &m), CTL_BAD);
	memset(&r, 0, sizeof(r));
	close(sp[1]);
	sp[1] = -1;
	cr_assert_eq(ctl_read(sp[0], &r, &m), CTL_EOF);
}

Test(mvinit_ctl, eof_in_the_middle_of_a_message)
{
	struct proto_buf b = { 0 };
	struct ctl_reader r = { 0 };
	struct ctl_msg m;

	proto_encode_u32(&b, PROTO_SIGNAL, 9);
	host_send(b.data, b.len - 1);
	close(sp[1]);
	sp[1] = -1;
	cr_assert_eq(ctl_wait(sp[0], &r, &m), CTL_EOF);
	free(r.msg.payload);
	proto_buf_free(&b);
}

Test(mvinit_ctl, sends_decode_with_proto)
{
	struct err e = { 0 };
	uint8_t buf[256];
	struct proto_hdr h;
	uint32_t status;
	const char *text;
	ssize_t n;

	err_set(&e, 127, "exec \"%s\": executable file not found in $PATH", "x");
	cr_assert_eq(ctl_send_hello(sp[0]), 0);
	cr_assert_eq(ctl_send_error(sp[0], &e), 0);
	n = read(sp[1], buf, sizeof(buf));
	cr_assert_gt(n, 2 * PROTO_HDR_LEN);
	cr_assert_eq(proto_parse_hdr(buf, &h), 0);
	cr_assert_eq(h.type, PROTO_HELLO);
	cr_assert_eq(proto_decode_u32(buf + PROTO_HDR_LEN, h.len, &status), 0);
	cr_assert_eq(status, PROTO_VERSION);
	uint8_t *p = buf + PROTO_HDR_LEN + h.len;
	cr_assert_eq(proto_parse_hdr(p, &h), 0);
	cr_assert_eq(h.type, PROTO_ERROR);
	cr_assert_eq(proto_decode_error(p + PROTO_HDR_LEN, h.len, &status, &text), 0);
	cr_assert_eq(status, 127);
	cr_assert_str_eq(text, e.msg);
}

Test(mvinit_ctl, finish_closes_the_stream)
{
	char c;

	/* SO_LINGER only waits on vsock; here the close is immediate. */
	ctl_finish(sp[0], 1);
	sp[0] = socket(AF_UNIX, SOCK_STREAM, 0); /* for the teardown */
	cr_assert_eq(read(sp[1], &c, 1), 0);
}

/* ---- relay.c ---- */

Test(mvinit_pump, copies_then_closes_at_eof)
{
	struct pumps ps = { 0 };
	struct pollfd pfd[PUMP_POLLFDS];
	int in[2], out[2];
	char buf[64];

	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(out), 0);
	pump_add(&ps, in[0], out[1], false, PUMP_CLOSE);
	cr_assert_eq(write(in[1], "abc", 3), 3);
	close(in[1]);
	for (int i = 0; i < 10 && !ps.pump[0].done; i++) {
		pump_poll_setup(&ps, pfd);
		cr_assert_geq(poll(pfd, PUMP_POLLFDS, 1000), 1);
		pump_poll_done(&ps, pfd);
	}
	cr_assert(ps.pump[0].done);
	cr_assert_eq(ps.pump[0].out, -1, "PUMP_CLOSE closed the pipe");
	cr_assert_eq(read(out[0], buf, sizeof(buf)), 3);
	cr_assert_eq(read(out[0], buf, sizeof(buf)), 0, "EOF passed on");
	close(in[0]);
	close(out[0]);
}

Test(mvinit_pump, drain_reads_what_is_there_without_waiting_for_eof)
{
	struct pumps ps = { 0 };
	int in[2], s[2];
	char buf[64];

	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	pump_add(&ps, in[0], s[0], true, PUMP_SHUT_WR);
	cr_assert_eq(write(in[1], "last words", 10), 10);
	/* in[1] stays open, as an orphan would hold it. */
	pump_drain(&ps, 1000);
	cr_assert(ps.pump[0].done);
	cr_assert_eq(read(s[1], buf, sizeof(buf)), 10);
	cr_assert_eq(read(s[1], buf, sizeof(buf)), 0, "SHUT_WR after the drain");
	close(in[0]);
	close(in[1]);
	close(s[0]);
	close(s[1]);
}

Test(mvinit_pump, a_reader_that_left_does_not_block_the_writer)
{
	struct pumps ps = { 0 };
	struct pollfd pfd[PUMP_POLLFDS];
	int in[2], out[2];
	char big[8192] = { 0 };

	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(out), 0);
	close(out[0]);
	pump_add(&ps, in[0], out[1], false, PUMP_KEEP);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 64; i++) {
		/* Far more than a pipe holds: the pump must keep reading. */
		cr_assert_eq(write(in[1], big, sizeof(big)), (ssize_t)sizeof(big), "round %d", i);
		pump_poll_setup(&ps, pfd);
		poll(pfd, PUMP_POLLFDS, 1000);
		pump_poll_done(&ps, pfd);
	}
	cr_assert(ps.pump[0].out_dead);
	close(in[0]);
	close(in[1]);
	close(out[1]);
}

Test(mvinit, map_id)
{
	const struct proto_idmap m[] = { { 0, 100000, 1000 }, { 1000, 1000, 1 },
					 { 4294967290u, 5, 5 } };
	cr_assert_eq(mvi_map_id(m, 3, 0), 100000);
	cr_assert_eq(mvi_map_id(m, 3, 999), 100999);
	cr_assert_eq(mvi_map_id(m, 3, 1000), 1000);
	cr_assert_eq(mvi_map_id(m, 3, 1001), MVI_UNMAPPED);
	cr_assert_eq(mvi_map_id(m, 3, 4294967294u), 9);
	cr_assert_eq(mvi_map_id(m, 3, 4294967289u), MVI_UNMAPPED);
	cr_assert_eq(mvi_map_id(m, 0, 0), MVI_UNMAPPED);
}
