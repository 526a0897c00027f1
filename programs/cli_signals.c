/* cli_signals.c - see cli_signals.h. Handlers use only async-signal-safe calls. */
#include <string.h>
#include <unistd.h>

#include "cli_signals.h"

#define TEMP_PATH_MAX 4352 /* PATH_MAX plus room for the temporary name */

static char g_temp[TEMP_PATH_MAX];
static volatile sig_atomic_t g_have_temp;
static volatile sig_atomic_t g_interrupted;
static volatile sig_atomic_t g_at_prompt;
static int g_stderr_is_terminal; /* then a progress line may be open: start the message on a new line */

static void say(const char *s)
{
    ssize_t ignored = write(STDERR_FILENO, s, strlen(s));
    (void)ignored;
}

static void end_now(int sig)
{
    if (g_have_temp) unlink(g_temp);
    if (g_stderr_is_terminal) say("\n");
    if (sig == SIGBUS) {
        say("llama-zip: the model file was truncated or changed while in use\n");
        _exit(2);
    }
    say(sig == SIGINT ? "llama-zip: interrupted\n" : "llama-zip: terminated\n");
    _exit(128 + sig);
}

static void on_interactive_sigint(int sig)
{
    (void)sig;
    if (g_at_prompt) {
        static const char nl = '\n';
        ssize_t ignored = write(STDOUT_FILENO, &nl, 1);
        (void)ignored;
        _exit(0);
    }
    g_interrupted = 1;
}

static void set_handler(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sa.sa_flags = 0; /* no SA_RESTART: Ctrl+C at the interactive prompt interrupts the read */
    sigaction(sig, &sa, NULL);
}

void sig_install(int interactive)
{
    g_stderr_is_terminal = isatty(STDERR_FILENO);
    set_handler(SIGINT, interactive ? on_interactive_sigint : end_now);
    set_handler(SIGTERM, end_now);
    set_handler(SIGBUS, end_now);
}

void sig_block(sigset_t *saved)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGBUS);
    sigprocmask(SIG_BLOCK, &set, saved);
}

void sig_restore(const sigset_t *saved)
{
    sigprocmask(SIG_SETMASK, saved, NULL);
}

void sig_set_temp(const char *path)
{
    g_have_temp = 0;
    if (!path || strlen(path) >= sizeof(g_temp)) return;
    memcpy(g_temp, path, strlen(path) + 1);
    g_have_temp = 1;
}

int sig_interrupted(void) { return g_interrupted != 0; }
void sig_clear_interrupt(void) { g_interrupted = 0; }
void sig_at_prompt(int at_prompt) { g_at_prompt = at_prompt; }
