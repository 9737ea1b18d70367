/*
 * log.c — leveled logging to stderr. The level is process-wide and may be
 * changed while workers log, so it is an atomic; each line is written with a
 * single fprintf call so that lines from different threads do not interleave.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

/* -1 = not initialised yet: the first call reads EMBER_LOG from the environment. */
static _Atomic int g_level = -1;

static int level_from_env(void)
{
    const char *s = getenv("EMBER_LOG");
    if (s == NULL) return EM_LOG_WARN;
    if (em_str_ieq(s, "debug")) return EM_LOG_DEBUG;
    if (em_str_ieq(s, "info")) return EM_LOG_INFO;
    if (em_str_ieq(s, "warn")) return EM_LOG_WARN;
    if (em_str_ieq(s, "error")) return EM_LOG_ERROR;
    if (em_str_ieq(s, "off")) return EM_LOG_OFF;
    return EM_LOG_WARN;
}

void em_log_set_level(em_log_level level)
{
    atomic_store(&g_level, (int)level);
}

em_log_level em_log_get_level(void)
{
    int l = atomic_load(&g_level);
    if (l < 0) {
        l = level_from_env();
        atomic_store(&g_level, l);
    }
    return (em_log_level)l;
}

void em_log(em_log_level level, const char *fmt, ...)
{
    if (level < em_log_get_level() || level >= EM_LOG_OFF) return;
    static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    size_t n = strlen(msg);
    const char *nl = (n > 0 && msg[n - 1] == '\n') ? "" : "\n";
    fprintf(stderr, "[ember %s] %s%s", names[level], msg, nl);
}
