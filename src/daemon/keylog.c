/* keylog: the writer behind kited --keylog (keylog.h).  The names are the
 * ones Wireshark's IKEv2 and ESP dissectors list for their decryption tables
 * (its packet-isakmp.c and packet-esp.c value strings): a UAT line with a
 * name Wireshark does not know would make it reject the file. */
#include "daemon/keylog.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/secret.h"
#include "crypto/registry.h"

/* ikev2_decryption_table's encryption name, or NULL (not in Wireshark) */
static const char *ike_encr_name(uint16_t id, uint16_t bits, char *buf, size_t cap)
{
    int icv = id == ENCR_AES_GCM_8 ? 8 : id == ENCR_AES_GCM_12 ? 12 : id == ENCR_AES_GCM_16 ? 16 : 0;
    int ccm = id == ENCR_AES_CCM_8 ? 8 : id == ENCR_AES_CCM_12 ? 12 : id == ENCR_AES_CCM_16 ? 16 : 0;
    if (bits != 128 && bits != 192 && bits != 256)
        return id == ENCR_3DES ? "3DES [RFC2451]" : id == ENCR_NULL ? "NULL [RFC2410]" : NULL;
    if (id == ENCR_AES_CBC)
        snprintf(buf, cap, "AES-CBC-%u [RFC3602]", bits);
    else if (id == ENCR_AES_CTR)
        snprintf(buf, cap, "AES-CTR-%u [RFC5930]", bits);
    else if (icv)
        snprintf(buf, cap, "AES-GCM-%u with %d octet ICV [RFC5282]", bits, icv);
    else if (ccm)
        snprintf(buf, cap, "AES-CCM-%u with %d octet ICV [RFC5282]", bits, ccm);
    else
        return NULL; /* Camellia: not in Wireshark's table */
    return buf;
}

static const char *ike_integ_name(uint16_t id)
{
    switch (id) {
    case AUTH_NONE: return "NONE [RFC4306]";
    case AUTH_HMAC_MD5_96: return "HMAC_MD5_96 [RFC2403]";
    case AUTH_HMAC_SHA1_96: return "HMAC_SHA1_96 [RFC2404]";
    case AUTH_HMAC_SHA2_256_128: return "HMAC_SHA2_256_128 [RFC4868]";
    case AUTH_HMAC_SHA2_384_192: return "HMAC_SHA2_384_192 [RFC4868]";
    case AUTH_HMAC_SHA2_512_256: return "HMAC_SHA2_512_256 [RFC4868]";
    default: return NULL;
    }
}

/* esp_sa's names (the key length comes from the key itself) */
static const char *esp_encr_name(uint16_t id)
{
    switch (id) {
    case ENCR_NULL: return "NULL";
    case ENCR_3DES: return "TripleDES-CBC [RFC2451]";
    case ENCR_AES_CBC: return "AES-CBC [RFC3602]";
    case ENCR_AES_CTR: return "AES-CTR [RFC3686]";
    case ENCR_AES_GCM_8: return "AES-GCM with 8 octet ICV [RFC4106]";
    case ENCR_AES_GCM_12: return "AES-GCM with 12 octet ICV [RFC4106]";
    case ENCR_AES_GCM_16: return "AES-GCM with 16 octet ICV [RFC4106]";
    default: return NULL;
    }
}

static const char *esp_integ_name(uint16_t id)
{
    switch (id) {
    case AUTH_NONE: return "NULL";
    case AUTH_HMAC_MD5_96: return "HMAC-MD5-96 [RFC2403]";
    case AUTH_HMAC_SHA1_96: return "HMAC-SHA-1-96 [RFC2404]";
    case AUTH_HMAC_SHA2_256_128: return "HMAC-SHA-256-128 [RFC4868]";
    case AUTH_HMAC_SHA2_384_192: return "HMAC-SHA-384-192 [RFC4868]";
    case AUTH_HMAC_SHA2_512_256: return "HMAC-SHA-512-256 [RFC4868]";
    default: return NULL;
    }
}

/* a line under construction: sticky overflow, like base/wr */
struct line {
    char *p;
    size_t cap, len;
    bool over;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = l->over ? 0 : vsnprintf(l->p + l->len, l->cap - l->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= l->cap - l->len)
        l->over = true;
    else
        l->len += (size_t)n;
}

/* ikev2_decryption_table's SPIs and keys are byte fields, bare hex in a UAT
 * line; esp_sa's keys are strings, quoted and prefixed with 0x */
static void put_hex(struct line *l, const char *prefix, const uint8_t *p, size_t n)
{
    bool quoted = *prefix;
    put(l, "%s%s", quoted ? "\"" : "", n ? prefix : "");
    for (size_t i = 0; i < n; i++)
        put(l, "%02x", p[i]);
    put(l, "%s", quoted ? "\"" : "");
}

static int done(struct line *l)
{
    if (l->over) {
        mem_wipe(l->p, l->cap);
        return -1;
    }
    return (int)l->len;
}

static void spi_pair(struct line *l, const struct ike_sa_keys *k)
{
    put_hex(l, "", k->spi_i, 8);
    put(l, ",");
    put_hex(l, "", k->spi_r, 8);
}

/* SK_e{i,r} carry the AEAD salt at their end, as Wireshark expects them */
int keylog_ike_line(const struct ike_sa_keys *k, char *buf, size_t cap)
{
    struct line l = { buf, cap, 0, cap == 0 };
    char eb[64];
    const char *en = ike_encr_name(k->encr, k->encr_bits, eb, sizeof eb), *in = ike_integ_name(k->integ);
    if (!en || !in) {
        put(&l, "# ikev2_decryption_table: IKE SA ");
        spi_pair(&l, k);
        put(&l, ": encryption %u (%u bits), integrity %u not supported by Wireshark\n", k->encr, k->encr_bits,
            k->integ);
        return done(&l);
    }
    put(&l, "uat:ikev2_decryption_table:");
    spi_pair(&l, k);
    put(&l, ",");
    put_hex(&l, "", k->sk_ei, k->ek_len);
    put(&l, ",");
    put_hex(&l, "", k->sk_er, k->ek_len);
    put(&l, ",\"%s\",", en);
    put_hex(&l, "", k->sk_ai, k->ak_len);
    put(&l, ",");
    put_hex(&l, "", k->sk_ar, k->ak_len);
    put(&l, ",\"%s\"\n", in);
    return done(&l);
}

/* inbound: the peer (remote) sends to us on our SPI with the _in keys */
int keylog_esp_line(const struct ike_child_sa *c, bool inbound, char *buf, size_t cap)
{
    struct line l = { buf, cap, 0, cap == 0 };
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
    const struct ike_addr *s = inbound ? &c->remote : &c->local, *d = inbound ? &c->local : &c->remote;
    int af = s->family == 6 ? AF_INET6 : AF_INET;
    uint32_t spi = inbound ? c->spi_in : c->spi_out;
    if (!inet_ntop(af, s->ip, src, sizeof src) || !inet_ntop(af, d->ip, dst, sizeof dst))
        return -1;
    const char *en = esp_encr_name(c->encr), *in = esp_integ_name(c->integ);
    if (!en || !in) {
        put(&l, "# esp_sa: %s -> %s SPI 0x%08x: encryption %u, integrity %u not supported by Wireshark\n", src, dst,
            spi, c->encr, c->integ);
        return done(&l);
    }
    put(&l, "uat:esp_sa:\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",", af == AF_INET6 ? "IPv6" : "IPv4", src, dst, spi, en);
    put_hex(&l, "0x", inbound ? c->encr_in : c->encr_out, c->key_len);
    put(&l, ",\"%s\",", in);
    put_hex(&l, "0x", inbound ? c->integ_in : c->integ_out, c->integ_len);
    put(&l, "\n");
    return done(&l);
}

/* ---- the file ---- */

int keylog_open(struct keylog *kl, const char *path, char *err, size_t cap)
{
    struct stat st;
    kl->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
    if (kl->fd < 0) {
        int e = errno;
        snprintf(err, cap, e == ELOOP ? "%s is a symbolic link: refused" : "cannot open %s: %s", path, strerror(e));
        return -1;
    }
    const char *why = NULL;
    char b[96];
    if (fstat(kl->fd, &st))
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (st.st_uid != geteuid())
        why = (snprintf(b, sizeof b, "owned by uid %u, not kited's %u", (unsigned)st.st_uid, (unsigned)geteuid()), b);
    else if (st.st_mode & 077)
        why = (snprintf(b, sizeof b, "mode %04o lets others read it (chmod 600)", (unsigned)(st.st_mode & 07777)), b);
    else if (st.st_nlink != 1)
        why = (snprintf(b, sizeof b, "%u hard links to it", (unsigned)st.st_nlink), b);
    if (why) {
        snprintf(err, cap, "%s: %s: refused", path, why);
        keylog_close(kl);
        return -1;
    }
    return 0;
}

void keylog_close(struct keylog *kl)
{
    if (kl->fd >= 0)
        close(kl->fd);
    kl->fd = -1;
}

/* one whole line per write (O_APPEND), the buffer wiped after */
static int emit(struct keylog *kl, char *buf, int n)
{
    int rc = n < 0 ? -EOVERFLOW : 0;
    for (int off = 0; !rc && off < n;) {
        ssize_t w = write(kl->fd, buf + off, (size_t)(n - off));
        if (w < 0 && errno != EINTR)
            rc = -errno;
        else if (w == 0)
            rc = -EIO; /* no progress: do not spin */
        off += w > 0 ? (int)w : 0;
    }
    return rc;
}

int keylog_ike(struct keylog *kl, const struct ike_sa_keys *k)
{
    char buf[1024];
    int rc = kl->fd < 0 ? 0 : emit(kl, buf, keylog_ike_line(k, buf, sizeof buf));
    mem_wipe(buf, sizeof buf);
    return rc;
}

int keylog_child(struct keylog *kl, const struct ike_child_sa *c)
{
    char buf[1024];
    int rc = 0;
    for (int in = 1; kl->fd >= 0 && !rc && in >= 0; in--)
        rc = emit(kl, buf, keylog_esp_line(c, in, buf, sizeof buf));
    mem_wipe(buf, sizeof buf);
    return rc;
}
