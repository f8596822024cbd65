/* settings: strongSwan's settings syntax (strongswan.conf, swanctl.conf):
 *
 *   name {            # a section; sections of the same name merge
 *       key = value   # value to the end of the line, or "quoted \"text\""
 *   }
 *   include path      # other files (globs), relative to the including file
 *   b : a, c { ... }  # a section template: b has the keys and sections of
 *                     # a, then c, that it does not set itself (paths from
 *                     # the top: "child : connections.x.children.y")
 *
 * Every node keeps its file and line for messages such as
 * "swanctl.conf:12: expected '=' or '{' after 'foo'". */
#ifndef KITE_CONF_SETTINGS_H
#define KITE_CONF_SETTINGS_H
#include <stdbool.h>
#include <stddef.h>

struct set_node {
    char *name;
    char *value;       /* NULL for a section */
    const char *file;  /* owned by the tree's file list */
    int line;
    struct set_node *child, *next;
    bool used;         /* set by readers, to warn about unknown keys */
    /* section templates ("name : a, b"): the paths it refers to, resolved
     * once the whole tree is read (set_parse_*); state is 0 not resolved,
     * 1 being resolved, 2 resolved */
    char **refs;
    size_t n_refs;
    unsigned char tpl_state;
};

struct set_tree {
    struct set_node root;
    char **files; /* every file read (the names nodes point to); grows */
    size_t n_files, cap_files;
};

/* parse a file (with its includes) or a string; on error 0 is not returned
 * and err holds "file:line: message".  Every buffer that held file text or a
 * value is wiped before it is freed (values may be secrets). */
int set_parse_file(struct set_tree *t, const char *path, char *err, size_t errcap);
int set_parse_string(struct set_tree *t, const char *text, const char *name, char *err, size_t errcap);
/* wipes the values */
void set_free(struct set_tree *t);
/* append a node to sec as if read from a file: a section when value is NULL
 * (one of the same name merges), a key otherwise (set again: the last value
 * wins).  where names it in messages (no line: a VICI message's key path);
 * name, value and where are copied.  The node, or NULL (no memory). */
struct set_node *set_add(struct set_tree *t, struct set_node *sec, const char *name, const char *value,
                         const char *where);
/* the child named `name` of a section, or NULL */
struct set_node *set_find(const struct set_node *sec, const char *name);

#endif
