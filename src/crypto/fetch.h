/* fetch: OpenSSL 3 algorithms fetched once per process (DESIGN.md principle
 * 4), by name, and kept.  EVP_CIPHER_fetch and EVP_MAC_fetch look the name
 * up in the provider's method store under locks (OPENSSL_LH_doall_arg and
 * rwlocks in a profile of a responder setting up IKE SAs); a context made
 * from a kept algorithm takes its own reference, so the cache hands out
 * borrowed pointers: never freed by the caller.
 *
 * Thread-safe and lock-free: two threads fetching a new name at once both
 * get the one object kept for it (the other fetch is freed).  What is cached stays
 * reachable from a static list until the process ends, so LeakSanitizer and
 * valgrind count it as reachable, not lost.  The list holds one entry per
 * algorithm name kite uses (a few dozen at most), not per SA. */
#ifndef KITE_CRYPTO_FETCH_H
#define KITE_CRYPTO_FETCH_H
#include <openssl/evp.h>

/* the cipher or MAC of that name from the default library context, or NULL
 * when OpenSSL has none (or no memory) */
EVP_CIPHER *fetch_cipher(const char *name);
EVP_MAC *fetch_mac(const char *name);

#endif
