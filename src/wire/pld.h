/* wire/pld: the IKEv2 payloads (RFC 7296 3.3-3.16, RFC 7383 2.5) as structs
 * that borrow from the datagram (struct span), and one decoder and encoder per
 * payload body.
 *
 * Decoders get a reader over the payload BODY (after the 4-byte generic
 * header), consume it exactly, never allocate: variable lists (proposals,
 * transforms, attributes, selectors, CP attributes) are taken from a
 * caller-owned struct ike_pool.  On failure they return KITE_E_* and fill the
 * diag with the field name ("SA.proposal.transform.length") and offset.
 *
 * Encoders write the body only; the chain encoder (msg.h) writes the generic
 * header around it.  Counts and flags that follow from the struct (SPI size,
 * number of transforms, "last substructure" bytes) are derived, lengths are
 * patched by wr. */
#ifndef KITE_WIRE_PLD_H
#define KITE_WIRE_PLD_H
#include <stdbool.h>
#include <stdint.h>
#include "base/err.h"
#include "base/rd.h"
#include "base/span.h"
#include "base/wr.h"
#include "wire/ike.h"

/* Limits per decoded chain (one message, or one SK plaintext).  Past any of
 * them the decode fails with KITE_E_TOO_MANY. */
enum {
    IKE_MAX_PAYLOADS = 64,
    IKE_MAX_PROPOSALS = 64,
    IKE_MAX_TRANSFORMS = 256,
    IKE_MAX_XF_ATTRS = 256,
    IKE_MAX_TS = 2 * 255, /* TSi and TSr, each counting its selectors in one octet (3.13) */
    IKE_MAX_CP_ATTRS = 64,
};

/* 3.3.5: AF bit set = TV (2-byte value in the header), clear = TLV */
struct ike_xf_attr {
    uint16_t type; /* without the AF bit */
    bool tv;
    uint16_t value;   /* TV */
    struct span data; /* TLV */
};

/* 3.3.2 */
struct ike_transform {
    uint8_t type;        /* XF_ENCR.. (crypto/registry.h) */
    uint16_t id;
    /* Key Length attribute in bits, 0 if absent.  Decoded transforms also keep
     * the attribute in attrs; the encoder writes attrs as given, or, when
     * there are none, a TV Key Length attribute from this field. */
    uint16_t key_length;
    uint8_t n_attrs;
    const struct ike_xf_attr *attrs;
};

/* 3.3.1 */
struct ike_proposal {
    uint8_t num;
    uint8_t proto; /* IKEV2_PROTO_* */
    struct span spi;
    uint8_t n_xf;
    const struct ike_transform *xf;
};

struct ike_sa {
    uint8_t n_prop;
    const struct ike_proposal *prop;
};

/* 3.4 */
struct ike_ke {
    uint16_t group;
    struct span data;
};

/* 3.5 IDi / IDr */
struct ike_id {
    uint8_t type;
    struct span data;
};

/* 3.6 CERT and 3.7 CERTREQ (data = certificate, or CA key hashes) */
struct ike_cert {
    uint8_t encoding;
    struct span data;
};

/* 3.8 */
struct ike_auth {
    uint8_t method;
    struct span data;
};

/* 3.9: 16..256 bytes */
struct ike_nonce {
    struct span data;
};
enum { IKE_NONCE_MIN = 16, IKE_NONCE_MAX = 256 };

/* 3.10 */
struct ike_notify {
    uint8_t proto; /* kept as received; 0 when spi is empty */
    uint16_t type; /* IKEV2_N_* */
    struct span spi;
    struct span data;
};

/* 3.11: count SPIs of spi_size bytes each (IKE: size 0; AH/ESP: 4) */
struct ike_delete {
    uint8_t proto;
    uint8_t spi_size;
    uint16_t count;
    struct span spis;
};

/* 3.12 */
struct ike_vendor {
    struct span data;
};

/* 3.13.1: start/end are 4 (type 7) or 16 (type 8) bytes; other selector types
 * are kept whole in raw (the bytes after the selector length) */
struct ike_ts_sel {
    uint8_t type;
    uint8_t ip_proto;
    uint16_t start_port, end_port;
    struct span start, end;
    struct span raw;
};

/* 3.13 TSi / TSr */
struct ike_ts {
    uint8_t n;
    const struct ike_ts_sel *sel;
};

/* 3.14: body = IV || ciphertext || ICV; first = type of the first inner payload
 * (this payload's Next Payload field).  The payload's offset in the message
 * (struct ike_pld) tells wire/sk where the associated data ends. */
struct ike_sk {
    uint8_t first;
    struct span body;
};

/* RFC 7383 2.5: first is zero in all but fragment 1 */
struct ike_skf {
    uint8_t first;
    uint16_t frag_num, frag_total;
    struct span body;
};

/* 3.15 */
struct ike_cp_attr {
    uint16_t type; /* 15 bits; the reserved top bit must be 0 */
    struct span value;
};
struct ike_cp {
    uint8_t type; /* IKEV2_CFG_* */
    uint8_t n;
    const struct ike_cp_attr *attrs;
};

/* 3.16 with the EAP packet of RFC 3748 4: type only for Request/Response */
struct ike_eap {
    uint8_t code, id;
    uint8_t type; /* 0 unless code is Request or Response */
    struct span data;
};

/* a payload kite does not understand, skipped (3.2) and kept for re-encode */
struct ike_raw {
    struct span body;
};

/* storage for the variable lists of one decoded chain */
struct ike_pool {
    uint16_t n_prop, n_xf, n_attr, n_ts, n_cpa;
    struct ike_proposal prop[IKE_MAX_PROPOSALS];
    struct ike_transform xf[IKE_MAX_TRANSFORMS];
    struct ike_xf_attr attr[IKE_MAX_XF_ATTRS];
    struct ike_ts_sel ts[IKE_MAX_TS];
    struct ike_cp_attr cpa[IKE_MAX_CP_ATTRS];
};

int ike_sa_decode(struct rd *r, struct ike_sa *sa, struct ike_pool *pool, struct diag *d);
int ike_sa_encode(struct wr *w, const struct ike_sa *sa);
int ike_ke_decode(struct rd *r, struct ike_ke *ke, struct diag *d);
int ike_ke_encode(struct wr *w, const struct ike_ke *ke);
int ike_id_decode(struct rd *r, struct ike_id *id, struct diag *d);
int ike_id_encode(struct wr *w, const struct ike_id *id);
/* CERT and CERTREQ share the layout; `type` picks the field names in diag */
int ike_cert_decode(struct rd *r, uint8_t type, struct ike_cert *c, struct diag *d);
int ike_cert_encode(struct wr *w, const struct ike_cert *c);
int ike_auth_decode(struct rd *r, struct ike_auth *a, struct diag *d);
int ike_auth_encode(struct wr *w, const struct ike_auth *a);
int ike_nonce_decode(struct rd *r, struct ike_nonce *n, struct diag *d);
int ike_nonce_encode(struct wr *w, const struct ike_nonce *n);
int ike_notify_decode(struct rd *r, struct ike_notify *n, struct diag *d);
int ike_notify_encode(struct wr *w, const struct ike_notify *n);
int ike_delete_decode(struct rd *r, struct ike_delete *del, struct diag *d);
int ike_delete_encode(struct wr *w, const struct ike_delete *del);
/* the i-th SPI of a decoded AH/ESP Delete (host order), 0 if out of range */
uint32_t ike_delete_spi(const struct ike_delete *del, uint16_t i);
int ike_vendor_decode(struct rd *r, struct ike_vendor *v, struct diag *d);
int ike_vendor_encode(struct wr *w, const struct ike_vendor *v);
int ike_ts_decode(struct rd *r, struct ike_ts *ts, struct ike_pool *pool, struct diag *d);
int ike_ts_encode(struct wr *w, const struct ike_ts *ts);
/* next = this payload's Next Payload field (the first inner payload type) */
int ike_sk_decode(struct rd *r, uint8_t next, struct ike_sk *sk, struct diag *d);
int ike_sk_encode(struct wr *w, const struct ike_sk *sk);
int ike_skf_decode(struct rd *r, uint8_t next, struct ike_skf *skf, struct diag *d);
int ike_skf_encode(struct wr *w, const struct ike_skf *skf);
int ike_cp_decode(struct rd *r, struct ike_cp *cp, struct ike_pool *pool, struct diag *d);
int ike_cp_encode(struct wr *w, const struct ike_cp *cp);
int ike_eap_decode(struct rd *r, struct ike_eap *eap, struct diag *d);
int ike_eap_encode(struct wr *w, const struct ike_eap *eap);

#endif
