#include "io/loop.h"
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int loop_init(struct loop *l, const int *signals, int nsignals, loop_signal_cb *on_signal,
              loop_deadline_cb *on_deadline, void *arg)
{
    memset(l, 0, sizeof *l);
    l->sigfd = -1;
    l->on_signal = on_signal;
    l->on_deadline = on_deadline;
    l->arg = arg;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0)
        return -errno;
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < nsignals; i++)
        sigaddset(&set, signals[i]);
    if (nsignals > 0) {
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
            return -errno;
        l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        if (l->sigfd < 0)
            return -errno;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->sigfd, &ev) < 0)
            return -errno;
    }
    return 0;
}

int loop_add_fd(struct loop *l, int fd, loop_fd_cb *cb, void *arg)
{
    if (l->nfds >= LOOP_MAX_FDS)
        return -ENOSPC;
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)l->nfds };
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -errno;
    l->fds[l->nfds++] = (struct loop_fd){ fd, cb, arg };
    return 0;
}

static void drain_signals(struct loop *l)
{
    struct signalfd_siginfo si;
    while (read(l->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        if (l->on_signal)
            l->on_signal(l, (int)si.ssi_signo, l->arg);
}

/* how long epoll may sleep before the owner's next deadline (kept in *next) */
static int wait_ms(struct loop *l, uint64_t *next)
{
    *next = LOOP_NEVER;
    if (!l->on_deadline)
        return -1;
    uint64_t now = loop_now_ms();
    *next = l->on_deadline(l, now, l->arg);
    if (*next == LOOP_NEVER)
        return -1;
    if (*next <= now)
        return 0;
    uint64_t d = *next - now;
    return d > 60000 ? 60000 : (int)d;
}

int loop_run(struct loop *l)
{
    struct epoll_event evs[16];
    uint64_t busy_until = 0, next = LOOP_NEVER;
    bool quiet = false; /* the last round polled and brought nothing */
    while (!l->stop) {
        /* busy polling: for spin_us after the last event, poll instead of
         * sleeping (yielding to anything runnable), so that a reply arriving
         * soon is picked up without the wake-up of a sleeping thread */
        bool polling = l->spin_us && now_us() < busy_until;
        int timeout = 0;
        /* a polling round after one that brought nothing changes no deadline:
         * the owner's deadline work is not done again until it is due */
        if (!(polling && quiet && loop_now_ms() < next)) {
            timeout = wait_ms(l, &next);
            if (l->stop) /* the deadline callback may have stopped the loop */
                break;
        }
        if (polling) {
            timeout = 0;
            l->spins++;
            sched_yield();
        }
        int n = epoll_wait(l->epfd, evs, 16, timeout);
        quiet = polling && n == 0;
        if (n > 0 && l->spin_us)
            busy_until = now_us() + l->spin_us;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (int i = 0; i < n && !l->stop; i++) {
            uint32_t idx = evs[i].data.u32;
            if (idx == UINT32_MAX)
                drain_signals(l);
            else if (idx < (uint32_t)l->nfds)
                l->fds[idx].cb(l, l->fds[idx].fd, l->fds[idx].arg);
        }
    }
    return 0;
}

void loop_stop(struct loop *l)
{
    l->stop = true;
}

void loop_free(struct loop *l)
{
    if (l->sigfd >= 0)
        close(l->sigfd);
    if (l->epfd >= 0)
        close(l->epfd);
    l->sigfd = l->epfd = -1;
}
