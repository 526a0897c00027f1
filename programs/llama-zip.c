/* llama-zip command-line program (work in progress). */
#include <stdio.h>
#include "llamazip.h"
int main(void) { printf("llama-zip %s\n", llamazip_version_string()); return 0; }
