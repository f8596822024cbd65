/* made by tests/kat/data/sig/gen.sh: the public keys and the message of
 * vectors.txt for tests/fuzz/sig_verify_fuzz.c, keys in the order of its key index */
static const char *const sig_fuzz_pubkeys[] = {
    /* rsa2048 */
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwHoMVYk6mlayErIaBuF8\n"
    "IttjTXZesuRIt2vHXGLndRhDAet7CU2Js2a87GYlDwodyBxqXnAOLeetFfxNaYOd\n"
    "BqiWeSpEUZ72UPzM0AGEW4wyMLFOSG+fwOXnJlrK8mFEGJuLZg5CBhYyQEUW464O\n"
    "ohrhyItS0BM512fZvpqBK3iEndeuIe48PDfh9A92NUWDEaTxU3gFUVemEyuC0xsA\n"
    "6ys+BEg7DvVhjU1DdfDx+1I1kj49H44RHIbYXORAZFrhTEbwoZKaejVn3hRw+E0b\n"
    "HwcP9aFAP8iEQ8SkwsDqd1sdeVrEJ1X3dguAoOIe50BV25rh/flemG8TkpP8LBTW\n"
    "YwIDAQAB\n"
    "-----END PUBLIC KEY-----\n"
    ,
    /* rsapss2048 */
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIDALBgkqhkiG9w0BAQoDggEPADCCAQoCggEBAKFqqDRjBKGAmMVcHO0fRA77\n"
    "W7lVWnyLBMsLOtWnYcYv2SvV2vFUK3/9LNW5oQSNua19vAJlsNSjBDzpLv+s9Yho\n"
    "RgEpC/eGSIAYLFEToYtJIQJZxluUaK9Nno4Dvs/nPKTXLD8j39EI+4xO0BMw3fK9\n"
    "6BCJgnYrqVNH4M0ynHbgLdU6GRFH6iXKtPvS6BIdxfS21AdZcz7Ttsjm/KX/RADu\n"
    "Zn78iIknPUO3ieuAqpD98LgYg8RqqQzcsjSu15wCQpbsy6LRt2zB+T9U1c0H7olN\n"
    "h5HF7ZRpxf1PTRl9WOtXHrSZK9P/s2D1I5xFfETDVNHi/s1iT2ad37II3j+e9P8C\n"
    "AwEAAQ==\n"
    "-----END PUBLIC KEY-----\n"
    ,
    /* ecdsa256 */
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEAHf7URvFYEvLdQ3DwbN7DOzsE3AY\n"
    "Fcn2BK/7BMhRJG3N+Vw50K3bcc9M48aUnsAb3peYvO/aE/237Qhf7QdCJA==\n"
    "-----END PUBLIC KEY-----\n"
    ,
    /* ecdsa384 */
    "-----BEGIN PUBLIC KEY-----\n"
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE6L0KlTroTTd/1NRtTbC8szO+AAltVU5Q\n"
    "i5tGdfAWlO3Vu2EbI3N2CNo7nCWD1BpEPDUipLrv+A6Do8uTLVlt0BbK55ol9hRW\n"
    "I58/srhRObYr3LshNKUCX1RI8dPJeITb\n"
    "-----END PUBLIC KEY-----\n"
    ,
    /* ecdsa521 */
    "-----BEGIN PUBLIC KEY-----\n"
    "MIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQB7NUsmwdiTnuS2a/Z/w/7W1QMKcA/\n"
    "F5YuRv0dDM3Hjhsdfovp+Bo6zy2e1xqmSBb5Bl+u7FI1VOQJCcxuVIZjZLQBD2aR\n"
    "a5411m0fHvUQkkQfT6FCzhEpDdp4ZOankaMz2BW9Rh8eTmjSJkFgfcB+Itb7NZJH\n"
    "/PLOrI/eXQTlqt5dsTs=\n"
    "-----END PUBLIC KEY-----\n"
    ,
    /* ed25519 */
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAtr73VZiLaTpZ3QUaqLohKCKP3I1oi3zI8xnyGmXU6lw=\n"
    "-----END PUBLIC KEY-----\n"
    ,
    /* ed448 */
    "-----BEGIN PUBLIC KEY-----\n"
    "MEMwBQYDK2VxAzoAji/sPre957lFEdsmYQKF9vzng5L1PaGK9KLAmjsXcvpNgIZV\n"
    "uaeybhTPZy0Wa3OrIAICa+AHarWA\n"
    "-----END PUBLIC KEY-----\n"
    ,
};
static const char sig_fuzz_msg[] =
    "kite crypto/sig known-answer message: IKE_SA_INIT request | Nr | prf(SK_pi, IDi')\n"
    "RFC 7427 Digital Signature authentication, RFC 7296 classic RSA and RFC 4754 ECDSA\n"
    "RFC 8420 Ed25519 and Ed448 sign these octets themselves (PureEdDSA).\n"
    ;
