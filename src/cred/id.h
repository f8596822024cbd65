/* id: IKE identities (RFC 7296 3.5) written as strongSwan writes them in
 * swanctl.conf and its logs, matched against configured patterns with
 * strongSwan's wildcards, and against a certificate (RFC 4945 3.1).
 *
 * Text forms (strongSwan's identification_t):
 *   %any                      any identity (type 0; only as a pattern)
 *   192.0.2.1, 2001:db8::1    ID_IPV4_ADDR, ID_IPV6_ADDR
 *   C=CH, O=strongSwan, CN=x  ID_DER_ASN1_DN (RDNs separated by ',' or '/')
 *   @moon.example             ID_FQDN ("moon.example" without '@' too)
 *   carol@example.org         ID_RFC822_ADDR
 *   @#0123ab                  ID_KEY_ID (hex)
 *   fqdn:, email:, userfqdn:, dns:, asn1dn:, keyid:, ipv4:, ipv6: prefixes force the type
 * Wildcards (patterns only): "*" as a whole FQDN or RFC822 identity,
 * "*@example.org", "*.example.org", and "*" as an RDN value of a DN
 * ("C=CH, O=strongSwan, CN=*").  Identities are compared by type and bytes;
 * DNs RDN by RDN (same attribute types in the same order). */
#ifndef KITE_CRED_ID_H
#define KITE_CRED_ID_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>
#include "base/span.h"

/* RFC 7296 3.5's ID types, and RFC 4306's subnets and ranges that strongSwan
 * keeps for patterns ("10.1.0.0/16", "192.0.2.1-192.0.2.9": an IPV4/IPV6
 * identity inside matches; never sent) */
enum cred_id_type {
    CRED_ID_ANY = 0, CRED_ID_IPV4 = 1, CRED_ID_FQDN = 2, CRED_ID_RFC822 = 3, CRED_ID_IPV4_SUBNET = 4,
    CRED_ID_IPV6 = 5, CRED_ID_IPV6_SUBNET = 6, CRED_ID_IPV4_RANGE = 7, CRED_ID_IPV6_RANGE = 8,
    CRED_ID_DN = 9, CRED_ID_GN = 10, CRED_ID_KEY_ID = 11,
};

/* text -> type and data (a DN becomes its DER encoding); "%any" gives type 0
 * and len 0.  0, KITE_E_INVALID_ARG (not an identity: bad DN, bad hex, empty)
 * or KITE_E_NO_SPACE (longer than cap); on an error *type and *len are left
 * as they were.  Also "10.1.0.0/16" and "192.0.2.1-192.0.2.9" (patterns),
 * "{n}:value" (type by number), OIDs by number in a DN ("2.5.4.3=x") */
int cred_id_parse(const char *text, uint8_t *type, uint8_t *data, size_t cap, size_t *len);

/* type and data -> text as strongSwan prints it ("C=CH, O=strongSwan,
 * CN=moon.strongswan.org", "moon.strongswan.org", "192.0.2.1"; a KEY_ID as
 * its text when printable and not 20 bytes long, else "01:23:ab"; other
 * bytes than printable ASCII in names as '?'); never fails: an undecodable
 * DN or unknown type is shown as hex ("30:03:02").  Always NUL-terminated
 * (when cap > 0), cut to cap */
void cred_id_format(uint8_t type, struct span data, char *out, size_t cap);

/* an X.509 name (a certificate's subject or issuer) as cred_id_format
 * prints a DN identity */
void cred_name_format(const X509_NAME *name, char *out, size_t cap);

/* does the identity (type, id) match the pattern (ptype, pattern)?  ptype 0
 * matches anything; otherwise the types must agree (a DN pattern matches DN
 * identities only) and wildcards apply as above */
bool cred_id_match(uint8_t ptype, struct span pattern, uint8_t type, struct span id);

/* does the pattern contain a wildcard (or is it %any)? */
bool cred_id_is_wildcard(uint8_t ptype, struct span pattern);

/* RFC 4945 3.1: the identity is the certificate's subject DN, or one of its
 * subjectAltNames of the same kind (dNSName for FQDN, rfc822Name for
 * RFC822_ADDR, iPAddress for IPV4/IPV6, directoryName for a DN); ID_KEY_ID
 * matches the subjectKeyIdentifier, or the SHA-1 of the public key or of the
 * subjectPublicKeyInfo.  Compared as cred_id_match compares without
 * wildcards: a '*' in the identity is a character */
bool cred_cert_has_id(X509 *cert, uint8_t type, struct span id);

/* a keyed hash of an identity (id_hash.c): identities that cred_id_match
 * finds equal without wildcards hash the same (case folded where the
 * comparison ignores case), so tables index patterns without wildcards by it */
uint64_t cred_id_hash(const uint64_t key[2], uint8_t type, struct span id);

#endif
