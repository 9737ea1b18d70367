/*
 * json_text.c — values as JSON text, shared by the JSON writer and the Parquet
 * reader's nested columns (read as JSON): one escaping, one spelling of every type.
 */
#include "vector/vector.h"

#include <math.h>
#include <string.h>

void em_json_append_string(em_strbuf *out, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    em_strbuf_putc(out, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        em_strbuf_append(out, p + start, i - start);
        start = i + 1;
        switch (c) {
        case '"':
            em_strbuf_puts(out, "\\\"");
            break;
        case '\\':
            em_strbuf_puts(out, "\\\\");
            break;
        case '\n':
            em_strbuf_puts(out, "\\n");
            break;
        case '\r':
            em_strbuf_puts(out, "\\r");
            break;
        case '\t':
            em_strbuf_puts(out, "\\t");
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            em_strbuf_append(out, u, 6);
        }
        }
    }
    em_strbuf_append(out, p + start, n - start);
    em_strbuf_putc(out, '"');
}

void em_vector_append_json(const em_vector *v, int64_t i, em_strbuf *out)
{
    char buf[96];
    if (!em_vector_is_valid(v, i)) {
        em_strbuf_puts(out, "null");
        return;
    }
    switch (v->type.id) {
    case EM_TYPE_BOOLEAN:
        em_strbuf_puts(out, EM_VEC_BOOL(v)[i] ? "true" : "false");
        return;
    case EM_TYPE_INTEGER:
        em_strbuf_printf(out, "%d", (int)EM_VEC_I32(v)[i]);
        return;
    case EM_TYPE_BIGINT:
        em_strbuf_printf(out, "%lld", (long long)EM_VEC_I64(v)[i]);
        return;
    case EM_TYPE_DOUBLE: {
        double x = EM_VEC_F64(v)[i];
        if (!isfinite(x)) {
            em_strbuf_puts(out, "null");
            return;
        }
        em_format_double(x, buf, sizeof buf);
        em_strbuf_puts(out, buf);
        return;
    }
    case EM_TYPE_DECIMAL:
        em_format_decimal(EM_VEC_I64(v)[i], v->type.scale, buf, sizeof buf);
        em_strbuf_puts(out, buf);
        return;
    case EM_TYPE_VARCHAR: {
        int32_t len;
        const char *p = em_vector_str(v, i, &len);
        em_json_append_string(out, p, (size_t)len);
        return;
    }
    default: {
        em_value val = em_vector_get(v, i);
        em_strbuf tmp;
        em_strbuf_init(&tmp);
        em_value_format(&val, &tmp);
        em_json_append_string(out, tmp.data ? tmp.data : "", tmp.len);
        em_strbuf_release(&tmp);
        return;
    }
    }
}
