/* Unix-socket helpers that mvm and mvrun share: an address for a path of any
 * length, and one fd passed with SCM_RIGHTS. */
#ifndef MVRUN_COMMON_SOCK_H
#define MVRUN_COMMON_SOCK_H

#include <sys/socket.h>
#include <sys/un.h>

/* sock_unix_addr()'s failures other than a system call's. */
enum { SOCK_PATH_TOO_LONG = -2, SOCK_NAME_TOO_LONG = -3 };

/* The address of the unix socket at `path`, into *sa. A path longer than
 * sun_path (engines' state dirs with 64-character ids make them) is reached
 * through its directory: *dirfd gets an O_PATH fd on it, to close once the
 * socket is bound or connected (else -1). Returns 0; -1 with errno when the
 * directory cannot be opened; SOCK_PATH_TOO_LONG when the path has no
 * directory or too long a one; SOCK_NAME_TOO_LONG when the name does not
 * fit even then. */
int sock_unix_addr(const char *path, struct sockaddr_un *sa, int *dirfd);

/* Control data room for one SCM_RIGHTS fd, aligned for a cmsghdr. */
union sock_fd_cmsg {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* Attach fd to msg as SCM_RIGHTS, with u (zeroed here) as its control data. */
void sock_attach_fd(struct msghdr *msg, union sock_fd_cmsg *u, int fd);

#endif
