#include "conf/settings.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/secret.h"

enum { MAX_DEPTH = 16, MAX_INCLUDE_DEPTH = 8, MAX_REFS = 16 };

struct lexer {
    const char *p, *file;
    int line;
    char *err;
    size_t errcap;
    int depth; /* of sections */
    int inc;   /* of includes */
    struct set_tree *t;
};

/* free a string that may hold a secret */
static void free_wiped(char *p)
{
    if (p) {
        mem_wipe(p, strlen(p));
        free(p);
    }
}

static int parse_file_into(struct set_tree *t, struct set_node *sec, const char *path, int inc, char *err,
                           size_t errcap);

static int fail(struct lexer *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct lexer *lx, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(lx->err, lx->errcap, "%s:%d: ", lx->file, lx->line);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < lx->errcap)
        vsnprintf(lx->err + n, lx->errcap - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* skip blanks and comments; newlines too when `lines` */
static void skip(struct lexer *lx, bool lines)
{
    for (;;) {
        while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' || (lines && *lx->p == '\n')) {
            if (*lx->p == '\n')
                lx->line++;
            lx->p++;
        }
        if (*lx->p != '#')
            return;
        while (*lx->p && *lx->p != '\n')
            lx->p++;
    }
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == '%' || c == '@' ||
           c == '/' || c == '*';
}

static char *take_name(struct lexer *lx)
{
    const char *s = lx->p;
    while (name_char(*lx->p))
        lx->p++;
    return lx->p > s ? strndup(s, (size_t)(lx->p - s)) : NULL;
}

/* a value: "quoted" with \" \\ \n escapes, or the rest of the line trimmed */
static char *take_value(struct lexer *lx)
{
    skip(lx, false);
    if (*lx->p == '"') {
        char *out = malloc(strlen(lx->p) + 1);
        size_t o = 0;
        if (!out) {
            fail(lx, "out of memory");
            return NULL;
        }
        for (lx->p++; *lx->p && *lx->p != '"'; lx->p++) {
            if (*lx->p == '\\' && lx->p[1]) {
                lx->p++;
                out[o++] = *lx->p == 'n' ? '\n' : *lx->p == 't' ? '\t' : *lx->p;
            } else {
                if (*lx->p == '\n')
                    lx->line++;
                out[o++] = *lx->p;
            }
        }
        out[o] = 0;
        if (*lx->p != '"') {
            free_wiped(out);
            fail(lx, "unterminated quoted value");
            return NULL;
        }
        lx->p++;
        return out;
    }
    const char *s = lx->p;
    while (*lx->p && *lx->p != '\n' && *lx->p != '#' && *lx->p != '}')
        lx->p++;
    const char *e = lx->p;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    char *v = strndup(s, (size_t)(e - s));
    if (!v)
        fail(lx, "out of memory");
    return v;
}

static struct set_node *node_add(struct lexer *lx, struct set_node *sec, char *name, char *value)
{
    /* a key set twice keeps the last value; a section seen twice merges */
    for (struct set_node *n = sec->child; n; n = n->next) {
        if (strcmp(n->name, name) == 0 && (n->value != NULL) == (value != NULL)) {
            free(name);
            if (value) {
                free_wiped(n->value); /* a key set again: the old value may be a secret */
                n->value = value;
                n->line = lx->line;
                n->file = lx->file;
            }
            return n;
        }
    }
    struct set_node *n = calloc(1, sizeof *n), **tail = &sec->child;
    if (!n) {
        free(name);
        free_wiped(value);
        return NULL;
    }
    n->name = name;
    n->value = value;
    n->file = lx->file;
    n->line = lx->line;
    while (*tail)
        tail = &(*tail)->next;
    *tail = n;
    return n;
}

static int parse_body(struct lexer *lx, struct set_node *sec, bool top);

static int include_files(struct lexer *lx, struct set_node *sec, const char *pattern)
{
    char path[4096];
    int n;
    if (pattern[0] == '/') {
        n = snprintf(path, sizeof path, "%s", pattern);
    } else {
        char *dup = strdup(lx->file);
        if (!dup)
            return fail(lx, "out of memory");
        n = snprintf(path, sizeof path, "%s/%s", dirname(dup), pattern);
        free(dup);
    }
    if (n < 0 || (size_t)n >= sizeof path)
        return fail(lx, "include path longer than %zu characters", sizeof path - 1);
    glob_t g;
    int rc = glob(path, 0, NULL, &g);
    if (rc == GLOB_NOMATCH)
        return 0; /* like strongSwan: a pattern without matches is fine */
    if (rc) {
        globfree(&g);
        return fail(lx, "cannot expand include '%s'", pattern);
    }
    for (size_t i = 0; i < g.gl_pathc && !rc; i++)
        rc = parse_file_into(lx->t, sec, g.gl_pathv[i], lx->inc + 1, lx->err, lx->errcap);
    globfree(&g);
    return rc;
}

static int parse_section(struct lexer *lx, struct set_node *sec, char *name, struct set_node **out)
{
    if (++lx->depth > MAX_DEPTH) {
        free(name);
        return fail(lx, "sections nested too deeply");
    }
    struct set_node *sub = node_add(lx, sec, name, NULL);
    int rc = sub ? parse_body(lx, sub, false) : fail(lx, "out of memory");
    lx->depth--;
    if (out)
        *out = sub;
    return rc;
}

/* a reference of a template, kept once (a section defined again with the
 * same template does not list it twice) */
static int add_ref(struct set_node *n, const char *ref)
{
    for (size_t i = 0; i < n->n_refs; i++)
        if (!strcmp(n->refs[i], ref))
            return 0;
    char **grown = realloc(n->refs, (n->n_refs + 1) * sizeof *grown);
    if (!grown)
        return -1;
    n->refs = grown;
    if (!(n->refs[n->n_refs] = strdup(ref)))
        return -1;
    n->n_refs++;
    return 0;
}

/* "name : a, b.c {": the templates' paths, then the section; they are
 * resolved when the whole tree has been read (templates_resolve) */
static int parse_templated(struct lexer *lx, struct set_node *sec, char *name)
{
    char *refs[MAX_REFS];
    size_t n = 0;
    int rc = 0;
    do {
        lx->p++; /* ':' or ',' */
        skip(lx, false);
        if (n == MAX_REFS)
            rc = fail(lx, "more than %d templates for section '%s'", MAX_REFS, name);
        else if (!(refs[n] = take_name(lx)))
            rc = fail(lx, "expected the name of a template section after '%s :'", name);
        else
            n++;
        skip(lx, false);
    } while (!rc && *lx->p == ',');
    if (!rc && *lx->p != '{')
        rc = fail(lx, "expected '{' after the templates of section '%s'", name);
    int line = lx->line;
    struct set_node *sub = NULL;
    if (!rc) {
        lx->p++;
        rc = parse_section(lx, sec, name, &sub);
        name = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!rc && add_ref(sub, refs[i])) {
            lx->line = line;
            rc = fail(lx, "out of memory");
        }
        free(refs[i]);
    }
    free(name);
    return rc;
}

static int parse_item(struct lexer *lx, struct set_node *sec)
{
    char *name = take_name(lx);
    if (!name)
        return fail(lx, "expected a name, found '%c'", *lx->p);
    skip(lx, false);
    if (strcmp(name, "include") == 0 && *lx->p != '=' && *lx->p != '{') {
        free(name);
        char *pattern = take_value(lx);
        int rc = pattern ? include_files(lx, sec, pattern) : -1;
        free(pattern);
        return rc;
    }
    if (*lx->p == ':') /* a section template: "name : parent, other {" */
        return parse_templated(lx, sec, name);
    if (*lx->p == '=') {
        lx->p++;
        char *value = take_value(lx);
        if (!value) {
            free(name);
            return -1;
        }
        return node_add(lx, sec, name, value) ? 0 : fail(lx, "out of memory");
    }
    if (*lx->p == '{') {
        lx->p++;
        return parse_section(lx, sec, name, NULL);
    }
    fail(lx, "expected '=' or '{' after '%s'", name);
    free(name);
    return -1;
}

static int parse_body(struct lexer *lx, struct set_node *sec, bool top)
{
    for (;;) {
        skip(lx, true);
        if (!*lx->p)
            return top ? 0 : fail(lx, "missing '}' at the end of the file");
        if (*lx->p == '}') {
            if (top)
                return fail(lx, "unexpected '}'");
            lx->p++;
            return 0;
        }
        if (parse_item(lx, sec))
            return -1;
    }
}

static int parse_text(struct set_tree *t, struct set_node *sec, const char *text, const char *file, int inc,
                      char *err, size_t errcap)
{
    struct lexer lx = { text, file, 1, err, errcap, 0, inc, t };
    return parse_body(&lx, sec, true);
}

/* the file names nodes point to: the list grows (no cap on included files) */
static const char *keep_name(struct set_tree *t, const char *name)
{
    if (t->n_files == t->cap_files) {
        size_t cap = t->cap_files ? t->cap_files * 2 : 8;
        char **grown = realloc(t->files, cap * sizeof *grown);
        if (!grown)
            return NULL;
        t->files = grown;
        t->cap_files = cap;
    }
    char *kept = strdup(name);
    if (kept)
        t->files[t->n_files++] = kept;
    return kept;
}

/* the whole file as a string; each buffer it passed through is wiped
 * (read(2), not stdio, whose buffer would be freed unwiped) */
static char *read_all(int fd, int *err)
{
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    for (ssize_t n = 1; text && n > 0;) {
        if (len + 1 == cap) {
            char *grown = cap > SIZE_MAX / 2 ? NULL : malloc(cap * 2);
            if (grown)
                memcpy(grown, text, len);
            mem_wipe(text, len);
            free(text);
            text = grown;
            cap *= 2;
            if (!text)
                break;
        }
        n = read(fd, text + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            n = 1;
        else if (n < 0) {
            *err = errno;
            mem_wipe(text, len);
            free(text);
            return NULL;
        } else
            len += (size_t)n;
    }
    if (!text)
        *err = ENOMEM;
    else
        text[len] = 0;
    return text;
}

static int parse_file_into(struct set_tree *t, struct set_node *sec, const char *path, int inc, char *err,
                           size_t errcap)
{
    int e = 0;
    if (inc > MAX_INCLUDE_DEPTH) {
        snprintf(err, errcap, "%s: includes nested too deeply", path);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *text = fd < 0 ? NULL : read_all(fd, &e);
    if (fd < 0)
        e = errno;
    else
        close(fd);
    if (!text) {
        snprintf(err, errcap, "%s: cannot read: %s", path, strerror(e));
        return -1;
    }
    const char *name = keep_name(t, path);
    int rc = name ? parse_text(t, sec, text, name, inc, err, errcap) : -1;
    if (!name)
        snprintf(err, errcap, "%s: out of memory", path);
    free_wiped(text);
    return rc;
}

/* ---- section templates ----
 * strongSwan's settings look a key up in the section, then in the sections
 * its templates name (each with its own templates, depth first), and a
 * subsection in the section's own subsection first, then in the templates'
 * subsections of that name.  Here the result is made once: each section is
 * given the keys and subsections of its templates it lacks, after its own
 * subsections got theirs.  Nodes copied keep the file and line they were
 * written at, so messages point to the template's line. */

struct resolver {
    struct set_tree *t;
    char *err;
    size_t errcap;
    int depth;
};

static struct set_node *child_of(const struct set_node *sec, const char *name, bool section)
{
    for (struct set_node *n = sec->child; n; n = n->next)
        if ((n->value == NULL) == section && !strcmp(n->name, name))
            return n;
    return NULL;
}

static struct set_node *node_copy(struct set_node *sec, const struct set_node *from)
{
    struct set_node *n = calloc(1, sizeof *n), **tail = &sec->child;
    if (!n || !(n->name = strdup(from->name)) || (from->value && !(n->value = strdup(from->value)))) {
        if (n)
            free(n->name);
        free(n);
        return NULL;
    }
    n->file = from->file;
    n->line = from->line;
    n->tpl_state = 2;
    while (*tail)
        tail = &(*tail)->next;
    *tail = n;
    return n;
}

/* what `from` has that `to` lacks, subsections merged the same way (to a
 * depth: a section that is its own template's descendant stops there) */
static int merge_missing(struct set_node *to, const struct set_node *from, int depth)
{
    if (depth > MAX_DEPTH)
        return -2;
    for (const struct set_node *c = from->child; c; c = c->next) {
        struct set_node *have = child_of(to, c->name, c->value == NULL);
        if (have && c->value)
            continue; /* set here: the template's value does not apply */
        if (!have && !(have = node_copy(to, c)))
            return -1;
        int rc = c->value ? 0 : merge_missing(have, c, depth + 1);
        if (rc)
            return rc;
    }
    return 0;
}

static int resolve(struct resolver *r, struct set_node *n);

/* a template's path from the top ("connections.base"), each section on the
 * way resolved first (it may get the next one from its own templates) */
static struct set_node *lookup(struct resolver *r, const char *path, int *rc)
{
    struct set_node *at = &r->t->root;
    char part[256];
    while (at && *path && !*rc) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof part)
            return NULL;
        memcpy(part, path, n);
        part[n] = 0;
        path += n + (path[n] == '.');
        at = child_of(at, part, true);
        if (at)
            *rc = resolve(r, at);
    }
    return *rc ? NULL : at;
}

static int resolve(struct resolver *r, struct set_node *n)
{
    if (n->tpl_state) /* done, or being done: a loop of templates ends here */
        return 0;
    if (++r->depth > 64) {
        snprintf(r->err, r->errcap, "%s:%d: section templates nested too deeply", n->file, n->line);
        return -1;
    }
    n->tpl_state = 1;
    int rc = 0;
    for (struct set_node *c = n->child; c && !rc; c = c->next)
        if (!c->value)
            rc = resolve(r, c);
    for (size_t i = 0; i < n->n_refs && !rc; i++) {
        struct set_node *tpl = lookup(r, n->refs[i], &rc);
        if (rc)
            break;
        if (!tpl) {
            /* strongSwan would go on without it: kite says so, as the keys
             * the writer meant to inherit would be missing */
            snprintf(r->err, r->errcap, "%s:%d: template '%s' of section '%s' not found (templates are named by "
                     "their path from the top, such as connections.base)", n->file, n->line, n->refs[i], n->name);
            rc = -1;
        } else if (tpl != n) {
            tpl->used = true; /* read through the sections that use it */
            int m = merge_missing(n, tpl, 0);
            if (m)
                snprintf(r->err, r->errcap, "%s:%d: %s", n->file, n->line,
                         m == -2 ? "a template that contains the section using it nests too deeply" : "out of memory");
            rc = m ? -1 : 0;
        }
    }
    n->tpl_state = 2;
    r->depth--;
    return rc;
}

static int templates_resolve(struct set_tree *t, char *err, size_t errcap)
{
    struct resolver r = { t, err, errcap, 0 };
    return resolve(&r, &t->root);
}

int set_parse_file(struct set_tree *t, const char *path, char *err, size_t errcap)
{
    memset(t, 0, sizeof *t);
    int rc = parse_file_into(t, &t->root, path, 0, err, errcap);
    return rc ? rc : templates_resolve(t, err, errcap);
}

int set_parse_string(struct set_tree *t, const char *text, const char *name, char *err, size_t errcap)
{
    memset(t, 0, sizeof *t);
    const char *kept = keep_name(t, name);
    if (!kept)
        snprintf(err, errcap, "%s: out of memory", name);
    int rc = kept ? parse_text(t, &t->root, text, kept, 0, err, errcap) : -1;
    return rc ? rc : templates_resolve(t, err, errcap);
}

static void free_nodes(struct set_node *n)
{
    while (n) {
        struct set_node *next = n->next;
        free_nodes(n->child);
        for (size_t i = 0; i < n->n_refs; i++)
            free(n->refs[i]);
        free(n->refs);
        free(n->name);
        free_wiped(n->value); /* values may be secrets */
        free(n);
        n = next;
    }
}

void set_free(struct set_tree *t)
{
    free_nodes(t->root.child);
    for (size_t i = 0; i < t->n_files; i++)
        free(t->files[i]);
    free(t->files);
    memset(t, 0, sizeof *t);
}

struct set_node *set_add(struct set_tree *t, struct set_node *sec, const char *name, const char *value,
                         const char *where)
{
    struct lexer lx = { .file = keep_name(t, where), .t = t };
    char *n = strdup(name), *v = value ? strdup(value) : NULL;
    if (!lx.file || !n || (value && !v)) {
        free(n);
        free_wiped(v);
        return NULL;
    }
    return node_add(&lx, sec, n, v);
}

struct set_node *set_find(const struct set_node *sec, const char *name)
{
    for (struct set_node *n = sec ? sec->child : NULL; n; n = n->next)
        if (strcmp(n->name, name) == 0)
            return n;
    return NULL;
}
