/* prom: the Prometheus text format writer (see prom.h). */
#include "ctl/prom.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"

void prom_init(struct prom *p)
{
    memset(p, 0, sizeof *p);
}

void prom_free(struct prom *p)
{
    free(p->buf);
    prom_init(p);
}

static void put(struct prom *p, const char *s, size_t n)
{
    if (p->err)
        return;
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap < p->len + n + 1)
            cap *= 2;
        char *b = realloc(p->buf, cap);
        if (!b) {
            p->err = KITE_E_NOMEM;
            return;
        }
        p->buf = b;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = 0;
}

static void put_str(struct prom *p, const char *s)
{
    put(p, s, strlen(s));
}

/* s with \ and newline escaped, and " too in a label value */
static void escaped(struct prom *p, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            put_str(p, "\\\\");
        else if (*s == '\n')
            put_str(p, "\\n");
        else if (*s == '"' && quote)
            put_str(p, "\\\"");
        else
            put(p, s, 1);
    }
}

void prom_family(struct prom *p, const char *name, const char *type, const char *help)
{
    put_str(p, "# HELP ");
    put_str(p, name);
    put_str(p, " ");
    escaped(p, help, 0);
    put_str(p, "\n# TYPE ");
    put_str(p, name);
    put_str(p, " ");
    put_str(p, type);
    put_str(p, "\n");
}

void prom_sample(struct prom *p, const char *name, const char *const *labels, uint64_t value)
{
    char v[32];
    put_str(p, name);
    for (int i = 0; labels && labels[i]; i += 2) {
        put_str(p, i ? "," : "{");
        put_str(p, labels[i]);
        put_str(p, "=\"");
        escaped(p, labels[i + 1], 1);
        put_str(p, "\"");
    }
    if (labels && labels[0])
        put_str(p, "}");
    snprintf(v, sizeof v, " %llu\n", (unsigned long long)value);
    put_str(p, v);
}
