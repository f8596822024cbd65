/* uesp_bench: what the data plane's per-IKE-SA and periodic calls cost with
 * N Child SAs installed (one per IKE SA): ns per uesp_expired() with no
 * limit passed (kited calls it every 100 ms) and µs per IKE SA for taking
 * all N down one IKE SA at a time through uesp_remove_ike() (what
 * dp_ike_down does; a walk over every Child SA made this N^2).  Built
 * against the library before the index (git archive of an older commit),
 * the same file gives the anchor.
 * Liveness (issue 13): every Child SA has decrypted a packet once, then 1%
 * of them one more since the last report; CPU ns for the report kited makes
 * at each engine deadline (uesp_last_used until it returns 0) beside the
 * walk of every Child SA slot it replaced, kept below as the anchor and run
 * on the same SAs in the same run.
 *   uesp children=<N> install_us=<µs per Child SA> expired_ns=<ns> ike_down_us=<µs per IKE SA>
 *   uesp children=<N> live_report_ns=<ns> reported=<n> old_walk_ns=<ns> old_reported=<n>
 * Usage: uesp_bench [N ...] (default 1000 10000) */
#include "sa/uesp.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the host may be shared */
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void child(struct ike_child_sa *c, uint32_t k)
{
    memset(c, 0, sizeof *c);
    strcpy(c->conn, "bench");
    strcpy(c->name, "net");
    c->ike_sa = k;
    c->spi_in = 0xc0000000 + k, c->spi_out = 0xd0000000 + k;
    c->encr = 20, c->encr_bits = 128, c->key_len = 20; /* AES_GCM_16 */
    for (int i = 0; i < 20; i++)
        c->encr_in[i] = (uint8_t)(i + k), c->encr_out[i] = (uint8_t)(0x80 + i);
    c->local = (struct ike_addr){ .family = 4, .ip = { 192, 0, 2, 1 }, .port = 500 };
    c->remote = (struct ike_addr){ .family = 4, .ip = { 198, 18, (uint8_t)(k >> 8), (uint8_t)k }, .port = 500 };
    c->local_ts.family = c->remote_ts.family = 4;
    c->local_ts.port_hi = c->remote_ts.port_hi = 65535;
    memcpy(c->local_ts.lo, "\x0a\0\0\0", 4), memcpy(c->local_ts.hi, "\x0a\0\xff\xff", 4);
    uint8_t r[4] = { 10, (uint8_t)(128 + (k >> 16)), (uint8_t)(k >> 8), (uint8_t)k };
    memcpy(c->remote_ts.lo, r, 4), memcpy(c->remote_ts.hi, r, 4); /* a road warrior's /32 */
}

/* the other end of child(c, k): SPIs, keys, addresses and selectors swapped */
static void peer_of(const struct ike_child_sa *c, struct ike_child_sa *p)
{
    *p = *c;
    p->spi_in = c->spi_out, p->spi_out = c->spi_in;
    memcpy(p->encr_in, c->encr_out, sizeof p->encr_in);
    memcpy(p->encr_out, c->encr_in, sizeof p->encr_out);
    p->local = c->remote, p->remote = c->local;
    p->local_ts = c->remote_ts, p->remote_ts = c->local_ts;
}

/* one ICMP packet from Child SA k at u through its peer at v */
static void send_one(struct uesp *u, struct uesp *v, uint32_t k, uint64_t now)
{
    static uint8_t buf[2048];
    enum { AT = 128, LEN = 60 };
    uint8_t *p = buf + AT;
    memset(p, 0, LEN);
    p[0] = 0x45, p[2] = 0, p[3] = LEN, p[8] = 64, p[9] = 1;
    memcpy(p + 12, "\x0a\0\0\x05", 4);
    uint8_t r[4] = { 10, (uint8_t)(128 + (k >> 16)), (uint8_t)(k >> 8), (uint8_t)k };
    memcpy(p + 16, r, 4);
    uint32_t s = 0;
    for (int i = 0; i < 20; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    p[10] = (uint8_t)(~s >> 8), p[11] = (uint8_t)~s;
    struct esp_buf b = { buf, sizeof buf, AT, LEN };
    const struct uesp_child *via, *from;
    if (uesp_outbound(u, &b, now, &via) || uesp_inbound(v, &b, now, 4, via->local.ip, via->remote.ip, &from)) {
        fprintf(stderr, "uesp_bench: packet of Child SA %u not through\n", k);
        exit(1);
    }
}

/* the anchor: uesp_last_used before issue 13, a walk of every slot
 * reporting each Child SA that ever decrypted a packet */
static int old_last_used(const struct uesp *u, int *cursor, uint32_t *spi_in, uint64_t *at)
{
    for (; *cursor >= 0 && (unsigned)*cursor < u->n_slots; (*cursor)++) {
        const struct uesp_child *c = u->child[*cursor];
        if (c && c->in.cnt.last_used) {
            *spi_in = c->in.spi;
            *at = c->in.cnt.last_used;
            (*cursor)++;
            return 1;
        }
    }
    return 0;
}

/* N Child SAs at two ends; all have decrypted a packet, 1% one more since
 * the last report: the report's cost now and the old walk's */
static void run_liveness(uint32_t n)
{
    struct uesp u, v;
    struct ike_child_sa c, p;
    if (uesp_init(&u) || uesp_init(&v))
        exit(1);
    for (uint32_t k = 1; k <= n; k++) {
        child(&c, k);
        peer_of(&c, &p);
        if (uesp_install(&u, &c, 64, NULL) || uesp_install(&v, &p, 64, NULL))
            exit(1);
        send_one(&u, &v, k, 1);
    }
    uint32_t spi;
    uint64_t at;
    while (uesp_last_used(&v, &spi, &at)) /* the first report: all of them */
        ;
    enum { ROUNDS = 20 };
    double t_new = 0, t_old = 0;
    unsigned reported = 0, old_reported = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (uint32_t k = 1 + (uint32_t)round; k <= n; k += 100)
            send_one(&u, &v, k, 2 + (uint64_t)round);
        double t0 = now_ns(); /* the new report first: the old walk would warm its cache */
        while (uesp_last_used(&v, &spi, &at))
            reported++;
        double t1 = now_ns();
        int cur = 0;
        while (old_last_used(&v, &cur, &spi, &at))
            old_reported++;
        double t2 = now_ns();
        t_new += t1 - t0, t_old += t2 - t1;
    }
    printf("uesp children=%u live_report_ns=%.0f reported=%u old_walk_ns=%.0f old_reported=%u\n", n,
           t_new / ROUNDS, reported / ROUNDS, t_old / ROUNDS, old_reported / ROUNDS);
    fflush(stdout);
    uesp_free(&u);
    uesp_free(&v);
}

static void run(uint32_t n)
{
    struct uesp u;
    struct ike_child_sa c;
    uint32_t spi;
    bool hard;
    if (uesp_init(&u))
        exit(1);
    double t0 = now_ns();
    for (uint32_t k = 1; k <= n; k++) {
        child(&c, k);
        if (uesp_install(&u, &c, 64, NULL)) {
            fprintf(stderr, "uesp_bench: install %u failed\n", k);
            exit(1);
        }
    }
    double t1 = now_ns();
    int calls = 2000;
    for (int i = 0; i < calls; i++)
        if (uesp_expired(&u, &spi, &hard))
            exit(1);
    double t2 = now_ns();
    for (uint32_t k = 1; k <= n; k++)
        if (uesp_remove_ike(&u, k) != 1)
            exit(1);
    double t3 = now_ns();
    printf("uesp children=%u install_us=%.2f expired_ns=%.0f ike_down_us=%.2f\n", n, (t1 - t0) / n / 1e3,
           (t2 - t1) / calls, (t3 - t2) / n / 1e3);
    fflush(stdout);
    uesp_free(&u);
    run_liveness(n);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        run(1000);
        run(10000);
    }
    for (int i = 1; i < argc; i++)
        run((uint32_t)strtoul(argv[i], NULL, 10));
    return 0;
}
