/*
 * logger: one mutex orders every stderr line and the status line; see
 * logger.h. The status line is remembered so it can be drawn again after
 * each message.
 */
#include "logger.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static bool verbose;
static bool quiet;
static FILE *status_out;      /* where the status line is, NULL none */
static char status_line[512]; /* its text */
static bool status_shown;     /* drawn and not erased */

void logger_set_verbose(bool on) { verbose = on; }
bool logger_verbose(void) { return verbose; }
void logger_set_quiet(bool on) { quiet = on; }

/* \r and erase-to-end-of-line: the status line is gone, the cursor at column 0. */
static void erase(void) {
    if (status_out && status_shown) {
        fputs("\r\033[K", status_out);
        status_shown = false;
    }
}

static void draw(void) {
    if (status_out && status_line[0] && !status_shown) {
        fputs(status_line, status_out);
        status_shown = true;
    }
    if (status_out) fflush(status_out);
}

static void vmsg(const char *fmt, va_list ap) {
    pthread_mutex_lock(&mu);
    erase();
    fputs("kengine: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
    draw();
    pthread_mutex_unlock(&mu);
}

void logger_msg(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
}

void logger_notice(const char *fmt, ...) {
    if (quiet) return;
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
}

void logger_verbose_msg(const char *fmt, ...) {
    if (!verbose) return;
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
}

void logger_status(FILE *out, const char *line) {
    pthread_mutex_lock(&mu);
    erase();
    if (line) {
        status_out = out;
        snprintf(status_line, sizeof status_line, "%s", line);
        draw();
    } else {
        if (status_out) fflush(status_out);
        status_out = NULL;
        status_line[0] = '\0';
    }
    pthread_mutex_unlock(&mu);
}

void logger_hide(void) {
    pthread_mutex_lock(&mu);
    erase();
    if (status_out) fflush(status_out);
    pthread_mutex_unlock(&mu);
}

void logger_show(void) {
    pthread_mutex_lock(&mu);
    draw();
    pthread_mutex_unlock(&mu);
}
