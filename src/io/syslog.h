/* syslog: log lines as syslog datagrams (RFC 3164 framing, facility daemon)
 * to a unix datagram socket, /dev/log by default, where syslogd or
 * systemd-journald listens.  kited's own writer rather than syslog(3), so the
 * socket can be named (tests) and a full or absent socket never blocks the
 * event loop: the line is dropped and counted. */
#ifndef KITE_IO_SYSLOG_H
#define KITE_IO_SYSLOG_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct syslog_out {
    int fd;
    struct sockaddr_un addr;
    socklen_t addr_len;
    char name[16];       /* "kited": lines say "kited[PID]" */
    uint64_t dropped;    /* lines the socket did not take */
};

/* 0, or -errno (ENAMETOOLONG for a path that does not fit) */
int syslog_out_open(struct syslog_out *s, const char *path, const char *name);
void syslog_out_close(struct syslog_out *s);
/* the log sink's `sys` hook: severity from kite's level (0 notice, 1 info,
 * 2 and more debug), the text as kite's file lines have it: "01[IKE] msg" */
void syslog_out_line(void *s, int subsys, int level, const char *msg);
/* the RFC 3164 datagram for a line, into buf; its length */
size_t syslog_out_format(char *buf, size_t cap, const char *ident, int level, const char *subsys,
                         const char *msg, long long now);

#endif
