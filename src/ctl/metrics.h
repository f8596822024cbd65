/* metrics: kited's Prometheus page (--metrics ADDR:PORT; off by default).
 * GET /metrics answers the text exposition format 0.0.4 (ctl/prom.h) with
 * what the engine, the data plane and the control socket count; the HTTP
 * side is io/httpd (bounded clients, request size and time).
 * docs/control.md lists every metric. */
#ifndef KITE_CTL_METRICS_H
#define KITE_CTL_METRICS_H
#include <stddef.h>
#include <stdint.h>
#include "ctl/prom.h"

struct ike_engine;
struct uesp;
struct vici_srv;

/* a counter the daemon keeps (the data plane's I/O), shown as it is */
struct metrics_extra {
    const char *name, *help;
    const uint64_t *value;
};

struct metrics_env {
    const struct ike_engine *ike;
    const struct uesp *esp;        /* NULL: no data plane */
    const struct vici_srv *vici;   /* NULL: no control socket */
    const struct metrics_extra *extra;
    unsigned n_extra;
};

struct metrics_cfg {
    unsigned max_clients;  /* --metrics-max-clients (default 16) */
    uint64_t timeout_ms;   /* a client's time from connect to answer read (default 10000) */
};

struct metrics_srv;

/* the page into out (prom_init'ed by the caller); 0 or KITE_E_NOMEM */
int metrics_render(const struct metrics_env *env, const struct metrics_srv *self, struct prom *out);
/* listen on addr; 0 or a negative errno with err filled */
int metrics_open(struct metrics_srv **out, const char *addr, const struct metrics_cfg *cfg,
                 const struct metrics_env *env, char *err, size_t cap);
int metrics_fd(const struct metrics_srv *m);
void metrics_run(struct metrics_srv *m, uint64_t now);
/* clients whose time is up are closed; the next such time or UINT64_MAX */
uint64_t metrics_tick(struct metrics_srv *m, uint64_t now);
void metrics_close(struct metrics_srv *m);

#endif
