/* crypto/rand: random bytes drawn in blocks (public and private pools) */
#include "testutil.h"
#include "crypto/rand.h"
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { DRAWS = 2000, LEN = 16 };

static int cmp16(const void *a, const void *b)
{
    return memcmp(a, b, LEN);
}

/* no draw repeats another, across many refills of both blocks, and the two
 * pools never hand out the same bytes */
static void draws_never_repeat(void **state)
{
    (void)state;
    uint8_t(*d)[LEN] = malloc(2 * DRAWS * LEN);
    assert_non_null(d);
    for (int i = 0; i < DRAWS; i++) {
        crypto_random(d[2 * i], LEN);
        crypto_random_private(d[2 * i + 1], LEN);
    }
    qsort(d, 2 * DRAWS, LEN, cmp16);
    for (int i = 1; i < 2 * DRAWS; i++)
        assert_true(memcmp(d[i - 1], d[i], LEN) != 0);
    free(d);
}

/* draws of every size up to past the block path, and none of zero bytes */
static void sizes(void **state)
{
    (void)state;
    uint8_t a[600], b[600];
    for (size_t n = 1; n <= sizeof a; n += 37) {
        memset(a, 0, sizeof a);
        memset(b, 0, sizeof b);
        crypto_random(a, n);
        crypto_random_private(b, n);
        assert_true(memcmp(a, b, n) != 0);
        for (size_t i = n; i < sizeof a; i++)
            assert_true(a[i] == 0 && b[i] == 0); /* nothing past n */
    }
    crypto_random(a, 0);
    crypto_random_private(a, 0);
}

/* a forked child does not hand out what its parent hands out next: the
 * blocks the parent holds are dropped in the child */
static void fork_child_differs(void **state)
{
    (void)state;
    uint8_t warm[8], child[2][32], parent[2][32];
    crypto_random(warm, sizeof warm); /* both blocks filled, bytes left in them */
    crypto_random_private(warm, sizeof warm);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        crypto_random(child[0], 32);
        crypto_random_private(child[1], 32);
        _exit(write(p[1], child, sizeof child) == (ssize_t)sizeof child ? 0 : 1);
    }
    crypto_random(parent[0], 32);
    crypto_random_private(parent[1], 32);
    assert_int_equal(read(p[0], child, sizeof child), (ssize_t)sizeof child);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(memcmp(child[0], parent[0], 32) != 0);
    assert_true(memcmp(child[1], parent[1], 32) != 0);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(draws_never_repeat),
        cmocka_unit_test(sizes),
        cmocka_unit_test(fork_child_differs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
