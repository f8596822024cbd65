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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_fd_then_deadline_then_signal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
