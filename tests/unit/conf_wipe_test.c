/* conf: no configuration text or secret is left in memory handed back to
 * the allocator (issue 10 finding 8).  Linked with ld's --wrap=free (see
 * CMakeLists.txt): every free() in kite's code passes through __wrap_free,
 * which looks for a canary PSK in the block before it goes. */
#include "testutil.h"
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf/conf.h"

static const char canary[] = "kite-wipe-canary-7f3a91";
static volatile int leaked; /* volatile: the compiler takes free() for a builtin that reads no globals */
static volatile bool watching;

void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p)
{
    if (p && watching && memmem(p, malloc_usable_size(p), canary, sizeof canary - 1))
        leaked++;
    __real_free(p);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* load path, free what was loaded; how many freed blocks held the canary */
static int leaks_of(const char *path, bool want_ok)
{
    struct kite_conf *c = NULL;
    char err[256];
    leaked = 0;
    watching = true;
    int rc = conf_load_file(path, &c, err, sizeof err, NULL, NULL);
    conf_free(c);
    watching = false;
    if ((rc == 0) != want_ok)
        fail_msg("load of %s: %s", path, rc ? err : "accepted");
    return leaked;
}

static void file_text_and_secrets_wiped(void **s)
{
    (void)s;
    char dir[] = "/tmp/kite-wipe-XXXXXX", path[256], text[2048];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/swanctl.conf", dir);
    /* the secret as text, set twice (the first value is replaced), in hex,
     * and a file larger than the first read buffer */
    snprintf(text, sizeof text,
             "connections { lab { children { net { local_ts = 10.1.0.0/24\n remote_ts = 10.2.0.0/24 } } } }\n"
             "secrets {\n ike-a { secret = \"%s-first\"\n secret = %s }\n ike-b { secret = 0x%s }\n"
             " private-k { file = k.pem\n secret = \"%s\" }\n rsa-h { file = h.pem\n secret = 0x%s }\n}\n",
             canary, canary, "6b6974652d776970652d63616e6172792d376633613931", canary,
             "6b6974652d776970652d63616e6172792d376633613931");
    for (size_t i = strlen(text); i < sizeof text - 2; i++)
        text[i] = i % 64 ? '#' : '\n';
    text[sizeof text - 2] = '\n';
    text[sizeof text - 1] = 0;
    write_file(path, text);
    assert_int_equal(leaks_of(path, true), 0);
    /* an error after the secret: everything freed on the error path too */
    snprintf(text, sizeof text, "secrets { ike-a { secret = %s } }\nbroken\n", canary);
    write_file(path, text);
    assert_int_equal(leaks_of(path, false), 0);
    snprintf(text, sizeof text, "secrets { private-a { file = a.pem\n secret = %s }\n pkcs8-b { secret = x } }\n",
             canary); /* refused after a passphrase was kept */
    write_file(path, text);
    assert_int_equal(leaks_of(path, false), 0);
    snprintf(text, sizeof text, "secrets { ike-a { secret = \"%s\n", canary); /* unterminated quote */
    write_file(path, text);
    assert_int_equal(leaks_of(path, false), 0);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

/* the test can fail: a block freed with the canary in it is counted */
static void the_watch_sees_a_leak(void **s)
{
    (void)s;
    char *p = strdup(canary);
    leaked = 0;
    watching = true;
    free(p);
    watching = false;
    assert_int_equal(leaked, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_watch_sees_a_leak),
        cmocka_unit_test(file_text_and_secrets_wiped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
