/* io/loop: fds, deadlines and signals */
#include "testutil.h"
#include "io/loop.h"
#include <signal.h>
#include <unistd.h>

struct ctx {
    int reads, deadlines, signals;
    uint64_t deadline;
    int pipe[2];
};

static void on_read(struct loop *l, int fd, void *arg)
{
    struct ctx *c = arg;
    char b;
    assert_int_equal(read(fd, &b, 1), 1);
    c->reads++;
    (void)l;
    /* after the first read, ask for a deadline shortly after */
    c->deadline = loop_now_ms() + 20;
}

static uint64_t on_deadline(struct loop *l, uint64_t now, void *arg)
{
    struct ctx *c = arg;
    (void)l;
    if (c->deadline != LOOP_NEVER && now >= c->deadline) {
        c->deadlines++;
        c->deadline = LOOP_NEVER;
        raise(SIGHUP); /* delivered through the signalfd, not a handler */
    }
    return c->deadline;
}

static void on_signal(struct loop *l, int signo, void *arg)
{
    struct ctx *c = arg;
    assert_int_equal(signo, SIGHUP);
    c->signals++;
    loop_stop(l);
}

static void runs_fd_then_deadline_then_signal(void **state)
{
    (void)state;
    struct ctx c = { .deadline = LOOP_NEVER };
    struct loop l;
    int sigs[] = { SIGHUP };
    assert_int_equal(pipe(c.pipe), 0);
    assert_int_equal(loop_init(&l, sigs, 1, on_signal, on_deadline, &c), 0);
    assert_int_equal(loop_add_fd(&l, c.pipe[0], on_read, &c), 0);
    assert_int_equal(write(c.pipe[1], "x", 1), 1);
    uint64_t t0 = loop_now_ms();
    assert_int_equal(loop_run(&l), 0);
    assert_int_equal(c.reads, 1);
    assert_int_equal(c.deadlines, 1);
    assert_int_equal(c.signals, 1);
    assert_true(loop_now_ms() - t0 >= 20);
    loop_free(&l);
    close(c.pipe[0]);
    close(c.pipe[1]);
}

/* busy polling: after an event the loop polls (many rounds, no sleep) for
 * spin_us, then sleeps again until the deadline */
struct spin_ctx {
    int rounds, reads;
    uint64_t start, stop_at, spins_seen, last_spin_ms; /* since start */
};

static void spin_read(struct loop *l, int fd, void *arg)
{
    struct spin_ctx *c = arg;
    char b;
    (void)l;
    assert_int_equal(read(fd, &b, 1), 1);
    c->reads++;
}

static uint64_t spin_deadline(struct loop *l, uint64_t now, void *arg)
{
    struct spin_ctx *c = arg;
    c->rounds++;
    if (l->spins != c->spins_seen) {
        c->spins_seen = l->spins;
        c->last_spin_ms = now - c->start;
    }
    if (now >= c->stop_at)
        loop_stop(l);
    return c->stop_at;
}

static int spin_rounds(uint32_t spin_us, uint64_t *spins, uint64_t *last_spin_ms)
{
    struct spin_ctx c = { 0 };
    struct loop l;
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(loop_init(&l, NULL, 0, NULL, spin_deadline, &c), 0);
    assert_int_equal(loop_add_fd(&l, p[0], spin_read, &c), 0);
    l.spin_us = spin_us;
    assert_int_equal(write(p[1], "x", 1), 1);
    c.start = loop_now_ms();
    c.stop_at = c.start + 300;
    assert_int_equal(loop_run(&l), 0);
    assert_int_equal(c.reads, 1);
    *spins = l.spins;
    *last_spin_ms = c.last_spin_ms;
    loop_free(&l);
    close(p[0]);
    close(p[1]);
    return c.rounds;
}

static void busy_poll_after_an_event(void **state)
{
    (void)state;
    uint64_t spins_off, spins_on, last_off, last_on;
    int off = spin_rounds(0, &spins_off, &last_off);
    int on = spin_rounds(20000, &spins_on, &last_on); /* 20 ms of polling in a 300 ms run */
    assert_int_equal(spins_off, 0);
    assert_true(off <= 4);                /* the event, then one sleep to the deadline */
    /* with polling: rounds without sleeping (on a loaded machine a yield may
     * take long, so only a few are certain), and polling over well before
     * the run ends at 300 ms (20 ms, then at most one yield's time: a loaded
     * machine made a yield take over 25 ms once) */
    assert_true(spins_on >= 2);
    assert_true(last_on <= 200);
    /* the deadline callback is not run again by rounds that polled and found
     * nothing: about as often as without polling (epoll's millisecond
     * timeout may end a sleep a round early) */
    assert_true(on <= off + 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_fd_then_deadline_then_signal),
        cmocka_unit_test(busy_poll_after_an_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
