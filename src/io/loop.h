/* loop: the event loop.  epoll over registered fds, a single deadline (the
 * earliest of the owner's timers, asked for each round), signals through
 * signalfd, and the monotonic clock in milliseconds. */
#ifndef KITE_IO_LOOP_H
#define KITE_IO_LOOP_H
#include <stdbool.h>
#include <stdint.h>

#define LOOP_MAX_FDS 32
#define LOOP_NEVER UINT64_MAX

struct loop;
typedef void loop_fd_cb(struct loop *l, int fd, void *arg);
typedef void loop_signal_cb(struct loop *l, int signo, void *arg);
/* returns the next absolute deadline (ms, monotonic) or LOOP_NEVER */
typedef uint64_t loop_deadline_cb(struct loop *l, uint64_t now, void *arg);

struct loop_fd {
    int fd;
    loop_fd_cb *cb;
    void *arg;
};

struct loop {
    int epfd, sigfd;
    bool stop;
    struct loop_fd fds[LOOP_MAX_FDS];
    int nfds;
    loop_signal_cb *on_signal;
    loop_deadline_cb *on_deadline; /* called when the deadline passes and each round */
    void *arg;
    /* busy polling (kited --busy-poll): after an fd event, poll without
     * sleeping for this many microseconds; 0: off.  A wake-up costs tens of
     * microseconds on a virtual CPU that has gone idle; this trades CPU time
     * for latency.  spins counts the rounds that polled instead of sleeping */
    uint32_t spin_us;
    uint64_t spins;
};

uint64_t loop_now_ms(void);
/* signals (e.g. SIGTERM, SIGINT, SIGHUP) are blocked and read via signalfd */
int loop_init(struct loop *l, const int *signals, int nsignals, loop_signal_cb *on_signal,
              loop_deadline_cb *on_deadline, void *arg);
int loop_add_fd(struct loop *l, int fd, loop_fd_cb *cb, void *arg);
/* run until loop_stop(); 0 or -errno */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
void loop_free(struct loop *l);

#endif
