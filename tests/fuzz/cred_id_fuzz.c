/* libFuzzer target: identities (cred/id.h) on arbitrary input.  The input
 * is split at its first NUL into two texts, and also taken whole as the
 * bytes of an identity of the type in its first byte (what a peer puts in
 * an ID payload).  Texts are parsed (swanctl.conf), everything is printed
 * (logs) and matched against everything (remote.id against the peer's ID).
 * Invariants (abort): no ASan/UBSan report or leak; an identity that parses
 * matches itself (but for a name holding a NUL) and is matched by %any; a refused text leaves the outputs
 * alone; printing into a smaller buffer gives a prefix of the full text,
 * always NUL-terminated within the buffer.  Every identity is also looked
 * for in tests/unit/data/ids/moon.pem (subject, SANs of each kind, a
 * subjectKeyIdentifier), as a peer's ID is in its certificate. */
#include "cred/id.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char moon_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICNTCCAdqgAwIBAgIBAjAKBggqhkjOPQQDAjA/MQswCQYDVQQGEwJDSDETMBEG\n"
    "A1UEChMKc3Ryb25nU3dhbjEbMBkGA1UEAxMSc3Ryb25nU3dhbiBSb290IENBMCAX\n"
    "DTI2MTIwNTE3MzEyNVoYDzIxMjYxMTExMTczMTI1WjBAMQswCQYDVQQGEwJDSDET\n"
    "MBEGA1UEChMKc3Ryb25nU3dhbjEcMBoGA1UEAxMTbW9vbi5zdHJvbmdzd2FuLm9y\n"
    "ZzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABOmYcX41Lt/Wa8xbM64xF+YTp2hf\n"
    "/hEcJxZC5lw8YZdt7YuRRaeJgPvzXnOluYPlDt4qyi/pSakRjNjS9wgp9EKjgcMw\n"
    "gcAwHQYDVR0OBBYEFFyhqx4AESIzRFVmd4iZqrvM3e7/MH4GA1UdEQR3MHWCE21v\n"
    "b24uc3Ryb25nc3dhbi5vcmeHBMAAAgGHECABDbgAAAAAAAAAAAAAAAGkRjBEMQsw\n"
    "CQYDVQQGEwJDSDETMBEGA1UECgwKc3Ryb25nU3dhbjERMA8GA1UECwwIR2F0ZXdh\n"
    "eXMxDTALBgNVBAMMBG1vb24wHwYDVR0jBBgwFoAUijb25cShCZjF0/aVY8Bdn/PK\n"
    "9bwwCgYIKoZIzj0EAwIDSQAwRgIhAJMG0bsOpndAQ7ij7khxyjYASnftqSAFuVmt\n"
    "mCGWV/a6AiEAohHtiDGIBWtktRgYwHzv5eytdoFi0oXcwP1KmfZnzq8=\n"
    "-----END CERTIFICATE-----\n";

static X509 *moon(void)
{
    static X509 *x;
    if (!x) {
        BIO *b = BIO_new_mem_buf(moon_pem, -1);
        x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
        if (!x)
            __builtin_trap();
    }
    return x;
}

struct id {
    uint8_t type;
    size_t len;
    uint8_t data[1024];
    bool ok;
};

static void check_format(uint8_t type, const uint8_t *p, size_t n)
{
    char full[4096], *cut;
    cred_id_format(type, span_of(p, n), full, sizeof full);
    size_t len = strnlen(full, sizeof full);
    if (len == sizeof full)
        __builtin_trap();
    for (size_t cap = 1; cap <= len + 1 && cap <= 64; cap += 7) {
        cut = malloc(cap); /* exactly cap bytes: ASan sees a write past it */
        if (!cut)
            return;
        cred_id_format(type, span_of(p, n), cut, cap);
        if (strnlen(cut, cap) != cap - 1 && strnlen(cut, cap) != len)
            __builtin_trap();
        if (strncmp(cut, full, strnlen(cut, cap)))
            __builtin_trap();
        free(cut);
    }
}

static void parse(const char *text, struct id *id)
{
    id->type = 0xee;
    id->len = 7777;
    id->ok = cred_id_parse(text, &id->type, id->data, sizeof id->data, &id->len) == 0;
    if (!id->ok && (id->type != 0xee || id->len != 7777))
        __builtin_trap(); /* a refusal changes nothing */
    if (!id->ok)
        return;
    struct span s = span_of(id->data, id->len);
    /* a name with a NUL in it ("{2}:#0300") equals nothing, itself neither,
     * as in strongSwan (equals_strcasecmp) */
    bool nul_name = (id->type == CRED_ID_FQDN || id->type == CRED_ID_RFC822) && memchr(id->data, 0, id->len);
    if (id->len > sizeof id->data || (!nul_name && !cred_id_match(id->type, s, id->type, s)) ||
        !cred_id_match(CRED_ID_ANY, span_of(NULL, 0), id->type, s))
        __builtin_trap();
    check_format(id->type, id->data, id->len);
    (void)cred_id_is_wildcard(id->type, s);
}

static void both_ways(const struct id *a, const struct id *b)
{
    struct span sa = span_of(a->data, a->len), sb = span_of(b->data, b->len);
    (void)cred_id_match(a->type, sa, b->type, sb);
    (void)cred_id_match(b->type, sb, a->type, sa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(size + 2);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = text[size + 1] = 0;
    static struct id a, b, raw;
    parse(text, &a);
    parse(text + strlen(text) + (strlen(text) < size ? 1 : 0), &b);
    /* the whole input as a peer's ID payload: type byte, then data */
    raw.ok = size >= 1 && size - 1 <= sizeof raw.data;
    if (raw.ok) {
        raw.type = data[0];
        raw.len = size - 1;
        memcpy(raw.data, data + 1, raw.len);
        check_format(raw.type, raw.data, raw.len);
        (void)cred_id_is_wildcard(raw.type, span_of(raw.data, raw.len));
        if (!cred_id_match(CRED_ID_ANY, span_of(NULL, 0), raw.type, span_of(raw.data, raw.len)))
            __builtin_trap();
    }
    const struct id *all[] = { &a, &b, &raw };
    for (size_t i = 0; i < 3; i++)
        if (all[i]->ok)
            (void)cred_cert_has_id(moon(), all[i]->type, span_of(all[i]->data, all[i]->len));
    for (size_t i = 0; i < 3; i++)
        for (size_t k = 0; k < 3; k++)
            if (all[i]->ok && all[k]->ok)
                both_ways(all[i], all[k]);
    free(text);
    return 0;
}
