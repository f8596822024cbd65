/* conf_pool: swanctl.conf's pools section and the connection keys that use
 * it (vips, pools), strongSwan's names (swanctl.conf(5): pools.<name>.addrs,
 * pools.<name>.<attr>; connections.<conn>.vips, .pools).  The attributes
 * become configuration payload attributes in wire form (RFC 7296 3.15.1). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"
#include "conf/settings.h"
#include "wire/ike.h"

static int fail(char *err, size_t cap, const struct set_node *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t cap, const struct set_node *n, const char *fmt, ...)
{
    va_list ap;
    int k = n->line > 0 ? snprintf(err, cap, "%s:%d: ", n->file ? n->file : "?", n->line)
                        : snprintf(err, cap, "%s: ", n->file ? n->file : "?");
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < cap)
        vsnprintf(err + k, cap - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *key(struct set_node *sec, const char *name, struct set_node **node)
{
    for (struct set_node *n = sec->child; n; n = n->next)
        if (n->value && !strcmp(n->name, name)) {
            n->used = true;
            *node = n;
            return n->value;
        }
    *node = NULL;
    return NULL;
}

/* an address: family 4 or 6, or 0 when it is none */
static uint8_t addr(const char *t, uint8_t ip[16])
{
    memset(ip, 0, 16);
    return inet_pton(AF_INET, t, ip) == 1 ? 4 : inet_pton(AF_INET6, t, ip) == 1 ? 6 : 0;
}

/* "a/len" (len optional: the address alone); family, or 0 when malformed */
static uint8_t cidr(char *t, uint8_t ip[16], int *plen)
{
    char *slash = strchr(t, '/'), *end;
    if (slash)
        *slash = 0;
    uint8_t f = addr(t, ip);
    int bits = f == 6 ? 128 : 32;
    *plen = bits;
    if (f && slash) {
        long v = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || v < 0 || v > bits)
            return 0;
        *plen = (int)v;
    }
    return f;
}

static void bits_set(uint8_t *ip, int from, int to, bool one)
{
    for (int b = from; b < to; b++) {
        uint8_t m = (uint8_t)(0x80 >> (b % 8));
        ip[b / 8] = one ? ip[b / 8] | m : ip[b / 8] & (uint8_t)~m;
    }
}

static void add_one(uint8_t *ip, size_t n, int d)
{
    for (size_t i = n; i-- > 0;) {
        int v = ip[i] + d;
        ip[i] = (uint8_t)v;
        if (v >= 0 && v <= 255)
            break;
    }
}

/* addrs = 10.3.0.0/24 | 10.3.0.10-10.3.0.50 | fd00::/120.  A subnet's own
 * network address is not given out, nor an IPv4 broadcast address, and
 * addresses below a host part (10.3.0.5/24) are left for manual use, as
 * strongSwan does */
static int pool_addrs(const char *v, struct conf_pool *p)
{
    char t[128], *dash;
    uint8_t hi[16];
    int plen;
    if (strlen(v) >= sizeof t)
        return -1;
    snprintf(t, sizeof t, "%s", v);
    if ((dash = strchr(t, '-')) != NULL) {
        *dash = 0;
        p->family = addr(t, p->lo);
        if (!p->family || addr(dash + 1, p->hi) != p->family || memcmp(p->lo, p->hi, 16) > 0)
            return -1;
        return 0;
    }
    if (!(p->family = cidr(t, p->lo, &plen)))
        return -1;
    int bits = p->family == 6 ? 128 : 32;
    size_t n = (size_t)bits / 8;
    memcpy(hi, p->lo, 16);
    bits_set(hi, plen, bits, true);
    uint8_t net[16];
    memcpy(net, p->lo, 16);
    bits_set(net, plen, bits, false);
    if (plen < bits - 1) {
        if (!memcmp(net, p->lo, 16))
            add_one(p->lo, n, 1);
        if (p->family == 4)
            add_one(hi, n, -1);
    }
    memcpy(p->hi, hi, 16);
    return memcmp(p->lo, p->hi, n) > 0 ? -1 : 0;
}

static int attr_push(struct conf_pool *p, uint16_t type, const uint8_t *v, size_t len)
{
    struct conf_pool_attr *a = realloc(p->attrs, (p->n_attrs + 1) * sizeof *a);
    if (!a)
        return -1;
    p->attrs = a;
    a = &a[p->n_attrs++];
    memset(a, 0, sizeof *a);
    a->type = type;
    a->len = (uint8_t)len;
    memcpy(a->value, v, len);
    return 0;
}

/* one value of attribute `name`: an address, or a subnet for subnet and
 * split_include; 0, -1 (malformed), -2 (no memory) */
static int attr_value(const char *name, const char *text, struct conf_pool *p)
{
    uint8_t ip[16], v[17];
    char t[64];
    int plen;
    if (strlen(text) >= sizeof t)
        return -1;
    memcpy(t, text, strlen(text) + 1); /* cidr() cuts it at the '/' */
    uint8_t f = cidr(t, ip, &plen);
    bool v6 = f == 6, net = !strcmp(name, "subnet") || !strcmp(name, "split_include");
    if (!f || (!net && plen != (v6 ? 128 : 32)))
        return -1;
    uint16_t type;
    size_t len = v6 ? 16 : 4;
    memcpy(v, ip, 16);
    if (net) { /* INTERNAL_IP4_SUBNET: address and netmask; IP6: address and prefix length */
        type = v6 ? IKEV2_CFGA_INTERNAL_IP6_SUBNET : IKEV2_CFGA_INTERNAL_IP4_SUBNET;
        bits_set(v, plen, v6 ? 128 : 32, false);
        if (v6)
            v[len++] = (uint8_t)plen;
        else {
            memset(v + 4, 0, 4);
            bits_set(v + 4, 0, plen, true);
            len = 8;
        }
    } else if (!strcmp(name, "dns"))
        type = v6 ? IKEV2_CFGA_INTERNAL_IP6_DNS : IKEV2_CFGA_INTERNAL_IP4_DNS;
    else if (!strcmp(name, "dhcp"))
        type = v6 ? IKEV2_CFGA_INTERNAL_IP6_DHCP : IKEV2_CFGA_INTERNAL_IP4_DHCP;
    else if (!strcmp(name, "nbns") && !v6)
        type = IKEV2_CFGA_INTERNAL_IP4_NBNS;
    else if (!strcmp(name, "netmask") && !v6)
        type = IKEV2_CFGA_INTERNAL_IP4_NETMASK;
    else
        return -1;
    return attr_push(p, type, v, len) ? -2 : 0;
}

static bool attr_known(const char *name)
{
    static const char *const k[] = { "dns", "nbns", "dhcp", "netmask", "subnet", "split_include", NULL };
    for (int i = 0; k[i]; i++)
        if (!strcmp(name, k[i]))
            return true;
    return false;
}

static int pool_attr(struct set_node *n, struct conf_pool *p, char *err, size_t cap)
{
    char *list = strdup(n->value), *save = NULL;
    int rc = list ? 0 : fail(err, cap, n, "out of memory");
    for (char *t = list ? strtok_r(list, ", ", &save) : NULL; t && !rc; t = strtok_r(NULL, ", ", &save)) {
        int r = attr_value(n->name, t, p);
        if (r == -2)
            rc = fail(err, cap, n, "out of memory");
        else if (r)
            rc = fail(err, cap, n, "pool '%s': %s = %s: expected %s", p->name, n->name, t,
                      !strcmp(n->name, "subnet") || !strcmp(n->name, "split_include") ? "subnets (10.1.0.0/16, fd00::/64)"
                      : !strcmp(n->name, "nbns") || !strcmp(n->name, "netmask") ? "IPv4 addresses"
                                                                                : "IP addresses");
    }
    free(list);
    return rc;
}

int conf_pool_parse_node(struct set_node *sec, struct conf_pool *out, char *err, size_t errcap, conf_warn_fn *warn,
                         void *ctx)
{
    struct set_node *node;
    memset(out, 0, sizeof *out);
    if (strlen(sec->name) >= CONF_NAME_MAX)
        return fail(err, errcap, sec, "pool name '%s' is longer than %d characters", sec->name, CONF_NAME_MAX - 1);
    memcpy(out->name, sec->name, strlen(sec->name) + 1);
    const char *v = key(sec, "addrs", &node);
    if (v && pool_addrs(v, out))
        return fail(err, errcap, node, "pool '%s': addrs = %s: expected a subnet (10.3.0.0/24) or a range "
                    "(10.3.0.10-10.3.0.50); dhcp, radius and %%config pools are not supported", out->name, v);
    for (struct set_node *n = sec->child; n; n = n->next) {
        if (!n->value || !strcmp(n->name, "addrs"))
            continue;
        if (!attr_known(n->name)) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s:%d: pool '%s': attribute '%s' is not supported, ignored", n->file, n->line,
                     out->name, n->name);
            if (warn)
                warn(ctx, msg);
        } else if (pool_attr(n, out, err, errcap))
            return -1;
        n->used = true;
    }
    return 0;
}

int conf_pools_parse(struct set_node *sec, struct kite_conf *c, char *err, size_t errcap, conf_warn_fn *warn,
                     void *ctx)
{
    for (struct set_node *n = sec->child; n; n = n->next) {
        struct conf_pool p;
        n->used = true;
        if (n->value)
            return fail(err, errcap, n, "expected a pool section, not '%s = ...'", n->name);
        if (conf_pool_parse_node(n, &p, err, errcap, warn, ctx)) {
            free(p.attrs);
            return -1;
        }
        if (conf_pool_put(c, &p))
            return fail(err, errcap, n, "out of memory");
    }
    return 0;
}

int conf_pool_find(const struct kite_conf *c, const char *name)
{
    for (int i = 0; i < c->n_pools; i++)
        if (!strcmp(c->pools[i].name, name))
            return i;
    return -1;
}

int conf_pool_put(struct kite_conf *c, struct conf_pool *p)
{
    int i = conf_pool_find(c, p->name);
    if (i >= 0) {
        free(c->pools[i].attrs);
        c->pools[i] = *p;
        return 0;
    }
    if (c->n_pools == c->cap_pools) {
        int cap = c->cap_pools ? 2 * c->cap_pools : 4;
        struct conf_pool *n = realloc(c->pools, (size_t)cap * sizeof *n);
        if (!n) {
            free(p->attrs);
            return -1;
        }
        c->pools = n;
        c->cap_pools = cap;
    }
    c->pools[c->n_pools++] = *p;
    return 0;
}

int conf_pool_del(struct kite_conf *c, const char *name)
{
    int i = conf_pool_find(c, name);
    if (i < 0)
        return -1;
    free(c->pools[i].attrs);
    memmove(&c->pools[i], &c->pools[i + 1], (size_t)(c->n_pools - i - 1) * sizeof *c->pools);
    c->n_pools--;
    return 0;
}

int conf_pools_dup(const struct kite_conf *c, struct kite_conf *d)
{
    for (int i = 0; i < c->n_pools; i++) {
        struct conf_pool p = c->pools[i];
        p.attrs = p.n_attrs ? malloc(p.n_attrs * sizeof *p.attrs) : NULL;
        if (p.n_attrs && !p.attrs)
            return -1;
        if (p.n_attrs)
            memcpy(p.attrs, c->pools[i].attrs, p.n_attrs * sizeof *p.attrs);
        if (conf_pool_put(d, &p))
            return -1;
    }
    return 0;
}

void conf_pools_free(struct kite_conf *c)
{
    for (int i = 0; i < c->n_pools; i++)
        free(c->pools[i].attrs);
    free(c->pools);
    c->pools = NULL;
    c->n_pools = c->cap_pools = 0;
}

/* vips = 0.0.0.0, :: and pools = a, b of a connection */
int conf_conn_cp(struct set_node *sec, struct conf_conn *c, char *err, size_t errcap)
{
    struct set_node *node;
    const char *v = key(sec, "vips", &node);
    char buf[512], *save = NULL;
    for (char *t = v && snprintf(buf, sizeof buf, "%s", v) > 0 ? strtok_r(buf, ", ", &save) : NULL; t;
         t = strtok_r(NULL, ", ", &save)) {
        struct conf_addr *a = &c->vips[c->n_vips];
        if (c->n_vips == CONF_MAX_VIPS || !(a->family = addr(t, a->ip)))
            return fail(err, errcap, node, "vips = %s: expected at most one IPv4 and one IPv6 address "
                        "(0.0.0.0 and :: for any)", v);
        for (unsigned i = 0; i < c->n_vips; i++)
            if (c->vips[i].family == a->family)
                return fail(err, errcap, node, "vips = %s: one address per family", v);
        c->n_vips++;
    }
    v = key(sec, "pools", &node);
    save = NULL;
    for (char *t = v && snprintf(buf, sizeof buf, "%s", v) > 0 ? strtok_r(buf, ", ", &save) : NULL; t;
         t = strtok_r(NULL, ", ", &save)) {
        if (c->n_pools == CONF_MAX_POOLS || strlen(t) >= CONF_NAME_MAX)
            return fail(err, errcap, node, "pools = %s: at most %d pool names of up to %d characters", v,
                        CONF_MAX_POOLS, CONF_NAME_MAX - 1);
        memcpy(c->pools[c->n_pools++], t, strlen(t) + 1);
    }
    return 0;
}
