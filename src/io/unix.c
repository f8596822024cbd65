/* unix: the length-prefixed unix stream server (see unix.h). */
#include "io/unix.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum { READ_CHUNK = 65536, IN_MIN = 4096 };

struct unix_client {
    struct unix_srv *srv;
    struct unix_client *prev, *next;
    int fd, pid;
    bool closing, want_out;
    uint8_t *in;
    size_t in_len, in_cap;
    uint8_t *out;
    size_t out_off, out_len, out_cap;
    void *data;
};

struct unix_srv {
    int epfd, lfd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct unix_srv_cfg cfg;
    struct unix_srv_ops ops;
    struct unix_client *clients;
    struct unix_srv_stats st;
};

static void note(struct unix_srv *s, const char *fmt, int a, unsigned long long b)
{
    char msg[160];
    if (!s->ops.note)
        return;
    snprintf(msg, sizeof msg, fmt, a, b);
    s->ops.note(s->ops.ctx, msg);
}

static int set_addr(struct sockaddr_un *sa, const char *path)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (!path[0] || strlen(path) >= sizeof sa->sun_path)
        return -ENAMETOOLONG;
    memcpy(sa->sun_path, path, strlen(path));
    return 0;
}

/* something at path: a socket nobody answers is stale and removed */
static int clear_stale(const struct sockaddr_un *sa)
{
    struct stat st;
    if (lstat(sa->sun_path, &st))
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode))
        return -EEXIST;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
    close(fd);
    if (rc == 0)
        return -EADDRINUSE;
    return unlink(sa->sun_path) && errno != ENOENT ? -errno : 0;
}

static int listen_on(struct unix_srv *s, const char *path)
{
    struct sockaddr_un sa;
    int rc = set_addr(&sa, path);
    if (rc || (rc = clear_stale(&sa)))
        return rc;
    s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->lfd < 0)
        return -errno;
    /* the file is born with its mode: no moment when others may connect */
    mode_t old = umask(~s->cfg.mode & 0777);
    rc = bind(s->lfd, (const struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc || listen(s->lfd, 64))
        return -errno;
    memcpy(s->path, path, strlen(path) + 1);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    return epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) ? -errno : 0;
}

int unix_srv_open(struct unix_srv **out, const char *path, const struct unix_srv_cfg *cfg,
                  const struct unix_srv_ops *ops)
{
    struct unix_srv *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return -ENOMEM;
    s->cfg = *cfg;
    s->ops = *ops;
    s->lfd = -1;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    int rc = s->epfd < 0 ? -errno : listen_on(s, path);
    if (rc) {
        unix_srv_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int unix_srv_fd(const struct unix_srv *s)
{
    return s->epfd;
}

void unix_srv_get_stats(const struct unix_srv *s, struct unix_srv_stats *st)
{
    *st = s->st;
}

struct unix_client *unix_srv_next(struct unix_srv *s, struct unix_client *c)
{
    c = c ? c->next : s->clients;
    while (c && c->closing)
        c = c->next;
    return c;
}

static void watch(struct unix_client *c, bool out)
{
    if (c->want_out == out || c->closing)
        return;
    struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c };
    if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->want_out = out;
}

/* mark closing: shut down so that epoll reports it and the next run frees it */
static void client_end(struct unix_client *c)
{
    if (c->closing)
        return;
    c->closing = true;
    shutdown(c->fd, SHUT_RDWR);
}

static void client_free(struct unix_client *c)
{
    struct unix_srv *s = c->srv;
    if (s->ops.gone)
        s->ops.gone(s->ops.ctx, c);
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    *(c->prev ? &c->prev->next : &s->clients) = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->st.clients--;
    free(c->in);
    free(c->out);
    free(c);
}

/* false when nobody is waiting */
static bool accept_one(struct unix_srv *s)
{
    int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return false;
    if (s->st.clients >= s->cfg.max_clients) {
        close(fd);
        if (s->st.refused++ % 100 == 0) /* one line per hundred: a local flood cannot flood the log */
            note(s, "control socket: %d clients connected, refused one (%llu refused in all)",
                 (int)s->st.clients, s->st.refused);
        return true;
    }
    struct unix_client *c = calloc(1, sizeof *c);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    if (!c || epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
        free(c);
        close(fd);
        return true;
    }
    struct ucred cr;
    socklen_t len = sizeof cr;
    c->pid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) ? 0 : cr.pid;
    c->srv = s;
    c->fd = fd;
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->st.clients++;
    s->st.accepted++;
    return true;
}

/* write what is queued; -errno when the socket is gone */
static int flush(struct unix_client *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return -errno;
        }
        c->out_off += (size_t)n;
    }
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    watch(c, c->out_len > 0);
    return 0;
}

int unix_client_send(struct unix_client *c, const void *p, size_t n)
{
    if (c->closing)
        return -EPIPE;
    size_t queued = c->out_len - c->out_off;
    if (n > c->srv->cfg.max_out || queued > c->srv->cfg.max_out - n) {
        c->srv->st.slow++;
        note(c->srv, "control socket: client (pid %d) does not read its output, dropped (%llu bytes queued)",
             c->pid, (unsigned long long)queued);
        client_end(c);
        return -ENOBUFS;
    }
    if (c->out_off && c->out_len + n > c->out_cap) { /* move the unsent part to the front */
        memmove(c->out, c->out + c->out_off, queued);
        c->out_off = 0;
        c->out_len = queued;
    }
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_len + n < 4096 ? 4096 : c->out_len + n;
        uint8_t *nb = realloc(c->out, cap);
        if (!nb) {
            client_end(c);
            return -ENOMEM;
        }
        c->out = nb;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    if (flush(c)) {
        client_end(c);
        return -EPIPE;
    }
    return 0;
}

void unix_client_close(struct unix_client *c)
{
    if (!c->closing)
        flush(c);
    client_end(c);
}

bool unix_client_closing(const struct unix_client *c)
{
    return c->closing;
}

void *unix_client_data(const struct unix_client *c)
{
    return c->data;
}

void unix_client_set_data(struct unix_client *c, void *data)
{
    c->data = data;
}

int unix_client_pid(const struct unix_client *c)
{
    return c->pid;
}

static uint32_t be32_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* hand over every whole frame in the input; false when the client must go */
static bool deliver(struct unix_client *c)
{
    struct unix_srv *s = c->srv;
    size_t off = 0;
    while (!c->closing && c->in_len - off >= 4) {
        uint32_t n = be32_at(c->in + off);
        if (n > s->cfg.max_frame) {
            s->st.oversized++;
            note(s, "control socket: client (pid %d) sent a message of %llu bytes, over the limit: closed", c->pid,
                 (unsigned long long)n);
            return false;
        }
        if (c->in_len - off - 4 < n)
            break;
        if (s->ops.frame(s->ops.ctx, c, c->in + off + 4, n)) {
            s->st.rejected++;
            return false;
        }
        off += 4 + (size_t)n;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return true;
}

/* room for the frame being read (its length known) or the next chunk */
static bool make_room(struct unix_client *c)
{
    size_t want = c->in_len + READ_CHUNK, most = c->srv->cfg.max_frame + 4;
    if (c->in_len >= 4 && 4 + (size_t)be32_at(c->in) < want)
        want = 4 + (size_t)be32_at(c->in);
    if (want > most)
        want = most;
    if (want < IN_MIN)
        want = IN_MIN;
    if (want <= c->in_cap)
        return true;
    uint8_t *nb = realloc(c->in, want);
    if (!nb)
        return false;
    c->in = nb;
    c->in_cap = want;
    return true;
}

/* one read of at most READ_CHUNK, then the frames it completed */
static void client_read(struct unix_client *c)
{
    if (!make_room(c) || c->in_cap == c->in_len) {
        client_end(c);
        return;
    }
    size_t room = c->in_cap - c->in_len;
    ssize_t n = recv(c->fd, c->in + c->in_len, room < READ_CHUNK ? room : READ_CHUNK, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        client_end(c);
        return;
    }
    if (n > 0) {
        c->in_len += (size_t)n;
        if (!deliver(c))
            client_end(c);
    }
}

static void reap(struct unix_srv *s)
{
    struct unix_client *c = s->clients, *next;
    for (; c; c = next) {
        next = c->next;
        if (c->closing)
            client_free(c);
    }
}

void unix_srv_run(struct unix_srv *s)
{
    struct epoll_event evs[64];
    unsigned budget = s->cfg.budget ? s->cfg.budget : 64;
    int n = epoll_wait(s->epfd, evs, budget < 64 ? (int)budget : 64, 0);
    for (int i = 0; i < n; i++) {
        struct unix_client *c = evs[i].data.ptr;
        if (!c) { /* up to the budget of clients waiting to be accepted */
            for (unsigned k = 0; k < budget && accept_one(s); k++)
                ;
            continue;
        }
        if (c->closing)
            continue;
        if ((evs[i].events & EPOLLOUT) && flush(c))
            client_end(c);
        if (!c->closing && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            client_read(c);
    }
    reap(s);
}

void unix_srv_close(struct unix_srv *s)
{
    if (!s)
        return;
    while (s->clients)
        client_free(s->clients);
    if (s->lfd >= 0) {
        close(s->lfd);
        unlink(s->path);
    }
    if (s->epfd >= 0)
        close(s->epfd);
    free(s);
}

int unix_dial(const char *path)
{
    struct sockaddr_un sa;
    int rc = set_addr(&sa, path);
    if (rc)
        return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (const struct sockaddr *)&sa, sizeof sa)) {
        rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}
