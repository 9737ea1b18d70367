/*
 * error.c — filling em_error values: codes, printf-style messages, SQL
 * positions and SQLSTATE classes. Every function tolerates a NULL error
 * pointer so that callers which do not care about details can pass NULL.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"

/* The SQLSTATE class reported for each code; tools (and the SQL test runner)
 * match on these rather than on message text. */
static const char *code_sqlstate(int code)
{
    switch (code) {
    case EM_OK:
        return "00000";
    case EM_EINVAL:
        return "22023";
    case EM_ENOMEM:
        return "53200";
    case EM_EIO:
        return "58030";
    case EM_ENOENT:
        return "42P01";
    case EM_ESYNTAX:
        return "42601";
    case EM_EBIND:
        return "42703";
    case EM_ETYPE:
        return "42804";
    case EM_EFORMAT:
        return "22P04";
    case EM_EUNSUPPORTED:
        return "0A000";
    case EM_EOVERFLOW:
        return "22003";
    case EM_EDIVZERO:
        return "22012";
    case EM_EINTERNAL:
        return "XX000";
    case EM_ECANCELED:
        return "57014";
    case EM_EEXISTS:
        return "42P07";
    case EM_ETIMEOUT:
        return "57P05";
    case EM_EAUTH:
        return "28000";
    case EM_EFETCH:
        return "58030";
    default:
        return "XX000";
    }
}

const char *em_error_code_name(int code)
{
    switch (code) {
    case EM_OK:
        return "OK";
    case EM_EINVAL:
        return "EINVAL";
    case EM_ENOMEM:
        return "ENOMEM";
    case EM_EIO:
        return "EIO";
    case EM_ENOENT:
        return "ENOENT";
    case EM_ESYNTAX:
        return "ESYNTAX";
    case EM_EBIND:
        return "EBIND";
    case EM_ETYPE:
        return "ETYPE";
    case EM_EFORMAT:
        return "EFORMAT";
    case EM_EUNSUPPORTED:
        return "EUNSUPPORTED";
    case EM_EOVERFLOW:
        return "EOVERFLOW";
    case EM_EDIVZERO:
        return "EDIVZERO";
    case EM_EINTERNAL:
        return "EINTERNAL";
    case EM_ECANCELED:
        return "ECANCELED";
    case EM_EEXISTS:
        return "EEXISTS";
    case EM_ETIMEOUT:
        return "ETIMEOUT";
    case EM_EAUTH:
        return "EAUTH";
    case EM_EFETCH:
        return "EFETCH";
    default:
        return "EUNKNOWN";
    }
}

int em_error_setv(em_error *err, int code, const char *fmt, va_list ap)
{
    if (err == NULL) return code;
    err->code = code;
    err->sql_pos = 0;
    memcpy(err->sqlstate, code_sqlstate(code), 6);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    return code;
}

int em_error_set(em_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    em_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int em_error_set_pos(em_error *err, int code, int sql_pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    em_error_setv(err, code, fmt, ap);
    va_end(ap);
    if (err != NULL) err->sql_pos = sql_pos;
    return code;
}

void em_error_prefix(em_error *err, const char *fmt, ...)
{
    if (err == NULL) return;
    char prefix[sizeof(err->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    /* Build into a temporary: the old message is an input of the new one. */
    char msg[sizeof(err->message)];
    size_t cap = sizeof(msg) - 1, n = 0;
    size_t lp = strlen(prefix), lm = strlen(err->message);
    size_t k = EM_MIN(lp, cap - n);
    memcpy(msg + n, prefix, k);
    n += k;
    k = EM_MIN((size_t)2, cap - n);
    memcpy(msg + n, ": ", k);
    n += k;
    k = EM_MIN(lm, cap - n);
    memcpy(msg + n, err->message, k);
    n += k;
    msg[n] = '\0';
    memcpy(err->message, msg, n + 1);
}

void em_error_clear(em_error *err)
{
    if (err == NULL) return;
    err->code = EM_OK;
    err->message[0] = '\0';
    err->sql_pos = 0;
    memcpy(err->sqlstate, "00000", 6);
}

int em_error_oom(em_error *err)
{
    return em_error_set(err, EM_ENOMEM, "out of memory");
}
