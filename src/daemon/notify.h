/* notify: systemd's readiness protocol (sd_notify(3)) without libsystemd.
 * A unit with Type=notify passes $NOTIFY_SOCKET, a unix datagram socket
 * (a path, or an abstract name written with a leading '@'); the service
 * sends "READY=1" there once it serves, "RELOADING=1" while it re-reads its
 * configuration, "STOPPING=1" on its way out. */
#ifndef KITE_DAEMON_NOTIFY_H
#define KITE_DAEMON_NOTIFY_H

/* sends `state` (e.g. "READY=1") to $NOTIFY_SOCKET: 1 when sent, 0 when there
 * is no such variable (not under systemd), -1 on an error (errno set) */
int notify_send(const char *state);

#endif
