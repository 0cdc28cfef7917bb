/*
 * logger: kengine's one voice on stderr. Every diagnostic line of a run
 * ("kengine: ...", librdkafka's own lines routed here by kafka/log.c) goes
 * through logger_msg, which is thread-safe and keeps the live progress line
 * (progress.c) intact: the status line is erased, the message written, and
 * the status line drawn again below it. Lines marked verbose (transient,
 * retriable conditions) appear only with -v/--verbose; notices (what
 * kengine chose for the user, where it wrote a file) are silenced by
 * -q/--quiet, which keeps warnings and errors.
 */
#ifndef KENGINE_LOGGER_H
#define KENGINE_LOGGER_H

#include <stdbool.h>
#include <stdio.h>

void logger_set_verbose(bool on);
bool logger_verbose(void);

/* "kengine: " + the formatted message + newline, on stderr. */
void logger_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* -q: logger_notice says nothing. */
void logger_set_quiet(bool on);
/* The same as logger_msg, but not with -q. */
void logger_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, only with -v. */
void logger_verbose_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The status line on `out` (a terminal): drawn in place with \r, erased
 * with NULL. While one is shown, logger_msg and logger_hide/show keep
 * other lines from running into it. */
void logger_status(FILE *out, const char *line);
/* Erase the status line before writing other text to the terminal (e.g.
 * the per-batch lines on stdout), and draw it again after. */
void logger_hide(void);
void logger_show(void);

#endif
