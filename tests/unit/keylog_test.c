/* daemon/keylog: kited --keylog's lines, exactly as Wireshark's
 * ikev2_decryption_table and esp_sa take them (tshark -o uat:...), for
 * AES-GCM-16 128/256, AES-CBC with HMAC-SHA2-256/384/512, ChaCha20-Poly1305
 * (which Wireshark cannot decrypt: a comment line naming the SA, no keys), and
 * IPv6; and the refusals of a key log that is not private (a symbolic link,
 * a file others may read, another kind of file, a second hard link), which
 * leave the file untouched. */
#include "testutil.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "crypto/registry.h"
#include "daemon/keylog.h"

static void fill(uint8_t *p, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(first + i);
}

static struct ike_sa_keys ike_keys(uint16_t encr, uint16_t bits, uint16_t integ, uint8_t ek, uint8_t ak)
{
    struct ike_sa_keys k;
    memset(&k, 0, sizeof k);
    fill(k.spi_i, 8, 0x01);
    fill(k.spi_r, 8, 0xf0);
    k.encr = encr, k.encr_bits = bits, k.integ = integ, k.ek_len = ek, k.ak_len = ak;
    fill(k.sk_ei, ek, 0x10);
    fill(k.sk_er, ek, 0x40);
    fill(k.sk_ai, ak, 0x80);
    fill(k.sk_ar, ak, 0xc0);
    return k;
}

static void ike_lines(void **s)
{
    (void)s;
    char buf[1024];
    struct ike_sa_keys k = ike_keys(ENCR_AES_GCM_16, 128, AUTH_NONE, 20, 0);
    assert_true(keylog_ike_line(&k, buf, sizeof buf) > 0);
    assert_string_equal(buf, "uat:ikev2_decryption_table:0102030405060708,f0f1f2f3f4f5f6f7,"
                             "101112131415161718191a1b1c1d1e1f20212223,404142434445464748494a4b4c4d4e4f50515253,"
                             "\"AES-GCM-128 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"\n");
    k = ike_keys(ENCR_AES_GCM_16, 256, AUTH_NONE, 36, 0);
    assert_true(keylog_ike_line(&k, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "60616263,\"AES-GCM-256 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"\n"));
    k = ike_keys(ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128, 32, 2);
    int n = keylog_ike_line(&k, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(buf));
    assert_string_equal(buf, "uat:ikev2_decryption_table:0102030405060708,f0f1f2f3f4f5f6f7,"
                             "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f,"
                             "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f,"
                             "\"AES-CBC-256 [RFC3602]\",8081,c0c1,\"HMAC_SHA2_256_128 [RFC4868]\"\n");
    k = ike_keys(ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_384_192, 16, 48);
    assert_true(keylog_ike_line(&k, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"AES-CBC-128 [RFC3602]\""));
    assert_non_null(strstr(buf, "eeef,\"HMAC_SHA2_384_192 [RFC4868]\"\n"));
    k = ike_keys(ENCR_AES_CBC, 192, AUTH_HMAC_SHA2_512_256, 24, 64);
    assert_true(keylog_ike_line(&k, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"AES-CBC-192 [RFC3602]\""));
    assert_non_null(strstr(buf, "fcfdfeff,\"HMAC_SHA2_512_256 [RFC4868]\"\n"));
    /* ChaCha20-Poly1305: Wireshark has no such IKEv2 cipher */
    k = ike_keys(ENCR_CHACHA20_POLY1305, 0, AUTH_NONE, 36, 0);
    assert_true(keylog_ike_line(&k, buf, sizeof buf) > 0);
    assert_string_equal(buf, "# ikev2_decryption_table: IKE SA 0102030405060708,f0f1f2f3f4f5f6f7: "
                             "encryption 28 (0 bits), integrity 0 not supported by Wireshark\n");
    /* too small a buffer: an error, nothing half written left in it */
    k = ike_keys(ENCR_AES_GCM_16, 128, AUTH_NONE, 20, 0);
    assert_int_equal(keylog_ike_line(&k, buf, 60), -1);
    assert_null(memchr(buf, '1', 60));
}

static struct ike_child_sa child(uint16_t encr, uint16_t bits, uint16_t integ, uint8_t ek, uint8_t ak)
{
    struct ike_child_sa c;
    memset(&c, 0, sizeof c);
    c.local = (struct ike_addr){ 4, { 192, 0, 2, 1 }, 4500 };
    c.remote = (struct ike_addr){ 4, { 198, 51, 100, 7 }, 4500 };
    c.spi_in = 0xc1a2b3d4, c.spi_out = 0x0000abcd;
    c.encr = encr, c.encr_bits = bits, c.integ = integ, c.key_len = ek, c.integ_len = ak;
    fill(c.encr_in, ek, 0x10);
    fill(c.encr_out, ek, 0x40);
    fill(c.integ_in, ak, 0x80);
    fill(c.integ_out, ak, 0xc0);
    return c;
}

/* issue 14's ciphers under the names Wireshark has for them (AES-CCM and
 * AES-CTR in IKEv2, AES-CTR in ESP with the nonce in the key); Camellia and
 * ESP AES-CCM it has not: a comment line */
static void issue14_names(void **s)
{
    (void)s;
    char buf[1024];
    struct ike_sa_keys k = ike_keys(ENCR_AES_CCM_12, 256, AUTH_NONE, 35, 0);
    assert_true(keylog_ike_line(&k, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"AES-CCM-256 with 12 octet ICV [RFC5282]\""));
    k = ike_keys(ENCR_AES_CTR, 128, AUTH_HMAC_SHA1_96, 20, 20);
    assert_true(keylog_ike_line(&k, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"AES-CTR-128 [RFC5930]\""));
    assert_non_null(strstr(buf, "\"HMAC_SHA1_96 [RFC2404]\"\n"));
    k = ike_keys(ENCR_CAMELLIA_CBC, 128, AUTH_HMAC_SHA2_256_128, 16, 32);
    assert_true(keylog_ike_line(&k, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "# ikev2_decryption_table: "));
    assert_non_null(strstr(buf, "not supported by Wireshark"));
    struct ike_child_sa c = child(ENCR_AES_CTR, 256, AUTH_HMAC_SHA2_256_128, 36, 32);
    assert_true(keylog_esp_line(&c, true, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"AES-CTR [RFC3686]\",\"0x1011"));
    c = child(ENCR_AES_CCM_16, 128, AUTH_NONE, 19, 0);
    assert_true(keylog_esp_line(&c, true, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "not supported by Wireshark"));
}

static void esp_lines(void **s)
{
    (void)s;
    char buf[1024];
    struct ike_child_sa c = child(ENCR_AES_GCM_16, 128, AUTH_NONE, 20, 0);
    assert_true(keylog_esp_line(&c, true, buf, sizeof buf) > 0);
    assert_string_equal(buf, "uat:esp_sa:\"IPv4\",\"198.51.100.7\",\"192.0.2.1\",\"0xc1a2b3d4\","
                             "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x101112131415161718191a1b1c1d1e1f20212223\","
                             "\"NULL\",\"\"\n");
    assert_true(keylog_esp_line(&c, false, buf, sizeof buf) > 0);
    assert_string_equal(buf, "uat:esp_sa:\"IPv4\",\"192.0.2.1\",\"198.51.100.7\",\"0x0000abcd\","
                             "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x404142434445464748494a4b4c4d4e4f50515253\","
                             "\"NULL\",\"\"\n");
    c = child(ENCR_AES_GCM_16, 256, AUTH_NONE, 36, 0);
    assert_true(keylog_esp_line(&c, true, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x1011"));
    assert_non_null(strstr(buf, "30313233\",\"NULL\",\"\"\n"));
    c = child(ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128, 16, 32);
    assert_true(keylog_esp_line(&c, false, buf, sizeof buf) > 0);
    assert_string_equal(buf, "uat:esp_sa:\"IPv4\",\"192.0.2.1\",\"198.51.100.7\",\"0x0000abcd\","
                             "\"AES-CBC [RFC3602]\",\"0x404142434445464748494a4b4c4d4e4f\",\"HMAC-SHA-256-128 [RFC4868]\","
                             "\"0xc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf\"\n");
    c = child(ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_384_192, 32, 48);
    assert_true(keylog_esp_line(&c, true, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"AES-CBC [RFC3602]\",\"0x1011"));
    assert_non_null(strstr(buf, "\"HMAC-SHA-384-192 [RFC4868]\",\"0x8081"));
    c = child(ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256, 32, 64);
    assert_true(keylog_esp_line(&c, true, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"HMAC-SHA-512-256 [RFC4868]\",\"0x8081"));
    assert_non_null(strstr(buf, "bebf\"\n"));
    /* ChaCha20-Poly1305 (RFC 7634): the Wireshark this was checked with has
     * no such ESP cipher: a comment, and no key in it */
    c = child(ENCR_CHACHA20_POLY1305, 0, AUTH_NONE, 36, 0);
    assert_true(keylog_esp_line(&c, true, buf, sizeof buf) > 0);
    assert_string_equal(buf, "# esp_sa: 198.51.100.7 -> 192.0.2.1 SPI 0xc1a2b3d4: encryption 28, integrity 0 "
                             "not supported by Wireshark\n");
    /* IPv6 */
    c = child(ENCR_AES_GCM_16, 128, AUTH_NONE, 20, 0);
    c.local = (struct ike_addr){ 6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 500 };
    c.remote = (struct ike_addr){ 6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 }, 500 };
    assert_true(keylog_esp_line(&c, false, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "uat:esp_sa:\"IPv6\",\"2001:db8::1\",\"2001:db8::2\",\"0x0000abcd\","));
}

static char dir[64];

static void path_of(char *p, size_t cap, const char *name)
{
    snprintf(p, cap, "%s/%s", dir, name);
}

static void refused(const char *path, const char *why)
{
    struct keylog kl = { -1 };
    char err[512] = "";
    assert_int_equal(keylog_open(&kl, path, err, sizeof err), -1);
    assert_int_equal(kl.fd, -1);
    if (!strstr(err, why))
        fail_msg("'%s' does not say '%s'", err, why);
}

static void refusals(void **s)
{
    (void)s;
    char p[128], q[128], err[512];
    snprintf(dir, sizeof dir, "/tmp/kite-keylog-XXXXXX");
    assert_non_null(mkdtemp(dir));
    /* a symbolic link, even to a private file of ours: its target is not written */
    path_of(p, sizeof p, "target");
    int fd = open(p, O_CREAT | O_WRONLY | O_EXCL, 0600);
    assert_true(fd >= 0);
    close(fd);
    path_of(q, sizeof q, "link");
    assert_int_equal(symlink(p, q), 0);
    refused(q, "is a symbolic link: refused");
    /* group-readable, world-readable */
    path_of(p, sizeof p, "group");
    fd = open(p, O_CREAT | O_WRONLY | O_EXCL, 0600);
    assert_int_equal(fchmod(fd, 0640), 0);
    close(fd);
    refused(p, "mode 0640 lets others read it");
    path_of(p, sizeof p, "world");
    fd = open(p, O_CREAT | O_WRONLY | O_EXCL, 0600);
    assert_int_equal(fchmod(fd, 0604), 0);
    close(fd);
    refused(p, "mode 0604 lets others read it");
    /* not a regular file; a hard link (the same file under another name) */
    refused(dir, "cannot open");
    path_of(p, sizeof p, "fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    refused(p, "cannot open"); /* O_NONBLOCK: no reader, no wait */
    path_of(p, sizeof p, "target");
    path_of(q, sizeof q, "hard");
    assert_int_equal(link(p, q), 0);
    refused(q, "2 hard links");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, 0); /* nothing written through any refusal */
    /* created: mode 0600, lines appended whole */
    path_of(p, sizeof p, "keys");
    struct keylog kl = { -1 };
    assert_int_equal(keylog_open(&kl, p, err, sizeof err), 0);
    struct ike_sa_keys k = ike_keys(ENCR_AES_GCM_16, 128, AUTH_NONE, 20, 0);
    struct ike_child_sa c = child(ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128, 16, 32);
    assert_int_equal(keylog_ike(&kl, &k), 0);
    assert_int_equal(keylog_child(&kl, &c), 0);
    keylog_close(&kl);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    FILE *f = fopen(p, "r");
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n++, assert_true(strncmp(line, n == 1 ? "uat:ikev2_decryption_table:" : "uat:esp_sa:", n == 1 ? 27 : 11) == 0);
    fclose(f);
    assert_int_equal(n, 3); /* the IKE SA, the Child SA inbound and outbound */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ike_lines),
        cmocka_unit_test(esp_lines),
        cmocka_unit_test(issue14_names),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
