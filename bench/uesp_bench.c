/* uesp_bench: what the data plane's per-IKE-SA and periodic calls cost with
 * N Child SAs installed (one per IKE SA): ns per uesp_expired() with no
 * limit passed (kited calls it every 100 ms) and µs per IKE SA for taking
 * all N down one IKE SA at a time through uesp_remove_ike() (what
 * dp_ike_down does; a walk over every Child SA made this N^2).  Built
 * against the library before the index (git archive of an older commit),
 * the same file gives the anchor.
 *   uesp children=<N> install_us=<µs per Child SA> expired_ns=<ns> ike_down_us=<µs per IKE SA>
 * Usage: uesp_bench [N ...] (default 1000 10000) */
#include "sa/uesp.h"
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
