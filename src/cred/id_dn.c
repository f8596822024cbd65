/* id_dn: distinguished names (X.501) as identities: strongSwan's text form
 * to DER, DER back to text, and comparison attribute by attribute.
 * A DN from the network (an ID payload, a certificate) is read through rd
 * only; nothing here trusts its lengths. */
#include "cred/id_int.h"
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include "base/err.h"

enum { TAG_OID = 0x06, TAG_PRINTABLE = 0x13, TAG_IA5 = 0x16, TAG_SEQ = 0x30, TAG_SET = 0x31 };

/* the attribute names strongSwan 5.9.8 reads in a DN (case-insensitive),
 * with the OID contents; where several names share an OID, the first is
 * the one strongSwan prints */
struct dn_attr {
    const char *name;
    bool ia5; /* IA5String; the others PrintableString, or UTF8String when not printable */
    uint8_t len;
    uint8_t oid[12];
};

#define X520(n) 3, { 0x55, 0x04, n }
#define PKCS9(n) 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, n }
#define PILOT(n) 10, { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, n }
static const struct dn_attr attrs[] = {
    { "ND", false, 7, { 0x02, 0x82, 0x06, 0x01, 0x0a, 0x07, 0x14 } },
    { "UID", false, PILOT(0x01) },
    { "DC", false, PILOT(0x19) },
    { "CN", false, X520(3) },
    { "SN", false, X520(4) }, /* surname, as strongSwan 5.9 */
    { "serialNumber", false, X520(5) },
    { "C", false, X520(6) },
    { "L", false, X520(7) },
    { "ST", false, X520(8) },
    { "STREET", false, X520(9) },
    { "O", false, X520(10) },
    { "OU", false, X520(11) },
    { "T", false, X520(12) },
    { "D", false, X520(13) },
    { "postalAddress", false, X520(16) },
    { "postalCode", false, X520(17) },
    { "N", false, X520(41) },
    { "G", false, X520(42) },
    { "I", false, X520(43) },
    { "ID", false, X520(45) },
    { "dnQualifier", false, X520(46) },
    { "dmdName", false, X520(54) },
    { "pseudonym", false, X520(65) },
    { "employeeNumber", false, 10, { 0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x42, 0x03, 0x01, 0x03 } },
    { "EN", false, 10, { 0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x42, 0x03, 0x01, 0x03 } },
    { "E", true, PKCS9(1) },
    { "Email", true, PKCS9(1) },
    { "emailAddress", true, PKCS9(1) },
    { "unstructuredName", true, PKCS9(2) },
    { "UN", true, PKCS9(2) },
    { "unstructuredAddress", false, PKCS9(8) },
    { "UA", false, PKCS9(8) },
    { "TCGID", false, 12, { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x89, 0x31, 0x01, 0x01, 0x02, 0x02, 0x4b } },
};

static const struct dn_attr *attr_by_name(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (strlen(attrs[i].name) == n && !strncasecmp(attrs[i].name, s, n))
            return &attrs[i];
    return NULL;
}

static const struct dn_attr *attr_by_oid(struct span oid)
{
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (attrs[i].len == oid.n && !memcmp(attrs[i].oid, oid.p, oid.n))
            return &attrs[i];
    return NULL;
}

bool id_caseeq(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tolower(a[i]) != tolower(b[i]))
            return false;
    return true;
}

/* ---- DER, read ---- */

/* one TLV with a one-byte tag and a definite length (no DN needs more than
 * three length bytes) */
static int der_tlv(struct rd *r, uint8_t *tag, struct rd *body)
{
    uint8_t t, l;
    if (rd_u8(r, &t) || rd_u8(r, &l))
        return KITE_E_MALFORMED;
    size_t n = l;
    if ((t & 0x1f) == 0x1f || l == 0x80 || l > 0x83)
        return rd_fail(r, KITE_E_MALFORMED);
    if (l & 0x80) {
        n = 0;
        for (unsigned k = l & 0x7f; k; k--) {
            uint8_t b;
            if (rd_u8(r, &b))
                return KITE_E_MALFORMED;
            n = n << 8 | b;
        }
    }
    *tag = t;
    return rd_sub(r, n, body) ? KITE_E_MALFORMED : 0;
}

int dn_begin(struct span dn, struct dn_it *it)
{
    struct rd r;
    uint8_t tag;
    rd_init(&r, dn.p, dn.n);
    rd_init(&it->set, dn.p, 0);
    if (der_tlv(&r, &tag, &it->rdns) || tag != TAG_SEQ || !rd_done(&r))
        return KITE_E_MALFORMED;
    return 0;
}

int dn_next(struct dn_it *it, struct dn_ava *a)
{
    uint8_t tag;
    struct rd seq, oid, val;
    while (!rd_left(&it->set)) {
        if (!rd_left(&it->rdns))
            return it->rdns.err || it->set.err ? KITE_E_MALFORMED : 0;
        /* an RDN is a SET of at least one attribute */
        if (der_tlv(&it->rdns, &tag, &it->set) || tag != TAG_SET || !rd_left(&it->set))
            return KITE_E_MALFORMED;
    }
    if (der_tlv(&it->set, &tag, &seq) || tag != TAG_SEQ)
        return KITE_E_MALFORMED;
    if (der_tlv(&seq, &tag, &oid) || tag != TAG_OID || !rd_left(&oid))
        return KITE_E_MALFORMED;
    a->oid = rd_rest(&oid);
    if (der_tlv(&seq, &a->tag, &val) || !rd_done(&seq))
        return KITE_E_MALFORMED;
    a->val = rd_rest(&val);
    return 1;
}

bool dn_valid(struct span dn)
{
    struct dn_it it;
    struct dn_ava a;
    int rc;
    if (dn_begin(dn, &it))
        return false;
    while ((rc = dn_next(&it, &a)) > 0)
        ;
    return rc == 0;
}

/* ---- comparison ---- */

/* strongSwan's rule: PrintableStrings, and emailAddress in IA5String, compare
 * without case; anything else byte for byte */
static bool value_equal(const struct dn_ava *p, const struct dn_ava *i)
{
    static const uint8_t email[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 };
    if (p->val.n != i->val.n)
        return false;
    bool nocase = p->tag == i->tag && (p->tag == TAG_PRINTABLE ||
                  (p->tag == TAG_IA5 && i->oid.n == sizeof email && !memcmp(i->oid.p, email, sizeof email)));
    if (nocase)
        return id_caseeq(p->val.p, i->val.p, i->val.n);
    return !i->val.n || !memcmp(p->val.p, i->val.p, i->val.n);
}

bool dn_match(struct span pattern, struct span id, bool wildcards)
{
    struct dn_it pi, ii;
    struct dn_ava p, i;
    if (pattern.n == id.n && (!id.n || !memcmp(pattern.p, id.p, id.n)))
        return true;
    if (!dn_valid(pattern) || !dn_valid(id) || dn_begin(pattern, &pi) || dn_begin(id, &ii))
        return false;
    for (;;) {
        int rp = dn_next(&pi, &p), ri = dn_next(&ii, &i);
        if (rp != ri)
            return false; /* one has more attributes than the other */
        if (rp == 0)
            return true;
        if (p.oid.n != i.oid.n || memcmp(p.oid.p, i.oid.p, p.oid.n))
            return false;
        if (wildcards && p.val.n == 1 && p.val.p[0] == '*')
            continue;
        if (!value_equal(&p, &i))
            return false;
    }
}

/* ---- DER -> text ---- */

void dn_format(struct span dn, struct idfmt *f)
{
    struct dn_it it;
    struct dn_ava a;
    int rc;
    if (!dn_valid(dn) || dn_begin(dn, &it)) {
        idfmt_hex(f, dn); /* undecodable: the bytes as they came */
        return;
    }
    for (bool first = true; (rc = dn_next(&it, &a)) > 0; first = false) {
        const struct dn_attr *at = attr_by_oid(a.oid);
        if (!first)
            idfmt_puts(f, ", ");
        if (at)
            idfmt_puts(f, at->name);
        else
            idfmt_hex(f, a.oid); /* strongSwan shows an unknown OID's bytes */
        idfmt_puts(f, "=");
        idfmt_printable(f, a.val);
    }
}

/* ---- text -> DER ---- */

static bool printable_string(const char *s, size_t n)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?";
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(set, s[i]))
            return false;
    return true;
}

/* a dotted OID ("2.5.4.3") for an attribute strongSwan has no name for */
static ASN1_OBJECT *oid_numeric(const char *s, size_t n)
{
    char buf[128];
    /* digits in two arcs or more, the first 0, 1 or 2 */
    if (n < 3 || n >= sizeof buf || strspn(s, "0123456789.") < n || s[0] > '2' || s[1] != '.' ||
        s[n - 1] == '.' || memmem(s, n, "..", 2))
        return NULL;
    memcpy(buf, s, n);
    buf[n] = 0;
    return OBJ_txt2obj(buf, 1);
}

static ASN1_OBJECT *oid_of(const char *s, size_t n, bool *ia5)
{
    const struct dn_attr *at = attr_by_name(s, n);
    *ia5 = false;
    if (!at)
        return oid_numeric(s, n);
    uint8_t der[2 + sizeof at->oid] = { TAG_OID, at->len };
    memcpy(der + 2, at->oid, at->len);
    const unsigned char *p = der;
    *ia5 = at->ia5;
    return d2i_ASN1_OBJECT(NULL, &p, 2 + at->len);
}

/* one "name=value" between separators: name up to a blank or '=', then
 * blanks and '=' skipped, the value to the end less trailing blanks (as
 * strongSwan 5.9.8: no escapes, a value may hold '=' and the other
 * separator) */
static int add_ava(X509_NAME *name, const char *s, size_t n)
{
    size_t k = 0, v;
    bool ia5;
    while (k < n && s[k] != ' ' && s[k] != '=')
        k++;
    v = k;
    while (v < n && s[v] == ' ')
        v++;
    if (!k || v >= n || s[v] != '=')
        return KITE_E_INVALID_ARG;
    while (v < n && (s[v] == ' ' || s[v] == '='))
        v++;
    while (n > v && s[n - 1] == ' ')
        n--;
    ASN1_OBJECT *obj = oid_of(s, k, &ia5);
    if (!obj)
        return KITE_E_INVALID_ARG;
    int type = ia5 ? V_ASN1_IA5STRING : printable_string(s + v, n - v) ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING;
    int ok = X509_NAME_add_entry_by_OBJ(name, obj, type, (const unsigned char *)s + v, (int)(n - v), -1, 0);
    ASN1_OBJECT_free(obj);
    return ok ? 0 : KITE_E_INVALID_ARG;
}

/* RDNs separated by ',' (blanks after it skipped), or by '/' when the text
 * starts with one; a separator at the end is allowed, an empty RDN between
 * two is not */
static int parse_rdns(X509_NAME *name, const char *text)
{
    const char *s = text + strspn(text, " ");
    char sep = ',';
    if (*s == '/') {
        sep = '/';
        s++;
    }
    while (*s) {
        s += strspn(s, " ");
        const char *e = strchr(s, sep);
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (!*s)
            break;
        if (n > 1u << 16)
            return KITE_E_INVALID_ARG; /* an identity holds at most 1024 bytes anyway */
        int rc = add_ava(name, s, n);
        if (rc)
            return rc;
        s += n + (e ? 1 : 0);
    }
    return X509_NAME_entry_count(name) ? 0 : KITE_E_INVALID_ARG;
}

int dn_parse(const char *text, uint8_t *out, size_t cap, size_t *len)
{
    X509_NAME *name = X509_NAME_new();
    int rc = name ? parse_rdns(name, text) : KITE_E_NOMEM;
    if (!rc) {
        int n = i2d_X509_NAME(name, NULL);
        if (n <= 0)
            rc = KITE_E_INVALID_ARG;
        else if ((size_t)n > cap)
            rc = KITE_E_NO_SPACE;
        else {
            unsigned char *p = out;
            *len = (size_t)i2d_X509_NAME(name, &p);
        }
    }
    X509_NAME_free(name);
    return rc;
}
