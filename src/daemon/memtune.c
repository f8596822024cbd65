/* memtune: glibc malloc settings (see memtune.h for why). */
#include "daemon/memtune.h"
#include <stdlib.h> /* defines __GLIBC__ under glibc */
#ifdef __GLIBC__
#include <malloc.h>
#endif

enum {
    TRIM_THRESHOLD = 4 << 20, /* free top of heap kept before brk() shrinks it */
    TOP_PAD = 1 << 20,        /* extra taken per brk() when the heap grows */
    MMAP_THRESHOLD = 1 << 20, /* larger requests (tables that grow) get their own mapping */
};

void memtune_apply(void)
{
#ifdef __GLIBC__
    /* explicit values also turn off glibc's sliding mmap/trim thresholds */
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    mallopt(M_TOP_PAD, TOP_PAD);
    mallopt(M_ARENA_MAX, 1);
#endif
}
