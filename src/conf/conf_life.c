/* conf_life: a connection's lifetime, reauthentication and uniqueness keys,
 * and the Child SA keys of strongSwan's kernel interface, as swanctl.conf(5)
 * has them (issue 14).  What kite does not do is refused with the reason,
 * unless ignoring it can neither weaken security nor change what traffic
 * is protected: then a warning naming the connection or child. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf/conf_int.h"

/* ---- connections.X ---- */

static int time_key(const struct conf_io *io, struct set_node *sec, const char *key, uint32_t *out, bool *set)
{
    struct set_node *node;
    const char *v = conf_key(sec, key, &node);
    *set = v != NULL;
    if (v && conf_time(v, out))
        return conf_fail(io, node, "%s: invalid time '%s' (e.g. 4h, 30m, 3600; at most %u s)", key, v, UINT32_MAX);
    return 0;
}

static int unique_key(const struct conf_io *io, struct set_node *sec, struct conf_conn *c)
{
    static const char *const names[] = { [CONF_UNIQUE_NO] = "no", [CONF_UNIQUE_NEVER] = "never",
                                         [CONF_UNIQUE_KEEP] = "keep", [CONF_UNIQUE_REPLACE] = "replace" };
    struct set_node *node;
    const char *v = conf_key(sec, "unique", &node);
    for (int i = 0; v && i <= CONF_UNIQUE_REPLACE; i++)
        if (!strcmp(v, names[i])) {
            c->unique = (uint8_t)i;
            return 0;
        }
    return v ? conf_fail(io, node, "unique must be no, never, keep or replace, not '%s'", v) : 0;
}

/* strongSwan's defaults (its vici_config.c): a reauth_time without a
 * rekey_time turns rekeying off; over_time is 10% of the longer of the two,
 * rand_time over_time but at most half of the shorter non-zero one */
static void life_defaults(struct conf_conn *c, bool rekey_set, bool reauth_set, bool over_set, bool rand_set)
{
    if (reauth_set && !rekey_set)
        c->rekey_time = 0;
    uint32_t longer = c->rekey_time > c->reauth_time ? c->rekey_time : c->reauth_time;
    if (!over_set)
        c->over_time = longer / 10;
    if (!rand_set) {
        uint32_t base = c->rekey_time && c->reauth_time
                            ? (c->rekey_time < c->reauth_time ? c->rekey_time : c->reauth_time)
                            : longer;
        c->rand_time = c->over_time < base / 2 ? c->over_time : base / 2;
    }
}

/* a key that needs XFRM interfaces, marks or a kernel backend: only its
 * "off" value (0, empty) is taken */
static int kernel_only(const struct conf_io *io, struct set_node *sec, const char *key, const char *off)
{
    struct set_node *node;
    const char *v = conf_key(sec, key, &node);
    if (!v || !strcmp(v, off) || (!*off && !*v))
        return 0;
    return conf_fail(io, node, "%s = %s: needs the kernel backend (XFRM), which kite does not have yet (not "
                               "implemented); kite's userspace data plane has no marks, interface IDs or interfaces",
                     key, v);
}

int conf_life_conn(const struct conf_io *io, struct set_node *sec, struct conf_conn *c)
{
    struct set_node *node;
    bool rekey_set = set_find(sec, "rekey_time") != NULL, reauth_set, over_set, rand_set;
    if (time_key(io, sec, "reauth_time", &c->reauth_time, &reauth_set) ||
        time_key(io, sec, "over_time", &c->over_time, &over_set) ||
        time_key(io, sec, "rand_time", &c->rand_time, &rand_set) || unique_key(io, sec, c) ||
        kernel_only(io, sec, "if_id_in", "0") || kernel_only(io, sec, "if_id_out", "0"))
        return -1;
    life_defaults(c, rekey_set, reauth_set, over_set, rand_set);
    const char *v = conf_key(sec, "dpd_timeout", &node);
    uint32_t t;
    if (v && conf_time(v, &t))
        return conf_fail(io, node, "dpd_timeout: invalid time '%s'", v);
    if (v && t)
        conf_warn(io, node, "dpd_timeout has no effect in connection '%s': it is IKEv1-only in strongSwan too; "
                            "an IKEv2 peer is declared dead when a request goes unanswered through the "
                            "retransmissions", c->name);
    return 0;
}

/* ---- children.X ---- */

static int close_action(const struct conf_io *io, struct set_node *sec, struct conf_child *ch)
{
    struct set_node *node;
    const char *v = conf_key(sec, "close_action", &node);
    if (!v || !strcmp(v, "none"))
        ch->close_action = CONF_CLOSE_NONE;
    else if (!strcmp(v, "clear"))
        ch->close_action = CONF_CLOSE_CLEAR;
    else if (!strcmp(v, "start") || !strcmp(v, "restart"))
        ch->close_action = CONF_CLOSE_START;
    else if (!strcmp(v, "trap"))
        return conf_fail(io, node, "close_action = trap: trap policies are not implemented yet (issue 15); use "
                                   "none, clear or start");
    else
        return conf_fail(io, node, "close_action must be none, clear, trap or start, not '%s'", v);
    return 0;
}

static int shunt_mode(const struct conf_io *io, struct set_node *sec)
{
    struct set_node *node;
    const char *v = conf_key(sec, "mode", &node);
    if (v && (!strcmp(v, "pass") || !strcmp(v, "drop")))
        return conf_fail(io, node, "mode = %s: shunt policies are not implemented in kite's userspace data plane "
                                   "(traffic not routed into kite's TUN device bypasses the tunnel already; use "
                                   "a firewall rule to drop)", v);
    if (v && !strcmp(v, "beet"))
        return conf_fail(io, node, "mode = beet is not implemented (tunnel or transport)");
    return 0;
}

/* a key with one accepted value (its default); anything else refused */
static int only(const struct conf_io *io, struct set_node *sec, const char *key, const char *ok, const char *why)
{
    struct set_node *node;
    const char *v = conf_key(sec, key, &node);
    bool b, okb;
    if (!v || !strcmp(v, ok) || (!conf_bool(v, &b) && !conf_bool(ok, &okb) && b == okb))
        return 0;
    return conf_fail(io, node, "%s = %s: %s", key, v, why);
}

/* the outer IP header of kite's ESP is the kernel's (a UDP or raw socket):
 * DF as path MTU discovery has it, ECN and DSCP 0.  Protection is the same */
static int copy_keys(const struct conf_io *io, struct set_node *sec, const struct conf_child *ch)
{
    static const char *const keys[] = { "copy_df", "copy_ecn", "copy_dscp" };
    for (int i = 0; i < 3; i++) {
        struct set_node *node;
        const char *v = conf_key(sec, keys[i], &node);
        bool b;
        if (!v)
            continue;
        if (i < 2 ? conf_bool(v, &b) : (strcmp(v, "no") && strcmp(v, "in") && strcmp(v, "out") && strcmp(v, "yes")))
            return conf_fail(io, node, "%s must be %s, not '%s'", keys[i], i < 2 ? "yes or no" : "no, in, out or yes",
                             v);
        (void)ch; /* a value other than the default is warned about by the key table (conf_keys.c) */
    }
    return 0;
}

static int hw_offload(const struct conf_io *io, struct set_node *sec)
{
    struct set_node *node;
    const char *v = conf_key(sec, "hw_offload", &node);
    bool b;
    if (!v || !strcmp(v, "auto") || (!conf_bool(v, &b) && !b))
        return 0; /* auto: offload where it can be had, i.e. none */
    return conf_fail(io, node, "hw_offload = %s: needs the kernel backend (not implemented); no or auto", v);
}

/* warned about, not refused: ignoring them changes no protection */
static int harmless(const struct conf_io *io, struct set_node *sec, const struct conf_child *ch)
{
    struct set_node *node;
    const char *v = conf_key(sec, "inactivity", &node);
    uint32_t t;
    if (v && conf_time(v, &t))
        return conf_fail(io, node, "inactivity: invalid time '%s'", v);
    if (v && t)
        conf_warn(io, node, "inactivity has no effect in child '%s' (not implemented): the Child SA is not closed "
                            "when idle, it lives to its life_time", ch->name);
    bool b;
    if ((v = conf_key(sec, "policies_fwd_out", &node)) && conf_bool(v, &b))
        return conf_fail(io, node, "policies_fwd_out must be yes or no, not '%s'", v);
    if (v && b)
        conf_warn(io, node, "policies_fwd_out has no effect in child '%s': the userspace data plane protects "
                            "forwarded traffic that matches the selectors anyway", ch->name);
    if ((v = conf_key(sec, "label_mode", &node)))
        conf_warn(io, node, "label_mode ignored in child '%s': kite has no security labels", ch->name);
    return 0;
}

/* strongSwan derives the rekey limits from the hard ones when only those
 * are given: rekey = life / 1.1 */
static int lifetimes(const struct conf_io *io, struct set_node *sec, struct conf_child *ch)
{
    struct set_node *node;
    const char *v;
    if (!set_find(sec, "rekey_time") && (v = conf_key(sec, "life_time", &node))) {
        uint32_t life;
        if (conf_time(v, &life))
            return conf_fail(io, node, "invalid time '%s'", v);
        ch->rekey_time = (uint32_t)((uint64_t)life * 10 / 11);
    }
    static const char *const hard[] = { "life_bytes", "life_packets" }, *const soft[] = { "rekey_bytes",
                                                                                          "rekey_packets" };
    uint64_t *out[] = { &ch->rekey_bytes, &ch->rekey_packets };
    for (int i = 0; i < 2; i++) {
        if (set_find(sec, soft[i]) || !(v = conf_key(sec, hard[i], &node)))
            continue;
        char *end;
        unsigned long long n = strtoull(v, &end, 10);
        if (*v >= '0' && *v <= '9' && !*end) /* a bad number is refused where it is read (conf.c) */
            *out[i] = n / 11 * 10 + n % 11 * 10 / 11;
    }
    return 0;
}

int conf_life_child(const struct conf_io *io, struct set_node *sec, struct conf_child *ch)
{
    static const char *const kernel[][2] = { { "mark_in", "0" },   { "mark_out", "0" },    { "set_mark_in", "0" },
                                             { "set_mark_out", "0" }, { "if_id_in", "0" }, { "if_id_out", "0" },
                                             { "interface", "" } };
    for (size_t i = 0; i < sizeof kernel / sizeof kernel[0]; i++)
        if (kernel_only(io, sec, kernel[i][0], kernel[i][1]))
            return -1;
    if (close_action(io, sec, ch) || shunt_mode(io, sec) || copy_keys(io, sec, ch) || hw_offload(io, sec) ||
        harmless(io, sec, ch) || lifetimes(io, sec, ch))
        return -1;
    if (only(io, sec, "mark_in_sa", "no", "needs the kernel backend (not implemented)") ||
        only(io, sec, "priority", "0", "explicit policy priorities are not implemented: kite's userspace data "
                                       "plane orders its policies itself (the newest Child SA first)") ||
        only(io, sec, "sha256_96", "no", "HMAC-SHA-256 truncated to 96 bits (pre-RFC 4868 Linux) is not "
                                         "implemented; RFC 4868's 128 bits is what kite does") ||
        only(io, sec, "ipcomp", "no", "IPComp (RFC 3173) is not implemented") ||
        only(io, sec, "policies", "yes", "a Child SA without policies (traffic routed into it by other means) is "
                                         "not implemented: kite always routes the selectors into its tunnel") ||
        only(io, sec, "label", "", "security labels (SELinux) need the kernel backend (not implemented)"))
        return -1;
    return 0;
}
