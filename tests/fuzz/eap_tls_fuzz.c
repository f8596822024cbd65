/* libFuzzer target: EAP-TLS (ike/eap_tls.h) as a peer could drive it.
 *
 * Input: byte 0 chooses the role we play (bit 0: client, else server) and
 * the fragment size (bits 1-3: 64 << n, capped at the maximum); the rest is
 * a list of packets, each a length byte and that many bytes of EAP-TLS type
 * data, delivered as the peer's next packet (a Response with the identifier
 * the server expects, or a Request); bit 4 of byte 0 sends every third
 * packet as the other code/type instead (EAP-Success, a Nak, ...).
 * Before that, the same packets go through the framing alone
 * (eap_tls_rx_feed) with a 512-byte reassembly cap.
 *
 * Invariants (abort on violation): ASan/UBSan silent and no leaks; the
 * reassembly holds at most its cap and never more than the length it was
 * announced; a step that fails keeps failing; nothing succeeds without the
 * verify callback having accepted a certificate (it never does here: no
 * input can complete a handshake with our fresh key pair, and if one did
 * the refusal must end it). */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ike/eap_tls.h"
#include "wire/ike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *cert;
static EVP_PKEY *key;

/* a self-signed P-256 certificate, made once */
static void creds(void)
{
    if (cert)
        return;
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    if (!key || !cert)
        abort();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_NAME *n = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz", -1, -1, 0);
    X509_set_issuer_name(cert, n);
    X509_set_pubkey(cert, key);
    if (!X509_sign(cert, key, EVP_sha256()))
        abort();
}

static int refuse(void *ctx, X509 *ee, STACK_OF(X509) *chain, const char **why)
{
    (void)ee, (void)chain;
    ++*(int *)ctx;
    *why = "refused by the fuzzer";
    return -1;
}

static void framing(const uint8_t *p, size_t n)
{
    struct eap_tls_rx rx = { .max_bytes = 512 };
    while (n) {
        size_t len = p[0] < n - 1 ? p[0] : n - 1;
        int rc = eap_tls_rx_feed(&rx, p + 1, len);
        if (rx.len > 512 || (rx.open && rx.len > rx.total) || (rc < 0 && (rx.len || rx.open)))
            abort();
        p += 1 + len, n -= 1 + len;
    }
    eap_tls_rx_reset(&rx);
}

static void method(uint8_t mode, const uint8_t *p, size_t n)
{
    int calls = 0;
    size_t frag = (size_t)64 << ((mode >> 1) & 7);
    struct eap_tls_cfg cfg = { .server = !(mode & 1), .cert = cert, .key = key, .verify = refuse,
                               .verify_ctx = &calls, .max_bytes = 4096,
                               .frag_size = frag > EAPTLS_FRAG_MAX ? EAPTLS_FRAG_MAX : frag };
    struct eap_tls *t;
    struct eapm_out out;
    uint8_t id = 1;
    if (eap_tls_new(&cfg, &t))
        abort();
    if (cfg.server)
        eap_tls_server_start(t, id, &out);
    bool failed = false;
    for (unsigned k = 0; n; k++) {
        size_t len = p[0] < n - 1 ? p[0] : n - 1;
        uint8_t code = cfg.server ? EAP_CODE_RESPONSE : EAP_CODE_REQUEST, type = EAP_TYPE_TLS;
        if ((mode & 0x10) && k % 3 == 2)
            code = p[0] % 4 + 1, type = (uint8_t)(p[0] >> 2);
        enum eapm_rc rc = eap_tls_recv(t, code, cfg.server ? out.id : ++id, type, p + 1, len, &out);
        if ((failed && rc != EAPM_FAILURE) || (rc == EAPM_SUCCESS && calls == 0) || out.len > sizeof out.data)
            abort();
        failed |= rc == EAPM_FAILURE;
        if (rc == EAPM_SUCCESS) /* only a refusal can follow a handshake here */
            abort();
        p += 1 + len, n -= 1 + len;
    }
    eap_tls_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    creds();
    framing(data + 1, size - 1);
    method(data[0], data + 1, size - 1);
    return 0;
}
