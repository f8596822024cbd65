#include "base/log.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const names[LOG_SUBSYS_COUNT] = { "DMN", "CFG", "IKE", "ENC", "NET", "ESP", "KNL" };

void log_sink_init(struct log_sink *s, FILE *out, int level)
{
    memset(s, 0, sizeof *s);
    s->out = out;
    s->tap_level = -1;
    for (int i = 0; i < LOG_SUBSYS_COUNT; i++)
        s->level[i] = level;
}

int log_subsys_parse(const char *name)
{
    for (int i = 0; i < LOG_SUBSYS_COUNT; i++)
        if (strcasecmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *log_subsys_name(enum log_subsys ss)
{
    return (unsigned)ss < LOG_SUBSYS_COUNT ? names[ss] : "???";
}

static int parse_level(const char *t, int *out)
{
    char *end;
    long v = strtol(t, &end, 10);
    if (!*t || *end || v < -1 || v > 4)
        return -1;
    *out = (int)v;
    return 0;
}

/* one item of a --log-level list: "N" or "SUBSYS=N" */
static int parse_item(char *item, int lv[LOG_SUBSYS_COUNT], char *err, size_t errcap)
{
    char *eq = strchr(item, '=');
    int v, ss = -2; /* -2: every subsystem */
    if (eq) {
        *eq = '\0';
        ss = strcasecmp(item, "any") ? log_subsys_parse(item) : -2;
        if (ss == -1) {
            snprintf(err, errcap, "unknown log subsystem '%s' (dmn, cfg, ike, enc, net, esp, knl, any)", item);
            return -1;
        }
    }
    if (parse_level(eq ? eq + 1 : item, &v)) {
        snprintf(err, errcap, "log level '%s' is not a number from -1 to 4", eq ? eq + 1 : item);
        return -1;
    }
    for (int i = 0; i < LOG_SUBSYS_COUNT; i++)
        if (ss == -2 || ss == i)
            lv[i] = v;
    return 0;
}

int log_levels_parse(const char *spec, int levels[LOG_SUBSYS_COUNT], char *err, size_t errcap)
{
    char buf[256];
    int lv[LOG_SUBSYS_COUNT];
    if (strlen(spec) >= sizeof buf || !*spec) {
        snprintf(err, errcap, "log level list empty or too long");
        return -1;
    }
    memcpy(lv, levels, sizeof lv);
    strcpy(buf, spec);
    char *save = NULL;
    int items = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save), items++)
        if (parse_item(t, lv, err, errcap))
            return -1;
    if (!items || spec[strlen(spec) - 1] == ',' || spec[0] == ',' || strstr(spec, ",,")) {
        snprintf(err, errcap, "empty item in log level list '%s'", spec);
        return -1;
    }
    memcpy(levels, lv, sizeof lv);
    return 0;
}

void log_json_format(char *buf, size_t cap, const char *stamp, int level, const char *subsys, const char *msg)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    int w = snprintf(buf, cap, "{\"time\":\"%s\",\"level\":%d,\"subsys\":\"%s\",\"msg\":\"", stamp, level, subsys);
    if (w < 0 || (size_t)w >= cap)
        return;
    n = (size_t)w;
    /* room kept for the closing "} and the terminator */
    for (const unsigned char *p = (const unsigned char *)msg; *p && n + 8 < cap; p++) {
        if (*p == '"' || *p == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            memcpy(buf + n, "\\u00", 4);
            buf[n + 4] = hex[*p >> 4];
            buf[n + 5] = hex[*p & 15];
            n += 6;
        } else {
            buf[n++] = (char)*p;
        }
    }
    memcpy(buf + n, "\"}", 3);
}

void log_flush(struct log_sink *s)
{
    if (!s)
        return;
    if (s->out)
        fflush(s->out);
    s->held = false;
}

/* a token bucket (as GCRA: tat is when the bucket is full again): up to
 * LOG_FLUSH_BURST flushes at once, one more every every_ms */
unsigned long long log_flush_due(struct log_sink *s, unsigned long long now_ms, unsigned long long every_ms)
{
    if (!s || !s->held)
        return ~0ULL;
    unsigned long long window = (LOG_FLUSH_BURST - 1) * every_ms;
    if (!every_ms || now_ms + window >= s->flush_tat) {
        log_flush(s);
        s->flush_tat = (s->flush_tat > now_ms ? s->flush_tat : now_ms) + every_ms;
        return ~0ULL;
    }
    return s->flush_tat - window;
}

static void write_line(struct log_sink *s, enum log_subsys ss, int level, const char *line)
{
    char stamp[40];
    time_t now = time(NULL);
    struct tm tm;
    if (s->format == LOG_FMT_TEXT && s->stamp_at == (long long)now && s->stamp[0]) {
        fprintf(s->out, "%s %02d[%s] %s\n", s->stamp, level, names[ss], line);
    } else if (s->format == LOG_FMT_JSON) {
        char out[2048 * 6 + 128];
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
        log_json_format(out, sizeof out, stamp, level, names[ss], line);
        fprintf(s->out, "%s\n", out);
    } else {
        localtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
        fprintf(s->out, "%s %02d[%s] %s\n", stamp, level, names[ss], line);
        memcpy(s->stamp, stamp, sizeof s->stamp);
        s->stamp_at = (long long)now;
    }
    if (!s->batch)
        fflush(s->out);
    else
        s->held = true;
}

static bool wants_out(const struct log_sink *s, enum log_subsys ss, int level)
{
    return (s->out || s->sys) && level <= s->level[ss];
}

static bool wants_tap(const struct log_sink *s, enum log_subsys ss, int level)
{
    return s->tap && !s->in_tap && level <= (s->tap_level > s->level[ss] ? s->tap_level : s->level[ss]);
}

bool log_wants(const struct log_sink *s, enum log_subsys ss, int level)
{
    return s && (unsigned)ss < LOG_SUBSYS_COUNT && (wants_out(s, ss, level) || wants_tap(s, ss, level));
}

void log_vmsg(struct log_sink *s, enum log_subsys ss, int level, const char *fmt, va_list ap)
{
    if (!s || (unsigned)ss >= LOG_SUBSYS_COUNT)
        return;
    bool out = wants_out(s, ss, level);
    bool tap = wants_tap(s, ss, level);
    if (!out && !tap)
        return;
    char line[2048];
    vsnprintf(line, sizeof line, fmt, ap);
    if (tap) {
        s->in_tap = 1;
        s->tap(s->tap_ctx, ss, level, line);
        s->in_tap = 0;
    }
    if (!out)
        return;
    if (s->sys)
        s->sys(s->sys_ctx, ss, level, line);
    else
        write_line(s, ss, level, line);
}

void log_msg(struct log_sink *s, enum log_subsys ss, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(s, ss, level, fmt, ap);
    va_end(ap);
}
