/* cli_list.h - llama-zip --list. */
#ifndef LLAMAZIP_CLI_LIST_H
#define LLAMAZIP_CLI_LIST_H

#include "cli_options.h"

/* List the archives of the inputs (or stdin); returns the exit status. */
int cli_list(const cli_options *o);

#endif
