/* keylog: kited --keylog FILE, IKE and ESP SA keys in the formats Wireshark
 * reads (a debugging aid: whoever reads the file decrypts the traffic).
 *
 * Each line is one record of a Wireshark UAT as tshark's -o takes it:
 *   uat:ikev2_decryption_table:"SPIi","SPIr","SK_ei","SK_er","ENCR","SK_ai","SK_ar","INTEG"
 *   uat:esp_sa:"IPv4","SRC","DST","0xSPI","ENCR","0xKEY","AUTH","0xKEY"
 * (the part after the second ':' is also the line of Wireshark's
 * ikev2_decryption_table / esp_sa file); an SA whose algorithm Wireshark does
 * not know gets a '#' comment line instead. */
#ifndef KITE_DAEMON_KEYLOG_H
#define KITE_DAEMON_KEYLOG_H
#include <stddef.h>
#include "ike/ike.h"

struct keylog {
    int fd; /* -1: off */
};

/* open path for appending, refused (-1, err says why) unless it is private:
 * a regular file reached without a symbolic link, owned by our uid, mode
 * 0600 or stricter, one link; created 0600 when missing */
int keylog_open(struct keylog *kl, const char *path, char *err, size_t cap);
void keylog_close(struct keylog *kl);
/* append the lines of an IKE SA / a Child SA (both directions); 0 or -errno */
int keylog_ike(struct keylog *kl, const struct ike_sa_keys *k);
int keylog_child(struct keylog *kl, const struct ike_child_sa *c);
/* the lines themselves, for the tests: length, or -1 when cap is too small */
int keylog_ike_line(const struct ike_sa_keys *k, char *buf, size_t cap);
int keylog_esp_line(const struct ike_child_sa *c, bool inbound, char *buf, size_t cap);

#endif
