/*
 * compare: `kengine compare BASE NEW`, its command line; the comparison
 * itself is report/compare.c's compare_files.
 */
#include <math.h>
#include <stdlib.h>

#include "args.h"
#include "commands.h"
#include "compare.h"
#include "exitcode.h"

enum { OPT_MAX_REGRESSION = 1, OPT_JSON };

#define STR_(x) #x
#define STR(x)  STR_(x) /* the significance level as compare.h writes it */

static const command_option OPTIONS[] = {
    {OPT_MAX_REGRESSION, "--max-regression", 0, "PCT",
     "a significant fall of throughput or rise of\nlatency beyond PCT percent fails "
     "(default 10)"},
    {OPT_JSON, "--json", 0, "FILE", "also write the comparison as JSON ('-' = stdout)"},
    {0},
};

const command_doc compare_doc = {
    .about = "BASE and NEW are NDJSON files written by `kengine ... --json FILE`.\n"
             "Prints each summary figure of both runs, the change in percent and,\n"
             "for throughput and latency, a Mann-Whitney U test over the per-batch\n"
             "samples (p-value; below " STR(COMPARE_ALPHA) " the change is beyond noise).\n",
    .options = OPTIONS,
    .notes = "exit codes: 0 no regression, 2 bad usage or input, 3 a regression.\n",
};

int cmd_compare(int argc, char **argv) {
    args a;
    args_init(&a, "compare", argc, argv);
    double max_reg = 10;
    const char *json = NULL, *paths[2] = {NULL, NULL};
    int npaths = 0;
    for (int o; (o = args_next(&a)) != ARGS_END;) {
        switch (o) {
        case OPT_JSON: json = a.value; break;
        case OPT_MAX_REGRESSION: {
            char *end;
            max_reg = strtod(a.value, &end);
            if (end == a.value || *end || !isfinite(max_reg) || max_reg < 0)
                return args_error(&a, "--max-regression %s: must be a percentage >= 0",
                                  a.value);
            break;
        }
        case ARGS_OPERAND:
            if (npaths == 2)
                return args_error(&a, "one BASE and one NEW file, got '%s' too", a.value);
            paths[npaths++] = a.value;
            break;
        case ARGS_EXIT: return a.rc;
        }
    }
    if (npaths != 2) return args_usage(&a);
    return compare_files(paths[0], paths[1], max_reg, json);
}
