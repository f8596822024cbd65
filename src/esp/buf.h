/* buf: a packet inside a caller's buffer, with room around it so that ESP
 * can be added and removed in place (DESIGN principle 6). */
#ifndef KITE_ESP_BUF_H
#define KITE_ESP_BUF_H
#include <stddef.h>
#include <stdint.h>

struct esp_buf {
    uint8_t *base;  /* the whole buffer, e.g. from the caller's pool */
    size_t cap;     /* its size */
    size_t off;     /* where the packet starts: base + off */
    size_t len;     /* its length; off + len <= cap */
};

#endif
