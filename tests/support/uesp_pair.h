/* test support: Child SA pairs and IPv4 packets for the data-plane tests
 * (unit/sa_uesp, unit/sa_uesp_index, unit/sa_trap) */
#ifndef KITE_TESTS_UESP_PAIR_H
#define KITE_TESTS_UESP_PAIR_H
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "ike/ike.h"

static inline void ts4(struct ike_ts_cfg *t, const char *lo, const char *hi)
{
    memset(t, 0, sizeof *t);
    t->family = 4;
    t->port_hi = 65535;
    inet_pton(AF_INET, lo, t->lo);
    inet_pton(AF_INET, hi, t->hi);
}

/* the two halves of one Child SA: a's inbound is b's outbound */
static inline void make_pair(struct ike_child_sa *a, struct ike_child_sa *b, bool transport, uint32_t ike_sa)
{
    memset(a, 0, sizeof *a);
    strcpy(a->conn, "lab");
    strcpy(a->name, "net");
    a->ike_sa = ike_sa;
    a->spi_in = 0xc0000001 + ike_sa * 16;
    a->spi_out = 0xd0000001 + ike_sa * 16;
    a->encr = 20; /* AES_GCM_16 */
    a->encr_bits = 256;
    a->key_len = 36;
    for (int i = 0; i < 36; i++) {
        a->encr_in[i] = (uint8_t)(i + 1);
        a->encr_out[i] = (uint8_t)(0x80 + i);
    }
    a->transport = transport;
    a->local = (struct ike_addr){ .family = 4, .ip = { 192, 0, 2, 1 }, .port = 500 };
    a->remote = (struct ike_addr){ .family = 4, .ip = { 192, 0, 2, 2 }, .port = 500 };
    if (transport) {
        ts4(&a->local_ts, "192.0.2.1", "192.0.2.1");
        ts4(&a->remote_ts, "192.0.2.2", "192.0.2.2");
    } else {
        ts4(&a->local_ts, "10.1.0.0", "10.1.0.255");
        ts4(&a->remote_ts, "10.2.0.0", "10.2.0.255");
    }
    *b = *a;
    b->spi_in = a->spi_out;
    b->spi_out = a->spi_in;
    memcpy(b->encr_in, a->encr_out, 36);
    memcpy(b->encr_out, a->encr_in, 36);
    b->local = a->remote;
    b->remote = a->local;
    b->local_ts = a->remote_ts;
    b->remote_ts = a->local_ts;
}

static inline size_t make_ip4(uint8_t *p, const char *src, const char *dst, uint8_t proto, size_t payload)
{
    size_t len = 20 + payload;
    memset(p, 0, 20);
    p[0] = 0x45;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    p[8] = 64;
    p[9] = proto;
    inet_pton(AF_INET, src, p + 12);
    inet_pton(AF_INET, dst, p + 16);
    uint32_t s = 0;
    for (int i = 0; i < 20; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    p[10] = (uint8_t)(~s >> 8);
    p[11] = (uint8_t)~s;
    for (size_t i = 0; i < payload; i++)
        p[20 + i] = (uint8_t)(i * 13 + 1);
    if (proto == 1)
        p[20] = 8; /* echo request */
    return len;
}

#endif
