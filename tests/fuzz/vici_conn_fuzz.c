/* libFuzzer target: a load-conn request's message (ctl/vici_conn.c) as a
 * local client may send it: walked, turned into a settings tree and read
 * by conf/'s connection parser as vici_conn.c does.  Any input is refused
 * with a message or parsed, without reading outside it or leaking. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"
#include "conf/settings.h"
#include "ctl/vici_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > VICI_MSG_MAX)
        return 0;
    uint8_t *p = malloc(size ? size : 1); /* exactly size bytes: ASan sees overreads */
    struct conf_conn *c = calloc(1, sizeof *c);
    struct set_tree t;
    char err[400];
    memset(&t, 0, sizeof t);
    if (p && c && (memcpy(p, data, size), vici_msg_walk(span_of(p, size), VICI_DEPTH_MAX, NULL, NULL) == 0) &&
        vici_conn_tree(span_of(p, size), "load-conn", &t, err, sizeof err) == 0 && t.root.child &&
        !t.root.child->value) {
        if (conf_parse_conn_node(t.root.child, c, err, sizeof err, NULL, NULL) && !err[0])
            __builtin_trap(); /* a refusal always says why */
    }
    set_free(&t);
    if (c)
        conf_conn_free(c);
    free(c);
    free(p);
    return 0;
}
