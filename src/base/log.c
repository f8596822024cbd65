#include "base/log.h"
#include <stdbool.h>
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

void log_vmsg(struct log_sink *s, enum log_subsys ss, int level, const char *fmt, va_list ap)
{
    if (!s || (unsigned)ss >= LOG_SUBSYS_COUNT)
        return;
    bool out = s->out && level <= s->level[ss];
    bool tap = s->tap && !s->in_tap && level <= (s->tap_level > s->level[ss] ? s->tap_level : s->level[ss]);
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
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
    fprintf(s->out, "%s %02d[%s] %s\n", stamp, level, names[ss], line);
    fflush(s->out);
}

void log_msg(struct log_sink *s, enum log_subsys ss, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(s, ss, level, fmt, ap);
    va_end(ap);
}
