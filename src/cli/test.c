/*
 * test: `kengine test`, scripted regression runs. Each scenario runs as a child process
 * of the same binary (/proc/self/exe) with -q and --json to a temp file;
 * its exit code decides pass or fail, its "kengine: ..." stderr lines give
 * the reason (errors, failed thresholds). Results are printed as they come
 * and optionally written as JUnit XML.
 */
#include "args.h"
#include "commands.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitcode.h"
#include "signals.h"
#include "stats.h"

typedef struct {
    char *path;
    int status; /* exit code, or EXITCODE_SIGNAL(signal) */
    double seconds;
    char *message; /* why it failed (malloc'd), NULL if passed */
    char *output;  /* the scenario's stdout+stderr, for JUnit */
} scenario;

typedef struct {
    char **v;
    size_t n, cap;
} strvec;

static int vec_push(strvec *s, char *p) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v) return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = p;
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_lua(const char *name) {
    size_t n = strlen(name);
    return n > 4 && !strcmp(name + n - 4, ".lua");
}

/* Adds path (a .lua file) or the .lua files under it (a folder). */
static int collect(const char *path, strvec *out, bool top) {
    struct stat st;
    if (stat(path, &st) != 0) {
        if (top) fprintf(stderr, "kengine test: %s: %s\n", path, strerror(errno));
        return top ? -1 : 0;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (!top && !is_lua(path)) return 0;
        char *p = strdup(path);
        return p && vec_push(out, p) == 0 ? 0 : -1;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "kengine test: %s: %s\n", path, strerror(errno));
        return -1;
    }
    strvec names = {0};
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = malloc(strlen(path) + strlen(e->d_name) + 2);
        if (!p) break;
        sprintf(p, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
        if (vec_push(&names, p)) free(p);
    }
    closedir(d);
    qsort(names.v, names.n, sizeof *names.v, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < names.n; i++) {
        if (rc == 0) rc = collect(names.v[i], out, false);
        free(names.v[i]);
    }
    free(names.v);
    return rc;
}

static char *slurp(int fd) {
    if (lseek(fd, 0, SEEK_SET) < 0) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    for (;;) {
        if (len + 1 >= cap) {
            char *nb = cap < (1u << 24) ? realloc(buf, cap * 2) : NULL;
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0) break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

/* The failure reason: the child's "kengine: " lines, but the notes. */
static char *reason(const char *output, int status) {
    size_t cap = 1024, len = 0;
    char *msg = calloc(1, cap);
    if (!msg) return NULL;
    const char *p = output;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 9 && !strncmp(p, "kengine: ", 9) && !memmem(p, n, "embedded broker", 15) &&
            !memmem(p, n, "note:", 5) && !memmem(p, n, "script: ", 8) && len + 3 < cap) {
            size_t take = n - 9 < cap - len - 3 ? n - 9 : cap - len - 3;
            if (len) {
                memcpy(msg + len, "; ", 2);
                len += 2;
            }
            memcpy(msg + len, p + 9, take);
            len += take;
            msg[len] = '\0';
        }
        p = nl ? nl + 1 : NULL;
    }
    if (!len) snprintf(msg, cap, "exit code %d", status);
    return msg;
}

static void run_one(scenario *sc, char **ov, size_t nov, double timeout) {
    char outpath[] = "/tmp/kengine-test-XXXXXX";
    char jsonpath[] = "/tmp/kengine-json-XXXXXX";
    int outfd = mkstemp(outpath), jfd = mkstemp(jsonpath);
    double t0 = stats_now();
    sc->status = EXITCODE_RUNTIME;
    if (outfd < 0 || jfd < 0) {
        sc->message = strdup("cannot create a temporary file");
        goto out;
    }
    char **args = calloc(nov + 8, sizeof *args);
    if (!args) {
        sc->message = strdup("out of memory");
        goto out;
    }
    size_t a = 0;
    args[a++] = "kengine";
    /* the text summary too: JUnit's system-out shows what the run did */
    args[a++] = "--no-progress";
    args[a++] = "--json";
    args[a++] = jsonpath;
    args[a++] = sc->path;
    for (size_t i = 0; i < nov; i++) args[a++] = ov[i];
    args[a] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(outfd, 1);
        dup2(outfd, 2);
        execv("/proc/self/exe", args);
        _exit(127);
    }
    free(args);
    if (pid < 0) {
        sc->message = strdup("cannot start a process");
        goto out;
    }
    int st = 0;
    bool killed = false;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) break;
        if (signals_caught) kill(pid, signals_caught);
        if (!killed && stats_now() - t0 > timeout) {
            kill(pid, SIGTERM);
            killed = true;
        } else if (killed && stats_now() - t0 > timeout + 20) {
            kill(pid, SIGKILL);
        }
        usleep(20 * 1000);
    }
    sc->status = WIFEXITED(st) ? WEXITSTATUS(st) : EXITCODE_SIGNAL(WTERMSIG(st));
    sc->output = slurp(outfd);
    if (killed) {
        char m[128];
        snprintf(m, sizeof m, "timed out after %.0f s", timeout);
        sc->message = strdup(m);
    } else if (sc->status != 0) {
        sc->message = reason(sc->output, sc->status);
    }
out:
    sc->seconds = stats_now() - t0;
    if (outfd >= 0) {
        close(outfd);
        unlink(outpath);
    }
    if (jfd >= 0) {
        close(jfd);
        unlink(jsonpath);
    }
}

static void xml_escape(FILE *f, const char *s) {
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '&')
            fputs("&amp;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c < 0x20 && c != '\n' && c != '\t')
            fputc('?', f);
        else
            fputc(c, f);
    }
}

static int write_junit(const char *path, const scenario *s, size_t n, size_t failed,
                       double total) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "kengine test: %s: cannot open for writing: %s\n", path,
                strerror(errno));
        return -1;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites tests=\"%zu\" failures=\"%zu\" time=\"%.3f\">\n", n, failed, total);
    fprintf(f,
            "  <testsuite name=\"kengine\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
            "time=\"%.3f\">\n",
            n, failed, total);
    for (size_t i = 0; i < n; i++) {
        fputs("    <testcase classname=\"kengine\" name=\"", f);
        xml_escape(f, s[i].path);
        fprintf(f, "\" time=\"%.3f\">\n", s[i].seconds);
        if (s[i].message) {
            fputs("      <failure message=\"", f);
            xml_escape(f, s[i].message);
            /* the message is the attribute; the text says what the exit
             * code means (the run's output is system-out) */
            fprintf(f, "\" type=\"exit %d\">exit %d", s[i].status, s[i].status);
            size_t ne;
            const exitcode_info *e = exitcode_list(&ne);
            char code[16];
            snprintf(code, sizeof code, "%d", s[i].status);
            for (size_t k = 0; k < ne; k++)
                if (!strcmp(e[k].codes, code)) fprintf(f, ": %s", e[k].brief);
            fputs("</failure>\n", f);
        }
        fputs("      <system-out>", f);
        xml_escape(f, s[i].output);
        fputs("</system-out>\n    </testcase>\n", f);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

enum { OPT_JUNIT = 1, OPT_TIMEOUT };

static const command_option OPTIONS[] = {
    {OPT_JUNIT, "--junit", 0, "FILE", "also write the results as JUnit XML"},
    {OPT_TIMEOUT, "--timeout", 0, "SECONDS",
     "a scenario still running after SECONDS is stopped\n(SIGTERM) and fails (default 600)"},
    {0},
};

const command_doc test_doc = {
    .about = "Runs every *.lua scenario under PATH (a file or a folder, searched\n"
             "recursively, in name order) as its own run of this kengine, with -q and\n"
             "the name=value overrides given; exits 0 only if all pass. A failure is\n"
             "named with the run's error lines.\n",
    .options = OPTIONS,
};

int cmd_test(int argc, char **argv) {
    const char *junit = NULL;
    double timeout = 600;
    strvec ov = {0}, files = {0};
    int rc = EXITCODE_USAGE;
    args a;
    args_init(&a, "test", argc, argv);
    for (int o; (o = args_next(&a)) != ARGS_END;) {
        switch (o) {
        case OPT_JUNIT: junit = a.value; break;
        case OPT_TIMEOUT:
            if ((timeout = atof(a.value)) <= 0) {
                args_error(&a, "--timeout must be positive");
                goto done;
            }
            break;
        case ARGS_OPERAND:
            if (strchr(a.value, '=') && a.value[0] != '=') {
                if (vec_push(&ov, (char *)a.value)) goto done;
            } else if (collect(a.value, &files, true)) {
                goto done;
            }
            break;
        case ARGS_EXIT: rc = a.rc; goto done;
        }
    }
    if (!files.n) {
        fprintf(stderr, "kengine test: no scenarios (*.lua) given\n");
        goto done;
    }
    scenario *s = calloc(files.n, sizeof *s);
    if (!s) goto done;
    size_t passed = 0, failed = 0;
    double t0 = stats_now();
    for (size_t i = 0; i < files.n && !signals_caught; i++) {
        s[i].path = files.v[i];
        run_one(&s[i], ov.v, ov.n, timeout);
        if (s[i].message) {
            failed++;
            printf("FAIL  %s  (%.2f s): %s\n", s[i].path, s[i].seconds, s[i].message);
        } else {
            passed++;
            printf("ok    %s  (%.2f s)\n", s[i].path, s[i].seconds);
        }
        fflush(stdout);
    }
    size_t ran = passed + failed;
    if (ran < files.n) {
        failed += files.n - ran; /* interrupted: the rest did not pass */
        for (size_t i = ran; i < files.n; i++) {
            s[i].path = files.v[i];
            s[i].message = strdup("not run (interrupted)");
        }
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    rc = failed ? EXITCODE_RUNTIME : EXITCODE_OK;
    if (junit && write_junit(junit, s, files.n, failed, stats_now() - t0))
        rc = EXITCODE_RUNTIME;
    for (size_t i = 0; i < files.n; i++) {
        free(s[i].message);
        free(s[i].output);
    }
    free(s);
done:
    for (size_t i = 0; i < files.n; i++) free(files.v[i]);
    free(files.v);
    free(ov.v);
    return rc;
}
