/* privdrop: kited gives up root once its sockets, TUN device, control socket
 * and files are open.  It becomes USER (and USER's primary group, no
 * supplementary groups) and keeps only the capabilities it uses from then on:
 * CAP_NET_ADMIN (routes, rules, addresses, socket marks) and CAP_NET_RAW (raw
 * ESP sockets); the bounding set loses every other capability and
 * no_new_privs is set, so nothing it executes can regain them. */
#ifndef KITE_DAEMON_PRIVDROP_H
#define KITE_DAEMON_PRIVDROP_H
#include <stddef.h>

/* 0, or -1 with err set ("user 'x' does not exist", "user 'root' is uid 0:
 * not a drop", "setresuid: ..."); after a failure part-way the process may
 * hold fewer privileges than before, never more: the caller stops */
int privdrop_to(const char *user, char *err, size_t errcap);

#endif
