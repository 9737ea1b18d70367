/*
 * repl.c — the interactive `ember sql` shell: readline editing and history
 * (~/.ember_history), statements spanning several lines (run once a line ends
 * one with ';'), and a few dot-commands for the shell itself.
 *
 * Ctrl-C while typing discards the statement being entered; Ctrl-D leaves.
 */
#include "cli/cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#define PROMPT "ember> "
#define PROMPT_MORE "   ...> "
#define HISTORY_LINES 2000

static volatile sig_atomic_t in_readline;
static volatile sig_atomic_t interrupted;

/* Readline calls this at a safe point after it has seen SIGINT. Outside
 * readline a statement is running, and there is no way to cancel it yet, so
 * Ctrl-C then ends the program as usual. */
static void on_sigint(int sig)
{
    if (!in_readline) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    interrupted = 1;
    /* The terminal has echoed ^C already; move to a fresh line. */
    if (write(STDOUT_FILENO, "\n", 1) < 0) {
        /* Nothing useful to do about a failed echo. */
    }
    rl_replace_line("", 0);
    rl_set_prompt(PROMPT);
    rl_on_new_line();
    rl_redisplay();
}

static char *history_path(void)
{
    const char *home = getenv("HOME");
    if (home == NULL || home[0] == '\0') return NULL;
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_printf(&sb, "%s/.ember_history", home);
    return em_strbuf_detach(&sb);
}

static void remember(const char *entry, const char *path)
{
    /* The history file keeps one entry per line: a statement typed over
     * several lines is stored as one line, unless a -- comment would then
     * swallow the rest of it. */
    char *flat = NULL;
    if (strchr(entry, '\n') != NULL && strstr(entry, "--") == NULL) {
        flat = em_strdup(entry);
        for (char *p = flat; *p != '\0'; p++) {
            if (*p == '\n') *p = ' ';
        }
        entry = flat;
    }
    add_history(entry);
    em_free(flat);
    if (path == NULL) return;
    /* Append as we go so that history survives a crash; append_history needs
     * the file to exist, write_history creates it. */
    if (append_history(1, path) != 0) write_history(path);
}

static void dot_help(void)
{
    fputs(".help                 show this message\n"
          ".mode table|csv|json  set the output format\n"
          ".timer on|off         print the run time of each statement\n"
          ".quit, .exit          leave the shell (so does Ctrl-D)\n"
          "SQL statements end with ';' and may span several lines.\n",
          stdout);
}

/* Run a dot-command line. Returns true when the shell should exit. */
static bool dot_command(em_cli_shell *sh, char *line)
{
    char *save = NULL;
    char *cmd = strtok_r(line, " \t\r\n", &save);
    char *arg = strtok_r(NULL, " \t\r\n", &save);
    char *extra = strtok_r(NULL, " \t\r\n", &save);
    if (strcmp(cmd, ".quit") == 0 || strcmp(cmd, ".exit") == 0) return true;
    if (strcmp(cmd, ".help") == 0) {
        dot_help();
    } else if (strcmp(cmd, ".timer") == 0) {
        if (arg != NULL && extra == NULL && strcmp(arg, "on") == 0) {
            sh->timer = true;
        } else if (arg != NULL && extra == NULL && strcmp(arg, "off") == 0) {
            sh->timer = false;
        } else {
            fputs("Error: usage: .timer on|off\n", stderr);
        }
    } else if (strcmp(cmd, ".mode") == 0) {
        if (arg == NULL) {
            printf("current mode: %s\n", em_ui_format_name(sh->format));
        } else if (extra != NULL || em_ui_format_parse(arg, &sh->format) < 0) {
            fputs("Error: usage: .mode table|csv|json\n", stderr);
        }
    } else {
        fprintf(stderr, "Error: unknown command: %s (enter .help for a list)\n", cmd);
    }
    return false;
}

static bool is_blank(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return false;
    }
    return true;
}

int em_cli_repl(em_cli_shell *sh)
{
    char *hist = history_path();
    using_history();
    stifle_history(HISTORY_LINES);
    if (hist != NULL) read_history(hist);

    struct sigaction sa, old_sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_sa);

    printf("ember %s. Enter .help for usage hints.\n", EMBER_VERSION);
    em_strbuf pending; /* the statement being entered */
    em_strbuf_init(&pending);
    for (;;) {
        interrupted = 0;
        in_readline = 1;
        char *line = readline(pending.len > 0 ? PROMPT_MORE : PROMPT);
        in_readline = 0;
        if (interrupted) em_strbuf_clear(&pending);
        if (line == NULL) { /* Ctrl-D */
            fputc('\n', stdout);
            break;
        }
        if (pending.len == 0 && is_blank(line)) {
            free(line);
            continue;
        }
        if (pending.len == 0 && line[strspn(line, " \t")] == '.') {
            remember(line, hist);
            bool quit = dot_command(sh, line + strspn(line, " \t"));
            free(line);
            if (quit) break;
            continue;
        }
        em_strbuf_puts(&pending, line);
        em_strbuf_putc(&pending, '\n');
        free(line);

        em_cli_scan scan = em_cli_scan_statements(pending.data, pending.len);
        if (scan.end == 0) continue;
        /* Run everything up to the last complete statement; what follows it
         * starts the next one unless it is only blanks and comments. */
        char *stmt = em_strndup(pending.data, scan.end);
        remember(stmt, hist);
        em_cli_shell_run(sh, stmt);
        em_free(stmt);
        if (scan.tail_blank) {
            em_strbuf_clear(&pending);
        } else {
            size_t rest = pending.len - scan.end;
            memmove(pending.data, pending.data + scan.end, rest + 1);
            pending.len = rest;
        }
    }
    em_strbuf_release(&pending);
    sigaction(SIGINT, &old_sa, NULL);
    if (hist != NULL) history_truncate_file(hist, HISTORY_LINES);
    em_free(hist);
    clear_history();
    return EM_CLI_EXIT_OK;
}
