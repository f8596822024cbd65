/* id_cert: is an identity one of a certificate's names?  RFC 4945 3.1: the
 * peer's ID must be the subject DN or a subjectAltName of the same kind.
 * As strongSwan's x509 plugin (has_subject), with one difference: the
 * identity is compared as an identity, not as a pattern, so a '*' a peer
 * puts in its ID is a character, never a wildcard. */
#include "cred/id.h"
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include "cred/id_int.h"

static bool same_string(const ASN1_STRING *s, struct span id)
{
    size_t n = (size_t)ASN1_STRING_length(s);
    return n == id.n && id_caseeq(ASN1_STRING_get0_data(s), id.p, n) && !memchr(id.p, 0, n);
}

static bool same_dn(const X509_NAME *name, struct span id)
{
    const unsigned char *der;
    size_t n;
    if (!X509_NAME_get0_der((X509_NAME *)name, &der, &n))
        return false;
    return dn_match(span_of(der, n), id, false);
}

static bool san_matches(const GENERAL_NAME *g, uint8_t type, struct span id)
{
    switch (type) {
    case CRED_ID_FQDN:
        return g->type == GEN_DNS && same_string(g->d.dNSName, id);
    case CRED_ID_RFC822:
        return g->type == GEN_EMAIL && same_string(g->d.rfc822Name, id);
    case CRED_ID_IPV4: case CRED_ID_IPV6:
        return g->type == GEN_IPADD && (size_t)ASN1_STRING_length(g->d.iPAddress) == id.n &&
               !memcmp(ASN1_STRING_get0_data(g->d.iPAddress), id.p, id.n);
    case CRED_ID_DN:
        return g->type == GEN_DIRNAME && same_dn(g->d.directoryName, id);
    default:
        return false;
    }
}

static bool has_san(X509 *cert, uint8_t type, struct span id)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    bool found = false;
    for (int i = 0; sans && !found && i < sk_GENERAL_NAME_num(sans); i++)
        found = san_matches(sk_GENERAL_NAME_value(sans, i), type, id);
    GENERAL_NAMES_free(sans);
    return found;
}

static bool sha1_is(const uint8_t *data, size_t n, struct span id)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    return id.n == 20 && EVP_Digest(data, n, md, &mdlen, EVP_sha1(), NULL) && mdlen == 20 &&
           !memcmp(md, id.p, 20);
}

/* a KEY_ID names the certificate's key: its subjectKeyIdentifier, the
 * SHA-1 of the public key (RFC 5280 4.2.1.2 method 1) or of the whole
 * subjectPublicKeyInfo (what strongSwan's CERTREQs carry) */
static bool is_key_id(X509 *cert, struct span id)
{
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
    if (ski && (size_t)ASN1_STRING_length(ski) == id.n && !memcmp(ASN1_STRING_get0_data(ski), id.p, id.n))
        return true;
    X509_PUBKEY *pk = X509_get_X509_PUBKEY(cert);
    const unsigned char *bits;
    int nbits;
    if (!pk || !X509_PUBKEY_get0_param(NULL, &bits, &nbits, NULL, pk))
        return false;
    if (sha1_is(bits, (size_t)nbits, id))
        return true;
    unsigned char *der = NULL;
    int n = i2d_X509_PUBKEY(pk, &der);
    bool ok = n > 0 && sha1_is(der, (size_t)n, id);
    OPENSSL_free(der);
    return ok;
}

bool cred_cert_has_id(X509 *cert, uint8_t type, struct span id)
{
    if (!cert)
        return false;
    switch (type) {
    case CRED_ID_KEY_ID:
        return is_key_id(cert, id);
    case CRED_ID_DN:
        return same_dn(X509_get_subject_name(cert), id) || has_san(cert, type, id);
    case CRED_ID_FQDN: case CRED_ID_RFC822: case CRED_ID_IPV4: case CRED_ID_IPV6:
        return has_san(cert, type, id);
    default:
        return false; /* %any names no certificate */
    }
}
