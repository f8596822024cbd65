#include "testutil.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nibble(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

uint8_t *hex_decode(const char *hex, size_t *n)
{
    size_t len = strlen(hex);
    uint8_t *out = malloc(len / 2 + 1);
    size_t o = 0;
    int hi = -1;
    assert_non_null(out);
    for (size_t i = 0; i < len; i++) {
        if (isspace((unsigned char)hex[i]) || hex[i] == ':')
            continue;
        int v = nibble((unsigned char)hex[i]);
        if (v < 0)
            fail_msg("bad hex character '%c' in \"%s\"", hex[i], hex);
        if (hi < 0) {
            hi = v;
        } else {
            out[o++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0)
        fail_msg("odd number of hex digits in \"%s\"", hex);
    *n = o;
    return out;
}

char *read_source_file(const char *relpath, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", KITE_SOURCE_DIR, relpath);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)sz + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)sz, f);
    fclose(f);
    buf[got] = 0;
    if (n)
        *n = got;
    return buf;
}

static void dump(const char *name, const uint8_t *p, size_t n)
{
    fprintf(stderr, "%s (%zu):", name, n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s%02x", i % 32 ? "" : "\n  ", p[i]);
    fprintf(stderr, "\n");
}

int test_bytes_equal(const void *a, const void *b, size_t n, const char *na, const char *nb)
{
    if (memcmp(a, b, n) == 0)
        return 1;
    dump(na, a, n);
    dump(nb, b, n);
    return 0;
}
