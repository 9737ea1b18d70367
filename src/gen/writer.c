/*
 * writer.c — the ordered parallel file writer of the benchmark generators
 * (see gen_int.h), plus the small file-system and naming helpers they share.
 *
 * Chunks are generated on a thread pool through a ring of `window` slots:
 * chunk c lives in slot c % window, and is written as soon as it and every
 * chunk before it are done, so memory stays at window × max_chunk_bytes
 * however large the file is.
 */
#include "gen/gen_int.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

int em__gen_mkdir_p(const char *path, em_error *err)
{
    if (path == NULL || path[0] == '\0') return em_error_set(err, EM_EINVAL, "no output directory");
    char *tmp = em_strdup(path);
    int rc = 0;
    for (char *p = tmp + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(tmp, 0777) < 0 && errno != EEXIST) {
            rc = em_error_set(err, EM_EIO, "cannot create directory %s: %s", tmp, strerror(errno));
            break;
        }
        *p = saved;
        if (saved == '\0') break;
    }
    em_free(tmp);
    if (rc < 0) return rc;
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
        return em_error_set(err, EM_EIO, "%s is not a directory", path);
    }
    return 0;
}

void em__gen_pretty_count(char *buf, int64_t v)
{
    if (v <= 0) {
        snprintf(buf, 40, "%lld", (long long)v);
        return;
    }
    int e = 0;
    while (v % 10 == 0) {
        v /= 10;
        e++;
    }
    if (e == 0) {
        snprintf(buf, 40, "%lld", (long long)v);
    } else {
        snprintf(buf, 40, "%llde%d", (long long)v, e);
    }
}

typedef struct slot {
    const em__gen_file_spec *spec;
    int64_t index;
    char *buf;
    size_t len;
    em_waitgroup *wg;
} slot;

static void run_slot(void *arg)
{
    slot *s = arg;
    s->len = s->spec->fn(s->spec->ctx, s->index, s->buf);
    /* A generator that overran its own bound is a programmer mistake. */
    assert(s->len <= s->spec->max_chunk_bytes);
    em_waitgroup_done(s->wg);
}

static int write_all(FILE *f, const char *path, const char *p, size_t n, em_error *err)
{
    if (n > 0 && fwrite(p, 1, n, f) != n) {
        return em_error_set(err, EM_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

/* Bytes of chunk data to keep when `room` bytes remain under the limit: up
 * to and including the last newline that fits. */
static size_t cut_at_newline(const char *buf, size_t len, int64_t room)
{
    size_t n = room < 0 ? 0 : (size_t)EM_MIN((int64_t)len, room);
    while (n > 0 && buf[n - 1] != '\n') n--;
    return n;
}

int em__gen_write_file(const em__gen_file_spec *spec, int64_t *bytes, em_error *err)
{
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_printf(&sb, "%s/%s", spec->dir, spec->name);
    char *path = em_strbuf_detach(&sb);
    em_strbuf_printf(&sb, "%s/.%s.tmp", spec->dir, spec->name);
    char *tmp_path = em_strbuf_detach(&sb);
    int64_t written = 0;
    int rc = 0;

    FILE *f = fopen(tmp_path, "wb");
    if (f == NULL) {
        rc = em_error_set(err, EM_EIO, "cannot create %s: %s", tmp_path, strerror(errno));
        goto done;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    if (spec->header != NULL) {
        size_t n = strlen(spec->header);
        rc = write_all(f, tmp_path, spec->header, n, err);
        written += (int64_t)n;
    }

    int threads = EM_MAX(spec->threads, 1);
    int64_t window = EM_MIN((int64_t)threads + 2, 34);
    slot *slots = em_calloc((size_t)window, sizeof(slot));
    for (int64_t i = 0; i < window; i++) {
        slots[i].spec = spec;
        slots[i].buf = em_malloc(spec->max_chunk_bytes);
        slots[i].wg = em_waitgroup_create();
    }
    em_threadpool *pool = em_threadpool_create(threads);
    int64_t submitted = 0;
    bool stop = rc < 0;
    for (int64_t c = 0; c < spec->nchunks && !stop; c++) {
        while (submitted < spec->nchunks && submitted < c + window) {
            slot *s = &slots[submitted % window];
            s->index = submitted;
            em_waitgroup_add(s->wg, 1);
            em_threadpool_submit(pool, run_slot, s);
            submitted++;
        }
        slot *s = &slots[c % window];
        em_waitgroup_wait(s->wg);
        size_t n = s->len;
        if (spec->limit_bytes > 0 && written + (int64_t)n >= spec->limit_bytes) {
            n = cut_at_newline(s->buf, n, spec->limit_bytes - written);
            stop = true;
        }
        rc = write_all(f, tmp_path, s->buf, n, err);
        written += (int64_t)n;
        if (rc < 0) stop = true;
    }
    /* Chunks submitted past the point where writing stopped still run (the
     * pool drains its queue): wait for them before their buffers go. */
    em_threadpool_destroy(pool);
    for (int64_t i = 0; i < window; i++) {
        em_waitgroup_destroy(slots[i].wg);
        em_free(slots[i].buf);
    }
    em_free(slots);

    if (fclose(f) != 0 && rc == 0) {
        rc = em_error_set(err, EM_EIO, "cannot write %s: %s", tmp_path, strerror(errno));
    }
    if (rc == 0 && rename(tmp_path, path) < 0) {
        rc = em_error_set(err, EM_EIO, "cannot rename %s to %s: %s", tmp_path, path,
                          strerror(errno));
    }
    if (rc < 0) remove(tmp_path);
done:
    if (bytes != NULL) *bytes = written;
    em_free(path);
    em_free(tmp_path);
    return rc;
}
