/* common/io: whole transfers, across short reads and writes, end of file
 * and a full non-blocking socket. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/io.h"

#define BIG (1 << 20) /* past a pipe's and a socket's buffer */

struct drain {
	int fd;
	size_t got;
	unsigned char sum;
};

static void *drain(void *arg)
{
	struct drain *d = arg;
	unsigned char buf[4096];
	ssize_t n;
	while ((n = read(d->fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++, d->got++)
			d->sum ^= buf[i];
	return NULL;
}

static unsigned char *pattern(void)
{
	unsigned char *b = malloc(BIG);
	cr_assert_not_null(b);
	for (size_t i = 0; i < BIG; i++)
		b[i] = (unsigned char)(i * 131 + 7);
	return b;
}

static unsigned char xor_of(const unsigned char *b, size_t n)
{
	unsigned char s = 0;
	for (size_t i = 0; i < n; i++)
		s ^= b[i];
	return s;
}

Test(io, write_all_moves_more_than_a_pipe_holds)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	struct drain d = { .fd = p[0] };
	pthread_t t;
	pthread_create(&t, NULL, drain, &d);
	unsigned char *b = pattern();
	cr_assert_eq(io_write_all(p[1], b, BIG), 0);
	close(p[1]);
	pthread_join(t, NULL);
	cr_assert_eq(d.got, BIG);
	cr_assert_eq(d.sum, xor_of(b, BIG));
	close(p[0]);
	free(b);
}

Test(io, read_all_gathers_short_reads_and_fails_at_end_of_file)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(write(p[1], "abc", 3), 3);
	cr_assert_eq(write(p[1], "def", 3), 3);
	char buf[6];
	cr_assert_eq(io_read_all(p[0], buf, 6), 0);
	cr_assert_eq(memcmp(buf, "abcdef", 6), 0);
	cr_assert_eq(write(p[1], "gh", 2), 2);
	close(p[1]);
	errno = EINVAL;
	cr_assert_eq(io_read_all(p[0], buf, 4), -1, "two bytes, then end of file");
	cr_assert_eq(errno, 0, "end of file is errno 0");
	close(p[0]);
}

Test(io, write_all_to_a_closed_pipe_fails)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(io_write_all(p[1], "x", 1), -1);
	cr_assert_eq(errno, EPIPE);
	close(p[1]);
}

Test(io, send_all_waits_for_room_on_a_non_blocking_socket)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	struct drain d = { .fd = sv[1] };
	pthread_t t;
	pthread_create(&t, NULL, drain, &d);
	unsigned char *b = pattern();
	cr_assert_eq(io_send_all(sv[0], b, BIG), 0);
	shutdown(sv[0], SHUT_WR);
	pthread_join(t, NULL);
	cr_assert_eq(d.got, BIG);
	cr_assert_eq(d.sum, xor_of(b, BIG));
	close(sv[0]);
	close(sv[1]);
	free(b);
}

Test(io, send_all_to_a_closed_peer_fails_without_sigpipe)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	signal(SIGPIPE, SIG_DFL); /* MSG_NOSIGNAL: the test lives */
	cr_assert_eq(io_send_all(sv[0], "x", 1), -1);
	cr_assert_eq(errno, EPIPE);
	close(sv[0]);
}
