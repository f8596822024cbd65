/* httpd: the metrics page's HTTP/1.x server (see httpd.h; RFC 9112 for the
 * message syntax, of which only the request line is read). */
#include "io/httpd.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct hclient {
    int fd;
    uint64_t seq;       /* order of arrival: the oldest makes room */
    uint64_t deadline;
    bool answered;
    char *in;           /* max_request + 1 bytes */
    size_t in_len;
    char *out;
    size_t out_off, out_len;
};

struct httpd {
    int epfd, lfd;
    struct httpd_cfg cfg;
    httpd_handler_fn *fn;
    void *ctx;
    struct hclient **cl; /* cfg.max_clients slots, NULL when free */
    struct httpd_stats st;
};

int httpd_parse_addr(const char *s, struct sockaddr_storage *ss, unsigned *len)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    memset(ss, 0, sizeof *ss);
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof host)
        return -EINVAL;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 1 || port > 65535)
        return -EINVAL;
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        host[hl - 1] = 0;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        *len = sizeof *a;
        return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -EINVAL;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    *len = sizeof *a;
    return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -EINVAL;
}

static int listen_on(struct httpd *h, const char *addr)
{
    struct sockaddr_storage ss;
    unsigned len;
    int one = 1;
    if (httpd_parse_addr(addr, &ss, &len))
        return -EINVAL;
    h->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (h->lfd < 0)
        return -errno;
    setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(h->lfd, (struct sockaddr *)&ss, len) || listen(h->lfd, 64))
        return -errno;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    return epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->lfd, &ev) ? -errno : 0;
}

int httpd_open(struct httpd **out, const char *addr, const struct httpd_cfg *cfg, httpd_handler_fn *fn, void *ctx)
{
    struct httpd *h = calloc(1, sizeof *h);
    *out = NULL;
    if (!h)
        return -ENOMEM;
    h->cfg = *cfg;
    h->fn = fn;
    h->ctx = ctx;
    h->lfd = -1;
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    h->cl = calloc(cfg->max_clients ? cfg->max_clients : 1, sizeof *h->cl);
    int rc = h->epfd < 0 || !h->cl ? -ENOMEM : listen_on(h, addr);
    if (rc) {
        httpd_close(h);
        return rc;
    }
    *out = h;
    return 0;
}

int httpd_fd(const struct httpd *h)
{
    return h->epfd;
}

static void drop(struct httpd *h, unsigned i)
{
    struct hclient *c = h->cl[i];
    close(c->fd); /* also leaves the epoll set */
    free(c->in);
    free(c->out);
    free(c);
    h->cl[i] = NULL;
    h->st.clients--;
}

/* a free slot; when there is none, the oldest client's */
static unsigned slot_for_new(struct httpd *h)
{
    unsigned old = 0;
    for (unsigned i = 0; i < h->cfg.max_clients; i++) {
        if (!h->cl[i])
            return i;
        if (h->cl[i]->seq < h->cl[old]->seq)
            old = i;
    }
    h->st.evicted++;
    drop(h, old);
    return old;
}

static void accept_one(struct httpd *h, uint64_t now)
{
    int fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    unsigned i = slot_for_new(h);
    struct hclient *c = calloc(1, sizeof *c);
    char *in = malloc(h->cfg.max_request + 1);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    if (!c || !in || epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev)) {
        close(fd);
        free(c);
        free(in);
        return;
    }
    c->fd = fd;
    c->in = in;
    c->deadline = now + h->cfg.timeout_ms;
    c->seq = h->st.accepted;
    h->cl[i] = c;
    h->st.accepted++;
    h->st.clients++;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 505: return "HTTP Version Not Supported";
    default: return "Internal Server Error";
    }
}

/* the answer, whole, into c->out; head_only for HEAD */
static void answer(struct httpd *h, struct hclient *c, const struct httpd_reply *r, bool head_only)
{
    char head[256];
    size_t body = head_only ? 0 : r->len;
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
                     r->status, reason(r->status), r->content_type ? r->content_type : "text/plain; charset=utf-8",
                     r->len, r->status == 405 ? "Allow: GET, HEAD\r\n" : "");
    c->answered = true;
    c->out = malloc((size_t)n + body);
    if (!c->out)
        return;
    memcpy(c->out, head, (size_t)n);
    if (body)
        memcpy(c->out + n, r->body, body);
    c->out_len = (size_t)n + body;
    if (r->status == 200)
        h->st.served++;
    else
        h->st.bad++;
    struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
    epoll_ctl(h->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void answer_error(struct httpd *h, struct hclient *c, int status)
{
    char body[64];
    int n = snprintf(body, sizeof body, "%d %s\n", status, reason(status));
    struct httpd_reply r = { status, NULL, body, (size_t)n };
    answer(h, c, &r, false);
}

/* "METHOD SP TARGET SP HTTP/1.x" (RFC 9112 3): the status to refuse it
 * with, or 0 with method, path and head filled in */
static int request_line(char *line, char **path, bool *head)
{
    char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || sp1 == line || sp2 == sp1 + 1 || strchr(sp2 + 1, ' ') || sp1[1] != '/')
        return 400;
    *sp1 = *sp2 = 0;
    if (strncmp(sp2 + 1, "HTTP/1.", 7) || !sp2[8] || sp2[9])
        return strncmp(sp2 + 1, "HTTP/", 5) ? 400 : 505;
    *head = !strcmp(line, "HEAD");
    if (!*head && strcmp(line, "GET"))
        return 405;
    char *q = strchr(sp1 + 1, '?');
    if (q)
        *q = 0;
    *path = sp1 + 1;
    return 0;
}

static void request(struct httpd *h, struct hclient *c)
{
    char *path = NULL;
    bool head = false;
    c->in[strcspn(c->in, "\r\n")] = 0;
    int status = request_line(c->in, &path, &head);
    if (status) {
        answer_error(h, c, status);
        return;
    }
    struct httpd_reply r = { 404, NULL, "404 Not Found\n", 14 };
    h->fn(h->ctx, c->in, path, &r);
    answer(h, c, &r, head);
}

/* read what is there; answer once the head is complete (an empty line) */
static bool readable(struct httpd *h, struct hclient *c)
{
    ssize_t n = recv(c->fd, c->in + c->in_len, h->cfg.max_request - c->in_len, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return false;
    if (n < 0 || c->answered)
        return true; /* what follows a request is ignored */
    c->in_len += (size_t)n;
    c->in[c->in_len] = 0;
    if (memchr(c->in, 0, c->in_len))
        answer_error(h, c, 400);
    else if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n"))
        request(h, c);
    else if (c->in_len == h->cfg.max_request)
        answer_error(h, c, 431);
    return true;
}

/* send what the socket takes; false when done or broken */
static bool writable(struct hclient *c)
{
    while (c->out && c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        c->out_off += (size_t)n;
    }
    return false;
}

static unsigned index_of(const struct httpd *h, const struct hclient *c)
{
    unsigned i = 0;
    while (i < h->cfg.max_clients && h->cl[i] != c)
        i++;
    return i;
}

void httpd_run(struct httpd *h, uint64_t now)
{
    struct epoll_event ev[64];
    int max = h->cfg.budget && h->cfg.budget < 64 ? (int)h->cfg.budget : 64;
    int n = epoll_wait(h->epfd, ev, max, 0);
    for (int k = 0; k < n; k++) {
        struct hclient *c = ev[k].data.ptr;
        if (!c) {
            accept_one(h, now);
            continue;
        }
        unsigned i = index_of(h, c);
        if (i == h->cfg.max_clients)
            continue; /* evicted by an accept of this round */
        bool keep;
        if (c->answered) {
            keep = writable(c);
        } else {
            keep = readable(h, c);
            if (keep && c->answered) /* the answer goes at once; EPOLLOUT for the rest */
                keep = writable(c);
        }
        if (!keep)
            drop(h, i);
    }
}

uint64_t httpd_tick(struct httpd *h, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (unsigned i = 0; i < h->cfg.max_clients; i++) {
        if (!h->cl[i])
            continue;
        if (h->cl[i]->deadline <= now) {
            h->st.timeouts++;
            drop(h, i);
        } else if (h->cl[i]->deadline < next) {
            next = h->cl[i]->deadline;
        }
    }
    return next;
}

void httpd_get_stats(const struct httpd *h, struct httpd_stats *st)
{
    *st = h->st;
}

void httpd_close(struct httpd *h)
{
    if (!h)
        return;
    for (unsigned i = 0; h->cl && i < h->cfg.max_clients; i++)
        if (h->cl[i])
            drop(h, i);
    free(h->cl);
    if (h->lfd >= 0)
        close(h->lfd);
    if (h->epfd >= 0)
        close(h->epfd);
    free(h);
}
