#include "io/syslog.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/log.h"

enum { FACILITY_DAEMON = 3, SEV_NOTICE = 5, SEV_INFO = 6, SEV_DEBUG = 7 };

int syslog_out_open(struct syslog_out *s, const char *path, const char *name)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    size_t n = strlen(path);
    if (n >= sizeof s->addr.sun_path)
        return -ENAMETOOLONG;
    s->addr.sun_family = AF_UNIX;
    memcpy(s->addr.sun_path, path, n + 1);
    s->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->fd < 0)
        return -errno;
    snprintf(s->name, sizeof s->name, "%s", name);
    return 0;
}

void syslog_out_close(struct syslog_out *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

static int severity(int level)
{
    return level <= 0 ? SEV_NOTICE : level == 1 ? SEV_INFO : SEV_DEBUG;
}

size_t syslog_out_format(char *buf, size_t cap, const char *ident, int level, const char *subsys,
                         const char *msg, long long now)
{
    char stamp[32];
    time_t t = (time_t)now;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
    int n = snprintf(buf, cap, "<%d>%s %s: %02d[%s] %s", FACILITY_DAEMON * 8 + severity(level), stamp, ident,
                     level, subsys, msg);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

void syslog_out_line(void *p, int subsys, int level, const char *msg)
{
    struct syslog_out *s = p;
    char buf[2304], ident[48];
    if (s->fd < 0)
        return;
    /* the pid of now: kited detaches (forks) after the sink is set up */
    snprintf(ident, sizeof ident, "%s[%ld]", s->name, (long)getpid());
    size_t n = syslog_out_format(buf, sizeof buf, ident, level, log_subsys_name((enum log_subsys)subsys), msg,
                                 (long long)time(NULL));
    /* never waits: a syslog daemon that is gone or behind loses the line */
    if (sendto(s->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&s->addr, s->addr_len) < 0)
        s->dropped++;
}
