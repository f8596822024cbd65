/* logout: where kited's log goes, from its options.
 *  --syslog, or detached without --log-file: syslog datagrams to
 *    --syslog-socket (default /dev/log: syslogd or the journal); detached with
 *    no such socket, /var/log/kited.log as before
 *  --log-file FILE: appended to FILE (never through a symbolic link)
 *  otherwise (--foreground): stdout
 * --log-format json makes file and stdout lines JSON objects. */
#ifndef KITE_DAEMON_LOGOUT_H
#define KITE_DAEMON_LOGOUT_H
#include <stdio.h>
#include "base/log.h"
#include "daemon/args.h"
#include "io/syslog.h"

struct log_out {
    FILE *file;          /* NULL, stdout, or a file we opened */
    struct syslog_out sys;
    bool syslog;
};

/* sets up sink; 0, or -1 after printing why on stderr (a symbolic link as log file) */
int log_out_open(struct log_out *o, const struct kited_args *a, struct log_sink *sink);
void log_out_close(struct log_out *o);

#endif
