/*
 * strbuf.c — a growable, always NUL-terminated byte buffer used to build
 * messages, plans and printed results.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"

void em_strbuf_init(em_strbuf *sb)
{
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
}

void em_strbuf_release(em_strbuf *sb)
{
    em_free(sb->data);
    em_strbuf_init(sb);
}

void em_strbuf_clear(em_strbuf *sb)
{
    sb->len = 0;
    if (sb->cap > 0) sb->data[0] = '\0';
}

void em_strbuf_reserve(em_strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap) return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need) cap *= 2;
    sb->data = em_realloc(sb->data, cap);
    if (sb->cap == 0) sb->data[0] = '\0';
    sb->cap = cap;
}

void em_strbuf_append(em_strbuf *sb, const char *s, size_t n)
{
    em_strbuf_reserve(sb, n);
    if (n > 0) memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void em_strbuf_puts(em_strbuf *sb, const char *s)
{
    em_strbuf_append(sb, s, strlen(s));
}

void em_strbuf_putc(em_strbuf *sb, char c)
{
    em_strbuf_reserve(sb, 1);
    sb->data[sb->len++] = c;
    sb->data[sb->len] = '\0';
}

void em_strbuf_vprintf(em_strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    /* Try the space we already have first; most messages fit. */
    size_t avail = sb->cap > sb->len ? sb->cap - sb->len : 0;
    int n = vsnprintf(avail ? sb->data + sb->len : NULL, avail, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n >= avail) {
        em_strbuf_reserve(sb, (size_t)n);
        vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    sb->len += (size_t)n;
}

void em_strbuf_printf(em_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    em_strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

char *em_strbuf_detach(em_strbuf *sb)
{
    char *p = sb->data;
    if (p == NULL) p = em_strdup("");
    em_strbuf_init(sb);
    return p;
}
