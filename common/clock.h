/* Time for deadlines and timeouts, shared by mvm, mvrun and mvinit. */
#ifndef MVRUN_COMMON_CLOCK_H
#define MVRUN_COMMON_CLOCK_H

/* The monotonic clock in milliseconds: for deadlines, never for dates. */
long clock_ms(void);

#endif
