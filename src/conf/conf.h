/* conf: swanctl.conf (connections, secrets) → an immutable configuration
 * snapshot.  Keys and defaults follow strongSwan's swanctl.conf; see
 * docs/configuration.md.  A wrong line is an error naming file:line and what
 * was expected; an unknown key is a warning. */
#ifndef KITE_CONF_CONF_H
#define KITE_CONF_CONF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/secret.h"

/* Lists that grow with the configuration (children, selectors, proposals,
 * certificate files, a secret's ids) are allocated: conf_conn_free /
 * conf_secret_free release them, conf_conn_copy deep-copies.  What stays
 * fixed is the protocol's: a proposal's transforms, an identity's bytes
 * (bounded by the IKE message), and per list at most the count IKEv2 can
 * carry: proposals are numbered in one octet (RFC 7296 3.3.1) and a TS
 * payload counts its selectors in one octet (3.13). */
enum { CONF_NAME_MAX = 32, CONF_MAX_XF = 24, CONF_MAX_PROPS = 8, CONF_MAX_TS = 255,
       CONF_ID_MAX = 1024, CONF_PSK_MAX = 128 };

struct conf_prop {
    uint8_t n;
    struct {
        uint8_t type;
        uint16_t id, key_bits;
    } xf[CONF_MAX_XF];
};

struct conf_addr {
    uint8_t family; /* 0 = %any */
    uint8_t ip[16];
};

enum { CONF_MAX_ADDRS = 8 };
struct conf_range {
    uint8_t family;
    uint8_t lo[16], hi[16];
};

struct conf_ts {
    uint8_t family, ip_proto;
    uint16_t port_lo, port_hi;
    uint8_t lo[16], hi[16];
    bool dynamic; /* `dynamic`: the IKE SA's address on that side (family, lo, hi unset) */
};

struct conf_id {
    uint8_t type; /* IKEv2 ID type; 0 = %any */
    uint16_t len;
    uint8_t data[CONF_ID_MAX];
};

/* pools { name { addrs = ..., dns = ... } } (conf_pool.c): an address range
 * (family 0: attributes only) and CP attributes in wire form (RFC 7296 3.15.1) */
enum { CONF_MAX_VIPS = 2, CONF_MAX_POOLS = 4 };
struct conf_pool_attr {
    uint16_t type;  /* IKEV2_CFGA_* */
    uint8_t len;
    uint8_t value[17];
};
struct conf_pool {
    char name[CONF_NAME_MAX];
    uint8_t family;
    uint8_t lo[16], hi[16];
    unsigned n_attrs;
    struct conf_pool_attr *attrs; /* malloc'd, grown as found: no cap */
};
enum { CONF_UPDOWN_MAX = 512, CONF_HOST_MAX = 256 };

enum conf_start { CONF_START_NONE, CONF_START_START, CONF_START_TRAP };
enum conf_dpd { CONF_DPD_CLEAR, CONF_DPD_TRAP, CONF_DPD_RESTART };
enum conf_frag { CONF_FRAG_YES, CONF_FRAG_ACCEPT, CONF_FRAG_FORCE, CONF_FRAG_NO };

struct conf_child {
    char name[CONF_NAME_MAX];
    uint8_t n_local_ts, n_remote_ts, n_esp;
    struct conf_ts *local_ts, *remote_ts; /* allocated, n_local_ts / n_remote_ts */
    struct conf_prop *esp;                /* allocated, n_esp */
    bool transport;
    enum conf_start start_action;
    uint32_t rekey_time, life_time, rand_time; /* seconds */
    uint32_t replay_window;
    enum conf_dpd dpd_action; /* clear (default) | trap | restart */
    uint64_t rekey_bytes, rekey_packets, life_bytes, life_packets; /* 0: none */
    char updown[CONF_UPDOWN_MAX]; /* updown: a shell command line run on up/down (daemon/updown.c); "": none */
    uint8_t close_action; /* enum conf_close (conf_life.c) */
    bool hostaccess;      /* hostaccess = yes: the updown script gets PLUTO_HOST_ACCESS=1, as charon's */
};
/* children.X.close_action: none, clear (the same without trap policies),
 * start, or trap (the trap policy is installed again: the next packet for
 * the remote selectors negotiates it anew) */
enum conf_close { CONF_CLOSE_NONE, CONF_CLOSE_CLEAR, CONF_CLOSE_START, CONF_CLOSE_TRAP };
/* connections.X.unique */
enum conf_unique { CONF_UNIQUE_NO, CONF_UNIQUE_NEVER, CONF_UNIQUE_KEEP, CONF_UNIQUE_REPLACE };

/* local.auth / remote.auth: psk or a public key (pubkey, rsa, rsa/pss,
 * ecdsa, ed25519, ed448, with -sha256/-sha384/-sha512 hash constraints) */
enum conf_auth_kind { CONF_AUTH_PSK, CONF_AUTH_PUBKEY, CONF_AUTH_EAP /* eap-mschapv2 */ };
enum conf_key_kind { CONF_KEY_ANY, CONF_KEY_RSA, CONF_KEY_ECDSA, CONF_KEY_ED25519, CONF_KEY_ED448 };
struct conf_auth {
    uint8_t kind, key;
    bool pss;
    uint8_t hashes; /* bits 1 << (IKE hash id: 1 SHA1, 2 SHA256, 3 SHA384, 4 SHA512, 5 IDENTITY); 0: default */
    uint8_t eap_type; /* CONF_AUTH_EAP: 13 for eap-tls, 0 for eap-mschapv2 (eap) */
};
enum conf_send_cert { CONF_SEND_CERT_IFASKED, CONF_SEND_CERT_ALWAYS, CONF_SEND_CERT_NEVER };
enum conf_revocation { CONF_REV_RELAXED, CONF_REV_IFURI, CONF_REV_STRICT };
enum { CONF_FILE_MAX = 128 };

struct conf_conn {
    char name[CONF_NAME_MAX];
    struct conf_addr local, remote;
    uint16_t local_port, remote_port;
    uint8_t n_ike;
    struct conf_prop *ike; /* allocated, n_ike */
    struct conf_id local_id, remote_id;
    bool local_id_set;
    bool encap;
    uint32_t rekey_time; /* seconds */
    uint32_t dpd_delay;  /* seconds; 0: no liveness checks */
    uint32_t keyingtries;/* attempts to establish when we initiate; 0: forever (default 1) */
    struct conf_auth local_auth, remote_auth;
    /* certificate file lists: allocated, ended by an empty name; NULL: none */
    char (*local_certs)[CONF_FILE_MAX];  /* local.certs (x509/) */
    char (*remote_certs)[CONF_FILE_MAX]; /* remote.certs (x509/): pinned */
    char (*cacerts)[CONF_FILE_MAX];      /* remote.cacerts (x509ca/) */
    uint8_t send_cert;                                /* enum conf_send_cert */
    bool send_certreq;                                /* default yes */
    uint8_t revocation;                               /* remote.revocation, enum conf_revocation */
    enum conf_frag fragmentation; /* IKE fragmentation, RFC 7383 (default yes) */
    uint32_t n_children;
    struct conf_child *child; /* allocated, n_children */
    /* conf_life.c: IKE SA reauthentication and lifetime, seconds, with
     * strongSwan's defaults (reauth_time 0: never; over_time 10% of the
     * longer of rekey_time and reauth_time; rand_time over_time, at most
     * half of the shorter non-zero one), and the uniqueness policy */
    uint32_t reauth_time, rand_time, over_time;
    uint8_t unique; /* enum conf_unique */
    /* local_addrs/remote_addrs beyond one address (issue 14, conf_addrs.c):
     * a DNS name given for local_addrs ("" none; local then stays %any, and
     * bridge_conn resolves it once at load, or refuses it; remote_addrs' name is
     * remote_host, resolved by daemon/resolve.c), and remote_addrs' whole
     * list for responders:
     * the peer must be in one of the ranges (addresses, subnets, ranges,
     * %any4, %any6); 0 ranges: remote alone decides (%any or one address) */
    char local_host[CONF_HOST_MAX];
    uint8_t n_remote_ranges;
    struct conf_range remote_ranges[CONF_MAX_ADDRS];
    /* vips (a client asks for these; 0.0.0.0 / :: for any) and pools (a
     * gateway assigns from these), conf_pool.c */
    uint8_t n_vips, n_pools;
    struct conf_addr vips[CONF_MAX_VIPS];
    char pools[CONF_MAX_POOLS][CONF_NAME_MAX];
    char local_eap_id[256], remote_eap_id[256]; /* local.eap_id, remote.eap_id ("" unset) */
    bool no_mobike;                             /* mobike = no */
    /* remote_addrs given as a DNS name ("moon.strongswan.org"): resolved by
     * the daemon (daemon/resolve.c) when loaded and after each failed or
     * lost IKE SA; remote is %any meanwhile.  "": an address */
    char remote_host[CONF_HOST_MAX];
};

struct conf_secret {
    char name[64];  /* the section's name (ike-x), VICI's unique id of a shared key; "" for none */
    bool loaded;    /* loaded at run time (VICI's load-shared), not read from the file */
    struct secret s;
    uint32_t n_ids;
    struct conf_id *ids; /* allocated, n_ids */
    bool eap;       /* an eap-x section: a user's password, never a PSK */
};

/* the passphrase of an encrypted private key file: secrets { private-x {
 * file = NAME  secret = PASS } } (rsa-x, ecdsa-x, pkcs8-x too); NAME as
 * written, a file name in the key directories or a path (cred_pass) */
struct conf_key_pass {
    char *file;
    struct secret pass;
};

struct kite_conf {
    /* connections and secrets: grown as found, no cap on their number */
    int n_conns, n_secrets;
    int cap_conns, cap_secrets;
    struct conf_conn *conns;
    struct conf_secret *secrets;
    struct conf_key_pass *key_pass; /* grown as found: no cap on their number */
    size_t n_key_pass, cap_key_pass;
    struct conf_pool *pools;        /* pools { }: grown as found, no cap */
    int n_pools, cap_pools;
};

typedef void conf_warn_fn(void *ctx, const char *msg);

/* 0 and *out, or -1 with "file:line: ..." in err */
int conf_load_file(const char *path, struct kite_conf **out, char *err, size_t errcap, conf_warn_fn *warn,
                   void *ctx);
int conf_load_string(const char *text, const char *name, struct kite_conf **out, char *err, size_t errcap,
                     conf_warn_fn *warn, void *ctx);
/* wipes the secrets (PSKs and key passphrases) */
void conf_free(struct kite_conf *c);
/* the PSK for this pair of identities, strongSwan's way: a secret whose ids
 * match both wins over one that matches one, over one without ids; NULL if none */
const struct secret *conf_psk_find(const struct kite_conf *c, const struct conf_id *local,
                                   const struct conf_id *remote);

/* the EAP password of user `id` (an eap-x secret whose ids hold it, or one
 * without ids); NULL if none */
const struct secret *conf_eap_find(const struct kite_conf *c, const char *id, size_t len);

/* a running configuration changed piece by piece (the VICI commands, ctl/
 * and daemon/reconf.c): a deep copy (secrets copied), 0 or -1 (no memory) */
int conf_dup(const struct kite_conf *c, struct kite_conf **out);
/* a connection's or secret's allocated lists: freed (ids wiped), or
 * deep-copied into *dst (0, or -1: no memory, *dst holds nothing) */
void conf_conn_free(struct conf_conn *conn);
int conf_conn_copy(struct conf_conn *dst, const struct conf_conn *src);
void conf_secret_free(struct conf_secret *s);
/* connection `name`'s index, or -1 */
int conf_conn_find(const struct kite_conf *c, const char *name);
/* add conn (deep-copied), replacing the one of the same name; 0 or -1 (no memory) */
int conf_conn_put(struct kite_conf *c, const struct conf_conn *conn);
/* remove connection `name`; 0 or -1 (none of that name) */
int conf_conn_del(struct kite_conf *c, const char *name);
/* add secret s (taken over: s->s and s->ids are the configuration's now),
 * replacing the one of the same non-empty name; 0 or -1 (no memory: s is
 * freed and wiped) */
int conf_secret_put(struct kite_conf *c, struct conf_secret *s);
/* remove the secret of that name; 0 or -1 (none) */
int conf_secret_del(struct kite_conf *c, const char *name);
/* remove the secrets loaded at run time (clear-creds); how many */
int conf_secret_del_loaded(struct kite_conf *c);
/* one connection from a settings section named by the connection (its
 * children, local and remote sections below), exactly as in a file: the
 * VICI load-conn command turns its message into such a tree.  0, or -1 with
 * "where: message" in err; either way conf_conn_free(out) releases it */
struct set_node;
int conf_parse_conn_node(struct set_node *sec, struct conf_conn *out, char *err, size_t errcap,
                         conf_warn_fn *warn, void *ctx);

/* conf_pool.c: the pools section (0, or -1 with "file:line: ..." in err),
 * a connection's vips and pools keys, and the pools' share of conf_dup and
 * conf_free */
int conf_pools_parse(struct set_node *sec, struct kite_conf *c, char *err, size_t errcap, conf_warn_fn *warn,
                     void *ctx);
int conf_conn_cp(struct set_node *sec, struct conf_conn *c, char *err, size_t errcap);
int conf_pools_dup(const struct kite_conf *c, struct kite_conf *d);
void conf_pools_free(struct kite_conf *c);
/* pool `name`'s index, or -1 */
int conf_pool_find(const struct kite_conf *c, const char *name);
/* one pool from its section (VICI's load-pool builds one): 0, or -1 with why in err */
int conf_pool_parse_node(struct set_node *sec, struct conf_pool *out, char *err, size_t errcap, conf_warn_fn *warn,
                         void *ctx);
/* add p (taken over), replacing the one of that name; 0 or -1 (no memory: p freed) */
int conf_pool_put(struct kite_conf *c, struct conf_pool *p);
/* remove pool `name`; 0 or -1 (none) */
int conf_pool_del(struct kite_conf *c, const char *name);

/* pieces, exported for tests */
int conf_parse_proposals(const char *text, bool ike, struct conf_prop *out, uint8_t *n, char *err, size_t errcap);
/* append to buf (a string, "" at first) the keywords of the weak algorithms
 * (modp1024, 3des, sha1, ...) in n proposals, each once, ", "-separated;
 * true when buf names any.  They are only ever there because the user wrote
 * them: the defaults have none. */
bool conf_prop_weak(const struct conf_prop *p, unsigned n, char *buf, size_t cap);
int conf_parse_id(const char *text, struct conf_id *id);
int conf_parse_ts(const char *text, struct conf_ts *ts);
int conf_parse_addr(const char *text, struct conf_addr *a);
/* local_addrs / remote_addrs (conf_addrs.c): 0, or -1 with the reason in
 * err (no file:line) */
int conf_parse_addrs(const char *text, bool remote, struct conf_conn *c, char *err, size_t errcap);
/* is the address (family 4 or 6) in one of the connection's remote ranges? */
bool conf_range_match(const struct conf_range *r, uint8_t n, uint8_t family, const uint8_t *ip);

#endif
