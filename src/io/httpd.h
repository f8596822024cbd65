/* httpd: a small non-blocking HTTP/1.x server for one kind of request (the
 * metrics page, ctl/metrics.c): GET or HEAD of a path, one request per
 * connection, answered whole and closed (Connection: close).
 *
 * Like io/unix, it keeps its own epoll set and shows the daemon's loop one
 * fd.  What a client can cost is bounded by configuration: clients at once
 * (when full, the oldest is closed for the newcomer, so idle connections
 * cannot lock a scraper out), request bytes (the head of a request; more is
 * answered 431 and closed), and time: a client that has not sent its
 * request, or not read the answer, timeout_ms after it connected is closed
 * (httpd_tick).  A run handles at most `budget` readiness events.  The
 * answer is built by the caller's handler once the request is complete; the
 * server copies it, so a slow reader holds at most one answer. */
#ifndef KITE_IO_HTTPD_H
#define KITE_IO_HTTPD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct httpd_cfg {
    unsigned max_clients; /* connections at once */
    size_t max_request;   /* bytes of request line and headers */
    uint64_t timeout_ms;  /* from connect to the answer read */
    unsigned budget;      /* readiness events per httpd_run() */
};

struct httpd_stats {
    uint64_t accepted;  /* connections taken */
    uint64_t evicted;   /* closed for a newcomer: max_clients reached */
    uint64_t timeouts;  /* closed: timeout_ms passed */
    uint64_t bad;       /* answered 4xx: malformed, too long, other method or path */
    uint64_t served;    /* answered 200 */
    unsigned clients;   /* connected now */
};

/* what the handler answers: status 200, 404, 405 ...; body (the caller's,
 * copied by the server) of len bytes with its content type */
struct httpd_reply {
    int status;
    const char *content_type;
    const char *body;
    size_t len;
};
/* method ("GET", "HEAD"; others are answered 405 without asking) and path
 * (the target without a query string) of a complete request */
typedef void httpd_handler_fn(void *ctx, const char *method, const char *path, struct httpd_reply *r);

struct httpd;

/* "ADDR:PORT" or "[ADDR6]:PORT" into a socket address; 0 or -EINVAL */
struct sockaddr_storage;
int httpd_parse_addr(const char *s, struct sockaddr_storage *ss, unsigned *len);
/* listen on addr ("ADDR:PORT"); 0 or -errno (-EINVAL: a bad address) */
int httpd_open(struct httpd **out, const char *addr, const struct httpd_cfg *cfg, httpd_handler_fn *fn,
               void *ctx);
int httpd_fd(const struct httpd *h);
/* accept, read, answer and write what is ready, within the budget */
void httpd_run(struct httpd *h, uint64_t now);
/* close clients whose time is up; the next such time or UINT64_MAX */
uint64_t httpd_tick(struct httpd *h, uint64_t now);
void httpd_get_stats(const struct httpd *h, struct httpd_stats *st);
void httpd_close(struct httpd *h);

#endif
