/* cli_signals.h - what SIGINT, SIGTERM and SIGBUS do to the llama-zip program.
 *
 * Outside interactive mode every one of them ends the program at once,
 * whatever it is doing (loading, coding, writing): the temporary output file
 * registered with sig_set_temp, if any, is removed, a line goes to stderr and
 * the exit status is 130 (SIGINT), 143 (SIGTERM) or 2 (SIGBUS: the mapped
 * model file was truncated under us). Nothing else is on disk before the
 * final rename, so no partial output can be left behind.
 *
 * In interactive mode SIGINT at the prompt leaves (status 0, as the original
 * llama-zip does) and SIGINT during work cancels that line's work through
 * the library's progress callback (sig_interrupted); SIGTERM and SIGBUS end
 * the program as above.
 */
#ifndef LLAMAZIP_CLI_SIGNALS_H
#define LLAMAZIP_CLI_SIGNALS_H

#include <signal.h>

void sig_install(int interactive);

/* Block / restore SIGINT, SIGTERM and SIGBUS around creating or renaming a
 * temporary file, so that the registry below never misses a file. */
void sig_block(sigset_t *saved);
void sig_restore(const sigset_t *saved);

/* The temporary file to remove if the program is ended now (NULL: none).
 * Call with the signals blocked. */
void sig_set_temp(const char *path);

/* Interactive mode: whether Ctrl+C was pressed during work, and the prompt state. */
int sig_interrupted(void);
void sig_clear_interrupt(void);
void sig_at_prompt(int at_prompt);

#endif
