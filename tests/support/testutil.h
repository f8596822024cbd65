/* Helpers shared by the test suites: hex decoding, data-file reading. */
#ifndef KITE_TESTUTIL_H
#define KITE_TESTUTIL_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* decode a hex string (whitespace ignored) into a malloc'd buffer; *n gets its
 * length.  Fails the test on bad hex. */
uint8_t *hex_decode(const char *hex, size_t *n);
/* read a file relative to the source tree into a malloc'd, NUL-terminated
 * buffer; fails the test if missing */
char *read_source_file(const char *relpath, size_t *n);
/* assert two buffers are equal, printing both in hex when they differ */
#define assert_bytes_equal(a, b, n) assert_true(test_bytes_equal((a), (b), (n), #a, #b))
int test_bytes_equal(const void *a, const void *b, size_t n, const char *na, const char *nb);

#endif
