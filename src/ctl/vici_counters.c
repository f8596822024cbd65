/* vici_counters: get-counters and reset-counters with charon 5.9.8's keys
 * (what its counters plugin answers; strongSwan's vici README, read to
 * learn them).  The counters are the engine's (ike/counters.c): global ones,
 * and one set per connection name that has counted something.
 *
 *   get-counters { name = <conn>, all = yes }
 *     => { counters { <name, "" for global> { ike-rekey-init = N ... } } success errmsg }
 *   reset-counters { name, all } => { success errmsg }                     */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "base/err.h"
#include "ctl/vici_int.h"

/* charon's boolean spellings (settings_value_as_bool) */
static bool arg_bool(struct vici_req *r, const char *key)
{
    char v[16];
    if (!vici_msg_get_str(r->msg, key, v, sizeof v))
        return false;
    return !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "enabled") || !strcmp(v, "1");
}

static bool arg_name(struct vici_req *r, char *buf, size_t cap)
{
    return vici_msg_get_str(r->msg, "name", buf, cap) && buf[0];
}

static void add_set(struct vici_bld *b, const char *name, const struct ike_counters *k)
{
    vici_bld_section(b, name);
    for (unsigned i = 0; i < IKE_CTR_VICI_N; i++)
        vici_bld_kv_fmt(b, ike_ctr_name(i), "%llu", (unsigned long long)k->c[i]);
    vici_bld_end(b);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* every connection's set, in name order as charon lists them */
static void add_all(struct vici_bld *b, const struct ike_engine *e)
{
    unsigned n = 0;
    while (ike_engine_counters_conn(e, n))
        n++;
    const char **names = calloc(n ? n : 1, sizeof *names);
    if (!names)
        return;
    for (unsigned i = 0; i < n; i++)
        names[i] = ike_engine_counters_conn(e, i);
    qsort(names, n, sizeof *names, by_name);
    for (unsigned i = 0; i < n; i++) {
        struct ike_counters k;
        if (ike_engine_counters(e, names[i], &k))
            add_set(b, names[i], &k);
    }
    free(names);
}

static void result(struct vici_bld *b, const char *errmsg)
{
    vici_bld_kv_str(b, "success", errmsg ? "no" : "yes");
    if (errmsg)
        vici_bld_kv_str(b, "errmsg", errmsg);
}

static int cmd_get_counters(struct vici_req *r)
{
    const struct ike_engine *e = r->s->env.ike;
    char name[IKE_NAME_MAX + 1];
    const char *errmsg = NULL;
    bool named = arg_name(r, name, sizeof name);
    vici_bld_section(r->b, "counters");
    if (arg_bool(r, "all")) {
        add_all(r->b, e);
    } else {
        struct ike_counters k;
        if (ike_engine_counters(e, named ? name : NULL, &k))
            add_set(r->b, named ? name : "", &k);
        else
            errmsg = "no counters found for this connection";
    }
    vici_bld_end(r->b);
    result(r->b, errmsg);
    return 0;
}

static int cmd_reset_counters(struct vici_req *r)
{
    char name[IKE_NAME_MAX + 1];
    if (arg_bool(r, "all"))
        ike_engine_counters_reset_all(r->s->env.ike);
    else
        ike_engine_counters_reset(r->s->env.ike, arg_name(r, name, sizeof name) ? name : NULL);
    result(r->b, NULL);
    return 0;
}

int vici_counters_run(struct vici_req *r, const char *name)
{
    if (!strcmp(name, "get-counters"))
        return cmd_get_counters(r);
    if (!strcmp(name, "reset-counters"))
        return cmd_reset_counters(r);
    return KITE_E_NOT_FOUND;
}
