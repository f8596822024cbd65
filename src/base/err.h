/* err: the one error table of kite (DESIGN principle 3).
 * Every function returns 0 or a negative KITE_E_* code.  Each code carries what
 * to do about it (drop the datagram, notify the peer, fatal) and, for NOTIFY,
 * the IKEv2 notify type (IANA "IKEv2 Notify Message Types") to send. */
#ifndef KITE_BASE_ERR_H
#define KITE_BASE_ERR_H
#include <stddef.h>

enum err_action { ERR_DROP, ERR_NOTIFY, ERR_FATAL };

/* X(name, action, notify type, text) */
#define KITE_ERRORS(X)                                                           \
    X(OK,              DROP,   0,  "success")                                    \
    X(TRUNCATED,       DROP,   0,  "input ends before the field")                \
    X(MALFORMED,       NOTIFY, 7,  "malformed field (INVALID_SYNTAX)")          \
    X(TRAILING,        NOTIFY, 7,  "bytes left over after the structure")       \
    X(RESERVED,        NOTIFY, 7,  "reserved field is not zero")                \
    X(BAD_LENGTH,      NOTIFY, 7,  "length field disagrees with the data")      \
    X(BAD_VERSION,     NOTIFY, 5,  "unsupported major version")                 \
    X(CRITICAL,        NOTIFY, 1,  "unknown payload with the critical bit")     \
    X(TOO_MANY,        DROP,   0,  "too many payloads")                         \
    X(NO_SPACE,        FATAL,  0,  "output buffer too small")                   \
    X(UNSUPPORTED,     DROP,   0,  "unsupported algorithm or feature")          \
    X(WEAK_ALGORITHM,  FATAL,  0,  "legacy algorithm not enabled by config")    \
    X(INVALID_ARG,     FATAL,  0,  "invalid argument")                          \
    X(NOMEM,           FATAL,  0,  "out of memory")                             \
    X(CRYPTO,          FATAL,  0,  "cryptographic library failure")             \
    X(INTEGRITY,       DROP,   0,  "integrity check failed")                    \
    X(BAD_PUBLIC_KEY,  NOTIFY, 17, "peer's key exchange value is invalid")      \
    X(INVALID_KE,      NOTIFY, 17, "key exchange group not accepted")           \
    X(NO_PROPOSAL,     NOTIFY, 14, "no proposal chosen")                        \
    X(AUTH_FAILED,     NOTIFY, 24, "authentication failed")                     \
    X(TS_UNACCEPTABLE, NOTIFY, 38, "traffic selectors unacceptable")            \
    X(INVALID_SPI,     NOTIFY, 11, "invalid SPI")                               \
    X(INVALID_MSGID,   DROP,   9,  "invalid message ID")                        \
    X(MISSING,         NOTIFY, 7,  "required payload missing")                  \
    X(UNEXPECTED,      NOTIFY, 7,  "payload not allowed in this message")       \
    X(NOT_FOUND,       DROP,   0,  "not found")                                 \
    X(STATE,           DROP,   0,  "not valid in the current state")            \
    X(REPLAY,          DROP,   0,  "replayed or too old sequence number")       \
    X(SEQ_EXHAUSTED,   DROP,   0,  "sequence numbers exhausted, rekey the SA")  \
    X(POLICY,          DROP,   0,  "packet not allowed by the security policy") \
    X(COOKIE,          DROP,   0,  "a COOKIE is required first (RFC 7296 2.6)") \
    X(LIMIT,           DROP,   0,  "a configured limit was reached")

#define KITE_ERR_ENUM(name, act, notify, text) KITE_E_##name##_IDX,
enum { KITE_ERRORS(KITE_ERR_ENUM) KITE_E_COUNT_ };
#undef KITE_ERR_ENUM

/* negative codes: KITE_E_MALFORMED == -2, ... */
#define KITE_ERR_CODE(name, act, notify, text) KITE_E_##name = -KITE_E_##name##_IDX,
enum kite_err { KITE_ERRORS(KITE_ERR_CODE) };
#undef KITE_ERR_CODE

const char *kite_strerror(int err);
const char *kite_errname(int err);
enum err_action kite_err_action(int err);
/* IKEv2 notify type to send for this error, 0 if none */
int kite_err_notify(int err);

/* Where a decoder failed: a static description of the field and the offset
 * into the input.  Filled by the wire codec; callers may pass NULL. */
struct diag {
    int err;
    const char *field;
    size_t offset;
};

static inline int diag_set(struct diag *d, int err, const char *field, size_t off)
{
    if (d && !d->err) {
        d->err = err;
        d->field = field;
        d->offset = off;
    }
    return err;
}

#endif
