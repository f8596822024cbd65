/* id: identities as strongSwan 5.9.8 reads, prints and matches them
 * (libstrongswan's identification_t), for swanctl.conf's local.id,
 * remote.id and secrets' id-x, and for logging and checking what a peer
 * sends in IDi/IDr (RFC 7296 3.5). */
#include "cred/id.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "base/err.h"
#include "cred/id_int.h"

/* ---- output ---- */

void idfmt_putn(struct idfmt *f, const char *s, size_t n)
{
    if (!f->cap)
        return;
    size_t room = f->cap - 1 - f->n;
    if (n > room)
        n = room;
    memcpy(f->p + f->n, s, n);
    f->n += n;
    f->p[f->n] = 0;
}

void idfmt_puts(struct idfmt *f, const char *s)
{
    idfmt_putn(f, s, strlen(s));
}

void idfmt_hex(struct idfmt *f, struct span b)
{
    for (size_t i = 0; i < b.n && f->n + 1 < f->cap; i++) {
        char h[4];
        snprintf(h, sizeof h, "%s%02x", i ? ":" : "", b.p[i]);
        idfmt_puts(f, h);
    }
}

void idfmt_printable(struct idfmt *f, struct span b)
{
    for (size_t i = 0; i < b.n && f->n + 1 < f->cap; i++) {
        char c = isprint(b.p[i]) ? (char)b.p[i] : '?';
        idfmt_putn(f, &c, 1);
    }
}

/* ---- text -> identity ---- */

struct out {
    uint8_t *type, *data;
    size_t cap, *len;
};

static int put(const struct out *o, uint8_t type, const void *p, size_t n)
{
    if (n > o->cap)
        return KITE_E_NO_SPACE;
    if (n)
        memcpy(o->data, p, n);
    *o->type = type;
    *o->len = n;
    return 0;
}

/* strongSwan's hex for "@#..." and "prefix:#...": an optional 0x, ':'
 * between digits allowed, an odd count padded with a leading 0 */
static int put_hex(const struct out *o, uint8_t type, const char *h)
{
    if (h[0] == '0' && h[1] == 'x')
        h += 2;
    size_t digits = 0;
    for (const char *s = h; *s; s++) {
        if (*s != ':' && !isxdigit((unsigned char)*s))
            return KITE_E_INVALID_ARG;
        digits += *s != ':';
    }
    size_t n = (digits + 1) / 2;
    if (!n)
        return KITE_E_INVALID_ARG;
    if (n > o->cap)
        return KITE_E_NO_SPACE;
    memset(o->data, 0, n);
    for (size_t k = digits % 2; *h; h++) { /* k: nibble index, from the left */
        if (*h == ':')
            continue;
        unsigned v = (unsigned)(isdigit((unsigned char)*h) ? *h - '0' : tolower((unsigned char)*h) - 'a' + 10);
        o->data[k / 2] |= (uint8_t)(k % 2 ? v : v << 4);
        k++;
    }
    *o->type = type;
    *o->len = n;
    return 0;
}

static int put_text(const struct out *o, uint8_t type, const char *s)
{
    return *s ? put(o, type, s, strlen(s)) : KITE_E_INVALID_ARG;
}

/* "/bits" of a subnet: decimal, at most the address's bits */
static int prefix_len(const char *s, unsigned max, unsigned *bits)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *bits = (unsigned)v;
    return 0;
}

/* an address, "addr/bits" (the host bits cleared, as strongSwan) or
 * "from-to" (from <= to); 0, NOT_IP when the text is none of these */
enum { NOT_IP = 1 };
static int put_ip(const struct out *o, const char *text, bool v6)
{
    char buf[INET6_ADDRSTRLEN + 64];
    uint8_t a[32] = { 0 };
    size_t sz = v6 ? 16 : 4;
    int af = v6 ? AF_INET6 : AF_INET;
    if (strlen(text) >= sizeof buf)
        return NOT_IP;
    strcpy(buf, text);
    char *slash = strchr(buf, '/'), *dash = slash ? NULL : strchr(buf, '-');
    if (slash || dash)
        *(slash ? slash : dash) = 0;
    if (inet_pton(af, buf, a) != 1)
        return NOT_IP;
    if (slash) {
        unsigned bits;
        if (prefix_len(slash + 1, (unsigned)sz * 8, &bits))
            return NOT_IP;
        for (size_t i = 0; i < sz; i++, bits = bits > 8 ? bits - 8 : 0) {
            a[sz + i] = (uint8_t)(bits >= 8 ? 0xff : 0xff00 >> bits);
            a[i] &= a[sz + i];
        }
        return put(o, v6 ? CRED_ID_IPV6_SUBNET : CRED_ID_IPV4_SUBNET, a, 2 * sz);
    }
    if (dash) {
        if (inet_pton(af, dash + 1, a + sz) != 1 || memcmp(a, a + sz, sz) > 0)
            return NOT_IP;
        return put(o, v6 ? CRED_ID_IPV6_RANGE : CRED_ID_IPV4_RANGE, a, 2 * sz);
    }
    return put(o, v6 ? CRED_ID_IPV6 : CRED_ID_IPV4, a, sz);
}

/* "type:value" forces the type ("#hex" gives the bytes).  strongSwan takes
 * the text after ipv4:/ipv6:/asn1dn: as the bytes themselves; kite reads an
 * address or a DN there, which is what a reader of the configuration means */
static int parse_prefixed(const struct out *o, const char *text, bool *found)
{
    static const struct { const char *pfx; uint8_t type; } pfx[] = {
        { "ipv4:", CRED_ID_IPV4 }, { "ipv6:", CRED_ID_IPV6 }, { "ipv4net:", CRED_ID_IPV4_SUBNET },
        { "ipv6net:", CRED_ID_IPV6_SUBNET }, { "ipv4range:", CRED_ID_IPV4_RANGE },
        { "ipv6range:", CRED_ID_IPV6_RANGE }, { "rfc822:", CRED_ID_RFC822 }, { "email:", CRED_ID_RFC822 },
        { "userfqdn:", CRED_ID_RFC822 }, { "fqdn:", CRED_ID_FQDN }, { "dns:", CRED_ID_FQDN },
        { "asn1dn:", CRED_ID_DN }, { "asn1gn:", CRED_ID_GN }, { "keyid:", CRED_ID_KEY_ID },
    };
    for (size_t i = 0; i < sizeof pfx / sizeof pfx[0]; i++) {
        size_t n = strlen(pfx[i].pfx);
        if (strncasecmp(text, pfx[i].pfx, n))
            continue;
        const char *v = text + n;
        uint8_t t = pfx[i].type;
        *found = true;
        if (*v == '#') {
            int rc = put_hex(o, t, v + 1);
            if (!rc && t == CRED_ID_DN && !dn_valid(span_of(o->data, *o->len)))
                return KITE_E_INVALID_ARG;
            return rc;
        }
        if (t == CRED_ID_DN) {
            int rc = dn_parse(v, o->data, o->cap, o->len);
            if (!rc)
                *o->type = t;
            return rc;
        }
        if (t == CRED_ID_IPV4 || t == CRED_ID_IPV6 || (t >= CRED_ID_IPV4_SUBNET && t <= CRED_ID_IPV6_RANGE)) {
            bool v6 = t == CRED_ID_IPV6 || t == CRED_ID_IPV6_SUBNET || t == CRED_ID_IPV6_RANGE;
            int rc = put_ip(o, v, v6);
            if (rc < 0)
                return rc;
            return rc == NOT_IP || *o->type != t ? KITE_E_INVALID_ARG : 0;
        }
        return put_text(o, t, v);
    }
    *found = false;
    return 0;
}

/* "{9}:#3000": a type by number, the value as text or "#hex" */
static int parse_numbered(const struct out *o, const char *text, bool *found)
{
    char *end;
    *found = false;
    if (text[0] != '{' || !isdigit((unsigned char)text[1]))
        return 0;
    errno = 0;
    unsigned long t = strtoul(text + 1, &end, 10);
    if (errno || end[0] != '}' || end[1] != ':')
        return 0;
    *found = true;
    if (t == 0 || t > 255)
        return KITE_E_INVALID_ARG;
    int rc = end[2] == '#' ? put_hex(o, (uint8_t)t, end + 3) : put_text(o, (uint8_t)t, end + 2);
    if (!rc && t == CRED_ID_DN && !dn_valid(span_of(o->data, *o->len)))
        return KITE_E_INVALID_ARG;
    return rc;
}

static bool is_any(const char *s)
{
    static const char *const any[] = { "%any", "%any6", "0.0.0.0", "*", "::", "0::0" };
    for (size_t i = 0; i < sizeof any / sizeof any[0]; i++)
        if (!strcmp(s, any[i]))
            return true;
    return false;
}

/* no '@', no '=': %any, an address (subnet, range), else an FQDN, or with a
 * ':' that is no IPv6 address a KEY_ID of the text (as strongSwan) */
static int parse_plain(const struct out *o, const char *text)
{
    if (is_any(text)) {
        *o->type = CRED_ID_ANY;
        *o->len = 0;
        return 0;
    }
    bool v6 = strchr(text, ':') != NULL;
    int rc = put_ip(o, text, v6);
    if (rc != NOT_IP)
        return rc;
    return put_text(o, v6 ? CRED_ID_KEY_ID : CRED_ID_FQDN, text);
}

static int parse(const struct out *o, const char *text)
{
    bool found;
    int rc;
    if ((rc = parse_prefixed(o, text, &found)) || found)
        return rc;
    if ((rc = parse_numbered(o, text, &found)) || found)
        return rc;
    if (strchr(text, '=')) {
        /* strongSwan falls back to a KEY_ID of the text for a DN it cannot
         * read; kite refuses it, as a typo in remote.id would otherwise
         * silently match nobody */
        if ((rc = dn_parse(text, o->data, o->cap, o->len)))
            return rc;
        *o->type = CRED_ID_DN;
        return 0;
    }
    if (!strchr(text, '@'))
        return parse_plain(o, text);
    if (text[0] != '@')
        return put_text(o, CRED_ID_RFC822, text);
    if (text[1] == '#')
        return put_hex(o, CRED_ID_KEY_ID, text + 2);
    if (text[1] == '@')
        return put_text(o, CRED_ID_RFC822, text + 2);
    return put_text(o, CRED_ID_FQDN, text + 1);
}

int cred_id_parse(const char *text, uint8_t *type, uint8_t *data, size_t cap, size_t *len)
{
    uint8_t t = 0;
    size_t n = 0;
    const struct out o = { &t, data, cap, &n };
    if (!text || !*text)
        return KITE_E_INVALID_ARG;
    int rc = parse(&o, text);
    if (!rc) {
        *type = t;
        *len = n;
    }
    return rc;
}

/* ---- identity -> text ---- */

static void format_ip(uint8_t type, struct span d, struct idfmt *f)
{
    bool v6 = type == CRED_ID_IPV6 || type == CRED_ID_IPV6_SUBNET || type == CRED_ID_IPV6_RANGE;
    size_t sz = v6 ? 16 : 4, want = type == CRED_ID_IPV4 || type == CRED_ID_IPV6 ? sz : 2 * sz;
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    if (d.n != want || !inet_ntop(v6 ? AF_INET6 : AF_INET, d.p, a, sizeof a) ||
        (want > sz && !inet_ntop(v6 ? AF_INET6 : AF_INET, d.p + sz, b, sizeof b))) {
        idfmt_hex(f, d);
        return;
    }
    idfmt_puts(f, a);
    if (type == CRED_ID_IPV4_RANGE || type == CRED_ID_IPV6_RANGE) {
        idfmt_puts(f, "-");
        idfmt_puts(f, b);
    } else if (want > sz) {
        unsigned bits = 0; /* leading ones of the mask, as strongSwan counts them */
        for (size_t i = 0; i < sz && d.p[sz + i]; i++)
            for (uint8_t m = d.p[sz + i]; m & 0x80; m = (uint8_t)(m << 1))
                bits++;
        snprintf(b, sizeof b, "/%u", bits);
        idfmt_puts(f, b);
    }
}

static bool all_printable(struct span d)
{
    for (size_t i = 0; i < d.n; i++)
        if (!isprint(d.p[i]))
            return false;
    return true;
}

void cred_id_format(uint8_t type, struct span data, char *out, size_t cap)
{
    struct idfmt f = { out, cap, 0 };
    if (cap)
        out[0] = 0;
    switch (type) {
    case CRED_ID_ANY:
        idfmt_puts(&f, "%any");
        break;
    case CRED_ID_IPV4: case CRED_ID_IPV6: case CRED_ID_IPV4_SUBNET: case CRED_ID_IPV6_SUBNET:
    case CRED_ID_IPV4_RANGE: case CRED_ID_IPV6_RANGE:
        format_ip(type, data, &f);
        break;
    case CRED_ID_FQDN: case CRED_ID_RFC822:
        idfmt_printable(&f, data);
        break;
    case CRED_ID_DN:
        dn_format(data, &f);
        break;
    case CRED_ID_KEY_ID:
        /* strongSwan: the text if printable (and not a 20-byte hash), else hex */
        if (all_printable(data) && data.n != 20)
            idfmt_printable(&f, data);
        else
            idfmt_hex(&f, data);
        break;
    default:
        idfmt_hex(&f, data);
    }
}

/* ---- matching (strongSwan's identification_t.matches) ---- */

static bool has_nul(struct span s)
{
    return s.n && memchr(s.p, 0, s.n);
}

/* FQDN and RFC822: equal ignoring case, or a pattern "*suffix" whose suffix
 * ends the identity ("*" alone: anything) */
static bool match_string(struct span pat, struct span id)
{
    if (pat.n == id.n && !has_nul(pat) && !has_nul(id) && id_caseeq(pat.p, id.p, id.n))
        return true;
    if (!pat.n || pat.p[0] != '*' || id.n < pat.n)
        return false;
    return id_caseeq(pat.p + 1, id.p + id.n - (pat.n - 1), pat.n - 1);
}

/* an address against an address, a subnet or a range of its family */
static bool match_ip(uint8_t ptype, struct span pat, uint8_t type, struct span id)
{
    size_t sz = type == CRED_ID_IPV4 ? 4 : 16;
    if (ptype == type)
        return pat.n == id.n && !memcmp(pat.p, id.p, id.n);
    if (id.n != sz || pat.n != 2 * sz)
        return false;
    bool v4 = type == CRED_ID_IPV4;
    if (ptype == (v4 ? CRED_ID_IPV4_SUBNET : CRED_ID_IPV6_SUBNET)) {
        for (size_t i = 0; i < sz; i++)
            if ((id.p[i] ^ pat.p[i]) & pat.p[sz + i])
                return false;
        return true;
    }
    if (ptype == (v4 ? CRED_ID_IPV4_RANGE : CRED_ID_IPV6_RANGE))
        return memcmp(pat.p, pat.p + sz, sz) <= 0 && memcmp(id.p, pat.p, sz) >= 0 &&
               memcmp(id.p, pat.p + sz, sz) <= 0;
    return false;
}

bool cred_id_match(uint8_t ptype, struct span pattern, uint8_t type, struct span id)
{
    if (ptype == CRED_ID_ANY)
        return true;
    switch (type) {
    case CRED_ID_FQDN: case CRED_ID_RFC822:
        return ptype == type && match_string(pattern, id);
    case CRED_ID_DN:
        return ptype == type && dn_match(pattern, id, true);
    case CRED_ID_IPV4: case CRED_ID_IPV6:
        return match_ip(ptype, pattern, type, id);
    case CRED_ID_ANY:
        return false; /* only %any matches %any */
    default:
        return ptype == type && pattern.n == id.n && (!id.n || !memcmp(pattern.p, id.p, id.n));
    }
}

static bool dn_has_wildcard(struct span dn)
{
    struct dn_it it;
    struct dn_ava a;
    if (!dn_valid(dn) || dn_begin(dn, &it))
        return false;
    while (dn_next(&it, &a) > 0)
        if (a.val.n == 1 && a.val.p[0] == '*')
            return true;
    return false;
}

bool cred_id_is_wildcard(uint8_t ptype, struct span pattern)
{
    switch (ptype) {
    case CRED_ID_ANY:
        return true;
    case CRED_ID_FQDN: case CRED_ID_RFC822:
        return pattern.n && memchr(pattern.p, '*', pattern.n);
    case CRED_ID_DN:
        return dn_has_wildcard(pattern);
    case CRED_ID_IPV4_SUBNET: case CRED_ID_IPV6_SUBNET: case CRED_ID_IPV4_RANGE: case CRED_ID_IPV6_RANGE:
        /* strongSwan says no, but they stand for many addresses and are
         * no identity to send (RFC 7296 has no such ID type) */
        return true;
    default:
        return false;
    }
}

void cred_name_format(const X509_NAME *name, char *out, size_t cap)
{
    unsigned char *der = NULL;
    int n = i2d_X509_NAME(name, &der);
    cred_id_format(CRED_ID_DN, span_of(der, n > 0 ? (size_t)n : 0), out, cap);
    OPENSSL_free(der);
}
