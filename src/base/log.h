/* log: the log sink, strongSwan-style subsystems and levels.
 * Levels as strongSwan's: -1 silent, 0 basic, 1 audit (default), 2 diagnostic,
 * 3 raw data, 4 sensitive.  kite never logs secrets at any level. */
#ifndef KITE_BASE_LOG_H
#define KITE_BASE_LOG_H
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

enum log_subsys { LOG_DMN, LOG_CFG, LOG_IKE, LOG_ENC, LOG_NET, LOG_ESP, LOG_KNL, LOG_SUBSYS_COUNT };

enum log_format { LOG_FMT_TEXT, LOG_FMT_JSON };

struct log_sink {
    FILE *out;
    enum log_format format; /* of the lines written to out */
    int level[LOG_SUBSYS_COUNT];
    /* instead of out, when set: syslog/the journal (io/syslog.c) gets each
     * line written, with its level and subsystem */
    void (*sys)(void *ctx, int subsys, int level, const char *msg);
    void *sys_ctx;
    /* a second reader of every line (the control socket's log events):
     * called for lines up to tap_level as well as those written; a line the
     * tap causes to be logged is not given to it again */
    void (*tap)(void *ctx, int subsys, int level, const char *msg);
    void *tap_ctx;
    int tap_level;
    int in_tap;
    /* batch: lines to out are not flushed one by one but by log_flush or
     * log_flush_due (the daemon's loop, before it sleeps, paced by
     * --log-flush): a write() per line, then per loop round when IKE SAs
     * arrive one at a time, was a measurable part of setting up an IKE SA.
     * stamp: the text time stamp of the second stamp_at, made once a second */
    bool batch;
    bool held;              /* a batching sink: lines written since the last flush */
    unsigned long long flush_tat; /* log_flush_due's pacing (its clock) */
    long long stamp_at;
    char stamp[40];
};

void log_sink_init(struct log_sink *s, FILE *out, int level);
/* whether a line of ss at level would be written or given to the tap */
bool log_wants(const struct log_sink *s, enum log_subsys ss, int level);
/* write out lines held by a batching sink */
void log_flush(struct log_sink *s);
/* a batching sink's flush, paced: when lines are held, flushes at once
 * while there have been fewer than LOG_FLUSH_BURST flushes in a row less than
 * every_ms apart, otherwise once every every_ms (0: at every call); now_ms
 * and the returned time on one millisecond clock.  Returns when to call
 * again for the lines still held, or ~0ULL when none are */
enum { LOG_FLUSH_BURST = 50 };
unsigned long long log_flush_due(struct log_sink *s, unsigned long long now_ms, unsigned long long every_ms);
/* "ike" → LOG_IKE; -1 if unknown */
int log_subsys_parse(const char *name);
const char *log_subsys_name(enum log_subsys ss);
/* --log-level: "N" for every subsystem, or a comma list of "N" and
 * "SUBSYS=N" (dmn, cfg, ike, enc, net, esp, knl, or any), later items
 * winning: "1,ike=2,esp=0".  N from -1 to 4.  0, or -1 with err set and
 * levels untouched */
int log_levels_parse(const char *spec, int levels[LOG_SUBSYS_COUNT], char *err, size_t errcap);
/* one JSON line (no newline) into buf: {"time":..,"level":..,"subsys":..,"msg":..};
 * the message escaped (quotes, backslashes, control bytes), so that no text a
 * peer sent can end the line or the string */
void log_json_format(char *buf, size_t cap, const char *stamp, int level, const char *subsys, const char *msg);
void log_msg(struct log_sink *s, enum log_subsys ss, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void log_vmsg(struct log_sink *s, enum log_subsys ss, int level, const char *fmt, va_list ap);

#endif
