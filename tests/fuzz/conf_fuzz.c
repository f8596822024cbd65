/* libFuzzer target: a swanctl.conf text (conf/settings.c with section
 * templates, conf/conf_keys.c, conf/conf.c, conf/conf_addrs.c): parsed,
 * templates resolved, every key judged, the connections and secrets read.
 * Any input is loaded or refused with a message, without reading outside
 * it or leaking.  (include is not reached: it names files.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536 || memmem(data, size, "include", 7))
        return 0;
    char *text = malloc(size + 1);
    struct kite_conf *c = NULL;
    char err[512] = "";
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    if (conf_load_string(text, "fuzz.conf", &c, err, sizeof err, NULL, NULL) && !err[0])
        __builtin_trap(); /* a refusal always says why */
    conf_free(c);
    free(text);
    return 0;
}
