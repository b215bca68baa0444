#ifndef TC_SYNC_H
#define TC_SYNC_H

#include <pthread.h>
#include <time.h>

/*
 * A mutex and a condition variable whose timed waits run on CLOCK_MONOTONIC, so a change of
 * the wall clock never shortens or stretches a wait. Returns 0, or -1 with nothing left
 * initialised. Release with pthread_cond_destroy and pthread_mutex_destroy.
 */
int tc_sync_init(pthread_mutex_t *lock, pthread_cond_t *cond);

/* The CLOCK_MONOTONIC time `ms` milliseconds from now, for pthread_cond_timedwait. */
struct timespec tc_sync_deadline(unsigned int ms);

#endif /* TC_SYNC_H */
