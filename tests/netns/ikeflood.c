/* ikeflood: a spoofed IKE_SA_INIT flood, for tests/netns/flood_test.sh and
 * bench/flood.sh (built by CMake, never installed).
 *
 *   HDR(SPIi random, SPIr 0), SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP),
 *   N(NAT_DETECTION_DESTINATION_IP)  -->
 *
 * Each request looks like a real initiator's first message (RFC 7296 1.2,
 * 3.1-3.4, 3.9, 2.23): one IKE proposal ENCR_AES_GCM_16-256, PRF_HMAC_SHA2_256
 * and the chosen key exchange group, a KE payload of that group's size, a
 * 32-byte nonce, two NAT-D notifies; SPIi, key share, nonce and NAT-D data
 * are random for each one, so a responder without cookies does the full
 * IKE_SA_INIT work for every packet.  Sources are random addresses in a range
 * (raw IPv4 socket, IP_HDRINCL), UDP source port 500 unless --random-port.
 * Requests leave in batches (sendmmsg) paced to the rate; what was sent is
 * printed at the end, with "sent=N" for scripts.
 *
 * usage: ikeflood --dst ADDR --src NET/PLEN [--port N] [--rate N/s]
 *                 [--seconds S] [--group N] [--random-port]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { BATCH_MAX = 64, PKT_MAX = 1500, NONCE_LEN = 32, NATD_LEN = 20 };

struct opts {
    struct in_addr dst, net;
    uint32_t mask; /* host part of --src */
    int plen;
    unsigned port, group, ke_len;
    double rate, seconds;
    int random_port;
};

/* ---- random numbers: splitmix64, seeded from the kernel ---- */
static uint64_t rng_state;

static uint64_t rnd64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rnd_fill(uint8_t *p, size_t n)
{
    while (n) {
        uint64_t v = rnd64();
        size_t k = n < 8 ? n : 8;
        memcpy(p, &v, k);
        p += k;
        n -= k;
    }
}

/* ---- the message ---- */
static uint8_t *put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

/* generic payload header (3.2): next payload, not critical, length */
static uint8_t *pld_hdr(uint8_t *p, unsigned next, unsigned len)
{
    p[0] = (uint8_t)next;
    p[1] = 0;
    return put16(p + 2, len);
}

/* transform substructure (3.3.2); a key length attribute when keylen */
static uint8_t *transform(uint8_t *p, int last, unsigned type, unsigned id, unsigned keylen)
{
    p = pld_hdr(p, last ? 0 : 3, keylen ? 12 : 8);
    p[0] = (uint8_t)type;
    p[1] = 0;
    p = put16(p + 2, id);
    if (keylen) {
        p = put16(p, 0x800e); /* TV format, Key Length (3.3.5) */
        p = put16(p, keylen);
    }
    return p;
}

/* SA payload: one IKE proposal of three transforms (3.3) */
static uint8_t *sa_payload(uint8_t *p, unsigned group)
{
    const unsigned prop_len = 8 + 12 + 8 + 8;
    p = pld_hdr(p, 34 /* KE */, 4 + prop_len);
    p = pld_hdr(p, 0 /* last proposal */, prop_len);
    p[0] = 1;    /* proposal number */
    p[1] = 1;    /* protocol IKE */
    p[2] = 0;    /* no SPI in IKE_SA_INIT */
    p[3] = 3;    /* transforms */
    p += 4;
    p = transform(p, 0, 1, 20, 256); /* ENCR_AES_GCM_16, 256 bits */
    p = transform(p, 0, 2, 5, 0);    /* PRF_HMAC_SHA2_256 */
    return transform(p, 1, 4, group, 0);
}

static uint8_t *notify(uint8_t *p, unsigned next, unsigned type, size_t len)
{
    p = pld_hdr(p, next, (unsigned)(8 + len));
    p[0] = 0; /* protocol */
    p[1] = 0; /* no SPI */
    p = put16(p + 2, type);
    rnd_fill(p, len);
    return p + len;
}

/* the IKE message at p; returns its length */
static size_t ike_sa_init(uint8_t *p, const struct opts *o)
{
    uint8_t *s = p;
    rnd_fill(p, 8);            /* SPIi */
    memset(p + 8, 0, 8);       /* SPIr */
    p[16] = 33;                /* next payload: SA */
    p[17] = 0x20;              /* version 2.0 */
    p[18] = 34;                /* IKE_SA_INIT */
    p[19] = 0x08;              /* Initiator */
    memset(p + 20, 0, 4);      /* message ID 0 */
    p += 28;
    p = sa_payload(p, o->group);
    p = pld_hdr(p, 40 /* Nonce */, 8 + o->ke_len);
    p = put16(p, o->group);
    p = put16(p, 0);
    rnd_fill(p, o->ke_len);
    p += o->ke_len;
    p = pld_hdr(p, 41 /* Notify */, 4 + NONCE_LEN);
    rnd_fill(p, NONCE_LEN);
    p += NONCE_LEN;
    p = notify(p, 41, 16388, NATD_LEN); /* NAT_DETECTION_SOURCE_IP */
    p = notify(p, 0, 16389, NATD_LEN);  /* NAT_DETECTION_DESTINATION_IP */
    size_t n = (size_t)(p - s);
    uint32_t len = htonl((uint32_t)n);
    memcpy(s + 24, &len, 4);
    return n;
}

/* ---- IPv4 and UDP around it ---- */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

/* one datagram from a random source in the range; returns its length */
static size_t packet(uint8_t *pkt, const struct opts *o)
{
    uint32_t src = htonl(ntohl(o->net.s_addr) | ((uint32_t)rnd64() & o->mask));
    unsigned sport = o->random_port ? 1024 + (unsigned)(rnd64() % 64512) : 500;
    size_t ike = ike_sa_init(pkt + 28, o), udp = 8 + ike, total = 20 + udp;
    uint8_t *ip = pkt, *u = pkt + 20;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (unsigned)total);
    put16(ip + 4, (unsigned)(rnd64() & 0xffff)); /* identification */
    put16(ip + 6, 0x4000);                        /* DF */
    ip[8] = 64;
    ip[9] = IPPROTO_UDP;
    put16(ip + 10, 0);
    memcpy(ip + 12, &src, 4);
    memcpy(ip + 16, &o->dst.s_addr, 4);
    put16(ip + 10, fold(sum16(ip, 20, 0)));
    put16(u, sport);
    put16(u + 2, o->port);
    put16(u + 4, (unsigned)udp);
    put16(u + 6, 0);
    uint32_t acc = sum16(ip + 12, 8, IPPROTO_UDP + (uint32_t)udp); /* pseudo header */
    uint16_t ck = fold(sum16(u, udp, acc));
    put16(u + 6, ck ? ck : 0xffff);
    return total;
}

/* ---- options ---- */
static int ke_len_of(unsigned group)
{
    switch (group) {
    case 31: return 32;  /* Curve25519 */
    case 32: return 56;  /* Curve448 */
    case 19: return 64;  /* ECP-256 */
    case 20: return 96;  /* ECP-384 */
    case 14: return 256; /* MODP-2048 */
    case 15: return 384; /* MODP-3072 */
    default: return -1;
    }
}

static int parse_net(const char *s, struct opts *o)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    if (!slash || (size_t)(slash - s) >= sizeof buf)
        return -1;
    memcpy(buf, s, (size_t)(slash - s));
    buf[slash - s] = 0;
    char *end;
    long plen = strtol(slash + 1, &end, 10);
    if (*end || plen < 8 || plen > 32 || inet_pton(AF_INET, buf, &o->net) != 1)
        return -1;
    o->plen = (int)plen;
    o->mask = plen == 32 ? 0 : 0xffffffffu >> plen;
    o->net.s_addr &= htonl(~o->mask);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: ikeflood --dst ADDR --src NET/PLEN [--port N] [--rate N] [--seconds S]\n"
                    "                [--group N] [--random-port]\n"
                    "  spoofed IKE_SA_INIT requests from random addresses in NET/PLEN to ADDR:N\n"
                    "  (default port 500, 20000/s for 10 s, group 31 = Curve25519; 14, 15, 19, 20, 32)\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        { "dst", 1, 0, 'd' },     { "src", 1, 0, 's' },   { "port", 1, 0, 'p' },         { "rate", 1, 0, 'r' },
        { "seconds", 1, 0, 't' }, { "group", 1, 0, 'g' }, { "random-port", 0, 0, 'R' }, { 0, 0, 0, 0 },
    };
    int c, have_dst = 0, have_src = 0;
    *o = (struct opts){ .port = 500, .group = 31, .rate = 20000, .seconds = 10 };
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': have_dst = inet_pton(AF_INET, optarg, &o->dst) == 1; break;
        case 's': have_src = parse_net(optarg, o) == 0; break;
        case 'p': o->port = (unsigned)atoi(optarg); break;
        case 'r': o->rate = atof(optarg); break;
        case 't': o->seconds = atof(optarg); break;
        case 'g': o->group = (unsigned)atoi(optarg); break;
        case 'R': o->random_port = 1; break;
        default: return -1;
        }
    }
    int kl = ke_len_of(o->group);
    if (!have_dst || !have_src || kl < 0 || o->rate < 1 || o->rate > 10e6 || o->seconds <= 0 ||
        o->port < 1 || o->port > 65535 || optind != argc)
        return -1;
    o->ke_len = (unsigned)kl;
    return 0;
}

/* ---- sending ---- */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
    struct timespec ts = { .tv_sec = (time_t)t, .tv_nsec = (long)((t - (double)(time_t)t) * 1e9) };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

struct batch {
    uint8_t pkt[BATCH_MAX][PKT_MAX];
    struct iovec iov[BATCH_MAX];
    struct mmsghdr msg[BATCH_MAX];
    struct sockaddr_in to;
};

/* n fresh packets; returns how many the kernel took (errors counted) */
static unsigned send_batch(int fd, struct batch *b, unsigned n, const struct opts *o, unsigned long *errors)
{
    for (unsigned i = 0; i < n; i++) {
        b->iov[i] = (struct iovec){ b->pkt[i], packet(b->pkt[i], o) };
        b->msg[i].msg_hdr = (struct msghdr){ .msg_name = &b->to, .msg_namelen = sizeof b->to,
                                             .msg_iov = &b->iov[i], .msg_iovlen = 1 };
    }
    int r = sendmmsg(fd, b->msg, n, 0);
    if (r < 0) {
        (*errors)++;
        return 0;
    }
    if ((unsigned)r < n)
        (*errors)++;
    return (unsigned)r;
}

static int flood(int fd, const struct opts *o, unsigned long *sent, unsigned long *errors, double *took)
{
    static struct batch b;
    unsigned per = o->rate / 1000 > BATCH_MAX ? BATCH_MAX : o->rate / 1000 < 1 ? 1 : (unsigned)(o->rate / 1000);
    unsigned long total = (unsigned long)(o->rate * o->seconds);
    b.to = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = o->dst };
    double t0 = now_s();
    while (*sent < total) {
        sleep_until(t0 + (double)*sent / o->rate); /* paced: never ahead of the rate */
        unsigned n = total - *sent < per ? (unsigned)(total - *sent) : per;
        unsigned k = send_batch(fd, &b, n, o, errors);
        *sent += k;
        if (k < n && now_s() > t0 + o->seconds + 1)
            break; /* the kernel keeps refusing: stop at the deadline */
    }
    *took = now_s() - t0;
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    if (parse_opts(argc, argv, &o)) {
        usage();
        return 2;
    }
    if (getrandom(&rng_state, sizeof rng_state, 0) != sizeof rng_state)
        return 1;
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* IP_HDRINCL implied */
    if (fd < 0) {
        perror("ikeflood: raw socket (needs CAP_NET_RAW)");
        return 1;
    }
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
    unsigned long sent = 0, errors = 0;
    double took = 0;
    flood(fd, &o, &sent, &errors, &took);
    close(fd);
    char dst[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &o.dst, dst, sizeof dst);
    inet_ntop(AF_INET, &o.net, net, sizeof net);
    printf("ikeflood: %lu IKE_SA_INIT requests (SA, KE group %u of %u bytes, Ni, 2 NAT-D; %u-byte IP packets) "
           "to %s:%u from random addresses in %s/%d, source port %s, in %.2f s: %.0f/s, %lu send errors\n",
           sent, o.group, o.ke_len, 20 + 8 + 28 + 40 + 8 + o.ke_len + 4 + NONCE_LEN + 2 * (8 + NATD_LEN), dst,
           o.port, net, o.plen, o.random_port ? "random" : "500", took, took > 0 ? sent / took : 0, errors);
    printf("sent=%lu seconds=%.2f rate=%.0f errors=%lu\n", sent, took, took > 0 ? sent / took : 0, errors);
    return sent ? 0 : 1;
}
