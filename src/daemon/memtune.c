/* memtune: glibc malloc settings (see memtune.h for why). */
#include "daemon/memtune.h"
#include <stdint.h>
#include <stdlib.h> /* defines __GLIBC__ under glibc */
#include <sys/mman.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

enum {
    TRIM_THRESHOLD = 4 << 20, /* free top of heap kept before brk() shrinks it */
    TOP_PAD = 8 << 20,        /* extra taken per brk() when the heap grows (untouched: not resident) */
    MMAP_THRESHOLD = 1 << 20, /* larger requests (tables that grow) get their own mapping */
};

static uintptr_t advised_end; /* the heap from here on is not advised yet */

void memtune_apply(void)
{
    advised_end = (uintptr_t)sbrk(0);
#ifdef __GLIBC__
    /* explicit values also turn off glibc's sliding mmap/trim thresholds */
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    mallopt(M_TOP_PAD, TOP_PAD);
    mallopt(M_ARENA_MAX, 1);
#endif
}


void memtune_heap_advise(void)
{
#ifdef MADV_HUGEPAGE
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), end = (uintptr_t)sbrk(0);
    if (end == (uintptr_t)-1 || end <= advised_end)
        return;
    uintptr_t from = advised_end & ~(page - 1), to = (end + page - 1) & ~(page - 1);
    if (to > from)
        (void)madvise((void *)from, to - from, MADV_HUGEPAGE); /* advice: nothing to do when refused */
    advised_end = end;
#endif
}
