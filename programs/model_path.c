/* model_path.c - the default model search of the llama-zip program (see model_path.h). */
#include "model_path.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DATA_SUBDIR "llama-zip/models"

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* 1 when DIR/SUB/NAME is a regular file; its canonical path is then in buf. */
static int try_dir(char *buf, size_t size, const char *dir, const char *sub)
{
    char cand[4096], canon[PATH_MAX];
    if (!dir || !*dir) return 0;
    int n = snprintf(cand, sizeof(cand), "%s/%s%s" LZ_CLI_DEFAULT_MODEL_NAME, dir, sub, *sub ? "/" : "");
    if (n <= 0 || (size_t)n >= sizeof(cand) || !is_file(cand)) return 0;
    const char *found = realpath(cand, canon) ? canon : cand; /* build/../models/x reads badly in --info */
    n = snprintf(buf, size, "%s", found);
    return n > 0 && (size_t)n < size;
}

/* The directory holding the running program, or "" when /proc is not there. */
static void program_dir(char *dir, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    dir[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else dir[0] = '\0';
}

/* Each directory of a ':'-separated list (empty entries skipped). */
static int try_dir_list(char *buf, size_t size, const char *list)
{
    char dir[4096];
    while (*list) {
        size_t len = strcspn(list, ":");
        if (len > 0 && len < sizeof(dir)) {
            memcpy(dir, list, len);
            dir[len] = '\0';
            if (try_dir(buf, size, dir, DATA_SUBDIR)) return 1;
        }
        list += len + (list[len] == ':');
    }
    return 0;
}

const char *lz_cli_default_model(char *buf, size_t size)
{
    const char *env = getenv("LLAMAZIP_MODEL");
    if (env && *env) {
        snprintf(buf, size, "%s", env);
        return buf;
    }
    char exe_dir[4096], dir[4200];
    program_dir(exe_dir, sizeof(exe_dir));
    if (exe_dir[0]) {
        snprintf(dir, sizeof(dir), "%s/../models", exe_dir);
        if (try_dir(buf, size, dir, "")) return buf;
    }
    const char *home = getenv("HOME");
    const char *xdg_home = getenv("XDG_DATA_HOME");
    if (xdg_home && *xdg_home) {
        if (try_dir(buf, size, xdg_home, DATA_SUBDIR)) return buf;
    } else if (home && *home) {
        snprintf(dir, sizeof(dir), "%s/.local/share", home);
        if (try_dir(buf, size, dir, DATA_SUBDIR)) return buf;
    }
    if (exe_dir[0]) {
        snprintf(dir, sizeof(dir), "%s/../share", exe_dir);
        if (try_dir(buf, size, dir, DATA_SUBDIR)) return buf;
    }
    const char *xdg_dirs = getenv("XDG_DATA_DIRS");
    if (try_dir_list(buf, size, xdg_dirs && *xdg_dirs ? xdg_dirs : "/usr/local/share:/usr/share")) return buf;
    return NULL;
}
