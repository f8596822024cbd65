/* Sample IKEv2 messages for the wire tests, built by hand field by field after
 * the shape of strongSwan charon 5.9.x messages (proposal
 * aes256gcm16-prfsha256-x25519).  Random values (SPIs, KE, nonces, NAT hashes)
 * are made up.  Captured interop messages live in tests/vectors/. */
#ifndef KITE_TEST_WIRE_SAMPLES_H
#define KITE_TEST_WIRE_SAMPLES_H

/* HDR, SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
 * N(IKEV2_FRAGMENTATION_SUPPORTED), N(SIGNATURE_HASH_ALGORITHMS), N(REDIRECT_SUPPORTED) */
#define SAMPLE_IKE_SA_INIT_REQ                                                     \
    /* HDR: SPIi, SPIr=0, next SA, 2.0, IKE_SA_INIT, I, msgid 0, length 232 */     \
    "5a3c9e1f0b7d2468 0000000000000000 21 20 22 08 00000000 000000e8"              \
    /* SA: next KE, len 40; proposal 1 IKE, 3 transforms */                        \
    "22 00 0028"                                                                   \
    "00 00 0024 01 01 00 03"                                                       \
    "03 00 000c 01 00 0014 800e 0100" /* ENCR AES_GCM_16, Key Length 256 */        \
    "03 00 0008 02 00 0005"           /* PRF HMAC_SHA2_256 */                      \
    "00 00 0008 04 00 001f"           /* KE curve25519 */                          \
    /* KE: next Nonce, len 40, group 31 */                                         \
    "28 00 0028 001f 0000"                                                         \
    "6b0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1"             \
    /* Nonce: next N, len 36 */                                                    \
    "29 00 0024"                                                                   \
    "0123456789abcdeffedcba98765432100123456789abcdeffedcba9876543210"             \
    /* N(NAT_DETECTION_SOURCE_IP) */                                               \
    "29 00 001c 00 00 4004 a1a2a3a4a5a6a7a8a9aab1b2b3b4b5b6b7b8b9ba"               \
    /* N(NAT_DETECTION_DESTINATION_IP) */                                          \
    "29 00 001c 00 00 4005 c1c2c3c4c5c6c7c8c9cad1d2d3d4d5d6d7d8d9da"               \
    /* N(IKEV2_FRAGMENTATION_SUPPORTED) */                                         \
    "29 00 0008 00 00 402e"                                                        \
    /* N(SIGNATURE_HASH_ALGORITHMS): SHA2-256, SHA2-384, SHA2-512, Identity */     \
    "29 00 0010 00 00 402f 0002 0003 0004 0005"                                    \
    /* N(REDIRECT_SUPPORTED), last */                                              \
    "00 00 0008 00 00 4016"

/* HDR, SAr1, KEr, Nr, CERTREQ, N(NAT_DETECTION_SOURCE_IP), V */
#define SAMPLE_IKE_SA_INIT_RESP                                                    \
    "5a3c9e1f0b7d2468 c0ffee0012345678 21 20 22 20 00000000 000000d9"              \
    "22 00 0028"                                                                   \
    "00 00 0024 01 01 00 03"                                                       \
    "03 00 000c 01 00 0014 800e 0100"                                              \
    "03 00 0008 02 00 0005"                                                        \
    "00 00 0008 04 00 001f"                                                        \
    "28 00 0028 001f 0000"                                                         \
    "1b0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1"             \
    "26 00 0024"                                                                   \
    "1123456789abcdeffedcba98765432100123456789abcdeffedcba9876543210"             \
    /* CERTREQ: X.509 signature, one SHA-1 CA key hash */                          \
    "29 00 0019 04 00112233445566778899aabbccddeeff00112233"                       \
    "2b 00 001c 00 00 4004 a1a2a3a4a5a6a7a8a9aab1b2b3b4b5b6b7b8b9ba"               \
    /* V: 16 bytes */                                                              \
    "00 00 0014 882fe56d6fd20dbc2251613b2ebe5beb"

/* HDR, N(INVALID_KE_PAYLOAD) with the group wanted (2.7): an error response */
#define SAMPLE_IKE_SA_INIT_INVALID_KE                                              \
    "5a3c9e1f0b7d2468 0000000000000000 29 20 22 20 00000000 00000026"              \
    "00 00 000a 00 00 0011 0013"

/* HDR, SK {IDi, ...}: IKE_AUTH request, 16-byte IV, 32 bytes of ciphertext, 16-byte ICV */
#define SAMPLE_IKE_AUTH_REQ_SK                                                     \
    "5a3c9e1f0b7d2468 c0ffee0012345678 2e 20 23 08 00000001 00000060"              \
    "23 00 0044"                                                                   \
    "000102030405060708090a0b0c0d0e0f"                                             \
    "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"             \
    "303132333435363738393a3b3c3d3e3f"

/* HDR, SKF(1/2) {...}: the first fragment of an IKE_AUTH request (RFC 7383) */
#define SAMPLE_IKE_AUTH_REQ_SKF                                                    \
    "5a3c9e1f0b7d2468 c0ffee0012345678 35 20 23 08 00000001 0000002c"              \
    "23 00 0010 0001 0002 a0a1a2a3a4a5a6a7"

/* The plaintext of an IKE_AUTH request's SK (first payload IDi):
 * IDi, CERT, CERTREQ, AUTH, N(INITIAL_CONTACT), CP(CFG_REQUEST), SA(ESP), TSi, TSr */
#define SAMPLE_IKE_AUTH_REQ_INNER                                                  \
    /* IDi: FQDN "moon.strongswan.org" */                                          \
    "25 00 001b 02 000000 6d6f6f6e2e7374726f6e677377616e2e6f7267"                  \
    /* CERT: X.509 signature, 8 bytes of (fake) DER */                             \
    "26 00 000d 04 3082000430820000"                                               \
    /* CERTREQ: X.509 signature, one 20-byte CA key hash */                        \
    "27 00 0019 04 00112233445566778899aabbccddeeff00112233"                       \
    /* AUTH: shared key MIC, 32 bytes */                                           \
    "29 00 0028 02 000000"                                                         \
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"             \
    /* N(INITIAL_CONTACT) */                                                       \
    "2f 00 0008 00 00 4000"                                                        \
    /* CP(CFG_REQUEST): INTERNAL_IP4_ADDRESS, INTERNAL_IP4_DNS, empty */           \
    "21 00 0010 01 000000 0001 0000 0003 0000"                                     \
    /* SA: proposal 1 ESP, SPI c1c2c3c4, AES_GCM_16/256 and ESN none */            \
    "2c 00 0024"                                                                   \
    "00 00 0020 01 03 04 02 c1c2c3c4"                                              \
    "03 00 000c 01 00 0014 800e 0100"                                              \
    "00 00 0008 05 00 0000"                                                        \
    /* TSi: 0.0.0.0-255.255.255.255 any protocol, all ports */                     \
    "2d 00 0018 01 000000 07 00 0010 0000 ffff 00000000 ffffffff"                  \
    /* TSr: 10.1.0.0-10.1.255.255 TCP port 443, and ::/0 */                        \
    "00 00 0040 02 000000 07 06 0010 01bb 01bb 0a010000 0a01ffff"                  \
    "08 00 0028 0000 ffff"                                                         \
    "00000000000000000000000000000000 ffffffffffffffffffffffffffffffff"

/* INFORMATIONAL plaintext: D(ESP, 2 SPIs), D(IKE), N(AUTH_LIFETIME), V, EAP Success */
#define SAMPLE_INFO_INNER                                                          \
    "2a 00 0010 03 04 0002 c1c2c3c4 d1d2d3d4"                                      \
    "29 00 0008 01 00 0000"                                                        \
    "2b 00 000c 00 00 4013 00000e10"                                               \
    "30 00 000c 6b697465 2d776972"                                                 \
    "00 00 0008 03 07 0004"

#endif
