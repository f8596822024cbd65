/* helper: programs run without waiting for them (helper.h). */
#include "daemon/helper.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct helper_job {
    struct helper_job *next;
    char **argv;
    char *in, *what;
    uint64_t tag, deadline;
    pid_t pid;                /* 0: not started */
    int pidfd;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int helpers_init(struct helpers *h, uint32_t timeout_ms, helper_done_fn *done, void *ctx)
{
    memset(h, 0, sizeof *h);
    h->timeout_ms = timeout_ms ? timeout_ms : 30000;
    h->done = done;
    h->ctx = ctx;
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    return h->epfd < 0 ? -errno : 0;
}

static void job_free(struct helper_job *j)
{
    for (char **a = j->argv; a && *a; a++)
        free(*a);
    free(j->argv);
    free(j->in);
    free(j->what);
    if (j->pidfd >= 0)
        close(j->pidfd);
    free(j);
}

static struct helper_job *job_new(char *const argv[], const char *in, const char *what, uint64_t tag)
{
    size_t n = 0;
    while (argv[n])
        n++;
    struct helper_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->pidfd = -1;
    j->tag = tag;
    j->argv = calloc(n + 1, sizeof *j->argv);
    bool ok = j->argv && (j->what = strdup(what)) && (!in || (j->in = strdup(in)));
    for (size_t i = 0; ok && i < n; i++)
        ok = (j->argv[i] = strdup(argv[i])) != NULL;
    if (!ok) {
        job_free(j);
        return NULL;
    }
    return j;
}

int helpers_queue(struct helpers *h, char *const argv[], const char *in, const char *what, uint64_t tag,
                  uint64_t now)
{
    struct helper_job *j = job_new(argv, in, what, tag);
    if (!j)
        return -ENOMEM;
    if (h->tail)
        h->tail->next = j;
    else
        h->head = j;
    h->tail = j;
    helpers_run(h, now);
    return 0;
}

/* the process: stdin from fd (a socket we feed, or /dev/null), signals as
 * a fresh program expects them (kited blocks its own for a signalfd) */
static int spawn(struct helper_job *j, int in_fd)
{
    extern char **environ;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setpgroup(&at, 0);
    int rc = posix_spawn(&j->pid, j->argv[0], &fa, &at, j->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc)
        j->pid = 0;
    return rc;
}

/* 0, or an errno (the job is over: reported by the caller) */
static int job_start(struct helpers *h, struct helper_job *j, uint64_t now)
{
    int fds[2] = { -1, -1 };
    /* a socket pair, not a pipe: a helper that exits without reading must
     * not SIGPIPE kited (MSG_NOSIGNAL) */
    int in_fd = j->in ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) ? -1 : fds[0]
                      : open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in_fd < 0)
        return errno;
    int rc = spawn(j, in_fd);
    close(in_fd);
    if (fds[1] >= 0) {
        if (!rc) /* a few hundred bytes: the socket buffer takes them at once */
            (void)!send(fds[1], j->in, strlen(j->in), MSG_DONTWAIT | MSG_NOSIGNAL);
        close(fds[1]);
    }
    if (rc)
        return rc;
    j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = j };
    if (j->pidfd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, j->pidfd, &ev)) {
        rc = errno;
        kill(-j->pid, SIGKILL);
        waitpid(j->pid, NULL, 0);
        return rc;
    }
    j->deadline = now + h->timeout_ms;
    h->started++;
    return 0;
}

static void job_done(struct helpers *h, int status)
{
    struct helper_job *j = h->head;
    h->head = j->next;
    if (!h->head)
        h->tail = NULL;
    if (status != 0)
        h->failed++;
    if (h->done)
        h->done(h->ctx, j->tag, j->what, status);
    /* out of the epoll set before closing: a process forked meanwhile (an
     * updown script) holds a copy of the pidfd until it execs, and the
     * registration lives as long as any copy, pointing at the freed job */
    if (j->pidfd >= 0 && h->epfd >= 0)
        epoll_ctl(h->epfd, EPOLL_CTL_DEL, j->pidfd, NULL);
    job_free(j);
}

/* the running job, when it has ended: reaped and reported */
static void reap(struct helpers *h)
{
    struct helper_job *j = h->head;
    int st = 0;
    if (!j || !j->pid)
        return;
    pid_t w = waitpid(j->pid, &st, WNOHANG);
    if (w == 0)
        return; /* not yet */
    job_done(h, w > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

void helpers_run(struct helpers *h, uint64_t now)
{
    reap(h);
    while (h->head && !h->head->pid) {
        int rc = job_start(h, h->head, now);
        if (!rc)
            break;
        job_done(h, -1); /* could not run: reported as a failure */
    }
}

uint64_t helpers_tick(struct helpers *h, uint64_t now)
{
    struct helper_job *j = h->head;
    if (!j || !j->pid || !j->deadline)
        return UINT64_MAX;
    if (now < j->deadline)
        return j->deadline;
    kill(-j->pid, SIGKILL); /* its pidfd reports the end */
    h->killed++;
    j->deadline = 0;
    return UINT64_MAX;
}

void helpers_finish(struct helpers *h)
{
    while (h->epfd >= 0 && h->head) {
        struct epoll_event ev;
        uint64_t now = mono_ms(), next = helpers_tick(h, now);
        int wait = next == UINT64_MAX ? 100 : next > now + 100 ? 100 : (int)(next - now);
        if (epoll_wait(h->epfd, &ev, 1, wait) < 0 && errno != EINTR)
            break;
        helpers_run(h, mono_ms());
    }
}

void helpers_free(struct helpers *h)
{
    while (h->head) {
        struct helper_job *j = h->head;
        if (j->pid) {
            kill(-j->pid, SIGKILL);
            waitpid(j->pid, NULL, 0);
        }
        h->head = j->next;
        job_free(j);
    }
    h->tail = NULL;
    if (h->epfd >= 0)
        close(h->epfd);
    h->epfd = -1;
}
