/* kite_load: the parts of the load generator (kite_load.c) that need no
 * socket: identities from a format, the rate, the IKE SA id -> initiator map,
 * setup latencies and their percentiles, and the report (text or JSON).
 * tests/unit/kite_load_test.c checks them. */
#ifndef KITE_TOOLS_KITE_LOAD_H
#define KITE_TOOLS_KITE_LOAD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* fmt with each %u replaced by i in decimal, %x by i in hex, %% by %:
 * "load-%u@example.com" gives "load-7@example.com" for 7.  0, or -1 for an
 * unknown directive or when the result does not fit cap (with its NUL) */
int load_id_format(const char *fmt, uint32_t i, char *out, size_t cap);
/* "500", "500/s", "30000/m": initiations per second (> 0) in *per_s; 0 or -1 */
int load_rate_parse(const char *s, double *per_s);

/* IKE SA unique id -> initiator index: open addressing, sized for n at
 * creation, never grown (an initiator has one IKE SA at a time) */
struct load_map {
    uint32_t *key; /* 0: empty (the engine's ids start at 1) */
    uint32_t *val;
    uint32_t mask;
};
int load_map_init(struct load_map *m, uint32_t n);
void load_map_free(struct load_map *m);
/* 0, or -1 when full or key is 0 */
int load_map_put(struct load_map *m, uint32_t key, uint32_t val);
/* the initiator of key, or -1 */
int64_t load_map_get(const struct load_map *m, uint32_t key);
/* forget key (its IKE SA is gone) */
void load_map_del(struct load_map *m, uint32_t key);

/* setup latencies in microseconds */
struct load_lat {
    uint32_t *v;
    size_t n, cap;
};
int load_lat_add(struct load_lat *l, uint32_t us);
/* the nearest-rank percentile p (0 < p <= 100) of the values; sorts them; 0 when empty */
uint32_t load_lat_pct(struct load_lat *l, double p);
void load_lat_free(struct load_lat *l);

/* failure reasons, as the report names them */
enum load_fail { LOAD_F_TIMEOUT, LOAD_F_AUTH, LOAD_F_NO_PROPOSAL, LOAD_F_TS, LOAD_F_OTHER, LOAD_F_UNFINISHED,
                 LOAD_F_N };
const char *load_fail_name(enum load_fail f);

struct load_report {
    uint32_t n;                 /* initiators asked for */
    uint32_t started, established, failed;
    uint64_t fail[LOAD_F_N];
    double setup_s;             /* first initiation to the last IKE SA up (or failed) */
    uint32_t p50_us, p99_us, max_us;
    long rss_kb;                /* this process at the end of setup */
};
/* computes p50/p99/max from lat (sorting it) into r */
void load_report_latency(struct load_report *r, struct load_lat *lat);
/* established IKE SAs per second of setup_s (0 when none) */
double load_report_rate(const struct load_report *r);
/* the setup phase, printed as soon as it ends (bench/capacity.sh reads the
 * responder's CPU time and memory then): text, or one JSON object */
void load_report_print(FILE *f, const struct load_report *r, bool json);
/* the end of --hold: `deleted` of `of` IKE SAs gone with their Delete answered */
void load_delete_print(FILE *f, uint32_t deleted, uint32_t of, double hold_s, double delete_s, bool json);

/* how many different addresses (family and IP; ports ignored) the n in a
 * hold; sorts a */
struct ike_addr;
uint32_t load_addrs_distinct(struct ike_addr *a, uint32_t n);

#endif
