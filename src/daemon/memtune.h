/* memtune: the C library's allocator settings for a daemon that holds many
 * small per-SA objects and handles each message with a few short-lived
 * buffers of tens of KB (ike_msg, ike_chain, the action queue). */
#ifndef KITE_DAEMON_MEMTUNE_H
#define KITE_DAEMON_MEMTUNE_H

/* With glibc's defaults, freeing the transient buffers of one message often
 * leaves more than the (dynamic) trim threshold free at the top of the heap:
 * free() gives it back with brk(), the next message's calloc() takes it back
 * and faults every page in again, and each brk() shrink flushes the TLB of
 * the whole process.  Measured with perf at a responder setting up 2,000 IKE
 * SAs, that cycle was about a fifth of its CPU time.  A fixed trim threshold
 * and top pad of a few MB stop it; kited is single-threaded, so one arena.
 * Other C libraries: nothing. */
void memtune_apply(void);

/* Transparent huge pages for the heap: a responder's heap grows by about
 * 6-8 KB per IKE SA, and on a virtual machine each 4 KB page fault costs
 * microseconds (perf: about a tenth of the CPU per IKE SA at 30,000 SAs).
 * Called once a loop round: when the heap (brk) has grown since the last
 * call, the new part is advised MADV_HUGEPAGE, so that it is faulted in
 * 2 MB at a time where the kernel allows it (transparent_hugepage
 * "madvise" or "always"; with "never" nothing changes).  The cost is RSS
 * rounded up to 2 MB at the top of the heap.  Once a round: sbrk(0) only,
 * a madvise() when the heap grew (every TOP_PAD at most). */
void memtune_heap_advise(void);

#endif
