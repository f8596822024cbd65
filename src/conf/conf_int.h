/* conf_int: what conf.c shares (and conf_lists.c) with the files that read further keys into
 * the same structures (conf_life.c), so each keeps to its own keys. */
#ifndef KITE_CONF_CONF_INT_H
#define KITE_CONF_CONF_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "conf/conf.h"
#include "conf/settings.h"

/* room for record n in *arr (capacity *cap, grown by doubling, the new part
 * zeroed); 0 or -1 (no memory: *arr unchanged) */
int conf_list_grow(void **arr, uint32_t *cap, uint32_t n, size_t size);
/* names in a file list ended by an empty one (NULL: none) */
size_t conf_files_count(const char (*files)[CONF_FILE_MAX]);
/* a secret with its own copies of the key and the ids; 0 or -1 (nothing held) */
int conf_secret_copy(struct conf_secret *d, const struct conf_secret *s);

/* where a key's messages go: an error ("file:line: ..." in err) or a warning */
struct conf_io {
    char *err;
    size_t errcap;
    conf_warn_fn *warn;
    void *wctx;
};
/* key's value in section sec (marking it known), NULL when absent; *node
 * (may be NULL) its node */
const char *conf_key(struct set_node *sec, const char *key, struct set_node **node);
/* -1 with "file:line: message" in io->err */
int conf_fail(const struct conf_io *io, const struct set_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* a warning "file:line: message" */
void conf_warn(const struct conf_io *io, const struct set_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* strongSwan's times ("4h", "30m", "90s", "1d", seconds) and booleans; 0 or -1 */
int conf_time(const char *s, uint32_t *out);
int conf_bool(const char *s, bool *out);

/* conf_life.c (issue 14): a connection's lifetime and uniqueness keys
 * (reauth_time, rand_time, over_time, unique, dpd_timeout, if_id_*), read
 * after rekey_time; a child's keys (close_action, mode = pass | drop,
 * priority, copy_*, hw_offload, marks, interfaces, labels, ipcomp,
 * sha256_96, inactivity, policies), read before its times (a life_time
 * without rekey_time sets the rekey time, as strongSwan does) */
int conf_life_conn(const struct conf_io *io, struct set_node *sec, struct conf_conn *c);
int conf_life_child(const struct conf_io *io, struct set_node *sec, struct conf_child *ch);

#endif
