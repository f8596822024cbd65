/* esp_bench: ns per packet of ESP encapsulation and decapsulation (esp/encap,
 * esp/decap) of a 1400-byte inner IPv4 packet in tunnel mode, next to the raw
 * cost of the same crypto on the same bytes through the prepared contexts
 * (the crypto floor), measured in the same run.  Packets go through in
 * batches of BATCH distinct buffers, in place, with a 4096-packet replay
 * window, as the data plane will run them; the best of three rounds.
 * One line per suite (floor = raw seal / raw open; MBps = encap / decap):
 *   esp <suite> encap_ns=<ns> decap_ns=<ns> floor_ns=<seal ns>/<open ns>
 *       ratio=<(encap + decap) / (seal + open)> encap_ratio=<> decap_ratio=<>
 * Usage: esp_bench [packets per suite] */
#include "esp/decap.h"
#include "esp/encap.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { INNER = 1400, HEAD = 64, SLOT = 1536, BATCH = 256 };

struct suite {
    const char *name, *encr, *integ;
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void ipv4(uint8_t *p)
{
    memset(p, 0xab, INNER);
    p[0] = 0x45, p[1] = 0, p[2] = INNER >> 8, p[3] = INNER & 0xff, p[9] = 17;
}

static int make_sas(const struct suite *s, struct esp_sa *out, struct esp_sa *in)
{
    const struct xf_info *e = xf_by_keyword(XF_ENCR, s->encr);
    const struct xf_info *a = s->integ ? xf_by_keyword(XF_INTEG, s->integ) : NULL;
    uint8_t ek[64], ak[64];
    for (size_t i = 0; i < sizeof ek; i++)
        ek[i] = (uint8_t)(i * 13), ak[i] = (uint8_t)(i * 7 + 1);
    if (!e)
        return -1;
    struct esp_sa_params p = {
        .spi = 0xc0ffee01, .mode = ESP_MODE_TUNNEL, .encr_id = e->id, .encr_bits = e->key_bits,
        .integ_id = a ? a->id : AUTH_NONE, .encr_key = span_of(ek, e->key_len),
        .integ_key = span_of(ak, a ? a->key_len : 0), .replay_window = ESP_REPLAY_MAX,
    };
    p.dir = ESP_DIR_OUT;
    if (esp_sa_init(out, &p))
        return -1;
    p.dir = ESP_DIR_IN;
    /* the contexts now (esp/sa.h: else at the first packet), as the floor
     * uses them directly */
    return esp_sa_init(in, &p) || esp_sa_prepare(out) || esp_sa_prepare(in) ? -1 : 0;
}

/* encap then decap `iters` packets in batches; returns ns per packet */
static int run_esp(struct esp_sa *out, struct esp_sa *in, uint8_t *bufs, long iters,
                   double *enc_ns, double *dec_ns)
{
    struct esp_buf b[BATCH];
    double te = 0, td = 0;
    uint8_t nh;
    for (long done = 0; done < iters; done += BATCH) {
        for (int i = 0; i < BATCH; i++) {
            ipv4(bufs + (size_t)i * SLOT + HEAD);
            b[i] = (struct esp_buf){ bufs + (size_t)i * SLOT, SLOT, HEAD, INNER };
        }
        double t0 = now_ns();
        for (int i = 0; i < BATCH; i++)
            if (esp_encap(out, &b[i], 0, 1))
                return -1;
        double t1 = now_ns();
        for (int i = 0; i < BATCH; i++)
            if (esp_decap(in, &b[i], &nh, 1) || b[i].len != INNER)
                return -1;
        td += now_ns() - t1;
        te += t1 - t0;
    }
    long n = (iters + BATCH - 1) / BATCH * BATCH;
    *enc_ns = te / (double)n;
    *dec_ns = td / (double)n;
    return 0;
}

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* the same crypto straight through the prepared contexts: ciphertext of the
 * ESP payload size, 8-byte AAD (or SPI | Seq | IV covered by the HMAC) */
static int floor_one(const struct esp_sa *out, const struct esp_sa *in, uint8_t *p, uint64_t seq,
                     size_t ct_len, bool seal)
{
    uint8_t *iv = p + 8, *ct = p + 8 + out->iv_len;
    be64(p, seq);
    if (out->encr->aead)
        return seal ? aead_seal(&out->aead, iv, span_of(p, 8), ct, ct, ct_len, ct + ct_len)
                    : aead_open(&in->aead, iv, span_of(p, 8), ct, ct, ct_len, ct + ct_len);
    struct span part = span_of(p, 8 + out->iv_len + ct_len);
    if (seal)
        return cbc_run(&out->cbc, iv, ct, ct, ct_len) || integ_compute(&out->mac, &part, 1, ct + ct_len);
    return integ_verify(&in->mac, &part, 1, ct + ct_len) || cbc_run(&in->cbc, iv, ct, ct, ct_len);
}

static int run_floor(const struct esp_sa *out, const struct esp_sa *in, uint8_t *bufs, long iters,
                     double *seal_ns, double *open_ns)
{
    size_t ct_len = INNER + 2;
    ct_len += (out->align - ct_len % out->align) % out->align;
    double ts = 0, to = 0;
    uint64_t seq = 1;
    for (long done = 0; done < iters; done += BATCH) {
        for (int i = 0; i < BATCH; i++)
            memset(bufs + (size_t)i * SLOT + HEAD, 0xab, INNER);
        double t0 = now_ns();
        for (int i = 0; i < BATCH; i++)
            if (floor_one(out, in, bufs + (size_t)i * SLOT, seq + (uint64_t)i, ct_len, true))
                return -1;
        double t1 = now_ns();
        for (int i = 0; i < BATCH; i++)
            if (floor_one(out, in, bufs + (size_t)i * SLOT, seq + (uint64_t)i, ct_len, false))
                return -1;
        to += now_ns() - t1;
        ts += t1 - t0;
        seq += BATCH;
    }
    long n = (iters + BATCH - 1) / BATCH * BATCH;
    *seal_ns = ts / (double)n;
    *open_ns = to / (double)n;
    return 0;
}

static double min2(double a, double b)
{
    return a < b ? a : b;
}

/* the best of REPEAT rounds of each, interleaved: the machine is shared */
static int bench(const struct suite *s, long iters, uint8_t *bufs)
{
    enum { REPEAT = 3 };
    struct esp_sa out, in;
    double enc = 1e18, dec = 1e18, fs = 1e18, fo = 1e18, e, d, a, b;
    memset(&out, 0, sizeof out);
    memset(&in, 0, sizeof in);
    if (make_sas(s, &out, &in) || run_esp(&out, &in, bufs, iters / 4 + 1, &e, &d)) /* warm-up */
        goto fail;
    for (int r = 0; r < REPEAT; r++) {
        if (run_floor(&out, &in, bufs, iters, &a, &b) || run_esp(&out, &in, bufs, iters, &e, &d))
            goto fail;
        fs = min2(fs, a), fo = min2(fo, b), enc = min2(enc, e), dec = min2(dec, d);
    }
    printf("esp %s encap_ns=%.0f decap_ns=%.0f floor_ns=%.0f/%.0f ratio=%.2f encap_ratio=%.2f "
           "decap_ratio=%.2f MBps=%.0f/%.0f\n",
           s->name, enc, dec, fs, fo, (enc + dec) / (fs + fo), enc / fs, dec / fo, INNER * 1e3 / enc,
           INNER * 1e3 / dec);
    esp_sa_free(&out);
    esp_sa_free(&in);
    return 0;
fail:
    fprintf(stderr, "esp_bench: %s failed\n", s->name);
    esp_sa_free(&out);
    esp_sa_free(&in);
    return 1;
}

int main(int argc, char **argv)
{
    static const struct suite suites[] = {
        { "aes128gcm16", "aes128gcm16", NULL },
        { "aes256gcm16", "aes256gcm16", NULL },
        { "chacha20poly1305", "chacha20poly1305", NULL },
        { "aes256-sha256", "aes256", "sha256" },
    };
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    uint8_t *bufs = malloc((size_t)BATCH * SLOT);
    int rc = 0;
    if (!bufs)
        return 1;
    if (iters < BATCH)
        iters = BATCH;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        rc |= bench(&suites[i], iters, bufs);
    free(bufs);
    return rc;
}
