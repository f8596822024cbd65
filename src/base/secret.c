
#include "base/secret.h"
#include "base/err.h"
#include <stdlib.h>
#include <string.h>

void mem_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

bool ct_equal(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= (uint8_t)(x[i] ^ y[i]);
    return acc == 0;
}

int secret_alloc(struct secret *s, size_t n)
{
    s->p = calloc(1, n ? n : 1);
    s->n = s->p ? n : 0;
    return s->p ? 0 : KITE_E_NOMEM;
}

int secret_from(struct secret *s, const void *p, size_t n)
{
    int rc = secret_alloc(s, n);
    if (!rc && n)
        memcpy(s->p, p, n);
    return rc;
}

void secret_free(struct secret *s)
{
    if (s->p) {
        mem_wipe(s->p, s->n);
        free(s->p);
    }
    s->p = NULL;
    s->n = 0;
}

struct span secret_span(const struct secret *s)
{
    struct span sp = { s->p, s->n };
    return sp;
}
