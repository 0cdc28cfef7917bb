/*
 * markdown: see markdown.h.
 */
#include "markdown.h"

void markdown_cell(FILE *out, const char *text) {
    for (const char *p = text; p && *p; p++) {
        if (*p == '|')
            fputs("\\|", out);
        else if (*p == '\n' || *p == '\r')
            fputc(' ', out);
        else
            fputc(*p, out);
    }
}

void markdown_row(FILE *out, const char *const *cells, size_t n) {
    fputc('|', out);
    for (size_t i = 0; i < n; i++) {
        fputc(' ', out);
        markdown_cell(out, cells[i]);
        fputs(" |", out);
    }
    fputc('\n', out);
}

void markdown_header(FILE *out, const char *const *names, size_t n) {
    markdown_row(out, names, n);
    fputc('|', out);
    for (size_t i = 0; i < n; i++) fputs("---|", out);
    fputc('\n', out);
}
