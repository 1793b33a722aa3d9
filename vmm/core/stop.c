#include "vmm/core/stop.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void vmstop_init(struct vm_stop *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->kicked_cond, NULL);
	atomic_store(&s->reason, VM_RUNNING);
	s->vcpu = -1;
}

bool vmstop_request(struct vm_stop *s, int reason, int vcpu, const char *fmt, ...)
{
	pthread_mutex_lock(&s->lock);
	if (atomic_load(&s->reason) != VM_RUNNING) {
		pthread_mutex_unlock(&s->lock);
		return false;
	}
	s->vcpu = vcpu;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
	atomic_store(&s->reason, reason);
	pthread_cond_broadcast(&s->kicked_cond);
	pthread_mutex_unlock(&s->lock);
	return true;
}

void vmstop_wait(struct vm_stop *s)
{
	pthread_mutex_lock(&s->lock);
	while (atomic_load(&s->reason) == VM_RUNNING)
		pthread_cond_wait(&s->kicked_cond, &s->lock);
	bool kick = !s->kicked;
	s->kicked = true;
	pthread_mutex_unlock(&s->lock);
	if (kick && s->kick)
		s->kick(s->kick_arg);
}

int vmstop_reason(struct vm_stop *s)
{
	return atomic_load(&s->reason);
}
