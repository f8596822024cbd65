/* unix: a non-blocking unix stream server for frames with a 32-bit
 * big-endian length in front (VICI's transport).
 *
 * The server keeps its own epoll set (the listener and every client) and
 * shows the daemon's loop one fd: the number of clients is a configured
 * limit, not a slot count in the loop.  Each client has bounded buffers: a
 * frame longer than max_frame closes it, and so does output queued past
 * max_out (a client that stops reading).  A call of unix_srv_run() handles at
 * most `budget` readiness events and reads at most 64 KB per client, so a
 * busy client cannot keep the loop from the IKE and ESP sockets (epoll is
 * level-triggered: what is left is seen next round).  Clients are freed only
 * at the end of unix_srv_run(), so a pointer handed to a callback stays
 * valid until then; one closed from outside (unix_client_close, a send over
 * the limit) is shut down at once and freed on the next run. */
#ifndef KITE_IO_UNIX_H
#define KITE_IO_UNIX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct unix_srv_cfg {
    size_t max_frame;     /* the largest frame body accepted */
    size_t max_out;       /* bytes queued to one client before it is dropped */
    unsigned max_clients; /* clients at once; one more is accepted and closed */
    unsigned mode;        /* the socket file's mode, e.g. 0770 */
    unsigned budget;      /* readiness events per unix_srv_run() */
};

struct unix_srv_stats {
    uint64_t accepted;  /* clients taken */
    uint64_t refused;   /* clients closed at once: max_clients reached */
    uint64_t oversized; /* clients closed: a frame over max_frame */
    uint64_t slow;      /* clients dropped: output over max_out */
    uint64_t rejected;  /* clients closed because the frame callback said so */
    unsigned clients;   /* connected now */
};

struct unix_srv;
struct unix_client;

/* a whole frame (without its length); nonzero closes the client */
typedef int unix_frame_fn(void *ctx, struct unix_client *c, const uint8_t *p, size_t n);
/* a client is about to be freed (its ctx pointer may be released) */
typedef void unix_gone_fn(void *ctx, struct unix_client *c);
/* what the server has to say (a client refused or dropped), for the log */
typedef void unix_note_fn(void *ctx, const char *msg);

struct unix_srv_ops {
    unix_frame_fn *frame;
    unix_gone_fn *gone;
    unix_note_fn *note;
    void *ctx;
};

/* listen on path: a stale socket there (nobody answering) is replaced, a
 * live one or anything not a socket refused.  0 or -errno (-EADDRINUSE: a
 * server answers there; -EEXIST: something else is there; -ENAMETOOLONG) */
int unix_srv_open(struct unix_srv **out, const char *path, const struct unix_srv_cfg *cfg,
                  const struct unix_srv_ops *ops);
/* the epoll fd for the daemon's loop (readable when there is work) */
int unix_srv_fd(const struct unix_srv *s);
/* accept, read, write and free what is ready, within the budget */
void unix_srv_run(struct unix_srv *s);
void unix_srv_get_stats(const struct unix_srv *s, struct unix_srv_stats *st);
/* close every client and the listener, remove the socket file */
void unix_srv_close(struct unix_srv *s);

/* iterate over the live clients (NULL: from the first) */
struct unix_client *unix_srv_next(struct unix_srv *s, struct unix_client *c);
/* queue n bytes (whole frames, their lengths included), sent as the socket
 * takes them.  0, or -ENOBUFS when the queue would pass max_out
 * (the client is dropped), -EPIPE for a client already closing */
int unix_client_send(struct unix_client *c, const void *p, size_t n);
/* close after what is queued has been tried once (freed on the next run) */
void unix_client_close(struct unix_client *c);
bool unix_client_closing(const struct unix_client *c);
void *unix_client_data(const struct unix_client *c);
void unix_client_set_data(struct unix_client *c, void *data);
/* the peer's pid (SO_PEERCRED), for the log */
int unix_client_pid(const struct unix_client *c);

/* a client's side: a blocking connection to the server at path; the fd or
 * -errno */
int unix_dial(const char *path);

#endif
