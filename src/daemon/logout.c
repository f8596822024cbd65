#include "daemon/logout.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char DEFAULT_FILE[] = "/var/log/kited.log";

/* appended to, never through a symbolic link (one planted there would have
 * kited append wherever it points) */
static int open_file(struct log_out *o, const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0 && errno == ELOOP) {
        fprintf(stderr, "kited: log file %s is a symbolic link: refused\n", path);
        return -1;
    }
    o->file = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!o->file) {
        fprintf(stderr, "kited: cannot open the log file %s: %s; logging to stderr\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        o->file = stderr;
    }
    return 0;
}

static bool is_socket(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

int log_out_open(struct log_out *o, const struct kited_args *a, struct log_sink *sink)
{
    memset(o, 0, sizeof *o);
    o->sys.fd = -1;
    const char *sock = a->syslog_socket ? a->syslog_socket : "/dev/log";
    bool want_sys = a->syslog || (!a->foreground && !a->log_file);
    if (want_sys && !a->syslog && !is_socket(sock)) {
        fprintf(stderr, "kited: no syslog socket at %s: logging to %s\n", sock, DEFAULT_FILE);
        want_sys = false;
    }
    if (want_sys) {
        int rc = syslog_out_open(&o->sys, sock, "kited");
        if (rc) {
            fprintf(stderr, "kited: syslog socket %s: %s\n", sock, strerror(-rc));
            return -1;
        }
        o->syslog = true;
    } else if (a->log_file || !a->foreground) {
        if (open_file(o, a->log_file ? a->log_file : DEFAULT_FILE))
            return -1;
    } else {
        o->file = stdout;
    }
    log_sink_init(sink, o->file, 1);
    memcpy(sink->level, a->log_levels, sizeof sink->level);
    sink->format = a->log_json ? LOG_FMT_JSON : LOG_FMT_TEXT;
    sink->batch = true; /* the loop flushes once a round (main.c on_deadline) */
    if (o->syslog) {
        sink->sys = syslog_out_line;
        sink->sys_ctx = &o->sys;
    }
    return 0;
}

void log_out_close(struct log_out *o)
{
    syslog_out_close(&o->sys);
    if (o->file && o->file != stdout && o->file != stderr)
        fclose(o->file);
    o->file = NULL;
}
