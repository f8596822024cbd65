/* io/udp: sockets on loopback, PKTINFO local address, non-ESP marker demux */
#include "testutil.h"
#include "io/udp.h"
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <poll.h>
#include <string.h>

static struct sockaddr_storage addr4(const char *ip, uint16_t port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    inet_pton(AF_INET, ip, &in->sin_addr);
    return ss;
}

static int recv_wait(struct udp_sock *s, uint8_t *buf, size_t cap, struct udp_dgram *d)
{
    struct pollfd p = { s->fd, POLLIN, 0 };
    assert_int_equal(poll(&p, 1, 2000), 1);
    return udp_recv(s, buf, cap, d);
}

static void classify_follows_rfc3948(void **state)
{
    (void)state;
    const uint8_t ike[] = { 0, 0, 0, 0, 0x11 }, esp[] = { 0, 0, 0x10, 0x01, 0, 0, 0, 1 };
    const uint8_t ka[] = { 0xff }, shortp[] = { 0, 0 };
    assert_int_equal(udp_classify(ike, sizeof ike, true), UDP_IKE);
    assert_int_equal(udp_classify(esp, sizeof esp, true), UDP_ESP);
    assert_int_equal(udp_classify(ka, sizeof ka, true), UDP_KEEPALIVE);
    assert_int_equal(udp_classify(shortp, sizeof shortp, true), UDP_INVALID);
    /* on port 500 everything is IKE: there is no marker there */
    assert_int_equal(udp_classify(esp, sizeof esp, false), UDP_IKE);
}

static void marker_added_and_stripped(void **state)
{
    (void)state;
    struct udp_sock a, b;
    assert_int_equal(udp_open(&a, AF_INET, "127.0.0.1", 0, true), 0);
    assert_int_equal(udp_open(&b, AF_INET, "127.0.0.1", 0, true), 0);
    assert_true(b.port != 0);
    struct sockaddr_storage to = addr4("127.0.0.1", b.port), from = addr4("127.0.0.1", 0);
    const uint8_t msg[] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3 };
    assert_int_equal(udp_send(&a, &from, &to, msg, sizeof msg, true), 0);
    uint8_t buf[128];
    struct udp_dgram d;
    assert_int_equal(recv_wait(&b, buf, sizeof buf, &d), 1);
    assert_int_equal(d.kind, UDP_IKE);
    assert_int_equal(d.len, sizeof msg);
    assert_bytes_equal(d.data, msg, sizeof msg);
    /* the local address is the one the datagram was sent to, with our port */
    char s1[64], s2[64];
    assert_string_equal(udp_addr_str(&d.local, s1, sizeof s1), udp_addr_str(&to, s2, sizeof s2));
    assert_int_equal(udp_addr_port(&d.remote), a.port);
    /* without the marker, the same bytes are ESP (their first word is not zero) */
    assert_int_equal(udp_send(&a, NULL, &to, msg, sizeof msg, false), 0);
    assert_int_equal(recv_wait(&b, buf, sizeof buf, &d), 1);
    assert_int_equal(d.kind, UDP_ESP);
    assert_int_equal(d.len, sizeof msg);
    assert_int_equal(udp_recv(&b, buf, sizeof buf, &d), 0); /* nothing more waiting */
    udp_close(&a);
    udp_close(&b);
}

static void ipv6_loopback_works(void **state)
{
    (void)state;
    struct udp_sock a;
    if (udp_open(&a, AF_INET6, "::1", 0, false) != 0)
        skip(); /* no IPv6 in this environment */
    struct sockaddr_storage to;
    memset(&to, 0, sizeof to);
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&to;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(a.port);
    inet_pton(AF_INET6, "::1", &in6->sin6_addr);
    const uint8_t msg[] = { 1, 2, 3, 4, 5 };
    assert_int_equal(udp_send(&a, NULL, &to, msg, sizeof msg, false), 0);
    uint8_t buf[64];
    struct udp_dgram d;
    assert_int_equal(recv_wait(&a, buf, sizeof buf, &d), 1);
    char s[80];
    assert_non_null(strstr(udp_addr_str(&d.local, s, sizeof s), "::1["));
    assert_int_equal(d.local.ss_family, AF_INET6);
    assert_int_equal(udp_addr_port(&d.local), a.port);
    udp_close(&a);
}

/* one sendmsg of equal-sized datagrams (the last shorter) cut by the kernel
 * (UDP_SEGMENT), as the data plane sends UDP-encapsulated ESP */
static void gso_send(struct udp_sock *a, const struct sockaddr_storage *to, uint8_t *p, size_t seg, size_t total)
{
    union {
        char buf[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { p, total };
    struct msghdr mh = { .msg_name = (void *)to, .msg_namelen = sizeof(struct sockaddr_in), .msg_iov = &iov,
                         .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    uint16_t s16 = (uint16_t)seg;
    memcpy(CMSG_DATA(c), &s16, sizeof s16);
    assert_int_equal(sendmsg(a->fd, &mh, 0), (ssize_t)total);
}

/* a coalesced (GRO) read is handed out datagram by datagram, each classified
 * on its own; without GRO the same datagrams come one per read */
static void gro_read_split_into_datagrams(void **state)
{
    (void)state;
    for (int gro = 1; gro >= 0; gro--) {
        struct udp_sock a, b;
        assert_int_equal(udp_open(&a, AF_INET, "127.0.0.1", 0, true), 0);
        assert_int_equal(udp_open(&b, AF_INET, "127.0.0.1", 0, true), 0);
        if (gro)
            assert_int_equal(udp_enable_gro(&b), 0);
        struct sockaddr_storage to = addr4("127.0.0.1", b.port);
        uint8_t out[350], in[65536];
        for (size_t i = 0; i < sizeof out; i++)
            out[i] = (uint8_t)(i / 100 + 1); /* datagram k is all k: a non-zero SPI, ESP */
        gso_send(&a, &to, out, 100, sizeof out);
        struct udp_dgram d;
        size_t lens[8];
        int n = 0, reads = 0;
        while (n < 4) {
            assert_int_equal(recv_wait(&b, in, sizeof in, &d), 1);
            reads++;
            do {
                assert_int_equal(d.kind, UDP_ESP);
                assert_int_equal(d.data[0], n + 1);
                assert_int_equal(d.data[d.len - 1], n + 1);
                lens[n++] = d.len;
            } while (n < 8 && udp_next(&b, &d));
        }
        assert_int_equal(n, 4);
        assert_int_equal(lens[0], 100);
        assert_int_equal(lens[2], 100);
        assert_int_equal(lens[3], 50);
        assert_int_equal(reads, gro ? 1 : 4);
        assert_false(udp_next(&b, &d));
        udp_close(&a);
        udp_close(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classify_follows_rfc3948),
        cmocka_unit_test(marker_added_and_stripped),
        cmocka_unit_test(ipv6_loopback_works),
        cmocka_unit_test(gro_read_split_into_datagrams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
