/* vici_conn: the reconfiguration commands, with charon 5.9.8's request and
 * response keys (strongSwan's vici README, read to learn them): load-conn,
 * unload-conn, load-shared, unload-shared, get-shared.  What swanctl
 * --load-all / --load-conns / --load-creds send for a PSK configuration.
 *
 * load-conn's section is turned into the settings tree a swanctl.conf file
 * gives (lists joined by commas), and read by conf/'s connection parser: a
 * file and VICI accept the same keys with the same errors, which name the
 * key ("load-conn lab.children.net.rekey_time: invalid time ...").  Each
 * command makes a changed copy of the running configuration and hands it
 * to the daemon (vici_env.apply, daemon/reconf.c), which applies the
 * difference: an unchanged connection keeps its SAs, a changed or unloaded
 * one has them closed.  A refused request changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/err.h"
#include "base/log.h"
#include "base/secret.h"
#include "conf/conf.h"
#include "conf/settings.h"
#include "ctl/vici_int.h"

static int answer(struct vici_req *r, const char *errmsg)
{
    vici_bld_packet(r->b, VICI_CMD_RESPONSE, NULL);
    vici_bld_kv_str(r->b, "success", errmsg ? "no" : "yes");
    if (errmsg)
        vici_bld_kv_str(r->b, "errmsg", errmsg);
    return 0;
}

static bool printable(struct span v)
{
    for (size_t i = 0; i < v.n; i++)
        if (v.p[i] < 0x20 || v.p[i] == 0x7f)
            return false;
    return true;
}

/* ---- a VICI message as a settings tree ---- */

struct to_tree {
    struct set_tree *t;
    struct set_node *sec[VICI_DEPTH_MAX + 1]; /* the section at each depth */
    char path[VICI_DEPTH_MAX + 1][256];       /* its key path, for messages */
    char list[256];                           /* the list being read */
    char *items;                              /* its items, comma-joined */
    size_t n_items;
    char err[300];
};

static void copy_name(char *out, size_t cap, struct span n)
{
    size_t k = n.n < cap - 1 ? n.n : cap - 1;
    if (k) /* an empty span may have no pointer */
        memcpy(out, n.p, k);
    out[k] = 0;
}

static int list_item(struct to_tree *x, struct span v)
{
    if (!printable(v)) {
        snprintf(x->err, sizeof x->err, "%.120s: %.60s: binary values (certificates, keys) are not supported here",
                 x->path[0], x->list);
        return -1;
    }
    char *grown = realloc(x->items, x->n_items + v.n + 2);
    if (!grown)
        return -1;
    x->items = grown;
    if (x->n_items)
        x->items[x->n_items++] = ',';
    if (v.n)
        memcpy(x->items + x->n_items, v.p, v.n);
    x->n_items += v.n;
    x->items[x->n_items] = 0;
    return 0;
}

static int add(struct to_tree *x, unsigned d, const char *name, const char *value)
{
    char where[256];
    snprintf(where, sizeof where, "%.180s%s%.60s", x->path[d], d ? "." : " ", name);
    struct set_node *n = set_add(x->t, x->sec[d], name, value, where);
    if (n && !value && d < VICI_DEPTH_MAX) {
        x->sec[d + 1] = n;
        snprintf(x->path[d + 1], sizeof x->path[d + 1], "%s", where);
    }
    return n ? 0 : -1;
}

static int visit(void *ctx, const struct vici_elem *e)
{
    struct to_tree *x = ctx;
    char name[256];
    copy_name(name, sizeof name, e->name);
    switch (e->type) {
    case VICI_SECTION_START: return add(x, e->depth, name, NULL);
    case VICI_KEY_VALUE: {
        if (!printable(e->value)) {
            snprintf(x->err, sizeof x->err, "%.180s%s%.60s: expected text", x->path[e->depth], e->depth ? "." : " ", name);
            return -1;
        }
        char *v = e->value.n ? strndup((const char *)e->value.p, e->value.n) : strdup("");
        int rc = v ? add(x, e->depth, name, v) : -1;
        if (v)
            mem_wipe(v, e->value.n);
        free(v);
        return rc;
    }
    case VICI_LIST_START:
        snprintf(x->list, sizeof x->list, "%s", name);
        x->n_items = 0;
        return 0;
    case VICI_LIST_ITEM: return list_item(x, e->value);
    case VICI_LIST_END: return add(x, e->depth, x->list, x->n_items ? x->items : "");
    default: return 0;
    }
}

int vici_conn_tree(struct span msg, const char *cmd, struct set_tree *t, char *err, size_t cap)
{
    struct to_tree *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    x->t = t;
    x->sec[0] = &t->root;
    snprintf(x->path[0], sizeof x->path[0], "%s", cmd);
    int rc = vici_msg_walk(msg, VICI_DEPTH_MAX, visit, x);
    if (rc)
        snprintf(err, cap, "%s", x->err[0] ? x->err : "parsing request failed");
    if (x->items)
        mem_wipe(x->items, x->n_items);
    free(x->items);
    free(x);
    return rc ? -1 : 0;
}

/* ---- applying a changed configuration ---- */

static void warn(void *ctx, const char *msg)
{
    struct vici_req *r = ctx;
    log_msg(r->s->env.log, LOG_CFG, 0, "warning: %s", msg);
}

/* the running configuration changed by fn (0 or an errmsg in err), made to
 * run; nothing changes on an error.  0 or -1 with err */
static int apply(struct vici_srv *s, int (*fn)(struct kite_conf *c, void *arg, char *err, size_t cap), void *arg,
                 const char *conn, char *err, size_t cap)
{
    struct vici_env *env = &s->env;
    struct kite_conf *c = NULL;
    if (!env->conf || !env->apply || !*env->conf)
        return snprintf(err, cap, "reconfiguration is not available"), -1;
    if (conf_dup(*env->conf, &c))
        return snprintf(err, cap, "out of memory"), -1;
    if (fn(c, arg, err, cap) || env->apply(env->ctx, c, conn, err, cap)) {
        conf_free(c);
        return -1;
    }
    if (env->drain)
        env->drain(env->ctx); /* the Deletes and initiations go out now */
    return 0;
}

static int change(struct vici_req *r, int (*fn)(struct kite_conf *c, void *arg, char *err, size_t cap), void *arg,
                  const char *conn)
{
    char err[400] = "";
    if (apply(r->s, fn, arg, conn, err, sizeof err))
        return answer(r, err[0] ? err : "failed");
    return answer(r, NULL);
}

int vici_conf_change(struct vici_req *r, int (*fn)(struct kite_conf *c, void *arg, char *err, size_t cap),
                     void *arg)
{
    return change(r, fn, arg, NULL);
}

static int put_conn(struct kite_conf *c, void *arg, char *err, size_t cap)
{
    if (conf_conn_put(c, arg)) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    return 0;
}

static int cmd_load_conn(struct vici_req *r)
{
    struct set_tree t;
    char err[400];
    memset(&t, 0, sizeof t);
    struct conf_conn *cc = calloc(1, sizeof *cc);
    int rc = cc ? vici_conn_tree(r->msg, "load-conn", &t, err, sizeof err) : -1;
    if (!cc)
        snprintf(err, sizeof err, "out of memory");
    struct set_node *sec = t.root.child;
    if (!rc && (!sec || sec->value || sec->next)) {
        snprintf(err, sizeof err, "expected one section, named by the connection");
        rc = -1;
    }
    if (!rc)
        rc = conf_parse_conn_node(sec, cc, err, sizeof err, warn, r);
    if (!rc)
        log_msg(r->s->env.log, LOG_CFG, 1, "load-conn '%s'", cc->name);
    if (rc)
        answer(r, err);
    else
        change(r, put_conn, cc, cc->name);
    set_free(&t);
    conf_conn_free(cc);
    free(cc);
    return 0;
}

static int del_conn(struct kite_conf *c, void *arg, char *err, size_t cap)
{
    if (!conf_conn_del(c, arg))
        return 0;
    snprintf(err, cap, "unload: connection '%s' not found", (const char *)arg);
    return -1;
}

static int cmd_unload_conn(struct vici_req *r)
{
    char name[CONF_NAME_MAX];
    if (!vici_msg_get_str(r->msg, "name", name, sizeof name) || !name[0])
        return answer(r, "unload: missing connection name");
    log_msg(r->s->env.log, LOG_CFG, 1, "unload-conn '%s'", name);
    return change(r, del_conn, name, NULL);
}

/* ---- shared keys ---- */

struct owners {
    struct conf_secret *s;
    uint32_t cap; /* of s->ids */
    char err[300];
};

static int owner(void *ctx, const struct vici_elem *e)
{
    struct owners *o = ctx;
    if (e->type != VICI_LIST_ITEM || e->depth != 0)
        return 0;
    char id[CONF_ID_MAX];
    if (!printable(e->value) || e->value.n >= sizeof id) {
        snprintf(o->err, sizeof o->err, "parsing shared key owners failed");
        return -1;
    }
    copy_name(id, sizeof id, e->value);
    if (o->s->n_ids == o->cap) {
        uint32_t cap = o->cap ? 2 * o->cap : 4;
        struct conf_id *ids = cap > o->cap ? realloc(o->s->ids, cap * sizeof *ids) : NULL;
        if (!ids) {
            snprintf(o->err, sizeof o->err, "owners: out of memory");
            return -1;
        }
        o->s->ids = ids;
        o->cap = cap;
    }
    if (conf_parse_id(id, &o->s->ids[o->s->n_ids])) {
        snprintf(o->err, sizeof o->err, "owners: invalid identity '%.200s'", id);
        return -1;
    }
    /* %any as the only owner is charon's default: a secret for everyone */
    o->s->n_ids += o->s->ids[o->s->n_ids].type != 0;
    return 0;
}

static int put_secret(struct kite_conf *c, void *arg, char *err, size_t cap)
{
    if (conf_secret_put(c, arg)) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    return 0;
}

/* type, data, owners as charon reads them; 0 or -1 with err */
static int shared_of(struct vici_req *r, struct conf_secret *s, char *err, size_t cap)
{
    char type[16];
    struct span data;
    if (!vici_msg_get_str(r->msg, "type", type, sizeof type))
        return snprintf(err, cap, "shared key type missing"), -1;
    if (strcasecmp(type, "ike") && strcasecmp(type, "eap"))
        return snprintf(err, cap, "shared key type '%s' is not supported (ike and eap are)", type), -1;
    s->eap = !strcasecmp(type, "eap"); /* a user's password (eap-mschapv2), never a PSK */
    if (!vici_msg_get(r->msg, "data", &data) || !data.n)
        return snprintf(err, cap, "shared key data missing"), -1;
    if (data.n > CONF_PSK_MAX)
        return snprintf(err, cap, "shared key is %zu bytes long; at most %d are supported", data.n, CONF_PSK_MAX), -1;
    if (!vici_msg_get_str(r->msg, "id", s->name, sizeof s->name))
        s->name[0] = 0;
    struct owners *o = calloc(1, sizeof *o);
    int rc = o ? 0 : -1;
    if (o) {
        o->s = s;
        rc = vici_msg_walk(r->msg, VICI_DEPTH_MAX, owner, o);
        snprintf(err, cap, "%s", rc ? o->err : "");
        free(o);
    }
    if (!rc && secret_from(&s->s, data.p, data.n))
        rc = -1;
    return rc;
}

static int del_loaded(struct kite_conf *c, void *arg, char *err, size_t cap)
{
    (void)err;
    (void)cap;
    *(int *)arg = conf_secret_del_loaded(c);
    return 0;
}

/* clear-creds (vici_cred.c): the shared keys loaded over VICI go too; those
 * of the file stay */
static void clear_shared(struct vici_srv *s)
{
    char err[400];
    int n = 0;
    if (apply(s, del_loaded, &n, NULL, err, sizeof err))
        log_msg(s->env.log, LOG_CFG, 0, "clear-creds: shared keys not cleared: %s", err);
    else
        log_msg(s->env.log, LOG_CFG, 1, "clear-creds: %d shared key(s) loaded over VICI cleared", n);
}

static int cmd_load_shared(struct vici_req *r)
{
    char err[400] = "out of memory";
    struct conf_secret *s = calloc(1, sizeof *s);
    if (!s || shared_of(r, s, err, sizeof err)) {
        if (s) {
            conf_secret_free(s);
            free(s);
        }
        return answer(r, err);
    }
    s->loaded = true;
    r->s->clear_shared = clear_shared;
    log_msg(r->s->env.log, LOG_CFG, 1, "loaded %s shared key%s%s%s with %u owner(s)", s->eap ? "EAP" : "IKE",
            s->name[0] ? " with id '" : "",
            s->name, s->name[0] ? "'" : "", s->n_ids);
    /* the copy of s in the new configuration owns the key; s is wiped */
    change(r, put_secret, s, NULL);
    conf_secret_free(s);
    mem_wipe(s, sizeof *s);
    free(s);
    return 0;
}

static int del_secret(struct kite_conf *c, void *arg, char *err, size_t cap)
{
    (void)err;
    (void)cap;
    conf_secret_del(c, arg); /* charon answers success for an unknown id too */
    return 0;
}

static int cmd_unload_shared(struct vici_req *r)
{
    char id[64];
    if (!vici_msg_get_str(r->msg, "id", id, sizeof id) || !id[0])
        return answer(r, "unique identifier missing");
    log_msg(r->s->env.log, LOG_CFG, 1, "unloaded shared key with id '%s'", id);
    return change(r, del_secret, id, NULL);
}

static int cmd_get_shared(struct vici_req *r)
{
    const struct kite_conf *c = r->s->env.conf ? *r->s->env.conf : NULL;
    vici_bld_list(r->b, "keys");
    for (int i = 0; c && i < c->n_secrets; i++)
        if (c->secrets[i].name[0])
            vici_bld_item_str(r->b, c->secrets[i].name);
    vici_bld_list_end(r->b);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(struct vici_req *r);
} cmds[] = {
    { "load-conn", cmd_load_conn },     { "unload-conn", cmd_unload_conn }, { "load-shared", cmd_load_shared },
    { "unload-shared", cmd_unload_shared }, { "get-shared", cmd_get_shared },
};

int vici_conn_run(struct vici_req *r, const char *name)
{
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(cmds[i].name, name))
            return cmds[i].fn(r);
    return KITE_E_NOT_FOUND;
}
