#include "daemon/privdrop.h"
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the capabilities kited keeps (linux/capability.h numbers, all below 32) */
static const int kept[] = { CAP_NET_ADMIN, CAP_NET_RAW };

static int fail(char *err, size_t cap, const char *what)
{
    snprintf(err, cap, "%s: %s", what, strerror(errno));
    return -1;
}

static int cap_last(void)
{
    int last = CAP_LAST_CAP;
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
    if (f) {
        if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
            last = CAP_LAST_CAP;
        fclose(f);
    }
    return last;
}

static int is_kept(int c)
{
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (kept[i] == c)
            return 1;
    return 0;
}

/* every capability but the kept ones leaves the bounding set (needs
 * CAP_SETPCAP, so before the uid changes) */
static int drop_bounding(char *err, size_t cap)
{
    int last = cap_last();
    for (int c = 0; c <= last; c++)
        if (!is_kept(c) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            return fail(err, cap, "PR_CAPBSET_DROP");
    return 0;
}

/* permitted = effective = the kept ones, inheritable none */
static int set_caps(char *err, size_t cap)
{
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        d[0].permitted |= 1u << kept[i];
        d[0].effective |= 1u << kept[i];
    }
    if (syscall(SYS_capset, &h, d) < 0)
        return fail(err, cap, "capset");
    return 0;
}

static int lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t cap)
{
    char buf[4096];
    struct passwd pw, *res = NULL;
    int rc = getpwnam_r(user, &pw, buf, sizeof buf, &res);
    if (rc || !res) {
        snprintf(err, cap, "user '%s' does not exist", user);
        return -1;
    }
    if (pw.pw_uid == 0) {
        snprintf(err, cap, "user '%s' is uid 0: not a drop of privileges", user);
        return -1;
    }
    *uid = pw.pw_uid;
    *gid = pw.pw_gid;
    return 0;
}

int privdrop_to(const char *user, char *err, size_t errcap)
{
    uid_t uid;
    gid_t gid;
    if (lookup(user, &uid, &gid, err, errcap) < 0)
        return -1;
    if (drop_bounding(err, errcap) < 0)
        return -1;
    if (setgroups(1, &gid) < 0)
        return fail(err, errcap, "setgroups");
    if (setresgid(gid, gid, gid) < 0)
        return fail(err, errcap, "setresgid");
    /* keep the permitted set across the uid change, then trim it */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return fail(err, errcap, "PR_SET_KEEPCAPS");
    if (setresuid(uid, uid, uid) < 0)
        return fail(err, errcap, "setresuid");
    if (set_caps(err, errcap) < 0)
        return -1;
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fail(err, errcap, "prctl");
    /* no way back: root must be out of reach */
    if (setuid(0) == 0) {
        snprintf(err, errcap, "uid 0 could be regained after the drop");
        return -1;
    }
    return 0;
}
