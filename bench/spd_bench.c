/* spd_bench: ns per outbound SPD lookup (esp/spd) at 10, 1,000, 10,000 and
 * 100,000 policies, beside the linear list the SPD used to be
 * (tests/support/spd_linear.h), measured in the same run on the same
 * policies and packets.  The policies are a gateway's: local 10.0.0.0/16
 * (IPv6 2001:db8::/48) to one road warrior's address (/32, /128) for half,
 * to a site's /24 (/64) for the other half, each newer one preferred as
 * the data plane ranks them; every lookup hits a policy picked at random.
 * One line per family and size:
 *   spd <v4|v6> policies=<n> shapes=<n> new_ns=<ns> linear_ns=<ns> ratio=<linear / new>
 * Usage: spd_bench [largest size] */
#include "../tests/support/spd_linear.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the host may be shared */
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct esp_ts prefix(uint8_t family, const uint8_t *a, unsigned len)
{
    struct esp_ts t;
    esp_ts_any(&t, family);
    for (unsigned i = 0; i < (family == ESP_IPV4 ? 4u : 16u); i++) {
        unsigned bits = len > i * 8 ? len - i * 8 : 0;
        uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
        t.start[i] = a[i] & m, t.end[i] = (uint8_t)(a[i] | (uint8_t)~m);
    }
    return t;
}

/* policy i's remote address: 10.64.0.0 + (i << 8) for a site, 10.128.0.0 + i for a host */
static void remote_of(uint8_t family, size_t i, uint8_t *a, unsigned *len)
{
    bool site = i % 2;
    memset(a, 0, 16);
    if (family == ESP_IPV4) {
        uint32_t v = site ? 0x0a400000u + ((uint32_t)i << 8) : 0x0a800000u + (uint32_t)i;
        a[0] = (uint8_t)(v >> 24), a[1] = (uint8_t)(v >> 16), a[2] = (uint8_t)(v >> 8), a[3] = (uint8_t)v;
        *len = site ? 24 : 32;
        return;
    }
    memcpy(a, "\x20\x01\x0d\xb8", 4); /* 2001:db8:1xxx:xxxx::/64 or 2001:db8:2xxx:xxxx::1 */
    a[4] = site ? 1 : 2, a[5] = (uint8_t)(i >> 16), a[6] = (uint8_t)(i >> 8), a[7] = (uint8_t)i;
    a[15] = site ? 0 : 1;
    *len = site ? 64 : 128;
}

static void fill(uint8_t family, size_t n, struct esp_spd *spd, struct spd_linear *lin)
{
    uint8_t local[16] = { 10, 0 }, r[16];
    if (family == ESP_IPV6)
        memcpy(local, "\x20\x01\x0d\xb8\x00\x00", 6);
    for (size_t i = 0; i < n; i++) {
        unsigned len;
        remote_of(family, i, r, &len);
        struct esp_policy p = { (uint32_t)i + 1, (1u << 30) - (uint32_t)i,
                                prefix(family, local, family == ESP_IPV4 ? 16 : 48), prefix(family, r, len),
                                ESP_ACTION_PROTECT, NULL };
        if (esp_spd_add(spd, &p) || spd_linear_add(lin, &p)) {
            fprintf(stderr, "spd_bench: out of memory\n");
            exit(1);
        }
    }
}

static void packet(uint8_t family, size_t n, uint64_t *rng, struct esp_flow *f)
{
    unsigned len;
    *rng ^= *rng << 13, *rng ^= *rng >> 7, *rng ^= *rng << 17;
    memset(f, 0, sizeof *f);
    f->family = family, f->proto = 6, f->ports_known = true, f->sport = 40000, f->dport = 443;
    f->src[0] = family == ESP_IPV4 ? 10 : 0x20;
    if (family == ESP_IPV6)
        memcpy(f->src, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05", 16);
    else
        f->src[3] = 5;
    remote_of(family, (size_t)(*rng % n), f->dst, &len);
    f->dst[family == ESP_IPV4 ? 3 : 15] |= len == 24 || len == 64 ? 7 : 0;
}

/* ns of CPU per lookup over at least 0.2 s of it, the best of three rounds */
static double measure(uint8_t family, size_t n, const void *t, bool linear, unsigned long *sink)
{
    double best = 0;
    for (int round = 0; round < 3; round++) {
        uint64_t rng = 0x9e3779b97f4a7c15ull;
        unsigned long iters = 0;
        double t0 = now_ns(), t1 = t0;
        while (t1 - t0 < 2e8) {
            for (int k = 0; k < 64; k++, iters++) {
                struct esp_flow f;
                packet(family, n, &rng, &f);
                const struct esp_policy *p =
                    linear ? spd_linear_lookup(t, &f) : esp_spd_lookup(t, &f);
                *sink += p ? p->id : 0;
            }
            t1 = now_ns();
        }
        double ns = (t1 - t0) / (double)iters;
        best = round == 0 || ns < best ? ns : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    size_t top = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 100000;
    static const size_t sizes[] = { 10, 1000, 10000, 100000 };
    unsigned long sink = 0;
    for (int fam = 0; fam < 2; fam++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0] && sizes[s] <= top; s++) {
            uint8_t family = fam ? ESP_IPV6 : ESP_IPV4;
            struct esp_spd spd;
            struct spd_linear lin = { 0 };
            esp_spd_init(&spd);
            fill(family, sizes[s], &spd, &lin);
            double nw = measure(family, sizes[s], &spd, false, &sink);
            double old = measure(family, sizes[s], &lin, true, &sink);
            printf("spd %s policies=%zu shapes=%zu new_ns=%.1f linear_ns=%.1f ratio=%.1f\n", fam ? "v6" : "v4",
                   sizes[s], spd.n_shape, nw, old, old / nw);
            fflush(stdout);
            esp_spd_free(&spd);
            spd_linear_free(&lin);
        }
    return sink == 42 ? 2 : 0; /* the lookups' results are used */
}
