/* Fuzz the IKEv2 wire codec (src/wire/).
 *
 * The input is decoded as a whole message; if that succeeds, it must encode
 * back to the same bytes (abort otherwise) and the rule check runs on it.
 * Every failure must name a field.  Then the same bytes are decoded as an
 * inner (SK plaintext) chain starting with each payload type, with the same
 * round-trip check and the inner rule check for each protected exchange. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "wire/msg.h"
#include "wire/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ike_msg msg;
static struct ike_chain chain;
static uint8_t out[1 << 17];

static void check_failure(const struct diag *d)
{
    if (!d->err || !d->field)
        abort();
}

static void fuzz_msg(const uint8_t *data, size_t size)
{
    struct diag d = { 0 };
    if (ike_msg_decode(span_of(data, size), &msg, &d)) {
        check_failure(&d);
        return;
    }
    struct wr w;
    wr_init(&w, out, sizeof out);
    if (size <= sizeof out && (ike_msg_encode(&msg, &w) || w.len != size || memcmp(out, data, size)))
        abort();
    memset(&d, 0, sizeof d);
    if (ike_rules_check_msg(&msg, &d))
        check_failure(&d);
}

static void fuzz_inner(const uint8_t *data, size_t size, uint8_t first)
{
    static const uint8_t exchanges[] = { IKEV2_EXCH_IKE_AUTH, IKEV2_EXCH_CREATE_CHILD_SA,
                                         IKEV2_EXCH_INFORMATIONAL, IKEV2_EXCH_IKE_INTERMEDIATE };
    struct diag d = { 0 };
    if (ike_chain_decode(span_of(data, size), first, &chain, &d)) {
        check_failure(&d);
        return;
    }
    struct wr w;
    wr_init(&w, out, sizeof out);
    if (size <= sizeof out && (ike_chain_encode(&chain, &w) || w.len != size || memcmp(out, data, size)))
        abort();
    for (size_t i = 0; i < sizeof exchanges; i++) {
        for (int resp = 0; resp < 2; resp++) {
            memset(&d, 0, sizeof d);
            if (ike_rules_check_inner(exchanges[i], resp, &chain, &d))
                check_failure(&d);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* every known payload type, none, an IKEv1 number and an unassigned one */
    static const uint8_t firsts[] = { 0, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42,
                                      43, 44, 45, 46, 47, 48, 53, 1, 49 };
    fuzz_msg(data, size);
    for (size_t i = 0; i < sizeof firsts; i++)
        fuzz_inner(data, size, firsts[i]);
    return 0;
}
