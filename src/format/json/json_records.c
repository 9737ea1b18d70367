/*
 * json_records.c — iterating the top-level objects of a JSON file.
 *
 * JSON lines: objects separated by newlines, blank lines allowed, nothing
 * else on an object's last line. One top-level array: objects separated by
 * commas, any whitespace; such a file is always a single split.
 */
#include "format/json/json.h"

void em__json_iter_init(em__json_iter *it, const char *path, const char *base, int64_t size,
                        int64_t start, int64_t stop, bool array)
{
    memset(it, 0, sizeof *it);
    em__json_init(&it->jp, path, base, size);
    it->pos = base + start;
    it->stop = base + stop;
    it->array = array;
}

void em__json_iter_release(em__json_iter *it)
{
    em__json_release(&it->jp);
}

static int next_line(em__json_iter *it, const char **rec, em_error *err)
{
    em__json_parser *jp = &it->jp;
    const char *p = em__json_skip_ws(it->pos, jp->end);
    if (p >= it->stop || p >= jp->end) {
        it->pos = p;
        return 0;
    }
    if (*p != '{') return em__json_error(jp, p, "expected a JSON object", err);
    *rec = p;
    EM_TRY(em__json_object(jp, &p, err));
    while (p < jp->end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
    if (p < jp->end && *p != '\n')
        return em__json_error(jp, p, "unexpected text after the object (one object per line)", err);
    it->pos = p;
    return 1;
}

static int finish_array(em__json_iter *it, const char *p, em_error *err)
{
    p = em__json_skip_ws(p + 1, it->jp.end);
    if (p < it->jp.end)
        return em__json_error(&it->jp, p, "unexpected text after the top-level array", err);
    it->pos = p;
    it->state = 3;
    return 0;
}

static int next_element(em__json_iter *it, const char **rec, em_error *err)
{
    em__json_parser *jp = &it->jp;
    const char *end = jp->end;
    const char *p = em__json_skip_ws(it->pos, end);
    if (it->state == 3) return 0;
    if (it->state == 0) {
        if (p >= end || *p != '[') return em__json_error(jp, p, "expected '['", err);
        p = em__json_skip_ws(p + 1, end);
        it->state = 1;
    }
    if (p >= end) return em__json_error(jp, p, "unterminated array", err);
    if (it->state == 1) {
        if (*p == ']') return finish_array(it, p, err);
    } else {
        if (*p == ']') return finish_array(it, p, err);
        if (*p != ',') return em__json_error(jp, p, "expected ',' or ']' in array", err);
        p = em__json_skip_ws(p + 1, end);
        if (p >= end) return em__json_error(jp, p, "unterminated array", err);
    }
    if (*p != '{') return em__json_error(jp, p, "expected a JSON object as array element", err);
    *rec = p;
    EM_TRY(em__json_object(jp, &p, err));
    it->pos = p;
    it->state = 2;
    return 1;
}

int em__json_iter_next(em__json_iter *it, const char **rec, em_error *err)
{
    return it->array ? next_element(it, rec, err) : next_line(it, rec, err);
}
