/* conf_addrs: local_addrs and remote_addrs as strongSwan reads them: comma
 * lists of addresses, %any, %any4, %any6 and DNS names; in remote_addrs also
 * subnets (10.0.0.0/8) and ranges (a-b), which only a responder can use.
 *
 * The first address (or DNS name) is where kite initiates to; a responder
 * takes a peer whose address is in any item (conf_conn.remote_ranges).  A
 * DNS name is kept as written (conf_conn.local_host/remote_host) for the
 * code that resolves it; until then the side's address stays %any, which
 * bridge_conn refuses rather than answer anyone. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"

struct addrs {
    bool remote, any, single;
    int items;
    struct conf_conn *c;
    char *err;
    size_t errcap;
};

static bool dns_name(const char *s)
{
    size_t n = strlen(s);
    if (!n || n >= CONF_HOST_MAX || s[0] == '-' || s[0] == '.')
        return false;
    bool letter = false;
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
            return false;
        letter = letter || isalpha((unsigned char)*s);
    }
    return letter; /* "10.0.0.300" is a bad address, not a name */
}

static int ip_of(const char *s, uint8_t *family, uint8_t ip[16])
{
    memset(ip, 0, 16);
    if (inet_pton(AF_INET, s, ip) == 1)
        return *family = 4, 0;
    if (inet_pton(AF_INET6, s, ip) == 1)
        return *family = 6, 0;
    return -1;
}

static int add_range(struct addrs *a, uint8_t family, const uint8_t lo[16], const uint8_t hi[16])
{
    struct conf_conn *c = a->c;
    if (c->n_remote_ranges >= CONF_MAX_ADDRS)
        return snprintf(a->err, a->errcap, "more than %d items in remote_addrs", CONF_MAX_ADDRS), -1;
    struct conf_range *r = &c->remote_ranges[c->n_remote_ranges++];
    r->family = family;
    memcpy(r->lo, lo, 16);
    memcpy(r->hi, hi, 16);
    return 0;
}

/* "a/len" or "a-b" (remote_addrs only): 1 when the item is one, 0 when not
 * (a DNS name may have a '-'), -1 on an error */
static int subnet_or_range(struct addrs *a, char *it)
{
    char *slash = strchr(it, '/'), *dash = slash ? NULL : strchr(it, '-');
    uint8_t f1 = 0, f2 = 0, lo[16], hi[16];
    if (!slash && !dash)
        return 0;
    char *cut = slash ? slash : dash;
    *cut = 0;
    bool first = ip_of(it, &f1, lo) == 0, ok = first;
    if (ok && slash) {
        char *end;
        long bits = strtol(slash + 1, &end, 10), max = f1 == 4 ? 32 : 128;
        ok = isdigit((unsigned char)slash[1]) && !*end && bits <= max;
        memcpy(hi, lo, 16);
        for (long b = bits; ok && b < max; b++) {
            lo[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
            hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
        }
    } else if (ok) {
        ok = ip_of(dash + 1, &f2, hi) == 0 && f1 == f2 && memcmp(lo, hi, 16) <= 0;
    }
    *cut = slash ? '/' : '-';
    if (!first && dash)
        return 0;
    if (!ok)
        return snprintf(a->err, a->errcap, "invalid %s '%s'", slash ? "subnet" : "range", it), -1;
    if (!a->remote)
        return snprintf(a->err, a->errcap, "'%s': subnets and ranges are for remote_addrs (a responder's peers)",
                        it), -1;
    return add_range(a, f1, lo, hi) ? -1 : 1;
}

static int item(struct addrs *a, char *it)
{
    struct conf_conn *c = a->c;
    struct conf_addr *side = a->remote ? &c->remote : &c->local;
    char *host = a->remote ? c->remote_host : c->local_host;
    uint8_t family, ip[16], lo[16] = { 0 }, hi[16];
    a->items++;
    if (!strcmp(it, "%any"))
        return a->any = true, 0;
    if (!strcmp(it, "%any4") || !strcmp(it, "%any6")) {
        family = it[4] == '4' ? 4 : 6;
        memset(hi, 0xff, 16);
        return a->remote ? add_range(a, family, lo, hi) : (a->any = true, 0);
    }
    if (ip_of(it, &family, ip) == 0) {
        if (!side->family && !host[0]) {
            side->family = family;
            memcpy(side->ip, ip, 16);
        }
        return a->remote ? add_range(a, family, ip, ip) : 0;
    }
    int rc = subnet_or_range(a, it);
    if (rc)
        return rc < 0 ? -1 : 0;
    if (!dns_name(it))
        return snprintf(a->err, a->errcap, "invalid address '%s' (expected an IP address, %%any, %%any4, %%any6, "
                        "a DNS name%s)", it, a->remote ? ", a subnet or a range" : ""), -1;
    if (host[0] || side->family)
        return snprintf(a->err, a->errcap, "'%s': a DNS name is supported as the only address of %s_addrs", it,
                        a->remote ? "remote" : "local"), -1;
    snprintf(host, CONF_HOST_MAX, "%s", it);
    return 0;
}

int conf_parse_addrs(const char *text, bool remote, struct conf_conn *c, char *err, size_t errcap)
{
    struct addrs a = { remote, false, false, 0, c, err, errcap };
    char *list = strdup(text), *save = NULL;
    int rc = list ? 0 : (snprintf(err, errcap, "out of memory"), -1);
    for (char *t = list ? strtok_r(list, ", \t", &save) : NULL; t && !rc; t = strtok_r(NULL, ", \t", &save))
        rc = item(&a, t);
    free(list);
    if (rc)
        return -1;
    if (!remote && a.items > 1) /* kite binds no particular local address per connection */
        return snprintf(err, errcap, "more than one local address in local_addrs is not supported yet"), -1;
    if ((remote ? c->remote_host : c->local_host)[0] && a.items > 1)
        return snprintf(err, errcap, "a DNS name is supported as the only address of %s_addrs",
                        remote ? "remote" : "local"), -1;
    /* %any anywhere in the list: any peer; one address alone: remote says it */
    if (remote && (a.any || (c->n_remote_ranges == 1 && a.items == 1 && c->remote.family)))
        c->n_remote_ranges = 0;
    return 0;
}

bool conf_range_match(const struct conf_range *r, uint8_t n, uint8_t family, const uint8_t *ip)
{
    size_t len = family == 6 ? 16 : 4;
    for (uint8_t i = 0; i < n; i++)
        if (r[i].family == family && memcmp(r[i].lo, ip, len) <= 0 && memcmp(ip, r[i].hi, len) <= 0)
            return true;
    return false;
}
