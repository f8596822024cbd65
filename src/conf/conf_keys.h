/* conf_keys: what kite does with every swanctl.conf key, in one table
 * (conf_keys.c), so that no key changes the meaning of a file silently:
 *
 *   implemented  read by conf.c and acted on
 *   accepted     with the value(s) given, the key asks nothing of kite (a
 *                default, or an IKEv1-only setting): read, nothing to do
 *   ignored      kite does not do it, and leaving it out can neither weaken
 *                security nor change what traffic is protected: a warning
 *                naming the connection
 *   refused      an error naming file:line and the reason
 *
 * A key that is not in the table is refused as unknown.  Rows may name the
 * values they apply to ("mobike = no" accepted, any other mobike ignored);
 * the first row whose key and values match decides.  docs/configuration.md
 * carries the table as conf_keys_markdown prints it (unit/conf_keys checks). */
#ifndef KITE_CONF_CONF_KEYS_H
#define KITE_CONF_CONF_KEYS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum conf_key_use { CONF_KEY_IMPL, CONF_KEY_ACCEPT, CONF_KEY_WARN, CONF_KEY_REFUSE };

struct conf_key {
    /* where: top, conn, auth (local and remote rounds), local, remote,
     * certsec (cert-x/cacert-x subsections), child, secret (ike-x),
     * keysecret (private-x, rsa-x ...), othersecret, pool, authority */
    const char *scope;
    const char *name;   /* a trailing '*' matches a prefix: "id*" is id, id-1 ... */
    bool section;       /* a subsection of that name, not a key */
    const char *values; /* NULL: any value; else "a|b|c", compared without case */
    enum conf_key_use use;
    const char *why;
};

extern const struct conf_key conf_keys[];
extern const size_t conf_keys_n;

struct set_node;
typedef void conf_keys_warn_fn(void *ctx, const char *msg);

/* check one connection section (its keys, rounds, children) against the
 * table: 0, or -1 with "file:line: ..." in err for the first refused or
 * unknown key; ignored keys are warned about through warn and marked used.
 * Called by conf.c for a file's connections and VICI's load-conn alike */
int conf_keys_check_conn(struct set_node *conn, char *err, size_t errcap, conf_keys_warn_fn *warn, void *ctx);
/* the top level: secrets, pools, authorities and other sections (not the
 * connections, which conf_keys_check_conn checks as they are read) */
int conf_keys_check_top(struct set_node *root, char *err, size_t errcap, conf_keys_warn_fn *warn, void *ctx);
/* every refused or unknown key of the tree (connections too), each through
 * report as "file:line: ..." (kited --check-config lists them all); how many */
int conf_keys_scan(struct set_node *root, conf_keys_warn_fn *report, void *ctx);
/* the connection's one authentication round of that side: the section
 * named "local" or "local<suffix>" (strongSwan reads any such name as a
 * round; conf_keys_check_conn refuses more than one), or NULL */
struct set_node *conf_keys_round(struct set_node *conn, const char *side);
/* the table as markdown rows, for docs/configuration.md */
void conf_keys_markdown(FILE *out);

#endif
