/*
 * exitcode: the list of exitcode.h as rows, and the two ways it is
 * printed (text for `kengine help exit-codes`, markdown for the docs).
 */
#include "exitcode.h"

#include "markdown.h"

#define STR_(x)                          #x
#define ROW_(name, code, brief, meaning) {STR_(code), brief, meaning},
static const exitcode_info ROWS[] = {
    EXITCODES(ROW_){EXITCODE_SIGNAL_CODES, EXITCODE_SIGNAL_BRIEF, EXITCODE_SIGNAL_MEANING}};
#undef ROW_

const exitcode_info *exitcode_list(size_t *n) {
    *n = sizeof ROWS / sizeof ROWS[0];
    return ROWS;
}

void exitcode_help(FILE *out) {
    fputs("Exit codes of kengine and its subcommands:\n", out);
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
        fprintf(out, "  %-9s %s\n", ROWS[i].codes, ROWS[i].meaning);
}

void exitcode_markdown(FILE *out) {
    const char *head[] = {"code", "meaning"};
    markdown_header(out, head, 2);
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        const char *cells[] = {ROWS[i].codes, ROWS[i].meaning};
        markdown_row(out, cells, 2);
    }
}
