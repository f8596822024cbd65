/* kitectl_load: `kitectl load [--file F]` sends a swanctl.conf to the
 * daemon as swanctl --load-conns and --load-creds do: one load-shared per
 * shared secret (type from the section name's prefix, the owners from its
 * id* keys, the value decoded from "text", 0x<hex> or 0s<base64>), one
 * load-conn per connection (the section as it is, the keys that hold lists
 * split at commas, certificate file names replaced by the files' contents),
 * then unload-conn for each connection the daemon has and the file does
 * not.  The file is read with kite's settings parser (conf/settings.h). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "base/secret.h"
#include "conf/settings.h"
#include "kitectl.h"

/* the result of each step is printed as it happens; with --json as
 * {"steps": [{"op": "load-conn", "name": N, "success": "yes"|"no",
 * "errmsg": E}, ...], "failed": "N"} */
struct load {
    struct ctl *c;
    bool unknown;         /* the daemon does not have a command we need: stop */
    const char *dir;      /* the file's directory: x509/, x509ca/, pubkey/ are under it */
    int failed, steps;
};

static bool one_of(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (!strcmp(s, *set))
            return true;
    return false;
}

/* the keys swanctl sends as lists (comma-separated in the file) */
static const char *const list_keys[] = { "local_addrs", "remote_addrs", "proposals", "vips", "pools", "local_ts",
                                         "remote_ts", "esp_proposals", "ah_proposals", "groups", "cert_policy",
                                         NULL };

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    for (size_t n = strlen(s); n && (s[n - 1] == ' ' || s[n - 1] == '\t'); n--)
        s[n - 1] = 0;
    return s;
}

/* certs, cacerts, pubkeys: file names under x509/, x509ca/, pubkey/ (or
 * absolute), sent as the files' contents */
static const char *file_dir(const char *key)
{
    return !strcmp(key, "certs") ? "x509" : !strcmp(key, "cacerts") ? "x509ca" : !strcmp(key, "pubkeys") ? "pubkey" : NULL;
}

static int add_file(struct load *l, struct vici_bld *b, const char *sub, const char *name)
{
    char path[1024];
    static uint8_t buf[64 * 1024];
    if (name[0] == '/')
        snprintf(path, sizeof path, "%s", name);
    else
        snprintf(path, sizeof path, "%s/%s/%s", l->dir, sub, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "kitectl: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = fread(buf, 1, sizeof buf, f);
    bool whole = feof(f);
    fclose(f);
    if (!whole) {
        fprintf(stderr, "kitectl: %s: over %zu bytes\n", path, sizeof buf);
        return -1;
    }
    return vici_bld_item(b, buf, n);
}

/* a comma-separated value as a list (of file contents for file keys) */
static int add_list(struct load *l, struct vici_bld *b, const struct set_node *k, const char *sub)
{
    char *copy = strdup(k->value), *save = NULL;
    int rc = copy ? 0 : -1;
    vici_bld_list(b, k->name);
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !rc; t = strtok_r(NULL, ",", &save)) {
        t = trim(t);
        if (t[0])
            rc = sub ? add_file(l, b, sub, t) : vici_bld_item_str(b, t);
    }
    vici_bld_list_end(b);
    free(copy);
    return rc;
}

/* a section's keys and subsections, as swanctl sends them */
static int add_section(struct load *l, struct vici_bld *b, const struct set_node *sec)
{
    int rc = 0;
    for (const struct set_node *k = sec->child; k && !rc; k = k->next) {
        if (!k->value) {
            vici_bld_section(b, k->name);
            rc = add_section(l, b, k);
            vici_bld_end(b);
        } else if (file_dir(k->name) || one_of(k->name, list_keys)) {
            rc = add_list(l, b, k, file_dir(k->name));
        } else {
            vici_bld_kv_str(b, k->name, k->value);
        }
    }
    return rc;
}

static void json_kv(const char *k, const char *v, bool comma)
{
    show_json_str(k, strlen(k));
    putchar(':');
    show_json_str(v, strlen(v));
    fputs(comma ? "," : "", stdout);
}

/* one step's outcome */
static void note(struct load *l, const char *op, const char *what, const char *name, int rc, const char *err)
{
    if (rc)
        l->failed++;
    char why[128];
    if (rc == 2) { /* CMD_UNKNOWN: the daemon cannot be configured this way */
        l->unknown = true;
        snprintf(why, sizeof why, "the daemon does not know the command %s", op);
        err = why;
    }
    if (l->c->json) {
        fputs(l->steps++ ? ",{" : "{", stdout);
        json_kv("op", op, true);
        json_kv("name", name, true);
        json_kv("success", rc ? "no" : "yes", rc != 0);
        if (rc)
            json_kv("errmsg", err, false);
        putchar('}');
        return;
    }
    if (rc) {
        printf("%s '%s' ", what, name);
        show_tone(l->c, TONE_BAD, "failed");
        printf(": %s\n", err[0] ? err : "(no reason given)");
    } else {
        printf("%s '%s'\n", what, name);
    }
}

static int load_conn(struct load *l, const struct set_node *conn)
{
    struct vici_bld b;
    char err[256] = "";
    vici_bld_init(&b, 0);
    vici_bld_packet(&b, VICI_CMD_REQUEST, "load-conn");
    vici_bld_section(&b, conn->name);
    int rc = add_section(l, &b, conn);
    vici_bld_end(&b);
    if (rc)
        snprintf(err, sizeof err, "a file it names could not be read");
    else
        rc = ctl_call(l->c, &b, err, sizeof err);
    vici_bld_free(&b);
    note(l, "load-conn", "loaded connection", conn->name, rc, err);
    return rc;
}

/* ---- secrets ---- */

static int hex_val(int ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
           ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* strongSwan's secret encodings: "text", 0x<hex>, 0s<base64>; the length
 * or -1.  out holds at least strlen(v) bytes */
static int secret_decode(const char *v, uint8_t *out)
{
    size_t n = strlen(v);
    if (!strncmp(v, "0x", 2)) {
        if ((n - 2) % 2)
            return -1;
        for (size_t i = 2; i < n; i += 2) {
            int hi = hex_val(v[i]), lo = hex_val(v[i + 1]);
            if (hi < 0 || lo < 0)
                return -1;
            out[(i - 2) / 2] = (uint8_t)(hi << 4 | lo);
        }
        return (int)(n - 2) / 2;
    }
    if (!strncmp(v, "0s", 2)) {
        if ((n - 2) % 4 || n - 2 > INT32_MAX)
            return -1;
        int r = EVP_DecodeBlock(out, (const unsigned char *)v + 2, (int)(n - 2));
        for (size_t i = n; r > 0 && i > 2 && v[i - 1] == '='; i--)
            r--; /* EVP_DecodeBlock counts the padding */
        return r;
    }
    memcpy(out, v, n);
    return (int)n;
}

/* ike-x, eap-x, xauth-x, ntlm-x, ppk-x: their VICI type; NULL for the
 * private key types, which kitectl does not send (load-key) */
static const char *secret_type(const char *name)
{
    static const char *const t[][2] = { { "ike", "IKE" }, { "eap", "EAP" }, { "xauth", "XAUTH" },
                                        { "ntlm", "NTLM" }, { "ppk", "PPK" } };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t n = strlen(t[i][0]);
        if (!strncmp(name, t[i][0], n) && (name[n] == 0 || name[n] == '-'))
            return t[i][1];
    }
    return NULL;
}

static void add_owners(struct vici_bld *b, const struct set_node *sec)
{
    vici_bld_list(b, "owners");
    for (const struct set_node *k = sec->child; k; k = k->next)
        if (k->value && !strncmp(k->name, "id", 2))
            vici_bld_item_str(b, k->value);
    vici_bld_list_end(b);
}

static int load_shared(struct load *l, const struct set_node *sec, const char *type)
{
    const struct set_node *v = set_find(sec, "secret");
    char err[256] = "";
    int rc = 1;
    if (!v || !v->value) {
        note(l, "load-shared", "loaded secret", sec->name, 1, "no secret = in it");
        return 1;
    }
    uint8_t *buf = malloc(strlen(v->value) + 1);
    int n = buf ? secret_decode(v->value, buf) : -1;
    struct vici_bld b;
    vici_bld_init(&b, 0);
    if (n < 0) {
        snprintf(err, sizeof err, "the secret is not valid 0x<hex> or 0s<base64>");
    } else {
        vici_bld_packet(&b, VICI_CMD_REQUEST, "load-shared");
        vici_bld_kv_str(&b, "id", sec->name);
        vici_bld_kv_str(&b, "type", type);
        vici_bld_kv(&b, "data", buf, (size_t)n);
        add_owners(&b, sec);
        rc = ctl_call(l->c, &b, err, sizeof err);
    }
    if (b.buf) /* the packet held the secret */
        mem_wipe(b.buf, b.cap);
    vici_bld_free(&b);
    if (buf) {
        mem_wipe(buf, strlen(v->value) + 1);
        free(buf);
    }
    note(l, "load-shared", "loaded secret", sec->name, rc, err);
    return rc;
}

static void load_secrets(struct load *l, const struct set_node *secrets)
{
    for (const struct set_node *s = secrets ? secrets->child : NULL; s && !l->unknown; s = s->next) {
        const char *type = s->value ? NULL : secret_type(s->name);
        if (type)
            load_shared(l, s, type);
        else if (!l->c->json)
            printf("secret '%s' not sent: only shared secrets (ike, eap, xauth, ntlm, ppk) are\n", s->name);
    }
}

/* ---- connections the daemon has and the file does not ---- */

struct names {
    char (*v)[128];
    size_t n;
};

static int name_visit(void *ctx, const struct vici_elem *e)
{
    struct names *ns = ctx;
    if (e->type != VICI_LIST_ITEM || e->value.n >= 128)
        return 0;
    char (*v)[128] = realloc(ns->v, (ns->n + 1) * sizeof *v);
    if (!v)
        return -1;
    ns->v = v;
    memcpy(v[ns->n], e->value.p, e->value.n);
    v[ns->n++][e->value.n] = 0;
    return 0;
}

static void unload_absent(struct load *l, const struct set_node *conns)
{
    struct names ns = { 0 };
    char err[256];
    if (ctl_send(l->c, VICI_CMD_REQUEST, "get-conns", NULL) || !ctl_recv(l->c, 0) ||
        l->c->pk.op != VICI_CMD_RESPONSE) {
        note(l, "get-conns", "listed connections", "*", 1, "no answer to get-conns");
        return;
    }
    vici_msg_walk(l->c->pk.msg, VICI_DEPTH_MAX, name_visit, &ns);
    for (size_t i = 0; i < ns.n; i++) {
        if (conns && set_find(conns, ns.v[i]))
            continue;
        struct vici_bld b;
        vici_bld_init(&b, 0);
        vici_bld_packet(&b, VICI_CMD_REQUEST, "unload-conn");
        vici_bld_kv_str(&b, "name", ns.v[i]);
        int rc = ctl_call(l->c, &b, err, sizeof err);
        vici_bld_free(&b);
        note(l, "unload-conn", "unloaded connection", ns.v[i], rc, err);
    }
    free(ns.v);
}

int load_run(struct ctl *c, const char *file)
{
    struct set_tree t = { 0 };
    char err[512];
    c->reported = true; /* each step says how it went */
    if (set_parse_file(&t, file, err, sizeof err)) {
        fprintf(stderr, "kitectl: %s\n", err);
        set_free(&t);
        return 1;
    }
    char *copy = strdup(file);
    struct load l = { .c = c, .dir = copy ? dirname(copy) : "." };
    const struct set_node *conns = set_find(&t.root, "connections");
    if (c->json)
        fputs("{\"steps\":[", stdout);
    load_secrets(&l, set_find(&t.root, "secrets"));
    for (const struct set_node *k = conns ? conns->child : NULL; k && !l.unknown; k = k->next)
        if (!k->value)
            load_conn(&l, k);
    if (!l.unknown)
        unload_absent(&l, conns);
    if (c->json)
        printf("],\"failed\":\"%d\"}\n", l.failed);
    else if (l.failed)
        printf("%d step%s failed\n", l.failed, l.failed == 1 ? "" : "s");
    free(copy);
    set_free(&t);
    return l.failed != 0;
}
