/*
 * Unit tests for the command line's table (cli/commands.c) and its one
 * parser (cli/args.c): every row is complete and its usage line names its
 * options; every spelling of an option parses the same; every mistake is
 * said the same way, with the same exit code, whatever the subcommand.
 */
#include "helpers.h"

#include "args.h"
#include "commands.h"
#include "exitcode.h"

/* The id of option `name` of subcommand `cmd`. */
static int opt_id(const char *cmd, const char *name) {
    const command *c = commands_find(cmd);
    assert_non_null(c);
    for (const command_option *o = c->doc->options; o->id; o++)
        if (!strcmp(o->name, name)) return o->id;
    fail_msg("%s has no option %s", cmd, name);
    return 0;
}

static void test_table(void **state) {
    (void)state;
    size_t n;
    const command *c = commands_list(&n);
    assert_true(n >= 7);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(commands_find(c[i].name), &c[i]); /* names unique */
        assert_non_null(c[i].main);
        assert_non_null(c[i].doc);
        assert_true(c[i].summary && c[i].summary[0] && !strchr(c[i].summary, '\n'));
        /* every usage line is `kengine NAME ...` (the run: `kengine [run]`) */
        char lead[64];
        snprintf(lead, sizeof lead, strcmp(c[i].name, "run") ? "kengine %s " : "kengine [%s] ",
                 c[i].name);
        for (const char *u = c[i].usage; u; u = strchr(u, '\n') ? strchr(u, '\n') + 1 : NULL)
            if (strncmp(u, lead, strlen(lead))) fail_msg("%s: usage line '%s'", c[i].name, u);
        /* options: ids unique and positive, names --long, each in the usage
         * line (long or one-letter form) unless it says [options] */
        bool all = strstr(c[i].usage, "[options]") != NULL;
        for (const command_option *o = c[i].doc->options; o->id; o++) {
            assert_true(o->id > 0 && !strncmp(o->name, "--", 2) && o->help);
            for (const command_option *p = o + 1; p->id; p++)
                assert_int_not_equal(o->id, p->id);
            char letter[4] = {'-', o->letter, ' ', 0}, last[4] = {'-', o->letter, ']', 0};
            if (!all && !strstr(c[i].usage, o->name) &&
                !(o->letter && (strstr(c[i].usage, letter) || strstr(c[i].usage, last))))
                fail_msg("%s: usage line lacks %s", c[i].name, o->name);
        }
    }
    const char *want[] = {"run", "test", "compare", "report", "broker", "words", "help"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_non_null(commands_find(want[i]));
    assert_ptr_equal(commands_run(), commands_find("run"));
    assert_null(commands_find("bogus"));
}

/* Parses argv as subcommand `cmd` to the end or an exit; what stderr got
 * (malloc'd) in *err; returns the last args_next result. */
static int parse_all(const char *cmd, int argc, char **argv, args *a, char **err) {
    char path[] = "/tmp/kengine_test_stderr_XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    assert_true(fd >= 0 && saved >= 0);
    unlink(path);
    fflush(stderr);
    dup2(fd, 2);
    args_init(a, cmd, argc, argv);
    int o;
    while ((o = args_next(a)) != ARGS_END && o != ARGS_EXIT) {}
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    *err = helper_slurp_fd(fd);
    close(fd);
    return o;
}

static void test_spellings(void **state) {
    (void)state;
    char *argv[] = {"words", "--batch=5", "-", "--json", "--batch", "7", "--", "--x", NULL};
    args a;
    args_init(&a, "words", 8, argv);
    assert_int_equal(args_next(&a), opt_id("words", "--batch"));
    assert_string_equal(a.value, "5");
    assert_int_equal(args_next(&a), ARGS_OPERAND); /* "-" is stdin, not an option */
    assert_string_equal(a.value, "-");
    assert_int_equal(args_next(&a), opt_id("words", "--json"));
    assert_null(a.value);
    assert_int_equal(args_next(&a), opt_id("words", "--batch"));
    assert_string_equal(a.value, "7");
    assert_int_equal(args_next(&a), ARGS_OPERAND); /* after --: operands only */
    assert_string_equal(a.value, "--x");
    assert_int_equal(args_next(&a), ARGS_END);
    assert_string_equal(a.prog, "kengine words");

    /* one-letter forms; a value that looks like an option is a value */
    char *rargv[] = {"report", "-b", "h:1", "RUN", "-q", "--json", "-", NULL};
    args_init(&a, "report", 7, rargv);
    assert_int_equal(args_next(&a), opt_id("report", "--brokers"));
    assert_string_equal(a.value, "h:1");
    assert_int_equal(args_next(&a), ARGS_OPERAND);
    assert_int_equal(args_next(&a), opt_id("report", "--quiet"));
    assert_int_equal(args_next(&a), opt_id("report", "--json"));
    assert_string_equal(a.value, "-");
    assert_int_equal(args_next(&a), ARGS_END);

    /* the bare run: options before and after the script */
    char *bargv[] = {"/usr/bin/kengine", "-q", "w.lua", "records=5", "-b", "x:1", NULL};
    args_init(&a, "run", 6, bargv);
    assert_true(a.bare);
    assert_string_equal(a.prog, "kengine");
    assert_int_equal(args_next(&a), opt_id("run", "--quiet"));
    assert_int_equal(args_next(&a), ARGS_OPERAND);
    assert_int_equal(args_next(&a), ARGS_OPERAND);
    assert_string_equal(a.value, "records=5");
    assert_int_equal(args_next(&a), opt_id("run", "--brokers"));
    assert_int_equal(args_next(&a), ARGS_END);
}

/* {subcommand, argv[1], its stderr}: every mistake said alike, exit 2 */
static const struct {
    const char *cmd, *arg, *err;
} MISTAKES[] = {
    {"broker", "--bogus",
     "kengine broker: unknown option '--bogus' (try kengine broker --help)\n"},
    {"compare", "--json", "kengine compare: --json needs a value\n"},
    {"test", "--junit", "kengine test: --junit needs a value\n"},
    {"report", "-b", "kengine report: -b needs a value\n"},
    {"words", "--json=1", "kengine words: --json takes no value\n"},
    {"words", "--jsn",
     "kengine words: unknown option '--jsn' (did you mean '--json'? try kengine words "
     "--help)\n"},
    {"help", "--bogus=3", "kengine help: unknown option '--bogus' (try kengine help --help)\n"},
    {"help", "-x", "kengine help: unknown option '-x' (try kengine help --help)\n"},
    {"run", "--bogus", "kengine run: unknown option '--bogus' (try kengine run --help)\n"},
};

static void test_mistakes(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof MISTAKES / sizeof MISTAKES[0]; i++) {
        char *argv[] = {(char *)MISTAKES[i].cmd, (char *)MISTAKES[i].arg, NULL};
        args a;
        char *err;
        assert_int_equal(parse_all(MISTAKES[i].cmd, 2, argv, &a, &err), ARGS_EXIT);
        assert_int_equal(a.rc, EXITCODE_USAGE);
        assert_string_equal(err, MISTAKES[i].err);
        free(err);
    }
    /* the bare run says "kengine", as it always did */
    char *argv[] = {"kengine", "--bogus", "w.lua", NULL};
    args a;
    char *err;
    assert_int_equal(parse_all("run", 3, argv, &a, &err), ARGS_EXIT);
    assert_string_equal(err, "kengine: unknown option '--bogus' (try kengine --help)\n");
    free(err);
    /* an option that names a workload field: the name=value it meant
     * (issue 25, item 12) */
    static const struct {
        const char *arg, *next, *err;
    } FIELDS[] = {
        {"--records", "1000",
         "kengine: unknown option '--records' (workload fields are name=value: "
         "records=1000)\n"},
        {"--rate=50", NULL,
         "kengine: unknown option '--rate' (workload fields are name=value: rate=50)\n"},
        {"--topic", NULL,
         "kengine: unknown option '--topic' (workload fields are name=value: "
         "topic=VALUE)\n"},
    };
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        char *fargv[] = {"kengine", (char *)FIELDS[i].arg, (char *)FIELDS[i].next, NULL};
        assert_int_equal(parse_all("run", FIELDS[i].next ? 3 : 2, fargv, &a, &err), ARGS_EXIT);
        assert_int_equal(a.rc, EXITCODE_USAGE);
        assert_string_equal(err, FIELDS[i].err);
        free(err);
    }
}

static void test_help(void **state) {
    (void)state;
    size_t n;
    const command *c = commands_list(&n);
    for (size_t i = 0; i < n; i++) {
        char *argv[] = {(char *)c[i].name, "--help", NULL};
        args a;
        char *err;
        helper_stdout cap = helper_stdout_begin();
        int o = parse_all(c[i].name, 2, argv, &a, &err);
        char *out = helper_stdout_end(cap);
        assert_int_equal(o, ARGS_EXIT);
        assert_int_equal(a.rc, EXITCODE_OK);
        assert_string_equal(err, "");
        char usage[64];
        snprintf(usage, sizeof usage, "usage: %s", c[i].usage);
        *strchrnul(usage, '\n') = '\0';
        assert_true(strncmp(out, usage, strlen(usage)) == 0);
        assert_has(out, "\n  -h, --help ");
        for (const command_option *o = c[i].doc->options; o->id; o++) assert_has(out, o->name);
        free(out);
        free(err);
    }
    /* the overview lists every subcommand with its summary */
    helper_stdout cap = helper_stdout_begin();
    commands_overview(stdout);
    char *out = helper_stdout_end(cap);
    assert_has(out, "usage: kengine [run] [options] WORKLOAD.lua");
    for (size_t i = 0; i < n; i++) {
        char line[256];
        snprintf(line, sizeof line, "\n  %-9s %s\n", c[i].name, c[i].summary);
        assert_has(out, line);
    }
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_mistakes),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
