/* id_int: what id.c, id_dn.c and id_cert.c share: distinguished names
 * walked attribute by attribute, and a formatter that cuts at its cap. */
#ifndef KITE_CRED_ID_INT_H
#define KITE_CRED_ID_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/rd.h"
#include "base/span.h"

/* one AttributeTypeAndValue of a DN (X.501): OID contents, string tag, value */
struct dn_ava {
    struct span oid;
    uint8_t tag;
    struct span val;
};

/* the attributes of a DN in order; a multi-valued RDN (a SET of several)
 * gives its attributes one after the other, as strongSwan walks them */
struct dn_it {
    struct rd rdns, set;
};

/* 0, or KITE_E_MALFORMED if dn is not one SEQUENCE */
int dn_begin(struct span dn, struct dn_it *it);
/* 1 and *a, 0 at the end, KITE_E_MALFORMED */
int dn_next(struct dn_it *it, struct dn_ava *a);
/* every attribute decodes and nothing is left over */
bool dn_valid(struct span dn);

/* "C=CH, O=strongSwan, CN=x" or "/C=CH/O=strongSwan/CN=x" -> DER.
 * 0, KITE_E_INVALID_ARG, KITE_E_NO_SPACE */
int dn_parse(const char *text, uint8_t *out, size_t cap, size_t *len);
/* identical DNs, attribute by attribute in the same order; with wildcards a
 * value "*" in the pattern matches any value of its attribute */
bool dn_match(struct span pattern, struct span id, bool wildcards);

struct idfmt {
    char *p;
    size_t cap, n; /* n: written so far, without the NUL; never past cap - 1 */
};
void idfmt_puts(struct idfmt *f, const char *s);
void idfmt_putn(struct idfmt *f, const char *s, size_t n);
/* bytes as "0a:1b:2c" */
void idfmt_hex(struct idfmt *f, struct span b);
/* bytes with each non-printable one shown as '?' (strongSwan's
 * chunk_printable) */
void idfmt_printable(struct idfmt *f, struct span b);
void dn_format(struct span dn, struct idfmt *f);

/* ASCII case-insensitive equality of n bytes */
bool id_caseeq(const uint8_t *a, const uint8_t *b, size_t n);

#endif
