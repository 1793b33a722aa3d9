/* Whole transfers on file descriptors, for mvm, mvrun and mvinit alike. */
#ifndef MVRUN_COMMON_IO_H
#define MVRUN_COMMON_IO_H

#include <stddef.h>

/* Write all of len bytes to a blocking fd (a short write goes on, EINTR
 * retries). 0, or -1 at an error (errno) or a write of nothing. */
int io_write_all(int fd, const void *buf, size_t len);

/* Read exactly len bytes from a blocking fd. 0, or -1 at an error (errno)
 * or end of file (errno 0). */
int io_read_all(int fd, void *buf, size_t len);

/* Send all of len bytes on a stream socket that may be non-blocking,
 * waiting (poll) for room; never SIGPIPE. 0, or -1 with errno. */
int io_send_all(int fd, const void *buf, size_t len);

#endif
