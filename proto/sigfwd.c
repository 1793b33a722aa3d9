#include "proto/sigfwd.h"

#include <signal.h>

bool proto_sig_forwardable(int sig)
{
	return sig >= 1 && sig <= PROTO_SIG_MAX && sig != SIGKILL && sig != SIGSTOP;
}

uint64_t proto_sig_forward_mask(void)
{
	uint64_t m = 0;
	for (int sig = 1; sig <= PROTO_SIG_MAX; sig++)
		if (proto_sig_forwardable(sig))
			m |= 1ULL << (sig - 1);
	return m;
}

bool proto_sig_from_outside(int32_t code, uint32_t pid, uint32_t self)
{
	if (code == SI_KERNEL)
		return true;
	return code <= 0 && pid != self;
}
