/* katfile: reader for the vector files in tests/kat/data/.
 * Format: '#' comment lines; "[name]" starts a record; "key = value" lines;
 * an indented line continues the previous value (long hex split over lines). */
#ifndef KITE_TESTS_KATFILE_H
#define KITE_TESTS_KATFILE_H
#include "testutil.h"
#include <stdlib.h>
#include <string.h>

enum { KAT_MAX_FIELDS = 24 };

struct kat_rec {
    char name[64];
    size_t n;
    char *key[KAT_MAX_FIELDS];
    char *val[KAT_MAX_FIELDS];
};

struct kat_file {
    char *buf, *pos;
};

static inline void kat_open(struct kat_file *f, const char *relpath)
{
    f->buf = read_source_file(relpath, NULL);
    f->pos = f->buf;
}

static inline void kat_rec_clear(struct kat_rec *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->key[i]);
        free(r->val[i]);
    }
    memset(r, 0, sizeof *r);
}

static inline void kat_close(struct kat_file *f, struct kat_rec *r)
{
    kat_rec_clear(r);
    free(f->buf);
}

static inline char *kat_dup_trim(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    char *o = malloc(n + 1);
    assert_non_null(o);
    memcpy(o, s, n);
    o[n] = 0;
    return o;
}

static inline void kat_append(struct kat_rec *r, const char *line, size_t n)
{
    char *more = kat_dup_trim(line, n);
    char *old = r->val[r->n - 1];
    char *joined = malloc(strlen(old) + strlen(more) + 1);
    assert_non_null(joined);
    strcpy(joined, old);
    strcat(joined, more);
    free(old);
    free(more);
    r->val[r->n - 1] = joined;
}

/* the next record, or 0 at the end of the file */
static inline int kat_next(struct kat_file *f, struct kat_rec *r)
{
    kat_rec_clear(r);
    int in_rec = 0;
    while (*f->pos) {
        char *line = f->pos, *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (line[0] == '[' && in_rec)
            return 1; /* leave the header for the next call */
        f->pos = nl ? nl + 1 : line + n;
        if (line[0] == '[') {
            char *end = memchr(line, ']', n);
            assert_non_null(end);
            size_t len = (size_t)(end - line - 1) < sizeof r->name - 1 ? (size_t)(end - line - 1)
                                                                      : sizeof r->name - 1;
            memcpy(r->name, line + 1, len);
            in_rec = 1;
        } else if (in_rec && (line[0] == ' ' || line[0] == '\t') && r->n) {
            kat_append(r, line, n);
        } else if (in_rec && line[0] != '#' && n) {
            char *eq = memchr(line, '=', n);
            assert_non_null(eq);
            assert_true(r->n < KAT_MAX_FIELDS);
            r->key[r->n] = kat_dup_trim(line, (size_t)(eq - line));
            r->val[r->n] = kat_dup_trim(eq + 1, n - (size_t)(eq + 1 - line));
            r->n++;
        }
    }
    return in_rec;
}

static inline const char *kat_get(const struct kat_rec *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->key[i], key) == 0)
            return r->val[i];
    return NULL;
}

/* a hex field as bytes (malloc'd); the field must exist */
static inline uint8_t *kat_hex(const struct kat_rec *r, const char *key, size_t *n)
{
    const char *v = kat_get(r, key);
    if (!v)
        fail_msg("record [%s] has no field '%s'", r->name, key);
    return hex_decode(v, n);
}

static inline long kat_int(const struct kat_rec *r, const char *key)
{
    const char *v = kat_get(r, key);
    if (!v)
        fail_msg("record [%s] has no field '%s'", r->name, key);
    return strtol(v, NULL, 0);
}

#endif
