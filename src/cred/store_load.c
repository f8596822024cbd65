/* store_load: reads the credential directories swanctl reads beside
 * swanctl.conf (see store.h) into a new snapshot.  Every file is PEM or DER;
 * keys go through OpenSSL 3's decoders, which know PKCS#1, SEC1, PKCS#8,
 * encrypted PKCS#8 and the legacy PEM encryption (Proc-Type: 4,ENCRYPTED). */
#include "cred/store.h"
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/decoder.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include "base/err.h"
#include "base/secret.h"
#include "cred/cred_int.h"

enum kind { K_CERT, K_CA, K_CRL, K_KEY };

/* which key types a directory holds (strongSwan: rsa/ RSA keys, ecdsa/
 * ECDSA keys, private/ and pkcs8/ any) */
static const struct dir {
    const char *name;
    enum kind kind;
    const char *key_type; /* NULL: any */
} dirs[] = {
    { "x509ca", K_CA, NULL },      { "x509", K_CERT, NULL }, { "x509crl", K_CRL, NULL },
    { "private", K_KEY, NULL },    { "rsa", K_KEY, "RSA" },  { "ecdsa", K_KEY, "EC" },
    { "pkcs8", K_KEY, NULL },
};

struct load {
    struct cred_store *s;
    const struct cred_pass *pass;
    size_t n_pass;
    bool *pass_used;
    char *err;
    size_t errcap;
};

/* a whole file read into memory (wiped when freed: it may be a key) */
struct blob {
    uint8_t *p;
    size_t n;
};

static int fail(struct load *l, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct load *l, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (l->err && l->errcap)
        vsnprintf(l->err, l->errcap, fmt, ap);
    va_end(ap);
    return rc;
}

int cred_grow(void **arr, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 8;
    if (c > SIZE_MAX / sz)
        return KITE_E_NOMEM;
    void *p = realloc(*arr, c * sz);
    if (!p)
        return KITE_E_NOMEM;
    *arr = p;
    *cap = c;
    return 0;
}

static void blob_free(struct blob *b)
{
    if (b->p)
        mem_wipe(b->p, b->n);
    free(b->p);
    b->p = NULL;
}

static int blob_read(const char *path, struct blob *b)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 0;
    int rc = 0;
    b->p = NULL;
    b->n = 0;
    if (!f)
        return -1;
    for (;;) {
        if (b->n == cap) {
            size_t c = cap ? cap * 2 : 4096;
            uint8_t *p = malloc(c);
            if (!p) {
                rc = -1;
                break;
            }
            if (b->p) { /* copy by hand so the old buffer is wiped, not left by realloc */
                memcpy(p, b->p, b->n);
                mem_wipe(b->p, b->n);
                free(b->p);
            }
            b->p = p;
            cap = c;
        }
        size_t got = fread(b->p + b->n, 1, cap - b->n, f);
        b->n += got;
        if (got == 0) {
            rc = ferror(f) ? -1 : 0;
            break;
        }
    }
    fclose(f);
    if (rc)
        blob_free(b);
    return rc;
}

static bool is_pem(const struct blob *b)
{
    return memmem(b->p, b->n, "-----BEGIN ", 11) != NULL;
}

static X509 *cert_decode(const struct blob *b)
{
    const unsigned char *p = b->p;
    if (!is_pem(b))
        return d2i_X509(NULL, &p, (long)b->n);
    BIO *bio = BIO_new_mem_buf(b->p, (int)b->n);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return x;
}

static X509_CRL *crl_decode(const struct blob *b)
{
    const unsigned char *p = b->p;
    if (!is_pem(b))
        return d2i_X509_CRL(NULL, &p, (long)b->n);
    BIO *bio = BIO_new_mem_buf(b->p, (int)b->n);
    X509_CRL *c = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return c;
}

/* the passphrase configured for a key file: by its name in its directory
 * or by its full path (strongSwan accepts both in secrets' file =) */
static const struct cred_pass *pass_for(struct load *l, const char *name, const char *path)
{
    for (size_t i = 0; i < l->n_pass; i++) {
        const char *f = l->pass[i].file;
        if (f && (!strcmp(f, name) || !strcmp(f, path))) {
            l->pass_used[i] = true;
            return &l->pass[i];
        }
    }
    return NULL;
}

struct pw {
    const struct cred_pass *pass;
    bool asked;
};

/* OpenSSL asks only when the key is encrypted; it copies the passphrase
 * into its own buffer, which it cleanses when the decoder is freed */
static int pw_cb(char *out, size_t cap, size_t *len, const OSSL_PARAM params[], void *arg)
{
    struct pw *pw = arg;
    (void)params;
    pw->asked = true;
    if (!pw->pass || pw->pass->pass.n > cap)
        return 0;
    memcpy(out, pw->pass->pass.p, pw->pass->pass.n);
    *len = pw->pass->pass.n;
    return 1;
}

static EVP_PKEY *key_decode(const struct blob *b, struct pw *pw)
{
    EVP_PKEY *k = NULL;
    OSSL_DECODER_CTX *d = OSSL_DECODER_CTX_new_for_pkey(&k, NULL, NULL, NULL, OSSL_KEYMGMT_SELECT_KEYPAIR, NULL, NULL);
    const unsigned char *p = b->p;
    size_t n = b->n;
    if (!d)
        return NULL;
    if (OSSL_DECODER_CTX_set_passphrase_cb(d, pw_cb, pw) != 1 || OSSL_DECODER_from_data(d, &p, &n) != 1) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    OSSL_DECODER_CTX_free(d);
    return k;
}

static int add_key(struct load *l, const struct dir *d, const char *name, const char *path, const struct blob *b)
{
    struct pw pw = { pass_for(l, name, path), false };
    EVP_PKEY *k = key_decode(b, &pw);
    if (!k && pw.asked && !pw.pass)
        return fail(l, KITE_E_INVALID_ARG, "%s: the key is encrypted and secrets has no passphrase for '%s'", path,
                    name);
    if (!k && pw.asked)
        return fail(l, KITE_E_INVALID_ARG, "%s: cannot decrypt the key (wrong passphrase?)", path);
    if (!k)
        return fail(l, KITE_E_INVALID_ARG, "%s: not a private key (PEM or DER: PKCS#1, SEC1 or PKCS#8)", path);
    if (d->key_type && !EVP_PKEY_is_a(k, d->key_type) && !(!strcmp(d->key_type, "RSA") && EVP_PKEY_is_a(k, "RSA-PSS"))) {
        fail(l, KITE_E_INVALID_ARG, "%s: a %s key in %s/ (it holds %s keys)", path, EVP_PKEY_get0_type_name(k),
             d->name, d->key_type);
        EVP_PKEY_free(k);
        return KITE_E_INVALID_ARG;
    }
    char *nm = strdup(name);
    if (!nm || cred_grow((void **)&l->s->keys, l->s->n_keys, &l->s->cap_keys, sizeof *l->s->keys)) {
        free(nm);
        EVP_PKEY_free(k);
        return fail(l, KITE_E_NOMEM, "out of memory");
    }
    l->s->keys[l->s->n_keys++] = (struct cred_key){ nm, k };
    return 0;
}

static int add_cert(struct load *l, struct cred_cert **arr, size_t *n, size_t *cap, const char *name, X509 *x)
{
    char *nm = strdup(name);
    if (!nm || cred_grow((void **)arr, *n, cap, sizeof **arr)) {
        free(nm);
        X509_free(x);
        return fail(l, KITE_E_NOMEM, "out of memory");
    }
    (*arr)[(*n)++] = (struct cred_cert){ nm, x };
    return 0;
}

static int add_crl(struct load *l, X509_CRL *c)
{
    if (cred_grow((void **)&l->s->crls, l->s->n_crls, &l->s->cap_crls, sizeof *l->s->crls)) {
        X509_CRL_free(c);
        return fail(l, KITE_E_NOMEM, "out of memory");
    }
    l->s->crls[l->s->n_crls++] = c;
    return 0;
}

static int load_x509(struct load *l, const struct dir *d, const char *name, const char *path, const struct blob *b)
{
    struct cred_store *s = l->s;
    if (d->kind == K_CRL) {
        X509_CRL *c = crl_decode(b);
        if (!c)
            return fail(l, KITE_E_INVALID_ARG, "%s: not a CRL (PEM or DER)", path);
        return add_crl(l, c);
    }
    X509 *x = cert_decode(b);
    if (!x)
        return fail(l, KITE_E_INVALID_ARG, "%s: not an X.509 certificate (PEM or DER)", path);
    if (d->kind == K_CA && !X509_check_ca(x)) {
        X509_free(x);
        return fail(l, KITE_E_INVALID_ARG, "%s: not a CA certificate (no basicConstraints CA:TRUE)", path);
    }
    if (d->kind == K_CA)
        return add_cert(l, &s->cas, &s->n_cas, &s->cap_cas, name, x);
    return add_cert(l, &s->certs, &s->n_certs, &s->cap_certs, name, x);
}

static int load_file(struct load *l, const struct dir *d, const char *name, const char *path)
{
    struct blob b;
    if (blob_read(path, &b))
        return fail(l, KITE_E_INVALID_ARG, "%s: cannot read: %s", path, strerror(errno));
    int rc = d->kind == K_KEY ? add_key(l, d, name, path, &b) : load_x509(l, d, name, path, &b);
    blob_free(&b);
    return rc;
}

/* every regular file of DIR/sub in name order (a missing directory is none) */
static int load_dir(struct load *l, const char *dir, const struct dir *d, cred_warn_fn *warn, void *ctx)
{
    struct dirent **ents = NULL;
    char path[4096], msg[4200];
    snprintf(path, sizeof path, "%s/%s", dir, d->name);
    int n = scandir(path, &ents, NULL, alphasort), rc = 0;
    if (n < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : fail(l, KITE_E_INVALID_ARG, "%s: %s", path, strerror(errno));
    for (int i = 0; i < n; i++) {
        struct stat st;
        const char *name = ents[i]->d_name;
        if (!rc && strcmp(name, ".") && strcmp(name, "..")) {
            snprintf(path, sizeof path, "%s/%s/%s", dir, d->name, name);
            if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
                snprintf(msg, sizeof msg, "%s: not a regular file, skipped", path);
                if (warn)
                    warn(ctx, msg);
            } else {
                rc = load_file(l, d, name, path);
            }
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

static void warn_unused(struct load *l, cred_warn_fn *warn, void *ctx)
{
    char msg[512];
    for (size_t i = 0; warn && i < l->n_pass; i++) {
        if (l->pass_used[i])
            continue;
        snprintf(msg, sizeof msg, "secrets: no key file '%s' in private/, rsa/, ecdsa/ or pkcs8/ for its passphrase",
                 l->pass[i].file ? l->pass[i].file : "");
        warn(ctx, msg);
    }
}

int cred_store_load(const char *dir, const struct cred_pass *pass, size_t n_pass, struct cred_store **out,
                    char *err, size_t errcap, cred_warn_fn *warn, void *ctx)
{
    struct load l = { NULL, pass, n_pass, calloc(n_pass ? n_pass : 1, sizeof(bool)), err, errcap };
    int rc = cred_store_empty(&l.s);
    *out = NULL;
    if (!rc && !l.pass_used)
        rc = KITE_E_NOMEM;
    if (rc)
        fail(&l, rc, "out of memory");
    for (size_t i = 0; !rc && i < sizeof dirs / sizeof dirs[0]; i++)
        rc = load_dir(&l, dir, &dirs[i], warn, ctx);
    if (!rc)
        warn_unused(&l, warn, ctx);
    free(l.pass_used);
    if (rc) {
        cred_store_unref(l.s);
        return rc;
    }
    *out = l.s;
    return 0;
}
