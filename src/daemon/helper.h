/* helper: programs kited runs for the host's sake (resolvectl, resolvconf
 * for a client's DNS servers: vip.c) without waiting for them in the event
 * loop.  A job is spawned (posix_spawn, no shell, signals unblocked and
 * default, its own process group), its stdin fed from a short text when
 * given, its end watched through a pidfd in one epoll set the loop watches
 * (helpers_fd); the caller hears how it ended through a callback.  Jobs run
 * one at a time in the order queued, so that a revert never overtakes the
 * setting it undoes; one that outlives the timeout is killed with its
 * process group.  The queue grows as needed (no cap). */
#ifndef KITE_DAEMON_HELPER_H
#define KITE_DAEMON_HELPER_H
#include <stdint.h>

/* how job `tag` ended: its exit status, or -1 (could not run, killed by the
 * timeout or a signal) */
typedef void helper_done_fn(void *ctx, uint64_t tag, const char *what, int status);

struct helper_job;
struct helpers {
    int epfd;                 /* the running job's pidfd; -1: not opened */
    uint32_t timeout_ms;      /* default 30 s */
    helper_done_fn *done;
    void *ctx;
    struct helper_job *head, *tail; /* head runs when its pid is set */
    uint64_t started, failed, killed;
};

/* 0 or -errno (epoll_create1) */
int helpers_init(struct helpers *h, uint32_t timeout_ms, helper_done_fn *done, void *ctx);
static inline int helpers_fd(const struct helpers *h)
{
    return h->epfd;
}
/* queue argv (argv[0] a path; copied) with `in` (copied; NULL: /dev/null)
 * as its stdin; what names it in the callback.  0, or -ENOMEM (nothing queued) */
int helpers_queue(struct helpers *h, char *const argv[], const char *in, const char *what, uint64_t tag,
                  uint64_t now);
/* reap the job that ended, start the next */
void helpers_run(struct helpers *h, uint64_t now);
/* kill the job past its time; the next deadline (UINT64_MAX: none) */
uint64_t helpers_tick(struct helpers *h, uint64_t now);
/* at exit: runs every queued job, each within the timeout */
void helpers_finish(struct helpers *h);
/* kills what runs, drops what waits (no callbacks) */
void helpers_free(struct helpers *h);

#endif
