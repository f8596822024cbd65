/* Algorithms fetched once per process: an append-only list, pushed with a
 * compare-and-swap and read without a lock. */
#include "crypto/fetch.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum kind { KIND_CIPHER, KIND_MAC };

struct fetched {
    struct fetched *next;
    enum kind kind;
    void *alg;
    char name[];
};

static _Atomic(struct fetched *) fetched_head;

static void *lookup(const struct fetched *f, enum kind kind, const char *name)
{
    for (; f; f = f->next)
        if (f->kind == kind && strcmp(f->name, name) == 0)
            return f->alg;
    return NULL;
}

static void alg_free(enum kind kind, void *alg)
{
    if (kind == KIND_CIPHER)
        EVP_CIPHER_free(alg);
    else
        EVP_MAC_free(alg);
}

/* keep alg under name, unless another thread kept one meanwhile: then
 * that one (ours is freed), so that a name has one object for good.  The
 * list only grows at its head, so a compare-and-swap that succeeds proves
 * the scan before it saw the whole list.  On no memory: NULL, alg freed. */
static void *keep(enum kind kind, const char *name, void *alg)
{
    size_t len = strlen(name) + 1;
    struct fetched *f = malloc(sizeof *f + len);
    if (!f) {
        alg_free(kind, alg);
        return NULL;
    }
    f->kind = kind;
    f->alg = alg;
    memcpy(f->name, name, len);
    f->next = atomic_load_explicit(&fetched_head, memory_order_acquire);
    for (;;) {
        void *other = lookup(f->next, kind, name);
        if (other) {
            free(f);
            alg_free(kind, alg);
            return other;
        }
        if (atomic_compare_exchange_weak_explicit(&fetched_head, &f->next, f, memory_order_release,
                                                  memory_order_acquire))
            return alg;
    }
}

static void *fetch(enum kind kind, const char *name)
{
    void *alg = lookup(atomic_load_explicit(&fetched_head, memory_order_acquire), kind, name);
    if (alg)
        return alg;
    alg = kind == KIND_CIPHER ? (void *)EVP_CIPHER_fetch(NULL, name, NULL) : (void *)EVP_MAC_fetch(NULL, name, NULL);
    return alg ? keep(kind, name, alg) : NULL;
}

EVP_CIPHER *fetch_cipher(const char *name)
{
    return fetch(KIND_CIPHER, name);
}

EVP_MAC *fetch_mac(const char *name)
{
    return fetch(KIND_MAC, name);
}
