/*
 * helpers: what several unit tests need, in one place. Include it instead
 * of cmocka.h (it brings cmocka's prerequisites). Temporary files live in
 * /tmp and are named kengine_test_*; the caller unlinks them.
 */
#ifndef KENGINE_TEST_HELPERS_H
#define KENGINE_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Writes len bytes to a new temporary file; its name goes to path (at least
 * 32 bytes). */
static inline void helper_write_tmp(char *path, const void *data, size_t len) {
    strcpy(path, "/tmp/kengine_test_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, (const char *)data + off, len - off);
        assert_true(n > 0);
        off += (size_t)n;
    }
    close(fd);
}

/* The whole of a file descriptor's file, NUL-terminated, malloc'd. */
static inline char *helper_slurp_fd(int fd) {
    off_t size = lseek(fd, 0, SEEK_END);
    assert_true(size >= 0);
    char *buf = calloc(1, (size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)size, 0), size);
    return buf;
}

/* Redirects stdout (fd 1) into a temporary file until helper_stdout_end,
 * which returns what was written (malloc'd). */
typedef struct {
    int saved, fd;
} helper_stdout;

static inline helper_stdout helper_stdout_begin(void) {
    char path[] = "/tmp/kengine_test_stdout_XXXXXX";
    helper_stdout c = {dup(1), mkstemp(path)};
    assert_true(c.saved >= 0 && c.fd >= 0);
    unlink(path);
    fflush(stdout);
    assert_true(dup2(c.fd, 1) >= 0);
    return c;
}

static inline char *helper_stdout_end(helper_stdout c) {
    fflush(stdout);
    assert_true(dup2(c.saved, 1) >= 0);
    close(c.saved);
    char *out = helper_slurp_fd(c.fd);
    close(c.fd);
    return out;
}

/* Fails naming both strings unless `hay` contains `needle`. */
#define assert_has(hay, needle)                                                                \
    do {                                                                                       \
        const char *h_ = (hay), *n_ = (needle);                                                \
        if (!h_ || !strstr(h_, n_)) fail_msg("'%s' lacks '%s'", h_ ? h_ : "(null)", n_);       \
    } while (0)

#endif
