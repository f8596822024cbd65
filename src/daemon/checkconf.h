/* checkconf: kited --check-config FILE: the file read and validated as at
 * start (connections, secrets, credentials), each connection printed as
 * understood, one line each; nothing bound, created or changed. */
#ifndef KITE_DAEMON_CHECKCONF_H
#define KITE_DAEMON_CHECKCONF_H
#include <stddef.h>
#include <stdio.h>
#include "conf/conf.h"

/* 0 when the file loads (its connections on out), 1 with the errors on err */
int checkconf_run(const char *path, FILE *out, FILE *err);
/* "name: IKEv2, local ADDR[PORT] id ID auth AUTH, remote ..., ike PROPS,
 * rekey Ns; child NAME: MODE LOCAL_TS === REMOTE_TS, esp PROPS, ..." */
void checkconf_conn_line(const struct conf_conn *k, char *buf, size_t cap);

#endif
