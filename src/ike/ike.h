/* ike: the sans-I/O IKEv2 engine (DESIGN principle 1).
 *
 * Fed datagrams with their addresses and the time (ike_recv, ike_tick), it
 * returns datagrams to send, its next deadline and events through
 * ike_next_action().  No sockets, no clock, no globals: randomness and
 * logging come in through struct ike_env.  Time is in milliseconds on any
 * monotonic clock the caller likes.
 *
 * Exchanges: IKE_SA_INIT (exch_ike_sa_init.c) and IKE_AUTH with PSK and the
 * first Child SA (exch_ike_auth.c), RFC 7296 1.2-1.3, 2.1-2.3, 2.9, 2.15,
 * 2.17, 2.23. */
#ifndef KITE_IKE_IKE_H
#define KITE_IKE_IKE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/secret.h"
#include "base/span.h"

enum { IKE_CHILD_GRACE_MS = 2000 };
/* A connection's lists (proposals, children, their selectors, certificate
 * files) are allocated: ike_conn_cfg_copy / ike_conn_cfg_free.  The counts
 * that stay fixed are the protocol's: IKE_MAX_XF transforms in a proposal,
 * IKE_MAX_PROPS proposals (all go in one IKE_SA_INIT, which cannot be
 * fragmented: RFC 7383 2.5) and IKE_MAX_TS_CFG selectors per side (a TS
 * payload counts them in one octet, RFC 7296 3.13). */
enum { IKE_NAME_MAX = 32, IKE_ID_MAX = 1024, IKE_MAX_XF = 24, IKE_MAX_PROPS = 8,
       IKE_MAX_TS_CFG = 255, IKE_KEY_MAX = 64 };
/* children per connection: an IKE SA names the configurations it wants or
 * brings by bits of a 64-bit mask (ike_engine_add_conn refuses more) */
enum { IKE_MAX_CHILD_CFGS = 64 };
/* the largest datagram the engine sends or accepts whole: a protected
 * message above the fragment size goes in RFC 7383 fragments when the peer
 * supports them; one that does not gets it whole, up to this size (an IKE_AUTH
 * with an RSA-4096 chain), as the network's IP fragmentation allows */
enum { IKE_DGRAM_MAX = 8192 };

/* an IP address and UDP port; family 4 or 6 (0: unset / any) */
struct ike_addr {
    uint8_t family;
    uint8_t ip[16];
    uint16_t port;
};

/* one proposal: transforms of any types, in preference order */
struct ike_prop_cfg {
    uint8_t n;
    struct {
        uint8_t type;
        uint16_t id, key_bits;
    } xf[IKE_MAX_XF];
};

/* a traffic selector: protocol (0 any), port range, address range.
 * dynamic (configuration only, strongSwan's `dynamic`): the IKE SA's own
 * address on that side, filled in per IKE SA (ts.c: ike_ts_child); family,
 * lo and hi are then unset, protocol and ports apply */
struct ike_ts_cfg {
    uint8_t family, ip_proto;
    uint16_t port_lo, port_hi;
    uint8_t lo[16], hi[16];
    bool dynamic;
};

struct ike_id_cfg {
    uint8_t type; /* IKEV2_ID_*; 0 = any (remote only) */
    uint16_t len;
    uint8_t data[IKE_ID_MAX];
};

struct ike_child_cfg {
    char name[IKE_NAME_MAX];
    uint8_t n_local_ts, n_remote_ts, n_esp;
    struct ike_ts_cfg *local_ts, *remote_ts; /* allocated: n_local_ts, n_remote_ts */
    struct ike_prop_cfg *esp;                /* allocated: n_esp */
    bool transport;
    bool start; /* start_action = start: initiate when the configuration loads */
    /* rekeying (strongSwan's rekey_time, rand_time): the Child SA is rekeyed
     * after rekey_time minus a random part of rand_time; 0: never */
    uint32_t rekey_time_s, rand_time_s;
    uint32_t life_time_s;          /* hard: the Child SA is deleted; 0: never */
    uint64_t rekey_bytes, rekey_packets, life_bytes, life_packets; /* data plane limits; 0: none */
    uint8_t close_action; /* enum ike_close: what follows when the peer closes it (lifecycle.c) */
    /* start_action = trap: the caller installs a trap policy (sa/trap.h) that
     * initiates it on demand; the engine only carries the flag */
    bool trap;
    /* dpd_action = trap: when the peer is declared dead, IKE_ACT_TRAP */
    bool dpd_trap;
};
/* strongSwan's close_action (children.X.close_action): none (and clear, the
 * same without trap policies) leaves a Child SA the peer closed closed;
 * start creates it again: with CREATE_CHILD_SA when the peer deleted only
 * the Child SA, with a new IKE SA when it deleted the IKE SA */
enum ike_close { IKE_CLOSE_NONE, IKE_CLOSE_START, IKE_CLOSE_TRAP /* IKE_ACT_TRAP: the caller re-arms its trap */ };
/* strongSwan's unique (connections.X.unique): what a new IKE SA with the
 * identity of a peer we hold an IKE SA with (same connection) does to the
 * old one.  no: closed only when the new one carries INITIAL_CONTACT (2.4);
 * never: kept even then (and we send no INITIAL_CONTACT); replace: closed
 * (with a Delete; from the same address and port, as a reauthentication is,
 * only IKE_UNIQUE_REPLACE_DELAY_MS later, so its Child SAs overlap); keep:
 * the new one is refused with AUTHENTICATION_FAILED unless it comes from the
 * old one's address and port (a reauthentication) */
enum ike_unique { IKE_UNIQUE_NO, IKE_UNIQUE_NEVER, IKE_UNIQUE_KEEP, IKE_UNIQUE_REPLACE };
enum { IKE_UNIQUE_REPLACE_DELAY_MS = 10000 };

/* IKE fragmentation (RFC 7383), strongSwan's `fragmentation`: yes announces
 * IKEV2_FRAGMENTATION_SUPPORTED and fragments when the peer announced it too;
 * accept announces but never fragments; force announces and fragments
 * whether or not the peer announced it (as charon does); no neither.  The
 * peer's fragments are reassembled whatever the setting. */
enum ike_frag_mode { IKE_FRAG_YES, IKE_FRAG_ACCEPT, IKE_FRAG_FORCE, IKE_FRAG_NO };
/* how one side authenticates (strongSwan's local.auth / remote.auth) */
enum ike_auth_kind { IKE_AUTHK_PSK, IKE_AUTHK_PUBKEY, IKE_AUTHK_EAP /* EAP-MSCHAPv2 (eap.c, RFC 7296 2.16) */ };
/* key types a pubkey constraint can ask for (0: any) */
enum ike_key_kind { IKE_KEYK_ANY, IKE_KEYK_RSA, IKE_KEYK_ECDSA, IKE_KEYK_ED25519, IKE_KEYK_ED448 };
struct ike_auth_cfg {
    uint8_t kind;     /* IKE_AUTHK_* */
    uint8_t key;      /* IKE_KEYK_*: the remote's key must be of this type ("rsa", "ecdsa", "ed25519") */
    bool pss;         /* "rsa/pss": local signs with RSA-PSS; remote's RSA signatures must be PSS */
    uint8_t hashes;   /* bit (1 << SIG_HASH_*) of the hashes allowed ("-sha256" suffixes); 0: the defaults */
    uint8_t eap_type; /* IKE_AUTHK_EAP: the method, EAP_TYPE_TLS (13) or else EAP-MSCHAPv2 */
};
enum ike_send_cert { IKE_SEND_CERT_IFASKED, IKE_SEND_CERT_ALWAYS, IKE_SEND_CERT_NEVER };
enum { IKE_FILE_MAX = 128, IKE_MAX_RANGES = 8 };
/* virtual IPs a connection asks for (vips: one per family at most) and
 * pools it assigns from; DNS servers taken from a CFG_REPLY */
enum { IKE_MAX_VIPS = 2, IKE_MAX_POOLS = 4, IKE_MAX_DNS = 4 };

struct ike_conn_cfg {
    char name[IKE_NAME_MAX];
    struct ike_addr local, remote; /* family 0 = %any */
    uint16_t natt_port;            /* default 4500 */
    uint8_t n_ike;
    struct ike_prop_cfg *ike; /* allocated: n_ike */
    struct ike_id_cfg local_id, remote_id;
    uint8_t psk_len;
    uint8_t psk[128]; /* the connection's own key (tests, API users), copied into an owned secret by
                         ike_engine_add_conn; 0 bytes: looked up by identity (ike_engine_set_psks),
                         as the daemon does */
    bool encap;       /* force UDP encapsulation (strongSwan's encap = yes) */
    uint32_t n_children;
    struct ike_child_cfg *child; /* allocated: n_children */
    /* retransmission (strongSwan's charon.retransmit_*); the half-open
     * timeout is the engine's (struct ike_limits) */
    uint32_t retransmit_timeout_ms; /* 4000 */
    uint32_t retransmit_base_milli; /* 1800 = 1.8 */
    uint8_t retransmit_tries;       /* 5 */
    /* liveness (2.4): an empty INFORMATIONAL after dpd_delay without an
     * authenticated message from the peer; 0: off.  A peer that stays
     * silent through the retransmissions is dead: restart re-initiates */
    uint32_t dpd_delay_ms;
    bool dpd_restart;
    /* IKE SA rekeying (2.18) after rekey_time minus up to 10%; 0: never */
    uint32_t rekey_time_s;
    /* NAT keepalives (RFC 3948 2.3, strongSwan's charon.keep_alive): sent by
     * the side behind a NAT after this long without sending anything; 0: off */
    uint32_t keepalive_ms;
    /* strongSwan's keyingtries: attempts to establish the IKE SA when we
     * initiate (start_action = start, dpd_action = restart, ike_initiate);
     * a failed attempt is retried after a back-off; 0: forever, default 1 */
    uint32_t keyingtries;
    bool keyingtries_set;
    enum ike_frag_mode fragmentation; /* default (0): yes */
    /* authentication (auth_pubkey.c): PSK, or X.509 certificates of the
     * engine's credential store (ike_engine_set_creds) named by file */
    struct ike_auth_cfg local_auth, remote_auth;
    /* file lists, allocated and ended by an empty name (NULL: none) */
    char (*local_certs)[IKE_FILE_MAX];  /* local.certs: x509/ files, the first fitting the peer's CERTREQ wins */
    char (*remote_certs)[IKE_FILE_MAX]; /* remote.certs: the peer must use one of these (pinning) */
    char (*cacerts)[IKE_FILE_MAX];      /* remote.cacerts: only these CAs are trusted for the peer */
    uint8_t send_cert;      /* IKE_SEND_CERT_*; default ifasked */
    bool no_certreq;        /* send_certreq = no */
    uint8_t revocation;     /* enum cred_revocation (cred/verify.h); default relaxed */
    /* IKE SA lifetime (lifecycle.c).  reauth_time: reauthentication (RFC
     * 7296 2.8.3) by a new IKE SA (IKE_SA_INIT, IKE_AUTH) that gets every
     * Child SA of the old one before the old one is deleted
     * (make-before-break); 0: never */
    uint32_t reauth_time_s;
    /* rand_time: the random part taken off rekey_time and reauth_time;
     * not set: 10% of each */
    uint32_t rand_time_s;
    bool rand_time_set;
    /* over_time: the hard lifetime, the IKE SA is closed this long after the
     * earlier of its rekey and reauthentication times if neither has
     * replaced it by then; not set: none (conf/ sets strongSwan's default,
     * 10% of the longer of rekey_time and reauth_time) */
    uint32_t over_time_s;
    bool over_time_set;
    uint8_t unique;         /* enum ike_unique; default no */
    /* remote_addrs for a responder (issue 14): a peer must be in one of
     * these ranges; none: remote decides (%any or one address) */
    uint8_t n_remote_ranges;
    struct ike_addr_range {
        uint8_t family;
        uint8_t lo[16], hi[16];
    } remote_ranges[IKE_MAX_RANGES];
    /* configuration payloads (cp.c, RFC 7296 3.15): as a client, vips asks
     * for these addresses (0.0.0.0 / :: for any) in a CFG_REQUEST; as a
     * gateway, peers that ask get an address and the attributes of the
     * first of these pools (ike_engine_set_pools) with room */
    uint8_t n_vips, n_pools;
    struct ike_addr vips[IKE_MAX_VIPS];
    char pools[IKE_MAX_POOLS][IKE_NAME_MAX];
    /* EAP (eap.c): local.eap_id, the user name we give as client (empty:
     * our IKE identity); remote.eap_id, the one a server requires (empty:
     * the peer's IKE identity; "%any": any, asked for with EAP-Identity) */
    char local_eap_id[256], remote_eap_id[256];
    bool no_mobike;   /* mobike = no: MOBIKE_SUPPORTED not sent, UPDATE_SA_ADDRESSES ignored (RFC 4555) */
    /* as initiator, announce MOBIKE too: only for a caller that moves its SAs
     * itself (ike_sa_move_local, kited's daemon/netwatch.c).  A MOBIKE
     * responder (charon) no longer follows a NAT mapping change on its own:
     * behind a NAT our liveness checks then carry NAT detection and a new
     * mapping is announced with UPDATE_SA_ADDRESSES (mobike.c) */
    bool mobike_client;
    /* remote_addrs as a DNS name (the daemon resolves it: remote, or family 0
     * while unresolved, when this connection neither initiates nor answers
     * anyone: ike_engine_set_remote fills it in); "": none */
    char remote_host[256];
};

/* the allocated lists of a connection (conn_cfg.c): a deep copy into *dst
 * (0, or KITE_E_NOMEM with nothing held), freed, or compared whole (every
 * field and every list entry) */
int ike_conn_cfg_copy(struct ike_conn_cfg *dst, const struct ike_conn_cfg *src);
void ike_conn_cfg_free(struct ike_conn_cfg *c);
bool ike_conn_cfg_equal(const struct ike_conn_cfg *a, const struct ike_conn_cfg *b);
/* file names in a list ended by an empty one (NULL: 0) */
size_t ike_files_count(const char (*files)[IKE_FILE_MAX]);

struct ike_engine;

/* limits that protect the host from unauthenticated senders (RFC 7296 2.6,
 * RFC 8019); strongSwan's charon.* names.  Half-open: an IKE SA we answered
 * IKE_SA_INIT for and that has not completed IKE_AUTH.  Only they are
 * limited: IKE SAs we initiate, established ones and rekeys always have room. */
struct ike_limits {
    uint32_t cookie_threshold;     /* half-open SAs from which IKE_SA_INIT needs a COOKIE (30; 0: always) */
    uint32_t block_threshold;      /* half-open SAs per source address (5; 0: no limit) */
    uint32_t init_limit_half_open; /* half-open SAs in all (1000; 0: no limit) */
    uint32_t half_open_timeout_ms; /* a half-open SA is dropped after this (30000) */
    /* stateless answers (COOKIE, NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD) and
     * resent responses per source address and second (20, burst 40) */
    uint32_t answer_rate, answer_burst;
    /* log lines caused by unauthenticated packets, per second (20, burst 100) */
    uint32_t unauth_log_rate, unauth_log_burst;
    /* IKE fragmentation (RFC 7383, frag.c).  fragment_size: the IP packet
     * (IP, UDP, non-ESP marker and IKE) a protected message may fill before
     * it goes in fragments, and each fragment's (charon.fragment_size, 1280;
     * 0: the default).  Reassembly of the peer's fragments, each checked
     * before it is kept, is bounded: fragments per message (frag_max_count,
     * 255), bytes per reassembled message (frag_max_bytes, 65535), messages
     * in reassembly in the engine (frag_max_msgs, 2048; an IKE SA has at most
     * two: the peer's request and its response to ours), bytes held for all
     * (frag_max_mem, 64 MiB), and an incomplete message is dropped
     * frag_timeout_ms after its first fragment (30000) */
    uint32_t fragment_size;
    uint32_t frag_max_count, frag_max_bytes, frag_max_msgs, frag_max_mem, frag_timeout_ms;
    /* Child SAs one IKE SA holds at once, those in a rekey's overlap
     * included (1024; 0: the default).  Past it a CREATE_CHILD_SA is
     * answered NO_ADDITIONAL_SAS (3.10.1), logged and counted
     * (IKE_CTR_CHILD_LIMIT); their slots are allocated as they are used */
    uint32_t max_child_sas;
    /* EAP-TLS (eap_tls.c, RFC 5216): the largest EAP packet we send (1024,
     * 64..1405), and the longest TLS message we reassemble from the peer's
     * fragments (65536): one announcing more is refused and counted
     * (stats.eap_tls_limited) */
    uint32_t eap_tls_fragment_size, eap_tls_max_bytes;
};
/* the defaults above */
void ike_limits_default(struct ike_limits *l);
/* replaces the engine's limits (half-open SAs over a lowered limit are left
 * to time out); 0 or KITE_E_NOMEM */
int ike_engine_set_limits(struct ike_engine *e, const struct ike_limits *l);

struct ike_env {
    void *ctx;
    /* n random bytes (SPIs, nonces, IVs, key pairs come from OpenSSL) */
    void (*random)(void *ctx, uint8_t *p, size_t n);
    /* subsys: LOG_* of base/log.h; never called with secrets */
    void (*log)(void *ctx, int subsys, int level, const char *msg);
    /* for tests only: the length of the nonces we send, 16..256 (RFC 7296
     * 3.9); 0 (the daemon's setting) or anything else: 32 */
    uint16_t nonce_len;
    /* wall-clock time in seconds since 1970, for certificate validity and
     * CRLs; NULL: time(NULL) */
    int64_t (*wall)(void *ctx);
    /* EAP secrets (secrets { eap-x { id, secret } }): the password of user
     * `id` into *out (allocated; the engine wipes and frees it), 0, or -1
     * when there is none; NULL: no EAP secrets */
    int (*eap_secret)(void *ctx, const char *id, size_t len, struct secret *out);
    /* the address the host sends from toward remote (a route lookup), for
     * an initiator whose local_addrs is %any: its NAT_DETECTION_SOURCE_IP
     * is then true, so that no NAT is seen where there is none; 0 or -1
     * (unknown: the hash is random and both ends encapsulate); NULL: unknown */
    int (*source)(void *ctx, const struct ike_addr *remote, struct ike_addr *out);
    /* whether a line of subsys at level would be written (or read by a
     * log subscriber): the engine formats no line nobody reads; NULL: all */
    bool (*log_wants)(void *ctx, int subsys, int level);
};

enum ike_action_type {
    IKE_ACT_NONE,
    IKE_ACT_SEND,       /* datagram */
    IKE_ACT_IKE_UP,     /* IKE SA established */
    IKE_ACT_IKE_DOWN,   /* IKE SA gone, with reason */
    IKE_ACT_CHILD_UP,   /* Child SA to install: child */
    IKE_ACT_CHILD_DOWN, /* Child SA gone: child (SPIs only) */
    IKE_ACT_IKE_REKEYED,/* IKE SA old_ike_sa rekeyed into ike_sa: its Child SAs moved along */
    IKE_ACT_CHILD_RETIRE,/* a rekeyed Child SA: stop sending on it; it still decrypts what is
                            in flight until its CHILD_DOWN (IKE_CHILD_GRACE_MS later) */
    IKE_ACT_KEEPALIVE,  /* send a NAT keepalive (one 0xFF byte, no marker) from local to remote;
                           a caller that sent ESP to the peer meanwhile reports it with
                           ike_nat_sent() instead */
    IKE_ACT_IKE_MOVED,  /* the peer's address or port changed (NAT mapping, 2.23): local and
                           remote are the IKE SA's new ones, the Child SAs' outer addresses and
                           UDP encapsulation of ike_sa move to them */
    IKE_ACT_IKE_KEYS,   /* only with ike_engine_set_keylog(): ike_keys holds the keys of IKE SA
                           ike_sa, just derived (IKE_SA_INIT, before IKE_AUTH; an IKE SA rekey) */
    IKE_ACT_VIP,        /* our IKE SA ike_sa got virtual IPs (vip[0..n_vip)) and DNS servers
                           (dns[0..n_dns)) in a CFG_REPLY (RFC 7296 3.15): put them on the host
                           before the CHILD_UP that follows; they go with the IKE SA (IKE_DOWN;
                           IKE_REKEYED hands them to the new one) */
    IKE_ACT_TRAP,       /* Child SA configuration child.name of conn went (close_action = trap: the
                           peer closed it; dpd_action = trap: the peer is dead): the caller installs
                           its trap policy, so the next packet negotiates it again */
};

struct ike_child_sa {
    char conn[IKE_NAME_MAX], name[IKE_NAME_MAX];
    uint32_t ike_sa;          /* unique id of the IKE SA */
    uint32_t spi_in, spi_out; /* inbound = ours, outbound = the peer's */
    uint16_t encr, encr_bits, integ; /* IANA IDs; integ 0 for AEAD */
    bool esn, transport;
    bool encap;               /* UDP-encapsulated ESP between local and remote ports */
    struct ike_addr local, remote;
    struct ike_ts_cfg local_ts, remote_ts;
    /* make-before-break: true when this SA carries outbound traffic at once
     * (we know the peer has it inbound); false for a rekey we answered, which
     * takes over when the SA it replaces (replaces_spi_in) is deleted */
    bool takeover;
    uint32_t replaces_spi_in;
    /* limits for the data plane to watch (ike_child_expired() when reached) */
    uint64_t soft_bytes, soft_packets, hard_bytes, hard_packets;
    uint8_t key_len, integ_len;
    uint8_t encr_in[IKE_KEY_MAX], encr_out[IKE_KEY_MAX];
    uint8_t integ_in[IKE_KEY_MAX], integ_out[IKE_KEY_MAX];
};

/* an IKE SA's keys for a Wireshark key log (IKE_ACT_IKE_KEYS): IANA IDs,
 * SK_e with the AEAD salt, lengths in bytes (ak_len 0 for AEAD) */
struct ike_sa_keys {
    uint8_t spi_i[8], spi_r[8];
    uint16_t encr, encr_bits, integ;
    uint8_t ek_len, ak_len;
    uint8_t sk_ei[IKE_KEY_MAX], sk_er[IKE_KEY_MAX], sk_ai[IKE_KEY_MAX], sk_ar[IKE_KEY_MAX];
};

struct ike_action {
    enum ike_action_type type;
    /* SEND: from local to remote; marker: prefix the non-ESP marker (the
     * datagram goes over the NAT-T port, RFC 3948 2.2) */
    struct ike_addr local, remote;
    bool marker;
    size_t len;
    uint8_t data[IKE_DGRAM_MAX];
    /* IKE_UP / IKE_DOWN / CHILD_*: */
    uint32_t ike_sa;
    uint32_t old_ike_sa; /* IKE_REKEYED */
    char conn[IKE_NAME_MAX];
    char reason[160];
    struct ike_child_sa child;
    struct ike_sa_keys ike_keys; /* IKE_KEYS */
    uint8_t n_vip, n_dns;        /* IKE_VIP */
    struct ike_addr vip[IKE_MAX_VIPS], dns[IKE_MAX_DNS];
};

struct ike_engine;

struct ike_engine *ike_engine_new(const struct ike_env *env);
/* wipes every key */
void ike_engine_free(struct ike_engine *e);
/* key logging (kited --keylog, a debugging aid): when on, every IKE SA's
 * keys come out as an IKE_ACT_IKE_KEYS action once derived; off (the
 * default): no copy of them leaves the engine */
void ike_engine_set_keylog(struct ike_engine *e, bool on);
/* add a connection (copied); 0 or KITE_E_* */
int ike_engine_add_conn(struct ike_engine *e, const struct ike_conn_cfg *c);
/* load connection c (copied) as a reconfiguration does (daemon/reconf.c,
 * the VICI load-conn command): a new name is added; one whose configuration
 * is unchanged is left alone, its SAs keep their SPIs (a new pre-shared key
 * is taken, as by ike_engine_set_psk: IKE_CONN_NEW_PSK); a changed one is replaced: an SA
 * negotiated under the old policy must not outlive it, so its IKE SAs are
 * closed (INFORMATIONAL Delete, 1.4.1).  An added or replaced connection's
 * children with start_action = start are initiated.  IKE_CONN_* or KITE_E_* */
enum ike_conn_change { IKE_CONN_UNCHANGED, IKE_CONN_ADDED, IKE_CONN_REPLACED, IKE_CONN_NEW_PSK /* unchanged but the key */ };
int ike_engine_load_conn(struct ike_engine *e, const struct ike_conn_cfg *c, uint64_t now);
/* remove connection `name`: its IKE SAs (and their Child SAs) are closed
 * with a Delete, a pending keyingtries retry dropped, its slot freed; the
 * number of IKE SAs closed, or KITE_E_NOT_FOUND */
int ike_engine_remove_conn(struct ike_engine *e, const char *name, uint64_t now);
/* replace connection conn's own pre-shared key (copied; the old one wiped);
 * len 0: no key of its own, so its IKE SAs take theirs from the engine's
 * table by identity (ike_engine_set_psks), and with none there authenticate
 * nobody (AUTH is neither made nor accepted).  Established SAs are kept.
 * 0, KITE_E_NOT_FOUND, KITE_E_INVALID_ARG (longer than psk[]) or NOMEM */
int ike_engine_set_psk(struct ike_engine *e, const char *conn, const uint8_t *psk, size_t len);
/* the pre-shared keys of swanctl.conf's secrets { ike-x { id-a = ..
 * secret = .. } }, looked up by the identities of each IKE SA when it
 * authenticates (IKE_AUTH), as charon does: the key whose ids match the
 * peer's identity best (equal over a pattern over %any), then ours; a key
 * without ids is anyone's.  A connection with its own key (ike_conn_cfg.psk,
 * ike_engine_set_psk) uses that one.  The table replaces the engine's
 * (copied; the old keys wiped); IKE SAs already up are untouched.  0,
 * KITE_E_INVALID_ARG (an empty key) or KITE_E_NOMEM (the old table kept) */
struct ike_psk_id {
    uint8_t type;             /* IKEV2_ID_*; 0: %any */
    uint16_t len;
    const uint8_t *data;
};
struct ike_psk {
    const uint8_t *key;
    size_t len;
    unsigned n_ids;
    const struct ike_psk_id *ids;
};
int ike_engine_set_psks(struct ike_engine *e, const struct ike_psk *psks, size_t n);
/* a DNS-named connection's remote address, resolved again (daemon/resolve.c):
 * its next initiation goes there and, as responder, it answers that address;
 * IKE SAs up are left alone (port kept).  0 or KITE_E_NOT_FOUND */
int ike_engine_set_remote(struct ike_engine *e, const char *conn, const struct ike_addr *addr);
/* the credentials (certificates, keys, CAs, CRLs) pubkey authentication
 * uses from now on; the engine takes a reference and drops the old store's
 * (SAs already authenticated are untouched, as by a reload; an IKE SA
 * keeps the store its authentication began with, ike_sa_creds); NULL: none */
struct cred_store;
void ike_engine_set_creds(struct ike_engine *e, struct cred_store *creds);
/* bring up Child SA `child` of `conn` (NULL: the first): in a new IKE SA's
 * IKE_AUTH, or with CREATE_CHILD_SA (1.3.1) on the IKE SA the connection
 * already has (0 also when that Child SA is already up or on its way) */
int ike_initiate(struct ike_engine *e, const char *conn, const char *child, uint64_t now);
/* a new IKE SA of `conn` with its first Child SA, never one it has already:
 * one of a load generator's many initiators (tools/kite_load.c).  id: our
 * identity for it instead of the connection's local_id (copied; NULL: the
 * connection's); local: the address and port it is sent from (NULL: the
 * connection's).  No keyingtries retry: a failure is its IKE_DOWN.  0 with
 * the IKE SA's unique id in *ike_sa, or KITE_E_* */
int ike_initiate_as(struct ike_engine *e, const char *conn, const struct ike_id_cfg *id, const struct ike_addr *local,
                    uint64_t now, uint32_t *ike_sa);
/* a datagram (IKE message without the non-ESP marker) from remote to local */
int ike_recv(struct ike_engine *e, const uint8_t *p, size_t n, const struct ike_addr *local,
             const struct ike_addr *remote, uint64_t now);
/* delete every IKE SA: an INFORMATIONAL request with Delete for the
 * established ones (1.4.1), half-open ones are just dropped; returns how many
 * Delete requests were sent */
int ike_delete_all(struct ike_engine *e, uint64_t now);
/* retransmissions and timeouts due at `now` */
void ike_tick(struct ike_engine *e, uint64_t now);
/* the earliest deadline, or UINT64_MAX */
uint64_t ike_next_deadline(const struct ike_engine *e);
/* pop the next action; false when none is waiting (the action's keys are the
 * caller's to wipe: ike_action_wipe) */
bool ike_next_action(struct ike_engine *e, struct ike_action *a);
void ike_action_wipe(struct ike_action *a);
/* the data plane saw a Child SA reach a byte/packet limit: soft rekeys it
 * now, hard deletes it; 0 or KITE_E_NOT_FOUND */
int ike_child_expired(struct ike_engine *e, uint32_t spi_in, bool hard, uint64_t now);
/* the last inbound ESP packet on a Child SA (the data plane's time, same
 * clock as `now`): traffic from the peer counts as liveness, so no DPD
 * request goes out while it flows (2.4); 0 or KITE_E_NOT_FOUND */
int ike_child_inbound_seen(struct ike_engine *e, uint32_t spi_in, uint64_t at);
/* the data plane could not install the Child SA of a CHILD_UP (a table limit,
 * no memory): the engine must not report it up, so it is deleted with the
 * peer (INFORMATIONAL Delete) and, when wanted, created again later;
 * 0 or KITE_E_NOT_FOUND */
int ike_child_install_failed(struct ike_engine *e, uint32_t spi_in, uint64_t now);
/* ESP for an SPI the data plane does not know arrived from `from` (port
 * ignored): with an IKE SA to that address, an INFORMATIONAL request with
 * N(INVALID_SPI) goes out (1.5, 2.21), at most one per SPI per second;
 * 0 if sent, KITE_E_NOT_FOUND (no IKE SA), KITE_E_STATE (rate limit, or a
 * request is outstanding) */
int ike_esp_unknown_spi(struct ike_engine *e, uint32_t spi, const struct ike_addr *from, uint64_t now);
/* NAT traversal (nat.c, RFC 7296 2.23, RFC 3948) */
/* instead of the keepalive IKE_ACT_KEEPALIVE asked for: ESP went to the
 * peer of IKE SA ike_sa at `at`, so the next keepalive is due at
 * at + keepalive */
void ike_nat_sent(struct ike_engine *e, uint32_t ike_sa, uint64_t at);
/* an authenticated new packet (ESP that advanced the replay window) of IKE
 * SA ike_sa arrived from remote to local: the same address update as for an
 * IKE message (IKE_ACT_IKE_MOVED when it is followed); 1 if followed */
int ike_nat_seen(struct ike_engine *e, uint32_t ike_sa, const struct ike_addr *local,
                 const struct ike_addr *remote, uint64_t now);
/* the IKE SA table grows as needed: ike_sa_slots() slots, some empty */
unsigned ike_sa_slots(const struct ike_engine *e);
/* one status line for IKE SA slot i (0 .. ike_sa_slots()-1): name, state,
 * addresses, NAT; false for an empty slot */
bool ike_sa_status(const struct ike_engine *e, int i, char *buf, size_t cap);

/* a read-only view of an IKE SA and its Child SAs for the control socket
 * (ctl/vici_cmd.c: swanctl --list-sas); status.c */
struct ike_sa_info {
    uint32_t id;                   /* unique id (charon's uniqueid) */
    const char *conn;              /* connection name */
    const char *state;             /* charon's spelling: CONNECTING, ESTABLISHED, REKEYED */
    bool initiator;
    uint8_t spi_i[8], spi_r[8];
    struct ike_addr local, remote;
    const struct ike_id_cfg *local_id, *remote_id; /* remote: the authenticated one, else configured */
    struct ike_id_cfg peer_id;     /* where remote_id points when it is the authenticated one */
    bool nat_local, nat_remote, nat_fake;
    uint16_t encr, encr_bits, integ, prf, dh; /* IANA IDs, 0 when not yet chosen */
    uint64_t established_at;       /* the engine's time (0: not established) */
    uint64_t rekey_at;             /* 0: never */
    uint64_t reauth_at;            /* reauthentication (lifecycle.c); 0: never */
    /* virtual IPs: ours (a CFG_REPLY we got), the peer's (ones we assigned) */
    uint8_t n_local_vips, n_remote_vips;
    struct ike_addr local_vips[IKE_MAX_VIPS], remote_vips[IKE_MAX_VIPS];
};
struct ike_child_info {
    const char *name;
    uint32_t spi_in, spi_out;
    uint16_t encr, encr_bits, integ;
    bool transport, encap;
    const char *state;             /* INSTALLED, REKEYED, DELETING */
    uint64_t rekey_at, life_at;    /* 0: never */
    uint64_t installed_at;
    struct ike_ts_cfg local_ts, remote_ts;
};
/* slot as for ike_sa_status(); false for an empty slot */
bool ike_sa_info(const struct ike_engine *e, unsigned slot, struct ike_sa_info *out);
/* IKE SA `id` (its unique id) as ike_sa_info; false when there is none
 * (daemon/updown.c: the identities a script is told) */
bool ike_sa_info_by_id(struct ike_engine *e, uint32_t id, struct ike_sa_info *out);
/* the i-th live Child SA of the IKE SA in slot (0 ..); false past the last */
bool ike_sa_child_info(const struct ike_engine *e, unsigned slot, unsigned i, struct ike_child_info *out);
/* the loaded connection i (0 ..), NULL past the last */
const struct ike_conn_cfg *ike_engine_conn(const struct ike_engine *e, int i);
/* delete IKE SA `id` (INFORMATIONAL Delete when established, 1.4.1; a
 * half-open one is dropped) with its Child SAs; 0 or KITE_E_NOT_FOUND */
int ike_sa_terminate(struct ike_engine *e, uint32_t id, uint64_t now);
/* rekey IKE SA `id` now (CREATE_CHILD_SA, 2.18; its Child SAs move to the
 * new one, the old one is deleted): 0 when the request went out, 1 when it
 * waits for the exchange under way to end (then sent by ike_tick),
 * KITE_E_NOT_FOUND, KITE_E_STATE (not established, or rekeyed or being
 * rekeyed already), or the error that kept the request from going out */
int ike_sa_rekey(struct ike_engine *e, uint32_t id, uint64_t now);
/* MOBIKE (RFC 4555): our address for IKE SA `id` is now `local` (its port
 * kept): the SA and its Child SAs move there (IKE_ACT_IKE_MOVED) and the
 * peer is told with UPDATE_SA_ADDRESSES; 0, KITE_E_NOT_FOUND, or
 * KITE_E_UNSUPPORTED when the peer did not agree to MOBIKE */
int ike_sa_move_local(struct ike_engine *e, uint32_t id, const struct ike_addr *local, uint64_t now);
/* the IKE SA in slot when its caller may move it (ike_sa_move_local):
 * established, MOBIKE agreed, we its original initiator (RFC 4555 3.1) and
 * the connection's mobike_client on; its id and addresses */
bool ike_sa_mobile(const struct ike_engine *e, unsigned slot, uint32_t *id, struct ike_addr *local,
                   struct ike_addr *remote);
/* reauthenticate IKE SA `id` now (lifecycle.c, RFC 7296 2.8.3): a new IKE
 * SA to the same peer with the old one's Child SAs, the old one deleted once
 * they are up; 0, KITE_E_NOT_FOUND, KITE_E_STATE (not established, being
 * rekeyed or reauthenticated), KITE_E_INVALID_ARG (the peer's address is
 * unknown) or the error that kept the new IKE SA from starting */
int ike_sa_reauth(struct ike_engine *e, uint32_t id, uint64_t now);

/* counters for tests and status */
struct ike_stats {
    uint32_t ike_sas;       /* live IKE SA slots */
    uint32_t established;   /* IKE SAs established since start */
    uint32_t dropped;       /* datagrams dropped (malformed, unknown SPI, ...) */
    uint32_t retransmits;   /* requests sent again */
    uint32_t cached_replies;/* requests answered from the response cache */
    uint32_t moved;         /* peer address/port changes followed (2.23) */
    uint32_t half_open;     /* half-open IKE SAs now (responder, before IKE_AUTH) */
    uint64_t cookies_sent;  /* IKE_SA_INIT answered with N(COOKIE) (2.6) */
    uint64_t cookies_ok;    /* IKE_SA_INIT with a valid cookie */
    uint64_t cookies_bad;   /* IKE_SA_INIT with a cookie that did not verify */
    uint64_t blocked;       /* IKE_SA_INIT refused: block_threshold reached for its source */
    uint64_t limited;       /* IKE_SA_INIT refused: init_limit_half_open reached */
    uint64_t answers_limited; /* stateless answers or resent responses not sent (rate limit) */
    uint64_t logs_suppressed; /* log lines about unauthenticated packets not written (rate limit) */
    uint32_t actions_peak;  /* the most actions ever queued at once */
    uint64_t keying_retries;/* failed initiations tried again (keyingtries) */
    /* IKE fragmentation (RFC 7383) */
    uint64_t frag_msgs_sent;   /* messages sent in fragments */
    uint64_t frags_sent;       /* fragments sent (retransmissions not counted) */
    uint64_t frag_reassembled; /* fragmented messages received whole */
    uint64_t frags_bad;        /* fragments dropped: integrity check failed */
    uint64_t frag_limited;     /* fragments or messages dropped at a frag_* limit */
    uint64_t frag_expired;     /* incomplete messages dropped: timeout, superseded */
    uint64_t eap_tls_limited;  /* EAP-TLS authentications refused at eap_tls_max_bytes */
};
void ike_engine_stats(const struct ike_engine *e, struct ike_stats *s);

/* event counters, globally and per connection (counters.c).  The first
 * IKE_CTR_VICI_N are the message and rekey counters of strongSwan's counters
 * plugin in its order (VICI get-counters: ike_ctr_name gives its key); the
 * others are kite's: handshakes (an IKE SA set up by IKE_SA_INIT and
 * IKE_AUTH, either role) started, established and failed by reason,
 * retransmissions and liveness checks.  Messages are counted once when
 * built or, incoming, once decoded (and decrypted); retransmissions not */
enum ike_ctr {
    IKE_CTR_IKE_REKEY_INIT, IKE_CTR_IKE_REKEY_RESP, IKE_CTR_CHILD_REKEY, IKE_CTR_INVALID, IKE_CTR_INVALID_SPI,
    IKE_CTR_INIT_IN_REQ, IKE_CTR_INIT_IN_RESP, IKE_CTR_INIT_OUT_REQ, IKE_CTR_INIT_OUT_RESP,
    IKE_CTR_AUTH_IN_REQ, IKE_CTR_AUTH_IN_RESP, IKE_CTR_AUTH_OUT_REQ, IKE_CTR_AUTH_OUT_RESP,
    IKE_CTR_CHILD_IN_REQ, IKE_CTR_CHILD_IN_RESP, IKE_CTR_CHILD_OUT_REQ, IKE_CTR_CHILD_OUT_RESP,
    IKE_CTR_INFO_IN_REQ, IKE_CTR_INFO_IN_RESP, IKE_CTR_INFO_OUT_REQ, IKE_CTR_INFO_OUT_RESP,
    IKE_CTR_VICI_N,
    IKE_CTR_HS_STARTED = IKE_CTR_VICI_N, IKE_CTR_HS_ESTABLISHED,
    /* failed handshakes by reason, in this order */
    IKE_CTR_HS_FAIL_NO_PROPOSAL, IKE_CTR_HS_FAIL_AUTH, IKE_CTR_HS_FAIL_TIMEOUT, IKE_CTR_HS_FAIL_TS,
    IKE_CTR_HS_FAIL_OTHER,
    IKE_CTR_RETRANSMITS, IKE_CTR_LIVENESS,
    IKE_CTR_CHILD_LIMIT, /* a Child SA refused or postponed: max_child_sas reached on its IKE SA */
    IKE_CTR_N
};
struct ike_counters {
    uint64_t c[IKE_CTR_N];
};
/* "ike-rekey-init" .. "info-out-resp" (charon's keys), then kite's own
 * ("handshake-started", .., "liveness"); NULL out of range */
const char *ike_ctr_name(unsigned c);
/* "no_proposal", "auth_failed", "timeout", "ts_unacceptable", "other" for
 * IKE_CTR_HS_FAIL_*; NULL for others */
const char *ike_ctr_fail_reason(unsigned c);
/* conn NULL: the global counters; else that connection's, false when it has
 * none (nothing counted since start or its reset) */
bool ike_engine_counters(const struct ike_engine *e, const char *conn, struct ike_counters *out);
/* the i-th connection name with counters (0 ..), NULL past the last; kept
 * when the connection is unloaded, as charon keeps them */
const char *ike_engine_counters_conn(const struct ike_engine *e, unsigned i);
/* conn NULL: the global counters to 0; else that connection's dropped */
void ike_engine_counters_reset(struct ike_engine *e, const char *conn);
/* every connection's counters dropped (the global ones stay) */
void ike_engine_counters_reset_all(struct ike_engine *e);
/* the same address and port; ike_addr_same_host: the same address */
bool ike_addr_eq(const struct ike_addr *a, const struct ike_addr *b);
bool ike_addr_same_host(const struct ike_addr *a, const struct ike_addr *b);
/* "192.0.2.1[500]" */
const char *ike_addr_str(const struct ike_addr *a, char *buf, size_t cap);


/* address pools for configuration payloads (pool.c, cp.c; RFC 7296 3.15).
 * A pool hands out addresses from lo..hi (family 4 or 6; 0: attributes
 * only) with leases per peer identity: the same identity gets its address
 * back while the lease is online (held by one or more of its IKE SAs) and
 * after it went offline (its last IKE SA gone), unless the pool needed it
 * for someone else meanwhile (the oldest offline lease is reused first).
 * attrs: CP attributes sent with every address from the pool (DNS, NBNS,
 * SUBNET ...), value in wire form. */
struct ike_pool_attr {
    uint16_t type;  /* IKEV2_CFGA_* */
    uint8_t len;
    uint8_t value[17];
};
struct ike_pool_cfg {
    char name[IKE_NAME_MAX];
    uint8_t family;
    uint8_t lo[16], hi[16];
    unsigned n_attrs;
    const struct ike_pool_attr *attrs; /* copied */
};
/* the engine's pools become these (copied): a pool whose name, family and
 * range stay keeps its leases (its attributes are replaced); one removed or
 * changed stops assigning and is freed when its last online lease goes;
 * 0 or KITE_E_NOMEM (nothing changed) */
int ike_engine_set_pools(struct ike_engine *e, const struct ike_pool_cfg *p, unsigned n);
/* a pool's numbers for list-pools and metrics; false when no pool has that index */
struct ike_pool_info {
    const char *name;
    uint8_t family;
    uint8_t lo[16], hi[16];
    uint64_t size, online, offline;
    uint64_t exhausted; /* requests refused: no address left */
};
bool ike_engine_pool_info(const struct ike_engine *e, unsigned i, struct ike_pool_info *out);
/* each lease of pool i: its address, owner identity, online (held by an
 * IKE SA) or offline (kept for the identity); false when there is no pool i */
typedef void ike_lease_fn(void *ctx, const struct ike_addr *addr, uint8_t id_type, const uint8_t *id, size_t id_len,
                          bool online);
bool ike_engine_pool_leases(const struct ike_engine *e, unsigned i, ike_lease_fn *fn, void *ctx);

#endif
