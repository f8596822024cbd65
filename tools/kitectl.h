/* kitectl: kite's command line, speaking VICI (so it works against charon
 * too).  The files, one concern each:
 *   kitectl.c        options, the commands and their dispatch
 *   kitectl_vici.c   the connection: packets out and in, event registration
 *   kitectl_show.c   output: JSON, a person's lines, colour
 *   kitectl_load.c   load: a swanctl.conf sent as swanctl sends it
 *   kitectl_diag.c   diagnose: an initiate explained
 * docs/control.md describes the commands. */
#ifndef KITE_TOOLS_KITECTL_H
#define KITE_TOOLS_KITECTL_H
#include <stdbool.h>
#include <stdint.h>
#include "ctl/vici_msg.h"

struct ctl {
    int fd;
    bool json;
    bool colour;            /* stdout is a terminal, and neither NO_COLOR nor --no-color */
    int n_out;              /* JSON: events printed so far */
    bool reported;          /* the command said why it failed (no generic message) */
    uint8_t *in;            /* the last packet read */
    struct vici_packet pk;
};

/* ---- kitectl_vici.c ---- */
/* a request or registration whose message is the key-value pairs of kv
 * (NULL-terminated name, value pairs; a NULL value leaves its key out) */
int ctl_send(struct ctl *c, uint8_t op, const char *name, const char *const *kv);
/* a packet built by the caller */
int ctl_send_built(struct ctl *c, struct vici_bld *b);
/* the next packet, decoded and checked; false when the daemon went away or
 * sent something malformed (or nothing within timeout_ms, when not 0) */
bool ctl_recv(struct ctl *c, int timeout_ms);
bool ctl_is_event(const struct ctl *c, const char *name);
int ctl_register(struct ctl *c, const char *event);
/* a request answered by one response: 0 with success = yes (or no success
 * key), 2 for CMD_UNKNOWN, 1 otherwise; the errmsg in err */
int ctl_call(struct ctl *c, struct vici_bld *b, char *err, size_t cap);
/* does the key-value name of element e equal s? */
bool ctl_name_is(const struct vici_elem *e, const char *s);

/* ---- kitectl_show.c ---- */
enum ctl_tone { TONE_GOOD, TONE_BUSY, TONE_BAD, TONE_PLAIN };
void show_json_str(const char *s, size_t n);
void show_json_msg(struct span msg);
/* the current packet: as JSON (an element of an array), or as a person reads it */
void show(struct ctl *c, vici_visit_fn *human, void *ctx);
/* text in the tone's colour when colour is on */
void show_tone(const struct ctl *c, enum ctl_tone t, const char *text);
enum ctl_tone show_state_tone(const char *state);
/* a person's view of list-sa events: one line per IKE SA and per Child SA;
 * the values of the keys printed (show_sa_visit's context) */
struct sa_line {
    struct ctl *c;
    char ike[12][64];
    char ch[14][64];
    char name[64], child[64];
    bool printed; /* the IKE SA's line */
};
vici_visit_fn show_sa_visit;
/* key = value lines, sections indented (list-conns, stats) */
vici_visit_fn show_text_visit;

/* ---- the commands ---- */
int load_run(struct ctl *c, const char *file);
int diag_run(struct ctl *c, const char *conn, int timeout_s);

#endif
