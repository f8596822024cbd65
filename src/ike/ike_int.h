/* ike_int: the engine's private state, shared by its files only. */
#ifndef KITE_IKE_INT_H
#define KITE_IKE_INT_H
#include <stdarg.h>
#include <string.h>
#include "base/secret.h"
#include "crypto/keys.h"
#include "crypto/ke.h"
#include "crypto/prf.h"
#include "crypto/registry.h"
#include "crypto/sig.h"
#include "cred/store.h"
#include "ike/ike.h"
#include "ike/cookie.h"
#include "ike/frag.h"
#include "ike/pool.h"
#include "base/ratelimit.h"
#include "wire/msg.h"
#include "wire/sk.h"

/* nonces: ours are IKE_NONCE_LEN bytes (ike_env.nonce_len in tests), the
 * peer's IKE_NONCE_MIN..IKE_NONCE_MAX (wire/pld.h, 3.9).  Child SA slots
 * are allocated IKE_CHILD_CHUNK at a time as an IKE SA needs them, up to
 * the engine's max_child_sas (struct ike_limits); a request that finds no
 * free slot then is refused with NO_ADDITIONAL_SAS. */
enum { IKE_TOMB_MS = 120000, IKE_PRF_MAX = 64, IKE_CERTREQ_KEEP = 16, IKE_PEER_HASHES = 8 };
enum { IKE_MSG_MAX = 2048, IKE_NONCE_LEN = 32, IKE_ACTIONS = 32, IKE_COOKIE_TRIES = 3, IKE_INSTALL_RETRY_MS = 60000,
       IKE_CHILD_CHUNK = 8 };
/* TEMPORARY_FAILURE answers for this long without a success: out of sync (2.25) */
enum { IKE_TEMPFAIL_MAX_MS = 300000 };

/* one Child SA of an IKE SA, as handed to the data plane */
struct ike_child_st {
    bool up;
    int cfg;                  /* index of its child configuration */
    uint32_t spi_in, spi_out;
    struct ike_algs_ref {
        uint16_t encr, encr_bits, integ;
    } a;
    struct ike_ts_cfg lts, rts;
    bool transport;
    uint64_t rekey_at;        /* 0: never */
    uint64_t installed_at;    /* for status (ike_sa_child_info) */
    bool rekeyed;             /* replaced by a newer one: waiting for its Delete */
    uint16_t ke_want;         /* the group the peer asked for with INVALID_KE_PAYLOAD */
    uint64_t gone_at;         /* retired after a rekey: removed at this time (0: live) */
    uint64_t hard_at;         /* life_time: deleted at this time (0: never) */
    bool deleting;            /* our Delete of it is outstanding: no outbound use, a rekey of it
                                 is answered TEMPORARY_FAILURE (2.25.1) */
    bool wanted;              /* created again when lost (start_action = start, or we created it) */
    uint32_t replaces;        /* a rekey: the inbound SPI of the SA it replaces (0: none) */
};

/* the Child SA rekey or creation (1.3.1) we initiated and wait the answer for */
struct ike_child_rekey {
    bool active;
    bool create;              /* a new Child SA of configuration cfg, not a rekey */
    int cfg;
    int old;                  /* index in children[] */
    uint32_t spi_in;
    uint8_t ni[IKE_NONCE_MAX];
    uint16_t ni_len;
    uint16_t group;           /* 0: no PFS */
    struct ke ke;
    uint32_t del_spi;         /* after success: the old inbound SPI whose Delete is outstanding */
    struct ike_ts_cfg lts, rts; /* a rekey: the old SA's selectors, all the answer may cover (2.9.2) */
    /* the peer rekeyed the same Child SA meanwhile (2.8.1) */
    bool collided;
    uint8_t peer_min[IKE_NONCE_MAX]; /* the lower nonce of the peer's exchange */
    size_t peer_min_len;
};

enum ike_state {
    IKE_S_FREE,
    IKE_S_INIT_SENT,  /* initiator: IKE_SA_INIT request out */
    IKE_S_INIT_DONE,  /* responder: answered IKE_SA_INIT, waiting for IKE_AUTH */
    IKE_S_AUTH_SENT,  /* initiator: IKE_AUTH request out */
    IKE_S_ESTABLISHED,
};

/* the transforms chosen for one SA */
struct ike_algs {
    const struct xf_info *encr, *integ, *prf;
    uint16_t ke;
    bool esn;
};

/* an identity at its size (an ike_id_cfg holds IKE_ID_MAX bytes) */
struct ike_peer_id {
    uint8_t type;
    uint16_t len;
    uint8_t data[];
};
/* a malloc'd copy (NULL: out of memory) */
struct ike_peer_id *ike_peer_id_new(uint8_t type, const uint8_t *data, size_t len);

/* the indexes an IKE SA is in (satab.c) */
enum { IKE_IX_SPI, IKE_IX_ID, IKE_IX_HOST, IKE_IX_PEER, IKE_IX_N };

struct ikesa {
    enum ike_state state;
    uint32_t id;
    struct cred_store *creds; /* the credentials its authentication began with (ike_sa_creds), held to the end */
    int conn, child; /* indexes into the engine's configuration */
    bool initiator;
    uint8_t spi_i[8], spi_r[8];
    struct ike_addr local, remote;
    bool natt;       /* IKE moved to the NAT-T port */
    bool nat_local, nat_remote; /* NAT_DETECTION_DESTINATION_IP / _SOURCE_IP did not match */
    bool nat_fake;   /* our NATD_S_IP is random (encap = yes): the peer sees a NAT */
    bool nat_proven; /* the peer's port was rewritten or changed: a real NAT, not a faked hash */
    uint64_t last_tx_at; /* the last datagram to the peer: IKE, or ESP reported by ike_nat_sent */
    struct ike_peer_id *peer_id; /* the peer's authenticated identity (INITIAL_CONTACT, 2.4); NULL: none yet */
    uint8_t *ni, *nr;         /* malloc'd, at their size (ike_nonce_keep) */
    uint16_t ni_len, nr_len;
    uint16_t ke_group;
    struct ke ke;
    struct ike_algs algs;
    struct prf prf;
    struct ike_keys keys;
    struct sk_keys sk_in, sk_out;
    bool keys_ready;
    /* IKE_SA_INIT messages, signed by AUTH (2.15): malloc'd, exactly their
     * size, freed once the IKE SA is established (satab.c's sync) */
    uint8_t *init_req, *init_resp;
    size_t init_req_len, init_resp_len;
    /* requests we sent: message ID, the bytes, retransmission schedule */
    uint32_t next_msgid;
    uint8_t *req;            /* req_cap bytes, grown as needed up to IKE_DGRAM_MAX */
    size_t req_cap;
    size_t req_len;
    uint8_t req_exch;   /* the exchange type of that request: a response must match it */
    uint8_t tries;
    uint64_t retx_at;
    /* requests we answered: the last message ID and its response (2.1); the
     * request being handled is rx_msgid until its response goes out */
    uint32_t last_rx_msgid, rx_msgid;
    uint8_t resp_req_hash[20]; /* SHA-1 of the request the cached response answers */
    bool have_req_hash;
    bool have_resp;
    uint8_t *resp;           /* resp_cap bytes, grown as needed */
    size_t resp_cap;
    size_t resp_len;
    uint64_t expire_at; /* half-open timeout, responder */
    uint32_t child_spi_in;   /* the SPI proposed in IKE_AUTH */
    /* Child SA slots (ike_sa_child): the first inline, the others in
     * chunks of IKE_CHILD_CHUNK allocated as needed (ike_sa_child_grow) and
     * never moved, so pointers to them stay valid */
    struct ike_child_st child0;
    struct ike_child_st **more;
    uint32_t n_more;    /* chunks */
    uint32_t child_max; /* slots it may grow to: the engine's max_child_sas when it was made */
    struct ike_child_rekey rk;
    uint8_t pending_exch;    /* exchange of our outstanding request (0: none) */
    uint64_t last_rx_at;     /* the last authenticated message from the peer (liveness) */
    uint64_t established_at; /* for status (ike_sa_info) */
    uint64_t invalid_spi_at; /* the last INVALID_SPI sent (1.5): at most one a second */
    bool restarting;         /* initiated by dpd_action = restart: retried until it works */
    /* IKE SA rekeying (2.18) */
    uint64_t ike_rekey_at;   /* 0: never */
    bool replaced;           /* rekeyed: only its Delete is left to do */
    bool successor;          /* created by a rekey: message IDs from 0 both ways */
    struct {
        bool active;
        uint8_t spi_i[8];
        uint8_t ni[IKE_NONCE_MAX];
        uint16_t ni_len;
        struct ke ke;
        uint16_t group;
        /* the peer rekeyed this IKE SA meanwhile (2.8.2): its new IKE SA,
         * which gets the Child SAs unless ours has the lowest nonce */
        uint32_t peer_new;
    } irk;
    /* Child SAs (configuration indexes, bits) to create with CREATE_CHILD_SA
     * (1.3.1), not before want_at; want_ke: a group the peer asked for */
    uint64_t want;
    uint64_t want_at;
    uint16_t want_ke;
    uint64_t tempfail_since; /* the first of a run of TEMPORARY_FAILURE answers (0: none) */
    /* an initiator's cookie from the responder (2.6): sent first in IKE_SA_INIT */
    uint8_t cookie[64];
    uint8_t cookie_len, cookie_tries;
    /* the peer's IKE_SA_INIT: its SIGNATURE_HASH_ALGORITHMS (RFC 7427 4) and
     * CERTREQ CA key hashes (3.7; the first IKE_CERTREQ_KEEP, used to choose
     * among our certificates) */
    uint16_t peer_hashes[IKE_PEER_HASHES];
    uint8_t n_peer_hashes;
    bool peer_certreq;
    uint8_t *certreq;        /* IKE_CERTREQ_KEEP * 20 bytes once one came; freed when established */
    uint16_t certreq_len;
    bool keying;             /* an initiation that keyingtries retries when it fails */
    uint32_t keying_try;     /* this is attempt number keying_try (1 = the first) */
    uint64_t keying_more;    /* the Child SA configurations it brings */
    /* IKE fragmentation (RFC 7383, frag.c) */
    bool frag_peer;          /* the peer announced IKEV2_FRAGMENTATION_SUPPORTED */
    struct ike_dgrams req_frags, resp_frags; /* our request / response when sent in fragments */
    struct ike_reasm *reasm[2]; /* being reassembled: the peer's request [0], the response to ours [1] */
    /* a handshake (IKE_SA_INIT, IKE_AUTH) under way, counted when it ends
     * (counters.c); fail: IKE_CTR_HS_FAIL_* when it goes down (0: other) */
    bool hs;
    uint8_t fail;
    /* the table's view of it (satab.c): slot, hash links, deadline heap */
    unsigned slot;
    struct {
        struct ikesa *next;
        struct ikesa **pprev; /* the link pointing at it: unlinked without walking the chain */
        uint64_t key;
        bool in;
    } ix[IKE_IX_N];
    unsigned heap_i;          /* position in the deadline heap + 1 (0: not in it) */
    uint64_t deadline;        /* its key there: ike_sa_deadline at the last sync */
    bool touched;             /* found or changed in this call: synced at its end */
    bool half_open;           /* counted in n_half_open */
    uint32_t *spis;           /* our inbound Child SA SPIs in the SPI index (n_spis) */
    unsigned n_spis;
    /* lifecycle.c: reauthentication (2.8.3) and the hard lifetime */
    uint64_t reauth_at;       /* 0: never */
    uint64_t hard_at;         /* over_time: closed at this time (0: never) */
    uint32_t reauth_of;       /* this IKE SA reauthenticates the one with this id (0: none) */
    uint32_t reauth_by;       /* the IKE SA reauthenticating this one (0: none) */
    /* configuration payloads (cp.c): addresses we assigned the peer from a
     * pool (held leases) and ones the peer assigned us (a CFG_REPLY) */
    struct ike_sa_vip {
        struct ike_vpool *pool;
        struct ike_lease *lease;
        struct ike_addr addr;
    } rvip[IKE_MAX_VIPS];
    uint8_t n_rvip, n_lvip;
    struct ike_addr lvip[IKE_MAX_VIPS];
    struct ike_eap_sa *eap;   /* EAP under way in IKE_AUTH (eap.c); NULL: none */
    bool mobike_peer;         /* the peer sent MOBIKE_SUPPORTED in IKE_AUTH (RFC 4555 3.3; mobike.c) */
    bool mobike_update;       /* our address moved: UPDATE_SA_ADDRESSES to send */
    bool mobike_wait;         /* and sent: its answer has the peer's NAT detection */
    /* our identity when it is not the connection's: each initiator of a
     * load generator is its own client (ike_initiate_as); NULL: local_id */
    struct ike_peer_id *own_id;
    uint64_t ho_key;          /* the host it is counted under while half-open (satab.c) */
    /* the families (bit 4, bit 6) of the virtual IPs we asked for in our
     * CFG_REQUEST (cp.c): until the reply, our `dynamic` selectors stand
     * for the whole family (ts.c) */
    uint8_t vip_want;
    /* MOBIKE as the original initiator (mobike.c): only it moves the SAs
     * (RFC 4555 3.1); behind a NAT its liveness checks carry NAT detection,
     * and the NAT_DETECTION_DESTINATION_IP last answered is kept to see the
     * NAT's mapping of us change (mobike_dpd: such a check is out) */
    bool mobike_orig_i, mobike_dpd, mobike_natd_set;
    uint8_t mobike_natd[20];
};

/* the IKE SA table's indexes (satab.c) */
struct ike_sa_hash {
    struct ikesa **b;         /* cap buckets (a power of two), chained through ix[] */
    unsigned cap, n;
};
struct ike_satab {
    uint64_t key[2];          /* the hash key: SPIi are the peer's choice */
    struct ike_sa_hash h[IKE_IX_N];
    struct ikesa **heap;      /* min-heap by deadline */
    unsigned heap_n, heap_cap;
    struct ikesa **touched;
    unsigned n_touched, touched_cap;
    unsigned *free_slots, n_free, free_cap;
    unsigned *dead, n_dead, dead_cap; /* slots of SAs released in this call */
    uint32_t n_half_open;
    /* our inbound Child SA SPIs -> IKE SA: open addressing, linear probing */
    struct ike_spi_ent {
        uint32_t spi;         /* 0: empty (0 is never an SPI of ours) */
        struct ikesa *sa;
    } *spi;
    unsigned spi_cap, spi_n;
    /* half-open SAs per peer host (block_threshold), counted as they come and
     * go: open addressing by the host's keyed hash, entries at 0 removed */
    struct ike_ho_ent {
        uint64_t key;
        uint32_t n;           /* 0: empty */
    } *ho;
    unsigned ho_cap, ho_n;
};

/* an IKE SA the peer deleted: the response to its Delete is kept for
 * IKE_TOMB_MS, so that a retransmission of the Delete (our answer lost) is
 * answered rather than dropped, which would leave the peer retransmitting
 * to the end of its schedule (2.1) */
struct ike_tomb {
    uint8_t spi_i[8], spi_r[8];
    uint32_t msgid;
    uint8_t req_hash[20];
    struct ike_addr local, remote;
    bool marker;
    uint64_t until;
    size_t len;
    uint8_t *resp;
};

/* a connection's initiation to retry (keyingtries) */
struct ike_retry {
    uint64_t at;             /* 0: none */
    uint32_t next_try;
    int child;
    uint64_t more;
    bool restarting;
};

/* an index row: a key's hash and a connection slot or secret number;
 * rows sorted by (hash, slot), so a key's rows are one run found by binary
 * search, in slot order (connsel.c, psks.c) */
struct ike_ix_row {
    uint64_t h;
    int v;
};
/* the connection indexes (connsel.c), rebuilt after the table changed */
struct ike_connsel {
    bool dirty;                  /* a connection was added, changed or removed */
    struct ike_ix_row *addr;     /* by (local or %any, remote or %any): every live connection once */
    struct ike_ix_row *id;       /* by remote.id, those without wildcards */
    int *wild;                   /* slots whose remote.id is %any or a pattern, ascending */
    unsigned n_addr, n_id, n_wild, cap;
};
/* the pre-shared keys by identity (psks.c) */
struct ike_psk_ent {
    struct secret key;
    unsigned n_ids;
    struct ike_peer_id **ids;    /* none: the key of any identity (%any) */
};
struct ike_psktab {
    struct ike_psk_ent *ent;
    unsigned n;
    struct ike_ix_row *id;       /* by identity, those without wildcards */
    unsigned n_id;
    unsigned *wild, n_wild;      /* entries with no id or a pattern, ascending */
};

enum { IKE_SCRATCH_N = 6 }; /* working buffers in use at once, at most (deeper: allocated) */
/* a working buffer of size bytes (zeroed when zero) kept by the engine, or
 * allocated when all are in use; NULL: no memory.  Given back with
 * ike_scratch_put (the caller wipes what must not stay) */
void *ike_scratch_get(struct ike_engine *e, size_t size, bool zero);
void ike_scratch_put(struct ike_engine *e, void *p);

struct ike_engine {
    struct ike_env env;
    /* large working buffers (ike_scratch): a message and its SK contents
     * being decoded (~45 KB each, the decode pool), the payloads of a
     * message being built, the plaintext of one being sealed.  Kept from
     * one use to the next: an allocation of that size per message searched
     * malloc's bins and faulted fresh pages, a tenth of a responder's work
     * per IKE SA; busy: in use */
    struct ike_scratch {
        void *p;
        size_t cap;
        bool busy;
    } scratch[IKE_SCRATCH_N];
    /* the connections (conns.c): slots 0 .. n_conns-1 of cap_conns, grown as
     * needed; a removed connection's slot is free (name "") until reused, so
     * an index (ikesa.conn) stays valid as long as the connection */
    struct ike_conn_cfg *conns;
    struct secret *psk;
    struct ike_retry *retry;
    int n_conns, cap_conns;
    struct cred_store *creds;    /* certificates, keys, CAs, CRLs (NULL: none) */
    /* the IKE SA table: n_slots pointers, NULL when free; grows as needed */
    struct ikesa **sas;
    unsigned n_slots;
    uint32_t next_id;
    /* actions: a ring of q_cap (a power of two), grown, never dropped */
    struct ike_action *q;
    unsigned q_head, q_len, q_cap;
    struct ike_limits lim;
    struct ike_cookies cookies;
    struct rl_sketch answers;    /* stateless answers per source */
    struct rl_bucket unauth_log; /* log lines about unauthenticated packets */
    uint64_t suppressed_logged;  /* logs_suppressed when it was last reported */
    bool stopping;               /* ike_delete_all: no retries */
    struct ike_tomb *tombs;      /* IKE SAs the peer deleted, answered for a while */
    unsigned n_tombs, tombs_cap;
    const uint8_t *cur_req;      /* the request being handled (its bytes) */
    size_t cur_req_len;
    const struct ike_addr *cur_local, *cur_remote; /* and the addresses it came by (MOBIKE, mobike.c) */
    struct ike_stats stats;
    uint64_t now;    /* the time passed to the public call being handled */
    struct ike_frag_acct frag;   /* what reassemblies hold in all */
    /* event counters (counters.c): global, and per connection name */
    struct ike_counters ctr;
    struct ike_conn_ctr *conn_ctr;
    unsigned n_conn_ctr, conn_ctr_cap;
    bool keylog;                 /* ike_engine_set_keylog: IKE_ACT_IKE_KEYS wanted */
    struct ike_satab tab;        /* indexes of sas[] (satab.c) */
    uint32_t jitter_phase;       /* ike_jitter's sequence: random start, golden-ratio steps */
    struct ike_connsel sel;      /* connections by address and identity (connsel.c) */
    struct ike_psktab psks;      /* pre-shared keys by identity (psks.c) */
    /* virtual IP pools (pool.c, cp.c): the configured ones, and retired ones
     * (removed or changed) that live on until their last online lease goes */
    struct ike_vpool **pools, **retired;
    unsigned n_pools, n_retired;
    uint64_t pool_key[2];
    bool pool_key_set;
};

/* engine.c */
/* connection slot i holds a connection (is not free) */
static inline bool ike_conn_live(const struct ike_engine *e, int i)
{
    return i >= 0 && i < e->n_conns && e->conns[i].name[0];
}
/* conns.c: a free connection slot (the table grown when needed), or -1 (no memory) */
int ike_conn_slot(struct ike_engine *e);
/* c (checked) into free slot i; 0 or KITE_E_NOMEM (the slot stays free) */
int ike_conn_put(struct ike_engine *e, int i, const struct ike_conn_cfg *c);
/* a connection's defaults (retransmission, keyingtries), as the engine keeps it */
void ike_conn_defaults(struct ike_conn_cfg *c);
/* close an IKE SA now: a Delete when established (1.4.1), dropped when
 * half-open, no keyingtries retry; why goes to IKE_DOWN */
void ike_sa_close(struct ike_engine *e, struct ikesa *sa, uint64_t now, const char *why);
void ike_log(struct ike_engine *e, int subsys, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* a log line caused by an unauthenticated packet may be written now (rate
 * limit, ike_limits); counts the ones that may not */
bool ike_unauth_log_take(struct ike_engine *e);
/* such a line: its arguments are not even evaluated when it is not written,
 * so a flood costs no formatting */
#define ike_log_unauth(e, subsys, level, ...)                                                      \
    do {                                                                                           \
        if (ike_unauth_log_take(e))                                                                \
            ike_log((e), (subsys), (level), __VA_ARGS__);                                          \
    } while (0)
/* the queued action at position i (0: the next one out) */
struct ike_action *ike_queued(struct ike_engine *e, unsigned i);
/* may a stateless answer or a resent response go to this address now? */
bool ike_answer_allowed(struct ike_engine *e, const struct ike_addr *to);
/* iterate the IKE SA table: the SA in slot i or NULL */
static inline struct ikesa *ike_sa_at(const struct ike_engine *e, unsigned i)
{
    struct ikesa *sa = i < e->n_slots ? e->sas[i] : NULL;
    return sa && sa->state != IKE_S_FREE ? sa : NULL;
}
struct ike_action *ike_push(struct ike_engine *e, enum ike_action_type t, const struct ikesa *sa);
void ike_send(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n);
void ike_send_request(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n, uint64_t now);
void ike_send_response(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n);
/* the same for a message in fragments (frag.c): the datagrams are taken over */
void ike_send_request_dgrams(struct ike_engine *e, struct ikesa *sa, struct ike_dgrams *d, uint64_t now);
void ike_send_response_dgrams(struct ike_engine *e, struct ikesa *sa, struct ike_dgrams *d);
struct ikesa *ike_sa_new(struct ike_engine *e, int conn, bool initiator);
void ike_sa_down(struct ike_engine *e, struct ikesa *sa, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ike_sa_free(struct ikesa *sa);
void ike_send_delete(struct ike_engine *e, struct ikesa *sa, uint64_t now);
const char *ike_sa_name(const struct ike_engine *e, const struct ikesa *sa, char *buf, size_t cap);
struct ikesa *ike_sa_by_id(struct ike_engine *e, uint32_t id);

/* counters.c: ike_count adds one to counter c globally and, with sa (or a
 * connection index conn >= 0), for its connection; ike_count_msg counts a
 * message by its header (exchange type, response flag) and direction;
 * ike_hs_start/ike_hs_end a handshake of sa (end: established, or failed
 * with sa->fail) */
struct ike_conn_ctr {
    char name[IKE_NAME_MAX];
    struct ike_counters c;
};
void ike_count(struct ike_engine *e, const struct ikesa *sa, unsigned c);
void ike_count_conn(struct ike_engine *e, int conn, unsigned c);
void ike_count_msg(struct ike_engine *e, const struct ikesa *sa, const uint8_t *p, size_t n, bool in);
void ike_hs_start(struct ike_engine *e, struct ikesa *sa);
void ike_hs_end(struct ike_engine *e, struct ikesa *sa, bool established);
/* sa's handshake moved from connection slot `from` to sa->conn (IKE_AUTH
 * chose another connection, connsel.c): its start is counted there */
void ike_hs_moved(struct ike_engine *e, const struct ikesa *sa, int from);
void ike_counters_free(struct ike_engine *e);
/* satab.c: the IKE SA table's indexes; see there */
void ike_satab_init(struct ike_engine *e);
void ike_satab_free(struct ike_engine *e);
/* the SA was found or changed in this call: re-indexed at its end */
void ike_sa_touch(struct ike_engine *e, struct ikesa *sa);
void ike_satab_sync(struct ike_engine *e);
/* a new SA in slot `slot` */
void ike_satab_index_new(struct ike_engine *e, struct ikesa *sa, unsigned slot);
/* out of every index, then ike_sa_free; the slot is reused after the call */
void ike_sa_release(struct ike_engine *e, struct ikesa *sa);
unsigned ike_satab_free_slot(struct ike_engine *e);
void ike_satab_release_slot(struct ike_engine *e, unsigned slot);
/* ends every public call: sync, then free the slots released */
void ike_satab_gc(struct ike_engine *e);
/* the SAs with this SPIi (after: the previous one found, NULL first) */
struct ikesa *ike_sa_by_spi_i(struct ike_engine *e, const uint8_t spi_i[8], struct ikesa *after);
/* the SAs whose peer is at this host (address, any port) */
struct ikesa *ike_sa_by_host(struct ike_engine *e, const struct ike_addr *host, struct ikesa *after);
/* the half-open SAs from this host (address, any port), as of the last sync */
uint32_t ike_satab_half_open_from(const struct ike_engine *e, const struct ike_addr *host);
/* the established SAs whose peer has this authenticated identity (unique,
 * INITIAL_CONTACT; lifecycle.c), after: the previous one found, NULL first */
struct ikesa *ike_sa_by_peer(struct ike_engine *e, const struct ike_peer_id *id, struct ikesa *after);
/* the earliest deadline of any SA; the SAs due by now touched, how many */
uint64_t ike_satab_next(const struct ike_engine *e);
unsigned ike_satab_due(struct ike_engine *e, uint64_t now);
/* the IKE SA with this inbound Child SA SPI of ours (one of its children,
 * retired ones too, a proposed one: as of the last sync) */
struct ikesa *ike_sa_by_child_spi(struct ike_engine *e, uint32_t spi_in);
/* connsel.c: choosing the connection of an IKE SA we respond to, as charon
 * does: by addresses at IKE_SA_INIT, by addresses and identities at IKE_AUTH */
/* strongSwan's id_match_t grades: the identity against a configured
 * pattern; 0 no match, 1 %any, 19 a pattern with wildcards, 20 equal */
enum { IKE_IDM_NONE = 0, IKE_IDM_ANY = 1, IKE_IDM_WILD = 19, IKE_IDM_PERFECT = 20 };
unsigned ike_id_grade(uint8_t ptype, struct span pattern, uint8_t type, struct span id);
/* the connections an IKE_SA_INIT from remote to local may use, best first
 * (exact addresses before %any, as charon's ike_cfg match): *it starts at 0,
 * each call gives the next slot, -1 at the end */
struct ike_conn_it {
    int key;                     /* which address pair: 0 (local, remote) .. 3 (%any, %any) */
    unsigned pos, end;
    uint64_t h;
    bool scan;                   /* no memory for the index: a scan in four passes */
};
/* the peer is in remote_addrs' subnets and ranges (or there are none) */
bool ike_conn_remote_in(const struct ike_conn_cfg *c, const struct ike_addr *a);
int ike_conn_next_init(struct ike_engine *e, const struct ike_addr *local, const struct ike_addr *remote,
                       struct ike_conn_it *it);
/* the responder's connection at IKE_AUTH for the peer's IDi and the IDr it
 * asked for (NULL: none): the best by addresses and identities whose IKE
 * proposals hold the IKE SA's algorithms; -1 when none fits */
int ike_conn_select_auth(struct ike_engine *e, const struct ikesa *sa, const struct ike_id *idi,
                         const struct ike_id *idr);
void ike_connsel_free(struct ike_engine *e);
/* psks.c: the pre-shared key for sa's authentication with the peer's
 * identity peer (NULL: the initiator before IDr came, remote.id then): the
 * connection's own key when it has one, else the best of the engine's
 * table (ike_engine_set_psks); NULL when none, logged with both identities */
const struct secret *ike_psk_for(struct ike_engine *e, const struct ikesa *sa, const struct ike_id *peer);
void ike_psks_free(struct ike_engine *e);

/* engine.c: the SA's next deadline (UINT64_MAX: none) */
uint64_t ike_sa_deadline(const struct ike_engine *e, const struct ikesa *sa);

/* msg.c: building and protecting messages */
void ike_hdr_for(const struct ikesa *sa, uint8_t exchange, bool response, uint32_t msgid,
                 struct ike_hdr *h);
int ike_encode_plain(const struct ike_hdr *h, const struct ike_pld *pld, unsigned n, uint8_t *out,
                     size_t cap, size_t *len);
int ike_encode_sk(struct ikesa *sa, const struct ike_hdr *h, const struct ike_pld *pld, unsigned n,
                  uint8_t *out, size_t cap, size_t *len);
/* decode the inner chain of m (plaintext of SK, or reassembled SKF) and
 * check it against the rules */
int ike_open_inner(const struct ike_msg *m, const uint8_t *plain, size_t len, uint8_t first,
                   struct ike_chain *inner, struct diag *d);
/* decrypt the SK payload of m into plain and decode the inner chain */
int ike_open_sk(struct ikesa *sa, const uint8_t *p, size_t n, const struct ike_msg *m,
                uint8_t *plain, size_t cap, struct ike_chain *inner, struct diag *d);
void ike_payload_list(const struct ike_pld *pld, unsigned n, char *buf, size_t cap);
/* protect, log ("generating ...") and send a request (retransmitted, the
 * exchange noted as pending) or a response (cached) */
int ike_send_sk(struct ike_engine *e, struct ikesa *sa, uint8_t exchange, const struct ike_pld *pld, unsigned n,
                bool response, uint32_t msgid, uint64_t now);
struct ike_pld *pld_notify(struct ike_pld *p, uint16_t type, const void *data, size_t len);

/* cp.c: configuration payloads in IKE_AUTH (RFC 7296 3.15, 2.19) */
struct ike_cp_out {
    struct ike_cp_attr *a;   /* malloc'd: the attributes, values in buf */
    uint8_t *buf;
    unsigned n;
};
void ike_cp_out_free(struct ike_cp_out *o);
/* the initiator's CFG_REQUEST for its connection's vips into p; false (p
 * untouched) when it asks for none; KITE_E_NOMEM reported through *rc */
bool ike_cp_request(const struct ike_conn_cfg *c, struct ike_pld *p, struct ike_cp_out *o, int *rc);
/* the families (bit 4, bit 6) of the connection's vips; 0: none asked */
uint8_t ike_cp_families(const struct ike_conn_cfg *c);
/* the responder: addresses for the peer's CFG_REQUEST from the
 * connection's pools, leased to its identity, as a CFG_REPLY in p (*added);
 * returns 0, or the error notify that replaces the Child SA
 * (INTERNAL_ADDRESS_FAILURE: none could be assigned; FAILED_CP_REQUIRED:
 * the connection has pools and the peer asked for nothing) */
uint16_t ike_cp_assign(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, const struct ike_id *peer,
                       struct ike_pld *p, bool *added, struct ike_cp_out *o);
/* the responder's remote selector narrowed to the peer's virtual IP of its
 * family (2.9: the peer may send from that address only); 0, or
 * KITE_E_TS_UNACCEPTABLE when the selector does not hold it */
int ike_cp_narrow(const struct ikesa *sa, struct ike_ts_cfg *rts);
/* the initiator: the CFG_REPLY of an IKE_AUTH response; IKE_ACT_VIP when
 * it holds addresses; KITE_E_MISSING when we asked and got none */
int ike_cp_reply(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in);
/* the IKE SA's leases given back (it is going) */
void ike_cp_release(struct ike_engine *e, struct ikesa *sa);
/* a rekey: n holds old's virtual IPs too (old releases its hold when it goes) */
void ike_cp_move(struct ike_engine *e, const struct ikesa *old, struct ikesa *n);
void ike_cp_pools_free(struct ike_engine *e);

/* proposal.c */
void ike_prop_build(const struct ike_prop_cfg *cfg, uint8_t num, uint8_t proto, const uint8_t *spi,
                    size_t spi_len, struct ike_proposal *out, struct ike_transform *xf,
                    struct ike_xf_attr *attr);
/* the responder's choice (2.7): the first configured proposal any offered one
 * matches; *chosen gets the offered proposal, algs the transforms */
int ike_prop_select(const struct ike_prop_cfg *cfg, unsigned n_cfg, const struct ike_sa *offer,
                    uint8_t proto, uint16_t ke_group, struct ike_algs *algs,
                    const struct ike_proposal **chosen, uint16_t *want_group);
/* the initiator's check of the one proposal returned */
int ike_prop_accept(const struct ike_prop_cfg *cfg, unsigned n_cfg, const struct ike_proposal *got,
                    uint8_t proto, struct ike_algs *algs);
/* the same for the Child SA of IKE_AUTH, which has no key exchange (1.2):
 * KE transforms are ignored on both sides */
int ike_prop_select_no_ke(const struct ike_prop_cfg *cfg, unsigned n_cfg, const struct ike_sa *offer,
                          uint8_t proto, struct ike_algs *algs, const struct ike_proposal **chosen);
int ike_prop_accept_no_ke(const struct ike_prop_cfg *cfg, unsigned n_cfg, const struct ike_proposal *got,
                          uint8_t proto, struct ike_algs *algs);
void ike_prop_strip_ke(const struct ike_prop_cfg *in, unsigned n, struct ike_prop_cfg *out);
/* the first KE group of the proposals, 0 when none (no PFS) */
uint16_t ike_prop_first_group(const struct ike_prop_cfg *cfg, unsigned n);
void ike_prop_str(const struct ike_algs *a, bool ike, char *buf, size_t cap);
/* every proposal of an SA payload, and configured proposals, as charon
 * prints them ("IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519, ...") */
void ike_prop_offer_str(const struct ike_sa *offer, char *buf, size_t cap);
void ike_prop_cfg_str(const struct ike_prop_cfg *cfg, unsigned n, bool ike, char *buf, size_t cap);
/* a Child SA's NO_PROPOSAL_CHOSEN explained: what the peer offered and what
 * the child has, as charon logs them (an authenticated peer: not rate-limited) */
void ike_child_log_offers(struct ike_engine *e, const struct ike_child_cfg *ch, const struct ike_sa *offer);
/* the 4-byte SPI of an ESP proposal, 0 when it has none */
uint32_t ike_prop_spi32(const struct ike_proposal *p);
/* the selected algorithms as a single-proposal config (for the response) */
void ike_prop_from_algs(const struct ike_algs *a, bool ike, struct ike_prop_cfg *out);

/* ts.c */
int ike_ts_narrow(const struct ike_ts_cfg *mine, unsigned n_mine, const struct ike_ts *theirs,
                  struct ike_ts_cfg *out);
void ike_ts_to_wire(const struct ike_ts_cfg *t, struct ike_ts_sel *sel);
int ike_ts_from_wire(const struct ike_ts_sel *sel, struct ike_ts_cfg *t);
bool ike_ts_within(const struct ike_ts_cfg *inner, const struct ike_ts_cfg *outer);
/* every selector of a response lies within one of the n we proposed: a
 * responder may narrow, never widen (2.9, 2.9.2) */
bool ike_ts_subset(const struct ike_ts *got, const struct ike_ts_cfg *ours, unsigned n);
const char *ike_ts_str(const struct ike_ts_cfg *t, char *buf, size_t cap);
/* a Child SA configuration's selectors for one IKE SA: each `dynamic` one
 * becomes that side's IKE address (local: ours, remote: the peer's) with
 * its protocol and ports (RFC 7296 2.9); nothing wider is ever made of it */
struct ike_ts_set {
    unsigned nl, nr;
    struct ike_ts_cfg l[IKE_MAX_TS_CFG], r[IKE_MAX_TS_CFG];
};
void ike_ts_resolve(const struct ike_ts_cfg *in, unsigned n, const struct ike_addr *host, struct ike_ts_cfg *out,
                    unsigned *n_out);
void ike_ts_child(const struct ikesa *sa, const struct ike_child_cfg *ch, struct ike_ts_set *out);

/* natd.c: NAT_DETECTION_*_IP hashes (2.23) */
int ike_natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], const struct ike_addr *a,
                  uint8_t out[20]);

/* nat.c: NAT detection, address updates and keepalives (2.23, RFC 3948) */
/* a new IKE SA's NAT-T state: IKE to a remote_port other than ours starts on
 * the NAT-T port (the responder: a request that came there) */
void ike_nat_start(struct ike_engine *e, struct ikesa *sa);
/* NAT detection from the peer's NATD notifies in IKE_SA_INIT; logs it */
void ike_nat_check(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *c);
/* "local", "remote (or faked by the peer)", ... */
const char *ike_nat_str(const struct ikesa *sa, char *buf, size_t cap);
/* an authenticated, new IKE message came from remote to local: float to the
 * NAT-T port or follow a changed NAT mapping (2.23) */
void ike_nat_update(struct ike_engine *e, struct ikesa *sa, const struct ike_addr *local,
                    const struct ike_addr *remote);
/* a response goes where its request came from (2.11), also when the IKE SA
 * did not follow that address: the SEND actions of IKE SA id queued since
 * queue length `mark` */
void ike_nat_reply_to(struct ike_engine *e, uint32_t id, unsigned mark, const struct ike_addr *remote);
/* transport mode with the peer behind a NAT (2.23.1): its packets come from
 * its address as we see it, not the one its traffic selector names */
void ike_nat_transport_ts(struct ike_engine *e, const struct ikesa *sa, struct ike_ts_cfg *rts);
/* a keepalive when one is due (1 if asked for); the next keepalive time */
int ike_nat_tick(struct ike_engine *e, struct ikesa *sa, uint64_t now);
uint64_t ike_nat_next(const struct ike_engine *e, const struct ikesa *sa);

/* the IKE SA goes because the peer deleted it: keep its answer (ike_tomb) */
void ike_tomb_add(struct ike_engine *e, const struct ikesa *sa);

/* exch_ike_sa_init.c: an answer to an IKE_SA_INIT request without state:
 * HDR, N(type) (1.2, 2.6, 2.7) */
void ike_send_stateless(struct ike_engine *e, const struct ike_msg *m, const struct ike_addr *local,
                        const struct ike_addr *remote, uint16_t type, const void *data, size_t len);

/* auth.c: what AUTH covers (2.15): oct[] = RealMessage, Nonce, prf(SK_p,
 * IDbody) with the last in maced (IKE_PRF_MAX bytes); and the PSK AUTH data */
int ike_auth_octets(const struct ikesa *sa, bool for_initiator, const struct ike_id *id, uint8_t *maced,
                    struct span oct[3]);
int ike_psk_auth(const struct ikesa *sa, const struct secret *psk, bool for_initiator,
                 const struct ike_id *id, uint8_t *out, size_t *len);

/* auth_pubkey.c: certificate authentication (RFC 7296 2.15, 3.6, 3.7; RFC 7427; RFC 4945) */
/* remembers what the peer's IKE_SA_INIT message announced: SIGNATURE_HASH_ALGORITHMS, CERTREQ */
void ike_pk_note_init(struct ikesa *sa, const struct ike_chain *in);
/* the loaded certificates of remote.cacerts, allocated (free() it), their
 * number in *n; NULL: no memory */
X509 **ike_pk_anchors(const struct cred_store *cs, const struct ike_conn_cfg *c, size_t *n);
/* our CERTREQ payload for the connection (3.7): its data in *buf (malloc'd,
 * the caller frees); false when none is to be sent */
bool ike_pk_certreq(struct ike_engine *e, const struct ike_conn_cfg *c, struct ike_pld *p, uint8_t **buf);
/* our CERT payloads and AUTH for an IKE_AUTH message whose ID payload is id:
 * the payloads are appended to pld[*n] (room for IKE_PK_PLDS); their data
 * lives in *o until ike_pk_out_free */
enum { IKE_PK_CHAIN = 4, IKE_PK_PLDS = 1 + IKE_PK_CHAIN + 1 };
struct ike_pk_out {
    X509 *cert;             /* ours, chosen by ike_pk_certs (the store's) */
    uint8_t *der[1 + IKE_PK_CHAIN];
    uint8_t auth[SIG_MAX];
};
int ike_pk_certs(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, struct ike_pld *pld,
                 unsigned *n, struct ike_pk_out *o);
int ike_pk_auth(struct ike_engine *e, struct ikesa *sa, const struct ike_id *id, struct ike_pld *p,
                struct ike_pk_out *o);
void ike_pk_out_free(struct ike_pk_out *o);
/* the credential snapshot of sa's authentication: the engine's at its first
 * use, held by the SA until it is freed, so that a swap (SIGHUP, VICI's
 * load-cert) halfway through an IKE_AUTH exchange changes nothing for it */
struct cred_store *ike_sa_creds(struct ike_engine *e, struct ikesa *sa);
/* verifies the peer's certificate, identity and AUTH signature; logs the
 * reason of a refusal; 0 or KITE_E_AUTH_FAILED */
int ike_pk_verify(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, const struct ike_id *id,
                  const struct ike_auth *auth);
/* EAP-TLS (eap.c): our certificate (local.certs, or one holding local.id),
 * its key and the intermediates to send after it (at most cap); NULL if none */
X509 *ike_pk_local_cert(struct ike_engine *e, struct ikesa *sa, EVP_PKEY **key, X509 **chain, size_t cap,
                        size_t *n_chain);
/* EAP-TLS: the peer's TLS certificate (ee, with the chain it sent) holds
 * the identity (type, data) and chains to remote.cacerts (or any trusted
 * CA); 0, or KITE_E_AUTH_FAILED with why */
int ike_peer_cert_check(struct ike_engine *e, struct ikesa *sa, X509 *ee, STACK_OF(X509) *chain, uint8_t type,
                        struct span id, char *why, size_t cap);

/* child.c: the Child SAs of an IKE SA */
/* KEYMAT (2.17) from [g^ir] | Ni | Nr, a CHILD_UP action and a table entry */
struct ike_child_st *ike_child_install(struct ike_engine *e, struct ikesa *sa, int cfg, const struct ike_algs *algs,
                                       uint32_t spi_in, uint32_t spi_out, struct span gir, struct span ni,
                                       struct span nr, const struct ike_ts_cfg *lts, const struct ike_ts_cfg *rts,
                                       bool transport, bool we_initiated, uint32_t replaces, bool takeover,
                                       uint64_t now);
struct ike_child_st *ike_child_by_spi_out(struct ikesa *sa, uint32_t spi_out);
struct ike_child_st *ike_child_by_spi_in(struct ikesa *sa, uint32_t spi_in);
/* the Child SA leaves the table with a CHILD_DOWN action */
void ike_child_remove(struct ike_engine *e, struct ikesa *sa, struct ike_child_st *c, const char *why);
/* a rekeyed Child SA: no more outbound use at once (CHILD_RETIRE), removed
 * IKE_CHILD_GRACE_MS later so that packets already on the way still decrypt */
void ike_child_retire(struct ike_engine *e, struct ikesa *sa, struct ike_child_st *c, uint64_t now);
/* our Delete of it goes out: no more outbound use (CHILD_RETIRE), inbound
 * until the Delete is answered */
void ike_child_deleting(struct ike_engine *e, struct ikesa *sa, struct ike_child_st *c);
/* remove retired Child SAs whose time is up; the earliest such time */
void ike_child_reap(struct ike_engine *e, struct ikesa *sa, uint64_t now);
uint64_t ike_child_next_reap(const struct ikesa *sa);
uint32_t ike_new_spi(struct ike_engine *e, uint8_t out[4]);

/* the Child SA slots an IKE SA has now: ike_sa_child(sa, 0 .. this - 1) */
static inline int ike_child_slots(const struct ikesa *sa)
{
    return 1 + (int)sa->n_more * IKE_CHILD_CHUNK;
}
/* Child SA slot i (0 .. ike_child_slots - 1); one past them reads as free (a
 * zeroed scratch copy: never written through) */
static inline struct ike_child_st *ike_sa_child(const struct ikesa *sa, int i)
{
    static struct ike_child_st none;
    if (i == 0)
        return (struct ike_child_st *)&sa->child0;
    if (i > 0 && i < ike_child_slots(sa))
        return &sa->more[(i - 1) / IKE_CHILD_CHUNK][(i - 1) % IKE_CHILD_CHUNK];
    memset(&none, 0, sizeof none);
    return &none;
}
static inline int ike_child_index(const struct ikesa *sa, const struct ike_child_st *c)
{
    if (c == &sa->child0)
        return 0;
    for (uint32_t k = 0; k < sa->n_more; k++)
        if (c >= sa->more[k] && c < sa->more[k] + IKE_CHILD_CHUNK)
            return 1 + (int)k * IKE_CHILD_CHUNK + (int)(c - sa->more[k]);
    return -1;
}
/* IKE_CHILD_CHUNK more slots; 0 or KITE_E_NOMEM */
int ike_sa_child_grow(struct ikesa *sa);
/* the chunks freed (the slots' SAs must be gone) */
void ike_sa_child_chunks_free(struct ikesa *sa);

/* a rekey's random part (strongSwan's rand_time), 0 .. range: successive
 * values step through [0, range] by the golden ratio from a random start,
 * so the rekeys of many SAs set up together spread evenly over the window
 * instead of clumping as independent draws do (issue 13) */
uint64_t ike_jitter(struct ike_engine *e, uint64_t range);

/* nonces compared as byte strings, a shorter prefix first (2.8.1, 2.8.2) */
int ike_nonce_cmp(struct span a, struct span b);
/* the length of the nonces we send (IKE_NONCE_LEN unless a test set another) */
size_t ike_nonce_len(const struct ike_engine *e);
/* a peer's nonce length is one RFC 7296 3.9 allows (16..256 bytes) */
bool ike_nonce_ok(struct span n);
/* an SA we installed answering the peer's rekey whose old SA the peer has not
 * deleted yet: the peer may not have our answer, so we neither rekey nor
 * delete it until then (checked again every IKE_CONFIRM_RECHECK_MS) */
bool ike_child_unconfirmed(struct ikesa *sa, const struct ike_child_st *c);
enum { IKE_CONFIRM_RECHECK_MS = 1000 };
/* Child SA slots of this IKE SA not in use */
int ike_child_free_slots(const struct ikesa *sa);
/* exchanges */
/* exch_informational.c: an INFORMATIONAL request (Delete, INVALID_SPI, liveness) */
/* MOBIKE (RFC 4555, mobike.c): on for the connection; the peer's
 * MOBIKE_SUPPORTED in IKE_AUTH noted; an INFORMATIONAL request's
 * UPDATE_SA_ADDRESSES and COOKIE2 handled, the payloads for the answer put in
 * out (up to 3; natd holds their data), how many */
bool ike_mobike_on(const struct ike_engine *e, const struct ikesa *sa);
void ike_mobike_auth_seen(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in);
unsigned ike_mobike_request(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in,
                            struct ike_pld *out, uint8_t natd[2][20]);
int ike_mobike_send_update(struct ike_engine *e, struct ikesa *sa, uint64_t now);
void ike_mobike_response(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in);
/* a liveness check with NAT detection (behind a NAT, as the MOBIKE
 * initiator): true when it went out, false for the plain empty one */
bool ike_mobike_dpd(struct ike_engine *e, struct ikesa *sa, uint64_t now);
/* an IKE SA rekey's successor keeps MOBIKE's state */
void ike_mobike_inherit(struct ikesa *n, const struct ikesa *old);
int ike_informational_request(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint32_t msgid,
                              uint64_t now);
int ike_create_child_request(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint32_t msgid,
                             uint64_t now);
int ike_create_child_response(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now);
/* rekey Child SAs whose time has come; 1 if a request was sent */
int ike_child_rekey_due(struct ike_engine *e, struct ikesa *sa, uint64_t now);
/* the Delete of the rekeyed Child SA was answered */
void ike_child_rekey_deleted(struct ike_engine *e, struct ikesa *sa, uint64_t now);
/* INFORMATIONAL Delete of one of our inbound ESP SPIs */
void ike_send_child_delete(struct ike_engine *e, struct ikesa *sa, uint32_t spi_in, uint64_t now);
/* Child SAs past their life_time: deleted (1 if a request was sent) */
int ike_child_hard_due(struct ike_engine *e, struct ikesa *sa, uint64_t now);
uint64_t ike_child_next_hard(const struct ikesa *sa);
/* any Child SA with this inbound SPI, retired ones too */
struct ike_child_st *ike_child_any_by_spi_in(struct ikesa *sa, uint32_t spi_in);
/* the configuration whose selectors both narrow to the proposed ones, the
 * first one when none does (its narrowing then fails: TS_UNACCEPTABLE) */
int ike_child_cfg_for_ts(const struct ikesa *sa, const struct ike_conn_cfg *c, const struct ike_ts *tsi,
                         const struct ike_ts *tsr);
/* a Child SA the peer no longer has (INVALID_SPI, CHILD_SA_NOT_FOUND): removed
 * without a Delete, created again when wanted */
void ike_child_lost(struct ike_engine *e, struct ikesa *sa, struct ike_child_st *c, const char *why, uint64_t now);
/* additional Child SAs wanted on this IKE SA: 1 if a CREATE_CHILD_SA request was sent */
int ike_child_create_due(struct ike_engine *e, struct ikesa *sa, uint64_t now);
/* the Child SAs of old now belong to n (IKE_REKEYED) */
void ike_rekey_move_children(struct ike_engine *e, struct ikesa *old, struct ikesa *n);
int ike_sa_init_start(struct ike_engine *e, struct ikesa *sa, uint64_t now);
/* *dst (freed first) becomes a malloc'd copy of p[0..n); 0 or KITE_E_* */
int ike_msg_keep(uint8_t **dst, size_t *len, const uint8_t *p, size_t n);
/* the same for a nonce; with p NULL, n random bytes (ours) */
int ike_nonce_keep(struct ike_engine *e, uint8_t **dst, uint16_t *len, const uint8_t *p, size_t n);
int ike_sa_init_request(struct ike_engine *e, const uint8_t *p, size_t n, const struct ike_msg *m,
                        const struct ike_addr *local, const struct ike_addr *remote, uint64_t now);
int ike_sa_init_response(struct ike_engine *e, struct ikesa *sa, const uint8_t *p, size_t n,
                         const struct ike_msg *m, uint64_t now);
int ike_auth_start(struct ike_engine *e, struct ikesa *sa, uint64_t now);
int ike_auth_request(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now);
int ike_auth_response(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now);
int ike_keys_derive(struct ike_engine *e, struct ikesa *sa, struct span gir);
/* the IKE SA keys and SK contexts from SKEYSEED (sa->algs, nonces and SPIs set) */
int ike_keys_from_skeyseed(struct ikesa *sa, struct span skeyseed);
/* keylog.c: IKE_ACT_IKE_KEYS with sa's keys when key logging is on */
void ike_keylog_push(struct ike_engine *e, const struct ikesa *sa);
/* exch_ike_rekey.c */
int ike_rekey_request(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint32_t msgid,
                      uint64_t now);
int ike_rekey_response(struct ike_engine *e, struct ikesa *sa, const struct ike_chain *in, uint64_t now);
/* 1 if a rekey request was sent */
int ike_rekey_due(struct ike_engine *e, struct ikesa *sa, uint64_t now);
uint64_t ike_rekey_time(struct ike_engine *e, const struct ike_conn_cfg *c, uint64_t now);
/* lifecycle.c: reauthentication, unique, over_time, close_action */
/* an IKE SA just established (IKE_AUTH) or made by a rekey: its
 * reauthentication time (a rekey's successor keeps its predecessor's) and
 * hard lifetime */
void ike_life_established(struct ike_engine *e, struct ikesa *sa, const struct ikesa *rekeyed, uint64_t now);
/* the responder's uniqueness check of a new IKE SA (before its IKE_AUTH
 * answer): false when unique = keep refuses it */
bool ike_life_unique(struct ike_engine *e, struct ikesa *sa, const struct ike_id *peer, bool initial_contact,
                     uint64_t now);
/* may our IKE_AUTH request carry INITIAL_CONTACT (unique = never: no) */
bool ike_life_initial_contact(const struct ike_engine *e, const struct ikesa *sa);
/* reauthentication and the hard lifetime due now (1 when something was
 * done: the caller's tick ends there); their next time */
int ike_life_tick(struct ike_engine *e, struct ikesa *sa, uint64_t now);
uint64_t ike_life_next(const struct ike_engine *e, const struct ikesa *sa);
/* the peer deleted Child SA configuration cfg (not a rekey) / the IKE SA:
 * close_action = start brings it back */
void ike_life_child_closed(struct ike_engine *e, struct ikesa *sa, int cfg, uint64_t now);
void ike_life_ike_closed(struct ike_engine *e, struct ikesa *sa, uint64_t now);
/* the peer of established IKE SA sa is dead (no answer through the
 * retransmissions): dpd_action = trap re-arms those of `children` (a mask
 * of Child SA configurations) that have it (IKE_ACT_TRAP) */
void ike_life_dead_peer(struct ike_engine *e, const struct ikesa *sa, uint64_t children);
/* a new Child SA we answered for (not a rekey): when the same peer has this
 * configuration's Child SA up on another IKE SA (it reauthenticates,
 * make-before-break), the new one carries outbound traffic only once that
 * one is gone, as an answered rekey does: the peer installs it only when our
 * answer arrives (CHILD_UP's replaces_spi_in and takeover) */
void ike_life_child_overlap(struct ike_engine *e, const struct ikesa *sa, int cfg, struct ike_child_sa *c);
/* engine.c: a new IKE SA of connection c from local to remote for Child SA
 * configuration ch, the ones in `more` following with CREATE_CHILD_SA;
 * attempt: its keyingtries attempt (0: not retried when it fails); 0 and
 * *out (may be NULL) the SA, or the error (the SA is gone then) */
int ike_initiate_sa(struct ike_engine *e, int c, int ch, uint64_t more, const struct ike_addr *local,
                    const struct ike_addr *remote, bool restarting, uint32_t attempt, uint64_t now,
                    struct ikesa **out);
/* the Child SA configurations an IKE SA has up or wants */
uint64_t ike_sa_children_of(const struct ikesa *sa);

#endif
