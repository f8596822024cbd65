/* decode_bench: ns per decode + rule check of an IKE_SA_INIT request.
 * Usage: decode_bench [HEXFILE]
 * HEXFILE holds the datagram in hex ('#' lines are comments); default
 * tests/vectors/charon598/A_01_ike_sa_init_req.hex (relative to the current
 * directory) if present, else a built-in hand-built sample shaped like
 * charon's (aes256gcm16-prfsha256-x25519, five notifies). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "wire/msg.h"
#include "wire/rules.h"

static const char builtin_hex[] =
    "5a3c9e1f0b7d246800000000000000002120220800000000000000e8"
    "220000280000002401010003"
    "0300000c01000014800e01000300000802000005000000080400001f"
    "28000028001f0000"
    "6b0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1"
    "29000024"
    "0123456789abcdeffedcba98765432100123456789abcdeffedcba9876543210"
    "2900001c00004004a1a2a3a4a5a6a7a8a9aab1b2b3b4b5b6b7b8b9ba"
    "2900001c00004005c1c2c3c4c5c6c7c8c9cad1d2d3d4d5d6d7d8d9da"
    "290000080000402e"
    "290000100000402f0002000300040005"
    "0000000800004016";

static int nibble(int c)
{
    return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* hex digits of `text`, skipping '#' comment lines and anything not hex */
static size_t hex_parse(const char *text, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *s = text; *s && n < cap; s++) {
        if (*s == '#') {
            while (*s && *s != '\n')
                s++;
            if (!*s)
                break;
            continue;
        }
        if (!isxdigit((unsigned char)*s))
            continue;
        if (hi < 0) {
            hi = nibble((unsigned char)*s);
        } else {
            out[n++] = (uint8_t)(hi << 4 | nibble((unsigned char)*s));
            hi = -1;
        }
    }
    return n;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 17];
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = 0;
    return buf;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct ike_msg msg;

/* run `iters` decodes (+ rule checks); returns ns per iteration or -1 */
static double run(const uint8_t *p, size_t n, long iters, bool rules)
{
    struct diag d;
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        if (ike_msg_decode(span_of(p, n), &msg, &d) || (rules && ike_rules_check_msg(&msg, &d)))
            return -1;
    }
    return (now_ns() - t0) / (double)iters;
}

int main(int argc, char **argv)
{
    static uint8_t dgram[65536];
    const char *path = argc > 1 ? argv[1] : "tests/vectors/charon598/A_01_ike_sa_init_req.hex";
    const char *text = read_text(path);
    const char *source = text ? path : "built-in sample";
    if (!text && argc > 1) {
        fprintf(stderr, "decode_bench: cannot read %s\n", path);
        return 1;
    }
    size_t n = hex_parse(text ? text : builtin_hex, dgram, sizeof dgram);
    struct diag d = { 0 };
    if (ike_msg_decode(span_of(dgram, n), &msg, &d)) {
        fprintf(stderr, "decode_bench: %s does not decode: %s at %s+%zu\n", source, kite_errname(d.err),
                d.field, d.offset);
        return 1;
    }
    long iters = 2000000;
    run(dgram, n, iters / 20, true); /* warm up */
    double dec = run(dgram, n, iters, false);
    double both = run(dgram, n, iters, true);
    if (dec < 0 || both < 0) {
        fprintf(stderr, "decode_bench: rule check failed on %s\n", source);
        return 1;
    }
    printf("decode ike_sa_init_request bytes=%zu payloads=%u ns=%.1f\n", n, msg.chain.n, dec);
    printf("decode+rules ike_sa_init_request bytes=%zu payloads=%u ns=%.1f\n", n, msg.chain.n, both);
    printf("(source: %s, %ld iterations each)\n", source, iters);
    return 0;
}
