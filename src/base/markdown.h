/*
 * markdown: GitHub tables for the reference tables the docs embed
 * (`kengine help figures|fields|exit-codes --markdown`): each owner of a
 * table prints its rows through these, so every table escapes alike.
 */
#ifndef KENGINE_MARKDOWN_H
#define KENGINE_MARKDOWN_H

#include <stddef.h>
#include <stdio.h>

/* "| a | b |" and the "|---|---|" line under it. */
void markdown_header(FILE *out, const char *const *names, size_t n);
/* "| a | b |": each cell with '|' escaped and line ends as spaces; a NULL
 * or empty cell is written as is (empty). */
void markdown_row(FILE *out, const char *const *cells, size_t n);
/* One cell's text as markdown_row writes it, without the bars. */
void markdown_cell(FILE *out, const char *text);

#endif
