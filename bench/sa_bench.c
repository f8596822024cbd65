/* sa_bench: what one established IKE SA (PSK + x25519, one Child SA) costs a
 * kite responder engine, in process: N initiator engines, each from its own
 * address and identity, set up one IKE SA each with one responder whose
 * connection accepts %any.  Time is virtual; the CPU time counted is the
 * responder's alone (ike_recv/ike_tick/ike_next_deadline and its actions),
 * memory is the heap the responder holds once all N are up (the initiators
 * are freed as soon as their SA is up) and the process RSS growth.
 * Then, with all N established, the cost of one ike_next_deadline and one
 * ike_tick of the responder (nothing due): what a timer costs per SA count.
 * One line:
 *   sa n=<N> up=<established> cpu_ms_per_sa=<> heap_b_per_sa=<> rss_kb_per_sa=<>
 *      deadline_us=<> tick_us=<>
 * Usage: sa_bench [N] (default 1000) */
#include "crypto/registry.h"
#include "ike/ike.h"
#include "wire/ike.h"
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long rss_kb(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * 4;
}

static void rnd(void *ctx, uint8_t *p, size_t n)
{
    uint64_t *s = ctx;
    for (size_t i = 0; i < n; i++) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        p[i] = (uint8_t)*s;
    }
}

static struct ike_prop_cfg prop(const char *const *kw, int n)
{
    static const enum xf_type order[] = { XF_ENCR, XF_INTEG, XF_PRF, XF_KE, XF_ESN };
    struct ike_prop_cfg p = { 0 };
    for (int k = 0; k < n; k++) {
        const struct xf_info *x = NULL;
        for (unsigned i = 0; i < 5 && !x; i++)
            x = xf_by_keyword(order[i], kw[k]);
        if (!x) {
            fprintf(stderr, "unknown keyword %s\n", kw[k]);
            exit(1);
        }
        p.xf[p.n].type = (uint8_t)x->type;
        p.xf[p.n].id = x->id;
        p.xf[p.n].key_bits = x->key_length_attr ? x->key_bits : 0;
        p.n++;
    }
    return p;
}

static struct ike_addr addr(uint32_t host)
{
    struct ike_addr a = { .family = 4, .ip = { 10, (uint8_t)(host >> 16), (uint8_t)(host >> 8), (uint8_t)host },
                          .port = 500 };
    return a;
}

/* host 0 is the responder; initiator i is host i + 1, identity its address */
static struct ike_conn_cfg conn(uint32_t me, bool responder)
{
    static const char *const ike[] = { "aes128gcm16", "prfsha256", "x25519" };
    static const char *const esp[] = { "aes128gcm16" };
    /* the lists, until the engine copies them (ike_engine_add_conn) */
    static struct ike_prop_cfg ike_p, esp_p;
    static struct ike_ts_cfg lts, rts;
    static struct ike_child_cfg child;
    struct ike_conn_cfg c;
    memset(&c, 0, sizeof c);
    memset(&child, 0, sizeof child);
    c.ike = &ike_p;
    c.child = &child;
    child.local_ts = &lts;
    child.remote_ts = &rts;
    child.esp = &esp_p;
    snprintf(c.name, sizeof c.name, "rw");
    c.local = addr(me);
    c.remote = responder ? (struct ike_addr){ .port = 500 } : addr(0);
    c.n_ike = 1;
    c.ike[0] = prop(ike, 3);
    c.local_id = (struct ike_id_cfg){ .type = IKEV2_ID_IPV4_ADDR, .len = 4 };
    memcpy(c.local_id.data, c.local.ip, 4);
    c.psk_len = 16;
    memcpy(c.psk, "0123456789abcdef", 16);
    c.n_children = 1;
    snprintf(c.child[0].name, sizeof c.child[0].name, "net");
    c.child[0].n_local_ts = c.child[0].n_remote_ts = 1;
    struct ike_ts_cfg any = { .family = 4, .port_hi = 0xffff, .hi = { 255, 255, 255, 255 } };
    c.child[0].local_ts[0] = c.child[0].remote_ts[0] = any;
    c.child[0].n_esp = 1;
    c.child[0].esp[0] = prop(esp, 1);
    return c;
}

struct run {
    struct ike_engine *r;
    double r_cpu;
    int up;
};

/* one side's actions: SEND goes to the other engine; 1 if any */
static int drain(struct run *run, struct ike_engine *from, struct ike_engine *to, uint64_t now, struct ike_action *a)
{
    int n = 0;
    for (;;) {
        double t0 = from == run->r ? cpu_ms() : 0;
        bool got = ike_next_action(from, a);
        if (from == run->r)
            run->r_cpu += cpu_ms() - t0;
        if (!got)
            return n;
        n = 1;
        if (a->type == IKE_ACT_IKE_UP && from == run->r)
            run->up++;
        if (a->type != IKE_ACT_SEND)
            continue;
        double t1 = to == run->r ? cpu_ms() : 0;
        ike_recv(to, a->data, a->len, &a->remote, &a->local, now);
        if (to == run->r)
            run->r_cpu += cpu_ms() - t1;
    }
}

static int one(struct run *run, uint32_t host, uint64_t now, struct ike_action *a)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull ^ host;
    struct ike_env env = { &seed, rnd, NULL, 0, NULL };
    struct ike_engine *i = ike_engine_new(&env);
    struct ike_conn_cfg c = conn(host, false);
    if (!i || ike_engine_add_conn(i, &c) || ike_initiate(i, "rw", NULL, now)) {
        ike_engine_free(i);
        return -1;
    }
    while (drain(run, i, run->r, now, a) | drain(run, run->r, i, now, a))
        ;
    ike_engine_free(i);
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    uint64_t seed = 42;
    struct ike_env env = { &seed, rnd, NULL, 0, NULL };
    struct run run = { .r = ike_engine_new(&env) };
    struct ike_conn_cfg rc = conn(0, true);
    struct ike_action *a = malloc(sizeof *a);
    if (!run.r || !a || n <= 0 || ike_engine_add_conn(run.r, &rc))
        return 1;
    struct ike_limits lim;
    ike_limits_default(&lim);
    lim.cookie_threshold = lim.init_limit_half_open = 0; /* one at a time: never half-open in bulk */
    ike_engine_set_limits(run.r, &lim);
    /* warm up OpenSSL's tables and the allocator before the baseline */
    if (one(&run, 0xffffff, 1000, a))
        return 1;
    run.up = 0;
    run.r_cpu = 0;
    malloc_trim(0);
    struct mallinfo2 m0 = mallinfo2();
    long rss0 = rss_kb();
    for (int k = 0; k < n; k++)
        if (one(&run, (uint32_t)k + 1, 1000 + (uint64_t)k, a))
            return 1;
    malloc_trim(0);
    struct mallinfo2 m1 = mallinfo2();
    long rss1 = rss_kb();
    uint64_t now = 1000 + (uint64_t)n;
    enum { REPS = 200 };
    double t0 = cpu_ms();
    uint64_t d = 0;
    for (int k = 0; k < REPS; k++)
        d += ike_next_deadline(run.r) & 1;
    double t1 = cpu_ms();
    for (int k = 0; k < REPS; k++)
        ike_tick(run.r, now);
    double t2 = cpu_ms();
    printf("sa n=%d up=%d cpu_ms_per_sa=%.3f heap_b_per_sa=%.0f rss_kb_per_sa=%.2f deadline_us=%.2f tick_us=%.2f%s\n",
           n, run.up, run.r_cpu / n, (double)(m1.uordblks - m0.uordblks) / n, (double)(rss1 - rss0) / n,
           (t1 - t0) * 1e3 / REPS, (t2 - t1) * 1e3 / REPS, d > REPS ? "!" : "");
    ike_engine_free(run.r);
    free(a);
    return run.up == n ? 0 : 1;
}
