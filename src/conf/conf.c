#include "conf/conf.h"
#include "esp/replay.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "conf/conf_int.h"
#include "conf/settings.h"
#include "conf/conf_keys.h"
#include "cred/id.h"

/* IKEv2 ID types (RFC 7296 3.5) */
enum { ID_IPV4 = 1, ID_FQDN = 2, ID_RFC822 = 3, ID_IPV6 = 5, ID_KEY_ID = 11 };

struct ctx {
    struct kite_conf *c;
    char *err;
    size_t errcap;
    conf_warn_fn *warn;
    void *wctx;
};

static int fail(struct ctx *x, const struct set_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct ctx *x, const struct set_node *n, const char *fmt, ...)
{
    va_list ap;
    /* a node built from a VICI message has no line: its file is the key's path */
    int k = n->line > 0 ? snprintf(x->err, x->errcap, "%s:%d: ", n->file ? n->file : "?", n->line)
                        : snprintf(x->err, x->errcap, "%s: ", n->file ? n->file : "?");
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < x->errcap)
        vsnprintf(x->err + k, x->errcap - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static void warn_unknown(struct ctx *x, const struct set_node *sec, const char *where)
{
    char msg[512];
    for (const struct set_node *n = sec->child; n; n = n->next) {
        if (n->used || !x->warn)
            continue;
        char at[300];
        if (n->line > 0)
            snprintf(at, sizeof at, "%s:%d", n->file, n->line);
        else /* from a VICI message: the file is the key's path */
            snprintf(at, sizeof at, "%s", n->file);
        snprintf(msg, sizeof msg, "%s: unknown %s '%s' in %s, ignored", at, n->value ? "key" : "section", n->name,
                 where);
        x->warn(x->wctx, msg);
    }
}

/* a key's value (marking it known), or NULL; a section of that name is not
 * the key (it stays unknown and is warned about) */
static const char *val(struct set_node *sec, const char *key, struct set_node **node)
{
    struct set_node *n = sec->child;
    while (n && (!n->value || strcmp(n->name, key)))
        n = n->next;
    if (n)
        n->used = true;
    if (node)
        *node = n;
    return n && n->value ? n->value : NULL;
}

int conf_parse_addr(const char *text, struct conf_addr *a)
{
    memset(a, 0, sizeof *a);
    if (!strcmp(text, "%any") || !strcmp(text, "%any4") || !strcmp(text, "%any6") || !*text)
        return 0;
    if (inet_pton(AF_INET, text, a->ip) == 1) {
        a->family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, text, a->ip) == 1) {
        a->family = 6;
        return 0;
    }
    return -1;
}

static int hex_bytes(const char *h, uint8_t *out, size_t cap)
{
    size_t n = strlen(h);
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (!isxdigit((unsigned char)h[2 * i]) || !isxdigit((unsigned char)h[2 * i + 1]) ||
            sscanf(h + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return (int)(n / 2);
}

/* strongSwan's identity syntax (cred/id.h): %any, an address, @fqdn or a
 * name, user@host, @#hex for a KEY_ID, a DN "C=CH, O=strongSwan, CN=x",
 * type prefixes ("fqdn:", "email:", "asn1dn:", "keyid:" ...) */
int conf_parse_id(const char *text, struct conf_id *id)
{
    size_t n = 0;
    memset(id, 0, sizeof *id);
    int rc = cred_id_parse(text, &id->type, id->data, sizeof id->data, &n);
    id->len = (uint16_t)n;
    return rc;
}

/* why an identity was refused, for the error line */
_Static_assert(CONF_ID_MAX == 1024, "id_why names the limit");
static const char *id_why(int rc)
{
    return rc == KITE_E_NO_SPACE ? "longer than 1024 bytes"
                                 : "not %any, an address, @name, user@host, @#hex or a DN such as C=CH, O=x, CN=y";
}

/* a decimal number of digits only (no sign, blank, base prefix or
 * overflow), at most max */
static int uint_of(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (*s < '0' || *s > '9' || d > max || v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int ts_proto(const char *proto, struct conf_ts *ts)
{
    static const struct { const char *name; uint8_t num; } names[] = {
        { "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 }, { "ipv6-icmp", 58 }, { "sctp", 132 },
    };
    uint64_t v;
    if (!strcmp(proto, "%any"))
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(proto, names[i].name)) {
            ts->ip_proto = names[i].num;
            return 0;
        }
    if (uint_of(proto, 255, &v)) {
        const struct protoent *pe = getprotobyname(proto); /* /etc/protocols, as strongSwan */
        if (!pe || pe->p_proto < 0 || pe->p_proto > 255)
            return -1;
        v = (uint64_t)pe->p_proto;
    }
    ts->ip_proto = (uint8_t)v;
    return 0;
}

/* a port name from /etc/services ("http"), for the selector's protocol */
static int ts_port_name(const char *name, struct conf_ts *ts)
{
    const struct protoent *pe = ts->ip_proto ? getprotobynumber(ts->ip_proto) : NULL;
    const struct servent *se = getservbyname(name, pe ? pe->p_name : NULL);
    if (!se)
        return -1;
    ts->port_lo = ts->port_hi = ntohs((uint16_t)se->s_port);
    return 0;
}

static int ts_port_range(const char *ports, struct conf_ts *ts)
{
    char lo[8], *dash = strchr(ports, '-');
    uint64_t l, h;
    if (!strcmp(ports, "%any"))
        return 0;
    if (*ports && !strchr("0123456789", *ports))
        return ts_port_name(ports, ts);
    size_t n = dash ? (size_t)(dash - ports) : strlen(ports);
    if (n >= sizeof lo)
        return -1;
    memcpy(lo, ports, n);
    lo[n] = 0;
    if (uint_of(lo, 65535, &l) || uint_of(dash ? dash + 1 : lo, 65535, &h) || h < l)
        return -1;
    ts->port_lo = (uint16_t)l;
    ts->port_hi = (uint16_t)h;
    return 0;
}

/* "[proto]", "[proto/port]", "[proto/lo-hi]", "[/port]": the whole rest of
 * the selector; proto a name, a number or %any */
static int ts_ports(const char *spec, struct conf_ts *ts)
{
    char in[64];
    size_t n = strlen(spec);
    if (n < 3 || spec[n - 1] != ']' || n - 2 >= sizeof in)
        return -1;
    memcpy(in, spec + 1, n - 2);
    in[n - 2] = 0;
    char *slash = strchr(in, '/');
    if (slash)
        *slash = 0;
    if ((*in || !slash) && ts_proto(in, ts))
        return -1;
    return slash ? ts_port_range(slash + 1, ts) : 0;
}

/* "a-b": both of one family, a <= b */
static int ts_range(char *addr, char *dash, struct conf_addr *lo, struct conf_addr *hi)
{
    *dash = 0;
    if (conf_parse_addr(addr, lo) || conf_parse_addr(dash + 1, hi) || !lo->family || lo->family != hi->family)
        return -1;
    return memcmp(lo->ip, hi->ip, 16) > 0 ? -1 : 0;
}

/* "a" or "a/len", len from 0 to the address's bits */
static int ts_prefix(char *addr, struct conf_addr *lo, struct conf_addr *hi)
{
    char *slash = strchr(addr, '/');
    uint64_t plen;
    if (slash)
        *slash = 0;
    if (conf_parse_addr(addr, lo) || !lo->family)
        return -1;
    int bits = lo->family == 4 ? 32 : 128;
    if (!slash)
        plen = (uint64_t)bits;
    else if (uint_of(slash + 1, (uint64_t)bits, &plen))
        return -1;
    *hi = *lo;
    for (int b = (int)plen; b < bits; b++) {
        lo->ip[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
        hi->ip[b / 8] |= (uint8_t)(0x80 >> (b % 8));
    }
    return 0;
}

/* "10.1.0.0/24", "10.0.0.1-10.0.0.9", "fec0::/16", with optional [proto/port];
 * anything else is refused, never read as a wider selector */
int conf_parse_ts(const char *text, struct conf_ts *ts)
{
    char addr[128];
    struct conf_addr lo, hi;
    memset(ts, 0, sizeof *ts);
    ts->port_hi = 0xffff;
    const char *br = strchr(text, '[');
    size_t n = br ? (size_t)(br - text) : strlen(text);
    if (n >= sizeof addr || (br && ts_ports(br, ts)))
        return -1;
    memcpy(addr, text, n);
    addr[n] = 0;
    if (!strcmp(addr, "dynamic")) { /* the IKE SA's address, filled in by the engine */
        ts->dynamic = true;
        return 0;
    }
    char *dash = strchr(addr, '-');
    if (dash ? ts_range(addr, dash, &lo, &hi) : ts_prefix(addr, &lo, &hi))
        return -1;
    ts->family = lo.family;
    memcpy(ts->lo, lo.ip, 16);
    memcpy(ts->hi, hi.ip, 16);
    return 0;
}

/* "4h", "30m", "90s", "1d" or plain seconds, at most 2^32 - 1 seconds */
static int parse_time(const char *s, uint32_t *out)
{
    char digits[24];
    size_t n = strspn(s, "0123456789");
    const char *u = s + n;
    uint64_t v, mul = !*u || !strcmp(u, "s") ? 1 : !strcmp(u, "m") ? 60 : !strcmp(u, "h") ? 3600
                      : !strcmp(u, "d") ? 86400 : 0;
    if (!n || n >= sizeof digits || !mul)
        return -1;
    memcpy(digits, s, n);
    digits[n] = 0;
    if (uint_of(digits, UINT32_MAX / mul, &v))
        return -1;
    *out = (uint32_t)(v * mul);
    return 0;
}

/* strongSwan's booleans */
static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "yes", "true", "enabled", "1" }, *const no[] = { "no", "false", "disabled", "0" };
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
            *out = !strcasecmp(s, yes[i]);
            return 0;
        }
    }
    return -1;
}

/* a name that fits its field whole (a cut one could make two connections one) */
static int name_key(struct ctx *x, const struct set_node *sec, const char *what, char *out)
{
    size_t n = strlen(sec->name);
    if (n >= CONF_NAME_MAX)
        return fail(x, sec, "%s name '%s' is longer than %d characters", what, sec->name, CONF_NAME_MAX - 1);
    memcpy(out, sec->name, n + 1);
    return 0;
}

/* a comma list of selectors, read whole (however long), into an allocated
 * list: at most CONF_MAX_TS, what one TS payload can carry */
static int list_ts(struct ctx *x, struct set_node *sec, const char *key, struct conf_ts **out, uint8_t *n)
{
    struct set_node *node;
    const char *v = val(sec, key, &node);
    char *save = NULL, *list;
    int rc = 0;
    uint32_t cap = 0;
    *n = 0;
    free(*out);
    *out = NULL;
    if (!v) { /* strongSwan's default: the IKE SA's own address (or virtual IP) */
        if (!(*out = calloc(1, sizeof **out)))
            return fail(x, sec, "out of memory");
        conf_parse_ts("dynamic", &(*out)[0]);
        *n = 1;
        return 0;
    }
    if (!(list = strdup(v)))
        return fail(x, node, "out of memory");
    for (char *t = strtok_r(list, ", ", &save); t && !rc; t = strtok_r(NULL, ", ", &save)) {
        if (*n >= CONF_MAX_TS)
            rc = fail(x, node, "more than %d traffic selectors in %s", CONF_MAX_TS, key);
        else if (conf_list_grow((void **)out, &cap, *n, sizeof **out))
            rc = fail(x, node, "out of memory");
        else if (conf_parse_ts(t, &(*out)[*n]))
            rc = fail(x, node, "invalid traffic selector '%s' (expected dynamic, a subnet like 10.1.0.0/24 "
                               "or a range a-b, optionally [proto/port] with names from /etc/protocols and "
                               "/etc/services; %%opaque ports are not supported)", t);
        else
            (*n)++;
    }
    if (!rc && !*n)
        rc = fail(x, node, "%s is empty", key);
    free(list);
    return rc;
}

/* updown = /path/script [args]: a shell command line, as charon runs it
 * (/bin/sh -c); kept whole or refused, never cut */
static int child_updown(struct ctx *x, struct set_node *sec, struct conf_child *ch)
{
    struct set_node *node;
    const char *v = val(sec, "updown", &node);
    if (!v)
        return 0;
    if (strlen(v) >= sizeof ch->updown)
        return fail(x, node, "updown is longer than %d characters", CONF_UPDOWN_MAX - 1);
    if (strchr(v, '\n'))
        return fail(x, node, "updown must be one line");
    memcpy(ch->updown, v, strlen(v) + 1);
    return 0;
}

/* v + 10%, at most max */
static uint64_t plus_tenth(uint64_t v, uint64_t max)
{
    return v > max - v / 10 ? max : v + v / 10;
}

/* rekey_time, life_time (default +10%, never shorter) and rand_time
 * (default life - rekey, never longer than rekey_time) */
static int child_times(struct ctx *x, struct set_node *sec, struct conf_child *ch)
{
    struct set_node *node, *life = NULL, *rnode = NULL;
    const char *v;
    if ((v = val(sec, "rekey_time", &node)) && parse_time(v, &ch->rekey_time))
        return fail(x, node, "invalid time '%s' (e.g. 1h, 30m, 3600; at most %u s)", v, UINT32_MAX);
    ch->life_time = (uint32_t)plus_tenth(ch->rekey_time, UINT32_MAX);
    if ((v = val(sec, "life_time", &life)) && parse_time(v, &ch->life_time))
        return fail(x, life, "invalid time '%s'", v);
    if (v && ch->life_time && ch->life_time < ch->rekey_time)
        return fail(x, life, "life_time (%u s) must not be shorter than rekey_time (%u s)", ch->life_time,
                    ch->rekey_time);
    ch->rand_time = ch->life_time > ch->rekey_time ? ch->life_time - ch->rekey_time : 0;
    if (ch->rand_time > ch->rekey_time)
        ch->rand_time = ch->rekey_time;
    if ((v = val(sec, "rand_time", &rnode)) && parse_time(v, &ch->rand_time))
        return fail(x, rnode, "invalid time '%s'", v);
    if (v && ch->rekey_time && ch->rand_time > ch->rekey_time)
        return fail(x, rnode, "rand_time (%u s) must not be longer than rekey_time (%u s)", ch->rand_time,
                    ch->rekey_time);
    return 0;
}

/* a proposal list into an allocated array of exactly its length */
static int props_list(const char *text, bool ike, struct conf_prop **out, uint8_t *n, char *err, size_t errcap)
{
    struct conf_prop *tmp = malloc(CONF_MAX_PROPS * sizeof *tmp);
    int rc = tmp ? conf_parse_proposals(text, ike, tmp, n, err, errcap) : -1;
    if (!tmp)
        snprintf(err, errcap, "out of memory");
    free(*out);
    *out = NULL;
    if (!rc && !(*out = malloc(*n * sizeof *tmp))) {
        snprintf(err, errcap, "out of memory");
        rc = -1;
    }
    if (!rc)
        memcpy(*out, tmp, *n * sizeof *tmp);
    free(tmp);
    return rc;
}

static int child(struct ctx *x, struct set_node *sec, struct conf_child *ch)
{
    struct set_node *node;
    const char *v;
    char err[256];
    if (name_key(x, sec, "child", ch->name))
        return -1;
    ch->rekey_time = 3600;
    ch->replay_window = 32;
    if (conf_life_child(&(struct conf_io){ x->err, x->errcap, x->warn, x->wctx }, sec, ch))
        return -1;
    if (list_ts(x, sec, "local_ts", &ch->local_ts, &ch->n_local_ts) ||
        list_ts(x, sec, "remote_ts", &ch->remote_ts, &ch->n_remote_ts))
        return -1;
    v = val(sec, "esp_proposals", &node);
    if (props_list(v ? v : "default", false, &ch->esp, &ch->n_esp, err, sizeof err))
        return fail(x, node ? node : sec, "%s", err);
    if ((v = val(sec, "mode", &node)) && strcmp(v, "tunnel") && strcmp(v, "transport"))
        return fail(x, node, "mode must be tunnel or transport, not '%s'", v);
    ch->transport = v && !strcmp(v, "transport");
    if ((v = val(sec, "start_action", &node))) {
        if (!strcmp(v, "start"))
            ch->start_action = CONF_START_START;
        else if (!strcmp(v, "trap") || !strcmp(v, "route")) /* route: trap's old name, as charon takes it */
            ch->start_action = CONF_START_TRAP;
        else if (strcmp(v, "none"))
            return fail(x, node, "start_action must be none, start or trap, not '%s'", v);
    }
    if (child_times(x, sec, ch))
        return -1;
    if ((v = val(sec, "replay_window", &node))) {
        uint64_t w;
        if (uint_of(v, ESP_REPLAY_MAX, &w))
            return fail(x, node, "replay_window must be a number of packets from 0 to %d, not '%s'", ESP_REPLAY_MAX, v);
        ch->replay_window = (uint32_t)w;
    }
    if ((v = val(sec, "dpd_action", &node))) {
        if (!strcmp(v, "clear") || !strcmp(v, "none"))
            ch->dpd_action = CONF_DPD_CLEAR;
        else if (!strcmp(v, "trap"))
            ch->dpd_action = CONF_DPD_TRAP;
        else if (!strcmp(v, "restart"))
            ch->dpd_action = CONF_DPD_RESTART;
        else
            return fail(x, node, "dpd_action must be clear, trap or restart, not '%s'", v);
    }
    static const char *const counts[] = { "rekey_bytes", "rekey_packets", "life_bytes", "life_packets" };
    uint64_t *cv[] = { &ch->rekey_bytes, &ch->rekey_packets, &ch->life_bytes, &ch->life_packets };
    for (int i = 0; i < 4; i++) {
        if (!(v = val(sec, counts[i], &node)))
            continue;
        if (uint_of(v, UINT64_MAX, cv[i]))
            return fail(x, node, "%s must be a number, not '%s'", counts[i], v);
    }
    /* strongSwan's defaults: the hard limit 10% above the soft one */
    if (ch->rekey_bytes && !ch->life_bytes)
        ch->life_bytes = plus_tenth(ch->rekey_bytes, UINT64_MAX);
    if (ch->rekey_packets && !ch->life_packets)
        ch->life_packets = plus_tenth(ch->rekey_packets, UINT64_MAX);
    if (child_updown(x, sec, ch))
        return -1;
    if ((v = val(sec, "hostaccess", &node)) && parse_bool(v, &ch->hostaccess))
        return fail(x, node, "hostaccess must be yes or no, not '%s'", v);
    static const char *const later[] = { "policies", "close_action", NULL };
    for (int i = 0; later[i]; i++)
        val(sec, later[i], NULL); /* accepted; acted on by later issues */
    char where[96];
    snprintf(where, sizeof where, "child '%s'", ch->name);
    warn_unknown(x, sec, where);
    return 0;
}

/* strongSwan's auth values: psk | pubkey | rsa | rsa/pss | ecdsa | ed25519 |
 * ed448, optionally followed by -sha256, -sha384, -sha512 (-sha1,
 * -identity) hash constraints: "rsa/pss-sha256", "pubkey-sha384-sha512" */
static int parse_auth(const char *v, struct conf_auth *a)
{
    static const struct { const char *name; uint8_t kind, key; bool pss; } kinds[] = {
        { "psk", CONF_AUTH_PSK, 0, false },         { "pubkey", CONF_AUTH_PUBKEY, CONF_KEY_ANY, false },
        { "rsa", CONF_AUTH_PUBKEY, CONF_KEY_RSA, false }, { "rsa/pss", CONF_AUTH_PUBKEY, CONF_KEY_RSA, true },
        { "ecdsa", CONF_AUTH_PUBKEY, CONF_KEY_ECDSA, false }, { "ed25519", CONF_AUTH_PUBKEY, CONF_KEY_ED25519, false },
        { "ed448", CONF_AUTH_PUBKEY, CONF_KEY_ED448, false },
    };
    static const char *const hashes[] = { NULL, "sha1", "sha256", "sha384", "sha512", "identity" };
    char buf[64];
    if (strlen(v) >= sizeof buf)
        return -1;
    strcpy(buf, v);
    char *save = NULL, *t = strtok_r(buf, "-", &save);
    memset(a, 0, sizeof *a);
    size_t k = 0;
    while (t && k < sizeof kinds / sizeof kinds[0] && strcmp(t, kinds[k].name))
        k++;
    if (!t || k == sizeof kinds / sizeof kinds[0])
        return -1;
    a->kind = kinds[k].kind;
    a->key = kinds[k].key;
    a->pss = kinds[k].pss;
    while ((t = strtok_r(NULL, "-", &save))) {
        size_t h = 1;
        while (h < sizeof hashes / sizeof hashes[0] && strcmp(t, hashes[h]))
            h++;
        if (h == sizeof hashes / sizeof hashes[0] || a->kind == CONF_AUTH_PSK)
            return -1;
        a->hashes |= (uint8_t)(1u << h);
    }
    return 0;
}

/* auth = eap-mschapv2 (or eap: the only method there is) and eap_id;
 * the other methods refused by name */
static int eap_auth(struct ctx *x, struct set_node *sec, struct set_node *node, const char *v, struct conf_auth *a,
                    char *eap_id)
{
    if (!strcmp(v, "eap-radius"))
        return fail(x, node, "auth = eap-radius: RADIUS is not implemented (kite checks EAP-MSCHAPv2 users from "
                             "secrets { eap-... })");
    if (strcmp(v, "eap") && strcmp(v, "eap-mschapv2") && strcmp(v, "eap-tls"))
        return fail(x, node, "auth = %s: this EAP method is not implemented (eap-mschapv2 and eap-tls are)", v);
    memset(a, 0, sizeof *a);
    a->kind = CONF_AUTH_EAP;
    a->eap_type = strcmp(v, "eap-tls") ? 0 : 13; /* EAP_TYPE_TLS */
    struct set_node *idn;
    const char *id = val(sec, "eap_id", &idn);
    if (id && (strlen(id) == 0 || strlen(id) > 255))
        return fail(x, idn, "eap_id must be 1 to 255 bytes");
    if (id)
        snprintf(eap_id, 256, "%s", id);
    return 0;
}

/* a comma-separated list of certificate file names, allocated and ended by
 * an empty name (NULL when there are none) */
static int cert_list(struct ctx *x, struct set_node *sec, const char *key, char (**out)[CONF_FILE_MAX])
{
    struct set_node *node;
    const char *v = val(sec, key, &node);
    uint32_t n = 0, cap = 0;
    free(*out);
    *out = NULL;
    while (v && *v) {
        size_t len = strcspn(v, ", ");
        if (len) {
            if (len >= CONF_FILE_MAX)
                return fail(x, node, "file name longer than %d bytes in %s", CONF_FILE_MAX - 1, key);
            if (conf_list_grow((void **)out, &cap, n + 1, sizeof **out)) /* + the empty name */
                return fail(x, node, "out of memory");
            memcpy((*out)[n], v, len);
            (*out)[n++][len] = 0;
        }
        v += len;
        v += strspn(v, ", ");
    }
    return 0;
}

/* local { auth, id, certs }, remote { auth, id, certs, cacerts, revocation } */
static int peer(struct ctx *x, struct set_node *sec, struct conf_conn *c, bool local)
{
    struct set_node *node;
    struct conf_auth *auth = local ? &c->local_auth : &c->remote_auth;
    const char *v = val(sec, "auth", &node);
    if (v && !strncmp(v, "eap", 3)) { /* and on: id, certs (EAP-TLS's), cacerts apply to EAP too */
        if (eap_auth(x, sec, node, v, auth, local ? c->local_eap_id : c->remote_eap_id))
            return -1;
    } else if (v && parse_auth(v, auth))
        return fail(x, node, "auth = %s: expected psk, pubkey, rsa, rsa/pss, ecdsa, ed25519 or ed448, "
                             "optionally with -sha256/-sha384/-sha512", v);
    if ((v = val(sec, "id", &node))) {
        int rc = conf_parse_id(v, local ? &c->local_id : &c->remote_id);
        if (rc)
            return fail(x, node, "invalid identity '%s' (%s)", v, id_why(rc));
        if (local)
            c->local_id_set = true;
    }
    if (cert_list(x, sec, "certs", local ? &c->local_certs : &c->remote_certs) ||
        (!local && cert_list(x, sec, "cacerts", &c->cacerts)))
        return -1;
    if (!local && (v = val(sec, "revocation", &node))) {
        if (!strcmp(v, "strict"))
            c->revocation = CONF_REV_STRICT;
        else if (!strcmp(v, "ifuri"))
            c->revocation = CONF_REV_IFURI;
        else if (!strcmp(v, "relaxed"))
            c->revocation = CONF_REV_RELAXED;
        else
            return fail(x, node, "revocation = %s: expected strict, ifuri or relaxed", v);
    }
    warn_unknown(x, sec, sec->name);
    return 0;
}

/* send_cert, send_certreq */
static int cert_keys(struct ctx *x, struct set_node *sec, struct conf_conn *c)
{
    struct set_node *node;
    const char *v;
    c->send_certreq = true;
    if ((v = val(sec, "send_certreq", &node)) && parse_bool(v, &c->send_certreq))
        return fail(x, node, "send_certreq must be yes or no, not '%s'", v);
    if ((v = val(sec, "send_cert", &node))) {
        if (!strcmp(v, "ifasked"))
            c->send_cert = CONF_SEND_CERT_IFASKED;
        else if (!strcmp(v, "always"))
            c->send_cert = CONF_SEND_CERT_ALWAYS;
        else if (!strcmp(v, "never"))
            c->send_cert = CONF_SEND_CERT_NEVER;
        else
            return fail(x, node, "send_cert = %s: expected ifasked, always or never", v);
    }
    return 0;
}

/* local_addrs / remote_addrs: lists, %any4/6, DNS names, remote ranges
 * (conf_addrs.c) */
static int addrs_key(struct ctx *x, struct set_node *sec, const char *key, struct conf_conn *c)
{
    struct set_node *node;
    const char *v = val(sec, key, &node);
    char why[300];
    if (v && conf_parse_addrs(v, key[0] == 'r', c, why, sizeof why))
        return fail(x, node, "%s", why);
    return 0;
}

static int port_key(struct ctx *x, struct set_node *sec, const char *key, uint16_t *port)
{
    struct set_node *node;
    const char *v = val(sec, key, &node);
    *port = 500;
    if (!v)
        return 0;
    uint64_t p;
    if (uint_of(v, 65535, &p) || !p)
        return fail(x, node, "invalid port '%s' (1 to 65535)", v);
    *port = (uint16_t)p;
    return 0;
}

/* a count of attempts; 0 and %forever: no end */
static int keyingtries(const char *v, uint32_t *out)
{
    uint64_t n;
    if (!strcmp(v, "%forever")) {
        *out = 0;
        return 0;
    }
    if (uint_of(v, 1000000, &n))
        return -1;
    *out = (uint32_t)n;
    return 0;
}

/* fragmentation = yes | accept | force | no (strongSwan's, RFC 7383) */
static int fragmentation(struct ctx *x, struct set_node *sec, enum conf_frag *out)
{
    static const char *const names[] = { [CONF_FRAG_YES] = "yes", [CONF_FRAG_ACCEPT] = "accept",
                                         [CONF_FRAG_FORCE] = "force", [CONF_FRAG_NO] = "no" };
    struct set_node *node;
    const char *v = val(sec, "fragmentation", &node);
    for (int i = 0; v && i <= CONF_FRAG_NO; i++)
        if (!strcmp(v, names[i])) {
            *out = (enum conf_frag)i;
            return 0;
        }
    return v ? fail(x, node, "fragmentation must be yes, accept, force or no, not '%s'", v) : 0;
}

/* one warning per connection naming the weak algorithms its user wrote
 * (RFC 8247 2.4, RFC 8221: modp1024/1536, 3des, sha1, md5, ecp192) */
static void warn_weak(struct ctx *x, const struct set_node *sec, const struct conf_conn *c)
{
    char names[256] = "", msg[700];
    bool any = conf_prop_weak(c->ike, c->n_ike, names, sizeof names);
    for (unsigned i = 0; i < c->n_children; i++)
        any = conf_prop_weak(c->child[i].esp, c->child[i].n_esp, names, sizeof names) || any;
    if (!any || !x->warn)
        return;
    char at[300];
    if (sec->line > 0)
        snprintf(at, sizeof at, "%s:%d", sec->file ? sec->file : "?", sec->line);
    else /* from a VICI message */
        snprintf(at, sizeof at, "%s", sec->file ? sec->file : "?");
    snprintf(msg, sizeof msg, "%s: connection '%s' uses weak algorithms because they are configured: %s", at,
             c->name, names);
    x->warn(x->wctx, msg);
}

static int connection(struct ctx *x, struct set_node *sec, struct conf_conn *c)
{
    struct set_node *node;
    const char *v;
    char err[256];
    if (name_key(x, sec, "connection", c->name))
        return -1;
    /* every key known, implemented, or refused with why (conf_keys.c) */
    if (conf_keys_check_conn(sec, x->err, x->errcap, x->warn, x->wctx))
        return -1;
    c->rekey_time = 14400;
    /* strongSwan's default for a round without auth (or no round): pubkey,
     * never a PSK that a secret of the file would then silently supply */
    c->local_auth.kind = c->remote_auth.kind = CONF_AUTH_PUBKEY;
    if ((v = val(sec, "version", &node)) && strcmp(v, "2") && strcmp(v, "0"))
        return fail(x, node, "version = %s: kite speaks IKEv2 only (version = 2 or 0)", v);
    if (addrs_key(x, sec, "local_addrs", c) || addrs_key(x, sec, "remote_addrs", c) ||
        port_key(x, sec, "local_port", &c->local_port) || port_key(x, sec, "remote_port", &c->remote_port))
        return -1;
    v = val(sec, "proposals", &node);
    if (props_list(v ? v : "default", true, &c->ike, &c->n_ike, err, sizeof err))
        return fail(x, node ? node : sec, "%s", err);
    if ((v = val(sec, "encap", &node)) && parse_bool(v, &c->encap))
        return fail(x, node, "encap must be yes or no, not '%s'", v);
    if ((v = val(sec, "rekey_time", &node)) && parse_time(v, &c->rekey_time))
        return fail(x, node, "invalid time '%s' (e.g. 4h, 30m, 3600; at most %u s)", v, UINT32_MAX);
    if ((v = val(sec, "dpd_delay", &node)) && parse_time(v, &c->dpd_delay))
        return fail(x, node, "invalid time '%s'", v);
    if (c->dpd_delay > UINT32_MAX / 1000) /* the engine counts it in ms */
        return fail(x, node, "dpd_delay '%s' is too long (at most %u s)", v, UINT32_MAX / 1000);
    c->keyingtries = 1; /* strongSwan's default: one attempt (with its retransmissions) */
    if ((v = val(sec, "keyingtries", &node)) && keyingtries(v, &c->keyingtries))
        return fail(x, node, "keyingtries = %s: expected a number of attempts, 0 or %%forever", v);
    if (fragmentation(x, sec, &c->fragmentation))
        return -1;
    bool mobike = true; /* RFC 4555, on by default as in strongSwan */
    if ((v = val(sec, "mobike", &node)) && parse_bool(v, &mobike))
        return fail(x, node, "mobike must be yes or no, not '%s'", v);
    c->no_mobike = !mobike;
    if (conf_life_conn(&(struct conf_io){ x->err, x->errcap, x->warn, x->wctx }, sec, c))
        return -1;
    static const char *const later[] = { "dpd_timeout", "reauth_time", "over_time",
                                         "rand_time", "unique", NULL };
    for (int i = 0; later[i]; i++)
        val(sec, later[i], NULL);
    struct set_node *l = conf_keys_round(sec, "local"), *r = conf_keys_round(sec, "remote"), *chs = set_find(sec, "children");
    if (cert_keys(x, sec, c))
        return -1;
    if (l && (l->used = true) && peer(x, l, c, true))
        return -1;
    if (r && (r->used = true) && peer(x, r, c, false))
        return -1;
    if (!c->local_id_set && c->local.family) { /* default: the local address */
        c->local_id.type = c->local.family == 4 ? ID_IPV4 : ID_IPV6;
        c->local_id.len = c->local.family == 4 ? 4 : 16;
        memcpy(c->local_id.data, c->local.ip, c->local_id.len);
    }
    if (!chs || !chs->child)
        return fail(x, sec, "connection '%s' has no children", c->name);
    chs->used = true;
    uint32_t cap = 0;
    for (struct set_node *ch = chs->child; ch; ch = ch->next) {
        if (ch->value)
            return fail(x, ch, "expected a child section, not '%s = ...'", ch->name);
        if (conf_list_grow((void **)&c->child, &cap, c->n_children, sizeof *c->child))
            return fail(x, ch, "out of memory");
        ch->used = true;
        if (child(x, ch, &c->child[c->n_children++]))
            return -1;
    }
    if (conf_conn_cp(sec, c, x->err, x->errcap)) /* vips, pools (conf_pool.c) */
        return -1;
    char where[96];
    snprintf(where, sizeof where, "connection '%s'", c->name);
    warn_unknown(x, sec, where);
    warn_weak(x, sec, c);
    return 0;
}

static int b64_value(int ch)
{
    const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = ch ? strchr(t, ch) : NULL;
    return p ? (int)(p - t) : -1;
}

/* base64 (RFC 4648 4) of the whole text: '=' only as the padding at the
 * end, no bits left over; -1 or the length */
static int b64_bytes(const char *v, uint8_t *out, size_t cap)
{
    unsigned acc = 0, bits = 0;
    size_t n = 0, len = strlen(v), pad = 0;
    while (pad < len && pad < 2 && v[len - 1 - pad] == '=')
        pad++;
    if ((len % 4) || (pad && v[len - 1 - pad] == '='))
        return -1;
    for (size_t i = 0; i < len - pad; i++) {
        int d = b64_value(v[i]);
        if (d < 0 || n >= cap)
            return -1;
        acc = (acc << 6 | (unsigned)d) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return bits && (acc & ((1u << bits) - 1)) ? -1 : (int)n;
}

/* "text", 0x<hex> or 0s<base64> (strongSwan's secret encodings); 0, -1 for
 * a bad encoding, or the length when longer than CONF_PSK_MAX or empty */
static int secret_value(const char *v, struct secret *s)
{
    uint8_t buf[CONF_PSK_MAX + 1];
    int n;
    if (!strncmp(v, "0x", 2) || !strncmp(v, "0s", 2)) {
        size_t enc = strlen(v + 2);
        size_t len = v[1] == 'x' ? enc / 2 : enc / 4 * 3; /* an upper bound */
        if (len > CONF_PSK_MAX + 2) /* clearly too long: say how long */
            return (int)(len < INT32_MAX ? len : INT32_MAX);
        n = v[1] == 'x' ? hex_bytes(v + 2, buf, sizeof buf) : b64_bytes(v + 2, buf, sizeof buf);
    } else {
        size_t len = strlen(v);
        n = len > INT32_MAX ? INT32_MAX : (int)len;
        if (n && n <= CONF_PSK_MAX)
            return secret_from(s, v, len) ? -1 : 0;
        return n ? n : -2;
    }
    int rc = n <= 0 ? (n ? -1 : -2) : n > CONF_PSK_MAX ? n : secret_from(s, buf, (size_t)n) ? -1 : 0;
    mem_wipe(buf, sizeof buf);
    return rc;
}

static int secret_ids(struct ctx *x, struct set_node *n, struct conf_secret *s)
{
    uint32_t cap = 0;
    for (struct set_node *k = n->child; k; k = k->next) {
        if (!k->value || strncmp(k->name, "id", 2) || (k->name[2] && k->name[2] != '-'))
            continue;
        k->used = true;
        if (conf_list_grow((void **)&s->ids, &cap, s->n_ids, sizeof *s->ids))
            return fail(x, k, "out of memory");
        int rc = conf_parse_id(k->value, &s->ids[s->n_ids++]);
        if (rc)
            return fail(x, k, "invalid identity '%s' (%s)", k->value, id_why(rc));
    }
    return 0;
}

/* strongSwan's private key secret types: private-x, rsa-x, ecdsa-x, pkcs8-x */
static bool key_secret(const char *name)
{
    static const char *const types[] = { "private", "rsa", "ecdsa", "pkcs8" };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t n = strlen(types[i]);
        if (!strncmp(name, types[i], n) && (!name[n] || name[n] == '-'))
            return true;
    }
    return false;
}

/* a passphrase: "text", 0x<hex> or 0s<base64>, of any length; 0, -1 for a
 * bad encoding, -2 if empty */
static int pass_value(const char *v, struct secret *s)
{
    size_t len = strlen(v);
    if (strncmp(v, "0x", 2) && strncmp(v, "0s", 2))
        return !len ? -2 : secret_from(s, v, len) ? -1 : 0;
    size_t cap = len; /* more than either decoding yields */
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf)
        return -1;
    int n = v[1] == 'x' ? hex_bytes(v + 2, buf, cap) : b64_bytes(v + 2, buf, cap);
    int rc = n < 0 ? -1 : !n ? -2 : secret_from(s, buf, (size_t)n) ? -1 : 0;
    mem_wipe(buf, cap);
    free(buf);
    return rc;
}

static int key_pass(struct ctx *x, struct set_node *n)
{
    struct kite_conf *c = x->c;
    struct set_node *fnode, *snode;
    const char *file = val(n, "file", &fnode), *v = val(n, "secret", &snode);
    if (!file || !*file)
        return fail(x, fnode ? fnode : n, "secret section '%s' has no 'file =' (the key file it decrypts)", n->name);
    if (!v)
        return fail(x, n, "secret section '%s' has no 'secret =' (the key file's passphrase)", n->name);
    if (c->n_key_pass == c->cap_key_pass) {
        size_t cap = c->cap_key_pass ? c->cap_key_pass * 2 : 4;
        struct conf_key_pass *p = realloc(c->key_pass, cap * sizeof *p);
        if (!p)
            return fail(x, n, "out of memory");
        c->key_pass = p;
        c->cap_key_pass = cap;
    }
    struct conf_key_pass *k = &c->key_pass[c->n_key_pass];
    memset(k, 0, sizeof *k);
    int rc = pass_value(v, &k->pass);
    if (rc == -2)
        return fail(x, snode, "the passphrase is empty");
    if (rc)
        return fail(x, snode, "invalid passphrase encoding (expected text, 0x<hex> or 0s<base64>)");
    c->n_key_pass++; /* counted once it holds a secret, so conf_free wipes it */
    if (!(k->file = strdup(file)))
        return fail(x, n, "out of memory");
    warn_unknown(x, n, n->name);
    return 0;
}

static int grow(void **arr, int *cap, int n, size_t size)
{
    if (n < *cap)
        return 0;
    int ncap = *cap ? *cap * 2 : 4;
    void *p = realloc(*arr, (size_t)ncap * size);
    if (!p)
        return -1;
    memset((char *)p + (size_t)*cap * size, 0, (size_t)(ncap - *cap) * size);
    *arr = p;
    *cap = ncap;
    return 0;
}

static int psk_secret(struct ctx *x, struct set_node *n)
{
    if (grow((void **)&x->c->secrets, &x->c->cap_secrets, x->c->n_secrets, sizeof *x->c->secrets))
        return fail(x, n, "out of memory");
    struct conf_secret *s = &x->c->secrets[x->c->n_secrets++];
    snprintf(s->name, sizeof s->name, "%s", n->name);
    struct set_node *node;
    const char *v = val(n, "secret", &node);
    if (!v)
        return fail(x, n, "secret section '%s' has no 'secret ='", n->name);
    int rc = secret_value(v, &s->s);
    if (rc == -2)
        return fail(x, node, "the secret is empty");
    if (rc > 0)
        return fail(x, node, "secret is %d bytes long; at most %d are supported", rc, CONF_PSK_MAX);
    if (rc)
        return fail(x, node, "invalid secret encoding (expected text, 0x<hex> or 0s<base64>)");
    if (secret_ids(x, n, s))
        return -1;
    warn_unknown(x, n, n->name);
    return 0;
}

static int secrets(struct ctx *x, struct set_node *sec)
{
    for (struct set_node *n = sec->child; n; n = n->next) {
        bool warned = n->used; /* by conf_keys_check_top, with the reason */
        n->used = true;
        bool eap = !strncmp(n->name, "eap", 3);
        bool ike = eap || !strncmp(n->name, "ike", 3), key = key_secret(n->name);
        if (n->value || (!ike && !key)) {
            if (x->warn && !warned) {
                char msg[256];
                snprintf(msg, sizeof msg, "%s:%d: secret '%s' ignored: only ike (PSK) and private, rsa, ecdsa, "
                         "pkcs8 (key passphrase) secrets are supported", n->file, n->line, n->name);
                x->warn(x->wctx, msg);
            }
            continue;
        }
        if (ike ? psk_secret(x, n) : key_pass(x, n))
            return -1;
        if (eap)
            x->c->secrets[x->c->n_secrets - 1].eap = true;
    }
    return 0;
}

static int build(struct set_tree *t, struct kite_conf **out, char *err, size_t errcap, conf_warn_fn *warn, void *w)
{
    struct kite_conf *c = calloc(1, sizeof *c);
    struct ctx x = { c, err, errcap, warn, w };
    int rc = c ? 0 : -1;
    struct set_node *conns = set_find(&t->root, "connections"), *sec = set_find(&t->root, "secrets");
    for (struct set_node *n = conns ? conns->child : NULL; n && !rc; n = n->next) {
        if (grow((void **)&c->conns, &c->cap_conns, c->n_conns, sizeof *c->conns))
            rc = fail(&x, n, "out of memory");
        else
            rc = connection(&x, n, &c->conns[c->n_conns++]);
    }
    if (!rc && conf_keys_check_top(&t->root, err, errcap, warn, w))
        rc = -1;
    if (!rc && sec)
        rc = secrets(&x, sec);
    struct set_node *pools = set_find(&t->root, "pools");
    if (!rc && pools && (pools->used = true))
        rc = conf_pools_parse(pools, c, err, errcap, warn, w);
    if (conns)
        conns->used = true;
    if (sec)
        sec->used = true;
    if (!rc)
        warn_unknown(&x, &t->root, "the top level");
    if (rc) {
        conf_free(c);
        c = NULL;
    }
    *out = c;
    return rc;
}

int conf_load_file(const char *path, struct kite_conf **out, char *err, size_t errcap, conf_warn_fn *warn, void *ctx)
{
    struct set_tree t;
    int rc = set_parse_file(&t, path, err, errcap);
    if (!rc)
        rc = build(&t, out, err, errcap, warn, ctx);
    set_free(&t);
    return rc;
}

int conf_load_string(const char *text, const char *name, struct kite_conf **out, char *err, size_t errcap,
                     conf_warn_fn *warn, void *ctx)
{
    struct set_tree t;
    int rc = set_parse_string(&t, text, name, err, errcap);
    if (!rc)
        rc = build(&t, out, err, errcap, warn, ctx);
    set_free(&t);
    return rc;
}

void conf_free(struct kite_conf *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_secrets; i++)
        conf_secret_free(&c->secrets[i]);
    for (int i = 0; i < c->n_conns; i++)
        conf_conn_free(&c->conns[i]);
    for (size_t i = 0; i < c->n_key_pass; i++) {
        secret_free(&c->key_pass[i].pass);
        free(c->key_pass[i].file);
    }
    free(c->key_pass);
    conf_pools_free(c);
    if (c->secrets)
        mem_wipe(c->secrets, (size_t)c->cap_secrets * sizeof *c->secrets);
    free(c->secrets);
    free(c->conns);
    free(c);
}

int conf_parse_conn_node(struct set_node *sec, struct conf_conn *out, char *err, size_t errcap,
                         conf_warn_fn *warn, void *ctx)
{
    struct ctx x = { NULL, err, errcap, warn, ctx };
    memset(out, 0, sizeof *out);
    return connection(&x, sec, out);
}

int conf_conn_find(const struct kite_conf *c, const char *name)
{
    for (int i = 0; i < c->n_conns; i++)
        if (!strcmp(c->conns[i].name, name))
            return i;
    return -1;
}

int conf_conn_put(struct kite_conf *c, const struct conf_conn *conn)
{
    int i = conf_conn_find(c, conn->name);
    struct conf_conn copy;
    if (i < 0 && grow((void **)&c->conns, &c->cap_conns, c->n_conns, sizeof *c->conns))
        return -1;
    if (conf_conn_copy(&copy, conn))
        return -1;
    if (i >= 0)
        conf_conn_free(&c->conns[i]);
    c->conns[i < 0 ? c->n_conns++ : i] = copy;
    return 0;
}

int conf_conn_del(struct kite_conf *c, const char *name)
{
    int i = conf_conn_find(c, name);
    if (i < 0)
        return -1;
    conf_conn_free(&c->conns[i]);
    memmove(&c->conns[i], &c->conns[i + 1], (size_t)(c->n_conns - i - 1) * sizeof *c->conns);
    c->n_conns--;
    return 0;
}

static int secret_find(const struct kite_conf *c, const char *name)
{
    for (int i = 0; name[0] && i < c->n_secrets; i++)
        if (!strcmp(c->secrets[i].name, name))
            return i;
    return -1;
}

int conf_secret_put(struct kite_conf *c, struct conf_secret *s)
{
    int i = secret_find(c, s->name);
    if (i < 0 && grow((void **)&c->secrets, &c->cap_secrets, c->n_secrets, sizeof *c->secrets)) {
        conf_secret_free(s);
        mem_wipe(s, sizeof *s);
        return -1;
    }
    if (i >= 0)
        conf_secret_free(&c->secrets[i]);
    c->secrets[i < 0 ? c->n_secrets++ : i] = *s;
    mem_wipe(s, sizeof *s);
    return 0;
}

int conf_secret_del(struct kite_conf *c, const char *name)
{
    int i = secret_find(c, name);
    if (i < 0)
        return -1;
    conf_secret_free(&c->secrets[i]);
    memmove(&c->secrets[i], &c->secrets[i + 1], (size_t)(c->n_secrets - i - 1) * sizeof *c->secrets);
    c->n_secrets--;
    mem_wipe(&c->secrets[c->n_secrets], sizeof *c->secrets);
    return 0;
}

int conf_secret_del_loaded(struct kite_conf *c)
{
    int n = 0;
    for (int i = c->n_secrets - 1; i >= 0; i--) {
        if (!c->secrets[i].loaded)
            continue;
        conf_secret_free(&c->secrets[i]);
        memmove(&c->secrets[i], &c->secrets[i + 1], (size_t)(c->n_secrets - i - 1) * sizeof *c->secrets);
        c->n_secrets--;
        mem_wipe(&c->secrets[c->n_secrets], sizeof *c->secrets);
        n++;
    }
    return n;
}

static int dup_secrets(const struct kite_conf *c, struct kite_conf *d)
{
    for (int i = 0; i < c->n_secrets; i++) {
        struct conf_secret s;
        if (conf_secret_copy(&s, &c->secrets[i]) || conf_secret_put(d, &s))
            return -1;
    }
    for (size_t i = 0; i < c->n_key_pass; i++) {
        struct conf_key_pass *k = &d->key_pass[d->n_key_pass];
        if (secret_from(&k->pass, c->key_pass[i].pass.p, c->key_pass[i].pass.n))
            return -1;
        d->n_key_pass++; /* counted once it holds a secret, so conf_free wipes it */
        if (!(k->file = strdup(c->key_pass[i].file)))
            return -1;
    }
    return 0;
}

int conf_dup(const struct kite_conf *c, struct kite_conf **out)
{
    struct kite_conf *d = calloc(1, sizeof *d);
    int rc = d ? 0 : -1;
    if (!rc && c->n_conns && !(d->conns = malloc((size_t)c->n_conns * sizeof *d->conns)))
        rc = -1;
    if (!rc && c->n_key_pass && !(d->key_pass = calloc(c->n_key_pass, sizeof *d->key_pass)))
        rc = -1;
    if (!rc) {
        d->cap_conns = c->n_conns;
        for (int i = 0; !rc && i < c->n_conns; i++)
            if (!(rc = conf_conn_copy(&d->conns[i], &c->conns[i])))
                d->n_conns = i + 1;
        d->cap_key_pass = c->n_key_pass;
        rc = rc ? rc : dup_secrets(c, d);
    }
    if (!rc)
        rc = conf_pools_dup(c, d);
    if (rc) {
        conf_free(d);
        d = NULL;
    }
    *out = d;
    return rc;
}

/* a secret's id-x matches an identity as strongSwan matches them: equal, or
 * the id is a pattern (%any, *@example.org, CN=*, a subnet) that covers it */
static bool id_eq(const struct conf_id *pattern, const struct conf_id *b)
{
    return (pattern->type == b->type && pattern->len == b->len && memcmp(pattern->data, b->data, b->len) == 0) ||
           (b->type && cred_id_match(pattern->type, span_of(pattern->data, pattern->len), b->type,
                                     span_of(b->data, b->len)));
}

const struct secret *conf_psk_find(const struct kite_conf *c, const struct conf_id *local, const struct conf_id *remote)
{
    const struct secret *best = NULL;
    int best_score = -1;
    for (int i = 0; i < c->n_secrets; i++) {
        const struct conf_secret *s = &c->secrets[i];
        int score = 0;
        if (s->eap) /* a user's password is never a PSK */
            continue;
        bool l = false, r = false;
        for (uint32_t k = 0; k < s->n_ids; k++) {
            l = l || (local && id_eq(&s->ids[k], local));
            r = r || (remote && id_eq(&s->ids[k], remote));
        }
        if (s->n_ids && !l && !r)
            continue;
        score = s->n_ids ? (l ? 1 : 0) + (r ? 2 : 0) : 0;
        if (score > best_score) {
            best_score = score;
            best = &s->s;
        }
    }
    return best;
}

/* ---- shared with the files that read further keys (conf_int.h) ---- */

const char *conf_key(struct set_node *sec, const char *key, struct set_node **node)
{
    return val(sec, key, node);
}

static void where_of(const struct set_node *n, char *buf, size_t cap)
{
    if (n->line > 0)
        snprintf(buf, cap, "%s:%d", n->file ? n->file : "?", n->line);
    else /* from a VICI message: the file is the key's path */
        snprintf(buf, cap, "%s", n->file ? n->file : "?");
}

int conf_fail(const struct conf_io *io, const struct set_node *n, const char *fmt, ...)
{
    char at[300], msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    where_of(n, at, sizeof at);
    snprintf(io->err, io->errcap, "%s: %s", at, msg);
    return -1;
}

void conf_warn(const struct conf_io *io, const struct set_node *n, const char *fmt, ...)
{
    char at[300], msg[512], line[820];
    va_list ap;
    if (!io->warn)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    where_of(n, at, sizeof at);
    snprintf(line, sizeof line, "%s: %s", at, msg);
    io->warn(io->wctx, line);
}

int conf_time(const char *s, uint32_t *out)
{
    return parse_time(s, out);
}

int conf_bool(const char *s, bool *out)
{
    return parse_bool(s, out);
}

const struct secret *conf_eap_find(const struct kite_conf *c, const char *id, size_t len)
{
    const struct secret *any = NULL;
    for (int i = 0; i < c->n_secrets; i++) {
        const struct conf_secret *s = &c->secrets[i];
        if (!s->eap)
            continue;
        if (!s->n_ids && !any)
            any = &s->s;
        for (uint32_t k = 0; k < s->n_ids; k++)
            if (s->ids[k].len == len && !memcmp(s->ids[k].data, id, len))
                return &s->s;
    }
    return any;
}
