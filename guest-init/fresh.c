/* The save point (proto/mvm_port.h): mvinit in container mode stops here,
 * up and waiting, before anything of a container reaches the guest. An mvm
 * making a snapshot saves the guest at this instruction; every guest
 * restored from it goes on right after it, possibly many at once from one
 * template, sharing what the template had in memory: the kernel's RNG state
 * included, and a clock frozen at the save. So before any container process
 * runs, each one takes a fresh record from its own mvm: 64 bytes of that
 * mvm's entropy credited to the kernel's pool and a reseed of the CRNG (two
 * clones read different /dev/urandom bytes, and the processes they start
 * get different stack canaries and ASLR), and the host's wall clock. The
 * vsock control connection is opened only after this (container_mode), so
 * no stream of the template's survives: it had none. A guest that was never
 * saved takes the same path, which costs a few port reads. */
#include <fcntl.h>
#include <linux/random.h>
#include <stdint.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "guest-init/mvinit.h"
#include "proto/mvm_port.h"

static void reseed(const uint32_t *words)
{
	struct {
		struct rand_pool_info info;
		uint32_t buf[16];
	} e;
	int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		mvi_warn("open /dev/urandom: cannot reseed");
		return;
	}
	e.info.entropy_count = 16 * 32;
	e.info.buf_size = sizeof(e.buf);
	memcpy(e.buf, words, sizeof(e.buf));
	if (ioctl(fd, RNDADDENTROPY, &e) < 0 || ioctl(fd, RNDRESEEDCRNG) < 0)
		mvi_warn("reseeding the RNG failed");
	memset(&e, 0, sizeof(e));
	close(fd);
}

void mvi_save_point(bool have_port)
{
	uint32_t rec[MVM_FRESH_WORDS];
	struct timespec now;

	if (!have_port)
		return;
	outl(MVM_SAVE_POINT, MVM_PORT_SAVE);
	/* A restored guest runs on from here. */
	outl(0, MVM_PORT_FRESH);
	for (int i = 0; i < MVM_FRESH_WORDS; i++)
		rec[i] = inl(MVM_PORT_FRESH);
	/* No mvm behind the port (QEMU's float high): nothing to take. */
	if (rec[0] > MVM_FRESH_RESTORED)
		return;
	reseed(&rec[MVM_FRESH_ENTROPY_WORD]);
	now.tv_sec = (time_t)((uint64_t)rec[2] << 32 | rec[1]);
	now.tv_nsec = rec[3] < 1000000000u ? (long)rec[3] : 0;
	if (now.tv_sec > 0 && clock_settime(CLOCK_REALTIME, &now) < 0)
		mvi_warn("setting the clock failed");
	memset(rec, 0, sizeof(rec));
}
