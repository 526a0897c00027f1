/* model_path.c - the default model search of the llama-zip program (see model_path.h). */
#include "model_path.h"
#include "model_names.h"

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

/* 1 when DIR/SUB/FILE is a regular file; its canonical path is then in buf. */
static int try_dir(char *buf, size_t size, const char *dir, const char *sub, const char *file)
{
    char cand[4096], canon[PATH_MAX];
    if (!dir || !*dir) return 0;
    int n = snprintf(cand, sizeof(cand), "%s/%s%s%s", dir, sub, *sub ? "/" : "", file);
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
static int try_dir_list(char *buf, size_t size, const char *list, const char *file)
{
    char dir[4096];
    while (*list) {
        size_t len = strcspn(list, ":");
        if (len > 0 && len < sizeof(dir)) {
            memcpy(dir, list, len);
            dir[len] = '\0';
            if (try_dir(buf, size, dir, DATA_SUBDIR, file)) return 1;
        }
        list += len + (list[len] == ':');
    }
    return 0;
}

const char *lz_cli_find_model(const char *file, char *buf, size_t size)
{
    char exe_dir[4096], dir[4200];
    program_dir(exe_dir, sizeof(exe_dir));
    if (exe_dir[0]) {
        snprintf(dir, sizeof(dir), "%s/../models", exe_dir);
        if (try_dir(buf, size, dir, "", file)) return buf;
    }
    const char *home = getenv("HOME");
    const char *xdg_home = getenv("XDG_DATA_HOME");
    if (xdg_home && *xdg_home) {
        if (try_dir(buf, size, xdg_home, DATA_SUBDIR, file)) return buf;
    } else if (home && *home) {
        snprintf(dir, sizeof(dir), "%s/.local/share", home);
        if (try_dir(buf, size, dir, DATA_SUBDIR, file)) return buf;
    }
    if (exe_dir[0]) {
        snprintf(dir, sizeof(dir), "%s/../share", exe_dir);
        if (try_dir(buf, size, dir, DATA_SUBDIR, file)) return buf;
    }
    const char *xdg_dirs = getenv("XDG_DATA_DIRS");
    if (try_dir_list(buf, size, xdg_dirs && *xdg_dirs ? xdg_dirs : "/usr/local/share:/usr/share", file)) return buf;
    return NULL;
}

lz_model_where lz_cli_resolve_model(const char *arg, char *buf, size_t size, const char **name)
{
    *name = NULL;
    if (!arg || !*arg) {
        const char *env = getenv("LLAMAZIP_MODEL");
        if (env && *env) return lz_cli_resolve_model(env, buf, size, name);
        *name = lz_known_models[0].name;
        return lz_cli_find_model(lz_known_models[0].file, buf, size) ? LZ_MODEL_FOUND : LZ_MODEL_NOT_FOUND;
    }
    const lz_known_model *k = lz_known_model_by_name(arg);
    struct stat sb;
    if (k && stat(arg, &sb) != 0) { /* a name, unless a file of that name is there */
        *name = k->name;
        return lz_cli_find_model(k->file, buf, size) ? LZ_MODEL_FOUND : LZ_MODEL_NOT_INSTALLED;
    }
    snprintf(buf, size, "%s", arg);
    return LZ_MODEL_FOUND;
}
