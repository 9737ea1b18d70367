/*
 * util.c — small utilities: allocation that aborts on exhaustion, clocks,
 * CPU count, case-insensitive comparison, edit distance and size parsing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"

static void oom_abort(size_t n)
{
    fprintf(stderr, "ember: out of memory allocating %zu bytes\n", n);
    abort();
}

void *em_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (EM_UNLIKELY(p == NULL)) oom_abort(n);
    return p;
}

/* From this size on em_calloc zeroes with memset instead of trusting fresh pages to be
 * zero. A calloc of fresh memory maps the kernel's shared zero page, and most big zeroed
 * buffers (hash tables) are read before they are written: the first write to each page
 * is then a copy-on-write fault, which must flush that page from the TLB of every CPU
 * running another thread of the process (an IPI each). Writing the zeros first takes
 * ordinary faults instead, with no flush. */
#define CALLOC_MEMSET_BYTES ((size_t)64 << 10)

void *em_calloc(size_t count, size_t n)
{
    if (count == 0) count = 1;
    if (n == 0) n = 1;
    if (EM_UNLIKELY(n > SIZE_MAX / count)) oom_abort(SIZE_MAX);
    size_t bytes = count * n;
    void *p;
    if (bytes >= CALLOC_MEMSET_BYTES) {
        p = malloc(bytes);
        /* The empty asm stops the compiler from folding malloc + memset back into calloc. */
        __asm__ volatile("" : : "r"(p) : "memory");
        if (EM_LIKELY(p != NULL)) memset(p, 0, bytes);
    } else {
        p = calloc(count, n);
    }
    if (EM_UNLIKELY(p == NULL)) oom_abort(bytes);
    return p;
}

void *em_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (EM_UNLIKELY(q == NULL)) oom_abort(n);
    return q;
}

char *em_strdup(const char *s)
{
    return em_strndup(s, strlen(s));
}

char *em_strndup(const char *s, size_t n)
{
    char *p = em_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void em_free(void *p)
{
    free(p);
}

double em_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t em_now_micros(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int em_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

bool em_str_ieq(const char *a, const char *b)
{
    if (a == NULL || b == NULL) return a == b;
    while (*a && *b) {
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
        a++;
        b++;
    }
    return *a == *b;
}

int em_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    /* Two rolling rows of the classic dynamic programme. */
    int *prev = em_malloc((lb + 1) * sizeof(int));
    int *cur = em_malloc((lb + 1) * sizeof(int));
    for (size_t j = 0; j <= lb; j++) prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        int ca = tolower((unsigned char)a[i - 1]);
        for (size_t j = 1; j <= lb; j++) {
            int cost = ca == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            int best = prev[j - 1] + cost;
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
            cur[j] = best;
        }
        int *t = prev;
        prev = cur;
        cur = t;
    }
    int d = prev[lb];
    em_free(prev);
    em_free(cur);
    return d;
}

int64_t em_parse_size(const char *s)
{
    if (s == NULL) return -1;
    while (isspace((unsigned char)*s)) s++;
    if (!isdigit((unsigned char)*s)) return -1;
    int64_t v = 0;
    while (isdigit((unsigned char)*s)) {
        if (v > (INT64_MAX - 9) / 10) return -1;
        v = v * 10 + (*s - '0');
        s++;
    }
    int shift = 0;
    switch (tolower((unsigned char)*s)) {
    case 'k':
        shift = 10;
        break;
    case 'm':
        shift = 20;
        break;
    case 'g':
        shift = 30;
        break;
    case 't':
        shift = 40;
        break;
    case 'b':
        break;
    case '\0':
        break;
    default:
        return -1;
    }
    if (*s != '\0') {
        s++;
        /* Accept "512mb", "2gb" and "10b" as well as the bare suffix. */
        if (shift != 0 && tolower((unsigned char)*s) == 'b') s++;
    }
    while (isspace((unsigned char)*s)) s++;
    if (*s != '\0') return -1;
    if (shift > 0 && v > (INT64_MAX >> shift)) return -1;
    return v << shift;
}
