/*
 * A few assertion macros for the library's unit tests: each failed check prints where and what,
 * and the test program exits 1 at the end if any failed. No framework to install.
 */
#ifndef CU_TEST_H
#define CU_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cu_test_failures = 0;
static const char *cu_test_current = "";

#define CHECK(condition)                                                                                    \
    do {                                                                                                    \
        if (!(condition)) {                                                                                 \
            fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, cu_test_current, #condition); \
            cu_test_failures++;                                                                             \
        }                                                                                                   \
    } while (0)

#define CHECK_EQ(actual, expected)                                                                          \
    do {                                                                                                    \
        unsigned long long cu_actual = (unsigned long long)(actual);                                        \
        unsigned long long cu_expected = (unsigned long long)(expected);                                    \
        if (cu_actual != cu_expected) {                                                                     \
            fprintf(stderr, "%s:%d: %s: %s is %llu (0x%llx), expected %llu (0x%llx)\n", __FILE__, __LINE__, \
                    cu_test_current, #actual, cu_actual, cu_actual, cu_expected, cu_expected);              \
            cu_test_failures++;                                                                             \
        }                                                                                                   \
    } while (0)

/* `length` bytes at `actual` equal the literal bytes that follow. */
#define CHECK_BYTES(actual, length, ...)                                                                    \
    do {                                                                                                    \
        const unsigned char cu_expected[] = {__VA_ARGS__};                                                  \
        cu_check_bytes(__FILE__, __LINE__, #actual, (const unsigned char *)(actual), (size_t)(length),      \
                       cu_expected, sizeof cu_expected);                                                    \
    } while (0)

static inline void cu_check_bytes(const char *file, int line, const char *what, const unsigned char *actual,
                           size_t length, const unsigned char *expected, size_t expected_length)
{
    if (length == expected_length && memcmp(actual, expected, length) == 0) return;
    fprintf(stderr, "%s:%d: %s: %s is [", file, line, cu_test_current, what);
    for (size_t i = 0; i < length; i++) fprintf(stderr, "%s%u", i ? ", " : "", actual[i]);
    fprintf(stderr, "], expected [");
    for (size_t i = 0; i < expected_length; i++) fprintf(stderr, "%s%u", i ? ", " : "", expected[i]);
    fprintf(stderr, "]\n");
    cu_test_failures++;
}

#define RUN(test)                                                                                           \
    do {                                                                                                    \
        cu_test_current = #test;                                                                            \
        test();                                                                                             \
    } while (0)

/* Ends main: the count of checks that failed, and the exit status. */
static inline int cu_test_report(const char *suite, int tests)
{
    if (cu_test_failures == 0) printf("ok %s: %d tests\n", suite, tests);
    else printf("FAILED %s: %d failed checks\n", suite, cu_test_failures);
    return cu_test_failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* CU_TEST_H */
