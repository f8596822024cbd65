/* Inbound SAD: an open-addressing hash table keyed by SPI. */
#include "esp/sad.h"
#include "base/err.h"
#include "crypto/rand.h"
#include <stdlib.h>
#include <string.h>

enum { SAD_MIN_CAP = 16 };

static size_t home(const struct esp_sad *sad, uint32_t spi)
{
    /* multiply-shift over the keyed SPI: peers cannot aim at one chain */
    uint64_t h = ((uint64_t)spi ^ sad->key) * UINT64_C(0x9e3779b97f4a7c15);
    return (size_t)(h >> 32) & (sad->cap - 1);
}

static int alloc_slots(struct esp_sad *sad, size_t cap)
{
    sad->slot = calloc(cap, sizeof *sad->slot);
    sad->cap = sad->slot ? cap : 0;
    return sad->slot ? 0 : KITE_E_NOMEM;
}

int esp_sad_init(struct esp_sad *sad, size_t expect)
{
    size_t cap = SAD_MIN_CAP;
    memset(sad, 0, sizeof *sad);
    while (cap < expect * 2)
        cap *= 2;
    crypto_random((uint8_t *)&sad->key, sizeof sad->key);
    return alloc_slots(sad, cap);
}

void esp_sad_free(struct esp_sad *sad)
{
    free(sad->slot);
    memset(sad, 0, sizeof *sad);
}

static void place(struct esp_sad *sad, struct esp_sa *sa)
{
    size_t i = home(sad, sa->spi);
    while (sad->slot[i])
        i = (i + 1) & (sad->cap - 1);
    sad->slot[i] = sa;
}

static int grow(struct esp_sad *sad)
{
    struct esp_sa **old = sad->slot;
    size_t old_cap = sad->cap;
    if (alloc_slots(sad, old_cap * 2)) {
        sad->slot = old, sad->cap = old_cap;
        return KITE_E_NOMEM;
    }
    for (size_t i = 0; i < old_cap; i++)
        if (old[i])
            place(sad, old[i]);
    free(old);
    return 0;
}

/* index of the SA with this SPI, or cap */
static size_t find(const struct esp_sad *sad, uint32_t spi)
{
    if (!sad->cap)
        return 0;
    for (size_t i = home(sad, spi);; i = (i + 1) & (sad->cap - 1)) {
        if (!sad->slot[i])
            return sad->cap;
        if (sad->slot[i]->spi == spi)
            return i;
    }
}

int esp_sad_insert(struct esp_sad *sad, struct esp_sa *sa)
{
    if (!sad->cap && alloc_slots(sad, SAD_MIN_CAP))
        return KITE_E_NOMEM;
    if (find(sad, sa->spi) != sad->cap)
        return KITE_E_INVALID_SPI;
    if ((sad->n + 1) * 2 > sad->cap && grow(sad))
        return KITE_E_NOMEM;
    place(sad, sa);
    sad->n++;
    return 0;
}

struct esp_sa *esp_sad_lookup(const struct esp_sad *sad, uint32_t spi)
{
    size_t i = find(sad, spi);
    return i < sad->cap ? sad->slot[i] : NULL;
}

/* close the gap at i: pull back later entries whose probe passed over it */
static void shift_back(struct esp_sad *sad, size_t i)
{
    size_t mask = sad->cap - 1;
    for (size_t j = (i + 1) & mask; sad->slot[j]; j = (j + 1) & mask) {
        size_t k = home(sad, sad->slot[j]->spi);
        if (((j - k) & mask) >= ((j - i) & mask)) {
            sad->slot[i] = sad->slot[j];
            sad->slot[j] = NULL;
            i = j;
        }
    }
}

struct esp_sa *esp_sad_remove(struct esp_sad *sad, uint32_t spi)
{
    size_t i = find(sad, spi);
    if (i >= sad->cap)
        return NULL;
    struct esp_sa *sa = sad->slot[i];
    sad->slot[i] = NULL;
    sad->n--;
    shift_back(sad, i);
    return sa;
}
