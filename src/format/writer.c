/*
 * writer.c — writing query results to files (COPY ... TO): the writer
 * operator every task of the result stage ends in, and the driver-side job
 * checks, commit and abort.
 *
 * Layout of a directory write (d->path = out/):
 *   out/_temporary/<job>/<partition>-<attempt>-<n>.<ext>   while a task runs
 *   out/[col=value/...]part-<partition>-<job>-<n>.<ext>     once it commits
 * A task writes its files under temporary names and renames them only at
 * finish (its commit), so a failed attempt leaves nothing behind (destroy
 * removes its temporaries) and a retried attempt, which renames onto the same
 * final names, never duplicates rows. The job commit removes the temporary
 * directory; a job abort also removes every file carrying the job's id. A
 * single-file write (out.parquet from a one-partition plan) uses a hidden
 * temporary next to the target.
 *
 * PARTITION_BY columns are not written into the files: their values become
 * Hive-style directories, escaped as Hive and Spark do (%XX for '/', '=',
 * '%', control characters and a few others), with NULL and the empty string
 * as __HIVE_DEFAULT_PARTITION__. A file rolls over to a new one once the
 * format reports max_file_bytes written.
 *
 * Generic options (all formats): OVERWRITE (replace a non-empty target
 * directory's contents), OVERWRITE_OR_IGNORE (write into it anyway),
 * PER_THREAD_OUTPUT (accepted; every task writes its own files anyway).
 */
#include "format/writer.h"

#include "exec/exec.h"
#include "os/os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HIVE_NULL "__HIVE_DEFAULT_PARTITION__"

static const char *const generic_options[] = {"overwrite", "overwrite_or_ignore",
                                              "per_thread_output", NULL};

/* ---- buffered files ------------------------------------------------------------ */

int em__wfile_open(em__wfile *f, const char *path, em_error *err)
{
    memset(f, 0, sizeof *f);
    f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        f->fd = -1;
        return em_os_error(err, errno, path);
    }
    f->path = em_strdup(path);
    f->cap = 1 << 20;
    f->buf = em_malloc(f->cap);
    return 0;
}

static int flush(em__wfile *f, em_error *err)
{
    size_t off = 0;
    while (off < f->len) {
        ssize_t w = write(f->fd, f->buf + off, f->len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return em_os_error(err, errno, f->path);
        }
        off += (size_t)w;
    }
    f->len = 0;
    return 0;
}

int em__wfile_write(em__wfile *f, const void *p, size_t n, em_error *err)
{
    f->written += (int64_t)n;
    if (f->len + n <= f->cap) {
        memcpy(f->buf + f->len, p, n);
        f->len += n;
        return 0;
    }
    EM_TRY(flush(f, err));
    if (n >= f->cap) {
        /* Large pieces go straight to the file. */
        size_t len = f->len;
        const char *save = f->buf;
        f->buf = (char *)(uintptr_t)p;
        f->len = n;
        int rc = flush(f, err);
        f->buf = (char *)(uintptr_t)save;
        f->len = len;
        return rc;
    }
    memcpy(f->buf, p, n);
    f->len = n;
    return 0;
}

int em__wfile_close(em__wfile *f, bool commit, em_error *err)
{
    int rc = 0;
    if (f->fd >= 0 && f->path != NULL) {
        if (commit) rc = flush(f, err);
        if (close(f->fd) < 0 && rc == 0 && commit) rc = em_os_error(err, errno, f->path);
        if (!commit || rc < 0) unlink(f->path);
    }
    f->fd = -1;
    em_free(f->buf);
    em_free(f->path);
    f->buf = NULL;
    f->path = NULL;
    f->len = f->cap = 0;
    return rc;
}

/* ---- options ---------------------------------------------------------------------- */

const char *em__write_option(const em_write_desc *d, const char *key)
{
    for (int i = 0; i < d->noptions; i++)
        if (em_str_ieq(d->options[i].key, key)) return d->options[i].value;
    return NULL;
}

const char *em__write_option_any(const em_write_desc *d, const char *const *keys)
{
    for (int k = 0; keys[k]; k++) {
        const char *v = em__write_option(d, keys[k]);
        if (v) return v;
    }
    return NULL;
}

static bool in_list(const char *key, const char *const *list)
{
    for (int k = 0; list[k]; k++)
        if (em_str_ieq(key, list[k])) return true;
    return false;
}

int em__write_check_options(const em_write_desc *d, const char *format, const char *const *known,
                            em_error *err)
{
    for (int i = 0; i < d->noptions; i++) {
        const char *key = d->options[i].key;
        if (in_list(key, known) || in_list(key, generic_options)) continue;
        const char *best = NULL;
        int best_d = 3;
        for (int pass = 0; pass < 2; pass++) {
            const char *const *list = pass ? generic_options : known;
            for (int k = 0; list[k]; k++) {
                int dist = em_edit_distance(key, list[k]);
                if (dist < best_d) {
                    best_d = dist;
                    best = list[k];
                }
            }
        }
        em_strbuf sb;
        em_strbuf_init(&sb);
        for (int k = 0; known[k]; k++) em_strbuf_printf(&sb, "%s%s", k ? ", " : "", known[k]);
        for (int k = 0; generic_options[k]; k++) em_strbuf_printf(&sb, ", %s", generic_options[k]);
        int rc;
        if (best)
            rc = em_error_set(err, EM_EINVAL, "unknown %s COPY option '%s' (did you mean '%s'?)",
                              format, key, best);
        else
            rc = em_error_set(err, EM_EINVAL, "unknown %s COPY option '%s' (known options: %s)",
                              format, key, sb.data ? sb.data : "");
        em_strbuf_release(&sb);
        return rc;
    }
    return 0;
}

int em__write_option_char(const char *key, const char *value, char *out, em_error *err)
{
    if (em_str_ieq(value, "tab") || strcmp(value, "\\t") == 0) {
        *out = '\t';
        return 0;
    }
    if (strlen(value) != 1 || value[0] == '\n' || value[0] == '\r')
        return em_error_set(err, EM_EINVAL, "option '%s' must be a single character, not '%s'", key,
                            value);
    *out = value[0];
    return 0;
}

static int option_bool(const em_write_desc *d, const char *key, bool *out, em_error *err)
{
    *out = false;
    const char *v = em__write_option(d, key);
    if (v == NULL) return 0;
    if (em_str_ieq(v, "true") || em_str_ieq(v, "1") || em_str_ieq(v, "on") || em_str_ieq(v, "t")) {
        *out = true;
        return 0;
    }
    if (em_str_ieq(v, "false") || em_str_ieq(v, "0") || em_str_ieq(v, "off") || em_str_ieq(v, "f"))
        return 0;
    return em_error_set(err, EM_EINVAL, "option '%s' must be true or false, not '%s'", key, v);
}

/* ---- paths -------------------------------------------------------------------------- */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) return em_strdup(".");
    if (slash == path) return em_strdup("/");
    return em_strndup(path, (size_t)(slash - path));
}

static int mkdir_p(const char *path, em_error *err)
{
    char *p = em_strdup(path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    for (char *s = p + 1;; s++) {
        bool end = *s == '\0';
        if (*s == '/' || end) {
            char save = *s;
            *s = '\0';
            if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                int rc = em_os_error(err, errno, p);
                em_free(p);
                return rc;
            }
            *s = save;
        }
        if (end) break;
    }
    em_free(p);
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP || flag == FTW_D)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* Remove a tree (or a file); missing is fine. Symlinks are removed, not followed. */
static void rm_rf(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool dir_empty(const char *path)
{
    DIR *dir = opendir(path);
    if (dir == NULL) return true;
    struct dirent *e;
    bool empty = true;
    while ((e = readdir(dir)) != NULL && empty)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = false;
    closedir(dir);
    return empty;
}

/* Remove the entries of a directory, keeping the directory. */
static void clear_dir(const char *path)
{
    DIR *dir = opendir(path);
    if (dir == NULL) return;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *p = em_os_path_join(path, e->d_name);
        rm_rf(p);
        em_free(p);
    }
    closedir(dir);
}

static const char *format_ext(const char *format)
{
    if (em_str_ieq(format, "parquet")) return "parquet";
    if (em_str_ieq(format, "json") || em_str_ieq(format, "ndjson") || em_str_ieq(format, "jsonl"))
        return "json";
    return "csv";
}

/* Hive escaping of one path component (Spark's escapePathName). */
static void hive_escape(em_strbuf *out, const char *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        bool esc = c < 0x20 || c == 0x7f || strchr("\"#%'*/:=?\\{[]^", c) != NULL;
        if (i == 0 && c == '.') esc = true; /* never a hidden or dot-dot name */
        if (esc) {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            em_strbuf_append(out, e, 3);
        } else {
            em_strbuf_putc(out, (char)c);
        }
    }
}

/* ---- registry, checks, job commit ------------------------------------------------------- */

const em_format_writer_vt *em_format_writer(const char *format)
{
    if (format == NULL) return NULL;
    if (em_str_ieq(format, "parquet")) return &em__parquet_writer_vt;
    if (em_str_ieq(format, "csv")) return &em__csv_writer_vt;
    if (em_str_ieq(format, "json") || em_str_ieq(format, "ndjson") || em_str_ieq(format, "jsonl"))
        return &em__json_writer_vt;
    return NULL;
}

int em_write_desc_check(const em_write_desc *d, em_error *err)
{
    if (d->format == NULL || em_format_writer(d->format) == NULL)
        return em_error_set(err, EM_EUNSUPPORTED,
                            "cannot write files of format '%s' (csv, json or parquet)",
                            d->format ? d->format : "?");
    if (d->path == NULL || d->path[0] == '\0')
        return em_error_set(err, EM_EINVAL, "COPY needs a target path");
    if (d->schema == NULL) return em_error_set(err, EM_EINTERNAL, "write without a schema");
    if (em_str_ieq(d->format, "parquet"))
        EM_TRY(em__parquet_write_check(d, err));
    else if (em_str_ieq(d->format, "csv"))
        EM_TRY(em__csv_write_check(d, err));
    else
        EM_TRY(em__json_write_check(d, err));
    bool overwrite, ignore, per_thread;
    EM_TRY(option_bool(d, "overwrite", &overwrite, err));
    EM_TRY(option_bool(d, "overwrite_or_ignore", &ignore, err));
    EM_TRY(option_bool(d, "per_thread_output", &per_thread, err));
    for (int i = 0; i < d->npartition_cols; i++)
        if (d->partition_cols[i] < 0 || d->partition_cols[i] >= d->schema->nfields)
            return em_error_set(err, EM_EINTERNAL, "PARTITION_BY column %d out of range",
                                d->partition_cols[i]);
    if (d->npartition_cols >= d->schema->nfields && d->npartition_cols > 0)
        return em_error_set(err, EM_EINVAL,
                            "PARTITION_BY cannot use every column: nothing would be written");
    if (d->job_id == NULL || d->job_id[0] == '\0' || strchr(d->job_id, '/'))
        return em_error_set(err, EM_EINTERNAL, "write without a valid job id");
    em_os_kind kind = em_os_path_kind(d->path);
    if (d->single_file) {
        if (kind == EM_OS_DIR)
            return em_error_set(err, EM_EEXISTS, "cannot write file '%s': it is a directory",
                                d->path);
        char *dir = dir_of(d->path);
        int rc = em_os_path_kind(dir) == EM_OS_DIR ? 0 : mkdir_p(dir, err);
        em_free(dir);
        return rc;
    }
    if (kind == EM_OS_FILE || kind == EM_OS_OTHER)
        return em_error_set(err, EM_EEXISTS,
                            "cannot write directory '%s': a file of that name exists (COPY writes "
                            "a directory of part files here)",
                            d->path);
    if (kind == EM_OS_MISSING) return mkdir_p(d->path, err);
    if (dir_empty(d->path)) return 0;
    if (overwrite) {
        /* Never empty the root or the working directory by accident. */
        char *trimmed = em_strdup(d->path);
        size_t len = strlen(trimmed);
        while (len > 1 && trimmed[len - 1] == '/') trimmed[--len] = '\0';
        const char *base = em_os_basename(trimmed);
        bool unnamed = strcmp(trimmed, "/") == 0 || strcmp(base, ".") == 0 ||
                       strcmp(base, "..") == 0 || base[0] == '\0';
        em_free(trimmed);
        if (unnamed)
            return em_error_set(err, EM_EINVAL, "OVERWRITE needs a named directory, not '%s'",
                                d->path);
        clear_dir(d->path);
        return 0;
    }
    if (ignore) return 0;
    return em_error_set(err, EM_EEXISTS,
                        "directory '%s' is not empty; add OVERWRITE to replace its contents or "
                        "OVERWRITE_OR_IGNORE to write into it",
                        d->path);
}

static char *job_tmpdir(const em_write_desc *d)
{
    char *tmp = em_os_path_join(d->path, "_temporary");
    char *job = em_os_path_join(tmp, d->job_id);
    em_free(tmp);
    return job;
}

/* Remove hidden single-file temporaries of this job next to the target. */
static void remove_single_tmps(const em_write_desc *d)
{
    char *dir = dir_of(d->path);
    const char *base = em_os_basename(d->path);
    em_strbuf prefix;
    em_strbuf_init(&prefix);
    em_strbuf_printf(&prefix, ".%s.%s.", base, d->job_id);
    DIR *dh = opendir(dir);
    if (dh != NULL) {
        struct dirent *e;
        while ((e = readdir(dh)) != NULL) {
            if (strncmp(e->d_name, prefix.data, prefix.len) != 0) continue;
            char *p = em_os_path_join(dir, e->d_name);
            unlink(p);
            em_free(p);
        }
        closedir(dh);
    }
    em_strbuf_release(&prefix);
    em_free(dir);
}

int em_write_job_commit(const em_write_desc *d, em_error *err)
{
    EM_UNUSED(err);
    if (d->single_file) {
        remove_single_tmps(d);
        return 0;
    }
    char *job = job_tmpdir(d);
    rm_rf(job);
    em_free(job);
    char *tmp = em_os_path_join(d->path, "_temporary");
    rmdir(tmp); /* only when no other job is writing here */
    em_free(tmp);
    return 0;
}

/* The job id being aborted, for the tree walk below (nftw takes no context). */
static __thread const char *abort_job;

static int rm_job_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    const char *name = path + ftw->base;
    if (flag == FTW_F) {
        const char *at = strstr(name, abort_job);
        if (strncmp(name, "part-", 5) == 0 && at != NULL && at > name && at[-1] == '-' &&
            at[strlen(abort_job)] == '-')
            unlink(path);
    } else if (flag == FTW_DP && ftw->level > 0 && strchr(name, '=') != NULL) {
        rmdir(path); /* partition directories left empty */
    }
    return 0;
}

void em_write_job_abort(const em_write_desc *d)
{
    if (d->single_file) {
        remove_single_tmps(d);
        return;
    }
    char *job = job_tmpdir(d);
    rm_rf(job);
    em_free(job);
    char *tmp = em_os_path_join(d->path, "_temporary");
    rmdir(tmp);
    em_free(tmp);
    abort_job = d->job_id;
    nftw(d->path, rm_job_file, 16, FTW_DEPTH | FTW_PHYS);
    abort_job = NULL;
}

/* ---- the writer operator -------------------------------------------------------------- */

typedef struct part {
    char *dir;    /* relative partition directory ("" without PARTITION_BY) */
    void *w;      /* the open file's format writer, or NULL */
    char *tmp;    /* its temporary path */
    char *final;  /* where it goes at commit */
    int32_t *sel; /* rows of the current batch */
    int64_t nsel, sel_cap;
} part;

typedef struct writer_op {
    em_op base;
    const em_write_desc *d;
    const em_format_writer_vt *vt;
    em_batch_list *out;
    const char *ext;
    int partition, attempt;
    em_schema *file_schema;
    int nkeep;
    int *keep;
    part *parts;
    int nparts, cap;
    int *index; /* open addressing over parts by directory: part + 1, 0 empty */
    int index_cap;
    char **tmp_done, **final_done;
    int ndone, done_cap;
    int next_n;
    int64_t rows;
    int64_t files;
    char *tmpdir;
    em_strbuf key;
    bool committed;
} writer_op;

static int part_find(writer_op *o, const char *dir, size_t n)
{
    uint64_t h = em_hash_bytes(dir, n, 7);
    if (o->index_cap == 0 || (o->nparts + 1) * 2 > o->index_cap) {
        int cap = o->index_cap ? o->index_cap * 2 : 64;
        int *ix = em_calloc((size_t)cap, sizeof *ix);
        for (int i = 0; i < o->nparts; i++) {
            uint64_t hh = em_hash_bytes(o->parts[i].dir, strlen(o->parts[i].dir), 7);
            size_t at = (size_t)hh & (size_t)(cap - 1);
            while (ix[at]) at = (at + 1) & (size_t)(cap - 1);
            ix[at] = i + 1;
        }
        em_free(o->index);
        o->index = ix;
        o->index_cap = cap;
    }
    size_t at = (size_t)h & (size_t)(o->index_cap - 1);
    while (o->index[at]) {
        part *p = &o->parts[o->index[at] - 1];
        if (strlen(p->dir) == n && memcmp(p->dir, dir, n) == 0) return o->index[at] - 1;
        at = (at + 1) & (size_t)(o->index_cap - 1);
    }
    if (o->nparts == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 8;
        o->parts = em_realloc(o->parts, sizeof *o->parts * (size_t)o->cap);
    }
    part *p = &o->parts[o->nparts];
    memset(p, 0, sizeof *p);
    p->dir = em_strndup(dir, n);
    o->index[at] = o->nparts + 1;
    return o->nparts++;
}

static int open_file(writer_op *o, part *p, em_error *err)
{
    const em_write_desc *d = o->d;
    int n = o->next_n++;
    em_strbuf sb;
    em_strbuf_init(&sb);
    if (d->single_file) {
        char *dir = dir_of(d->path);
        em_strbuf_printf(&sb, "%s/.%s.%s.%d-%d-%d.tmp", dir, em_os_basename(d->path), d->job_id,
                         o->partition, o->attempt, n);
        em_free(dir);
        p->tmp = em_strbuf_detach(&sb);
        p->final = em_strdup(d->path);
    } else {
        if (o->tmpdir == NULL) {
            o->tmpdir = job_tmpdir(d);
            EM_TRY(mkdir_p(o->tmpdir, err));
        }
        em_strbuf_printf(&sb, "%s/%d-%d-%d.%s", o->tmpdir, o->partition, o->attempt, n, o->ext);
        p->tmp = em_strbuf_detach(&sb);
        em_strbuf_printf(&sb, "%s%s%s/part-%05d-%s-%d.%s", d->path,
                         d->path[strlen(d->path) - 1] == '/' ? "" : "/", p->dir, o->partition,
                         d->job_id, n, o->ext);
        p->final = em_strbuf_detach(&sb);
    }
    int rc = o->vt->open(d, o->file_schema, p->tmp, &p->w, err);
    if (rc < 0) {
        p->w = NULL;
        em_free(p->tmp);
        em_free(p->final);
        p->tmp = p->final = NULL;
    }
    return rc;
}

/* Finish the part's open file (it waits for the task commit under its temporary name). */
static int close_file(writer_op *o, part *p, em_error *err)
{
    if (p->w == NULL) return 0;
    void *w = p->w;
    p->w = NULL;
    int rc = o->vt->close(w, true, err);
    if (rc < 0) {
        unlink(p->tmp);
        em_free(p->tmp);
        em_free(p->final);
        p->tmp = p->final = NULL;
        return rc;
    }
    if (o->ndone == o->done_cap) {
        o->done_cap = o->done_cap ? o->done_cap * 2 : 8;
        o->tmp_done = em_realloc(o->tmp_done, sizeof(char *) * (size_t)o->done_cap);
        o->final_done = em_realloc(o->final_done, sizeof(char *) * (size_t)o->done_cap);
    }
    o->tmp_done[o->ndone] = p->tmp;
    o->final_done[o->ndone] = p->final;
    o->ndone++;
    p->tmp = p->final = NULL;
    return 0;
}

static int write_part(writer_op *o, part *p, const em_batch *b, em_error *err)
{
    if (p->w == NULL) EM_TRY(open_file(o, p, err));
    EM_TRY(o->vt->write(p->w, b, err));
    o->rows += b->nrows;
    const em_write_desc *d = o->d;
    if (!d->single_file && d->max_file_bytes > 0 && o->vt->bytes(p->w) >= d->max_file_bytes)
        EM_TRY(close_file(o, p, err));
    return 0;
}

/* The batch without its partition columns (shared vectors). */
static em_batch *project(writer_op *o, const em_batch *b)
{
    em_batch *pb = em_batch_create(o->nkeep);
    for (int k = 0; k < o->nkeep; k++) em_batch_set_col(pb, k, em_vector_ref(b->cols[o->keep[k]]));
    pb->nrows = b->nrows;
    return pb;
}

/* The partition directory of row i: col=value/col=value/ */
static void row_dir(writer_op *o, const em_batch *b, int64_t i, em_strbuf *out)
{
    const em_write_desc *d = o->d;
    em_strbuf_clear(out);
    em_strbuf_append(out, "", 0);
    for (int k = 0; k < d->npartition_cols; k++) {
        int c = d->partition_cols[k];
        const char *name = d->schema->fields[c].name;
        hive_escape(out, name, strlen(name));
        em_strbuf_putc(out, '=');
        em_value v = em_vector_get(b->cols[c], i);
        if (v.is_null || (v.type.id == EM_TYPE_VARCHAR && v.v.str.len == 0)) {
            em_strbuf_puts(out, HIVE_NULL);
        } else if (v.type.id == EM_TYPE_VARCHAR) {
            hive_escape(out, v.v.str.ptr, (size_t)v.v.str.len);
        } else {
            em_strbuf text;
            em_strbuf_init(&text);
            em_value_format(&v, &text);
            hive_escape(out, text.data ? text.data : "", text.len);
            em_strbuf_release(&text);
        }
        em_strbuf_putc(out, '/');
    }
}

static int writer_push(em_op *op, em_batch *b, em_error *err)
{
    writer_op *o = (writer_op *)op;
    int rc = 0;
    if (o->d->single_file && o->partition != 0) {
        em_batch_destroy(b);
        return em_error_set(err, EM_EINTERNAL,
                            "single-file write of '%s' planned with more than one partition",
                            o->d->path);
    }
    if (b->nrows == 0) {
        em_batch_destroy(b);
        return 0;
    }
    if (o->d->npartition_cols == 0) {
        int pi = part_find(o, "", 0);
        part *p = &o->parts[pi];
        rc = write_part(o, p, b, err);
        em_batch_destroy(b);
        return rc;
    }
    /* Rows grouped by their directory, in order of first appearance. */
    int *touched = em_malloc(sizeof(int) * (size_t)b->nrows);
    int ntouched = 0;
    for (int64_t i = 0; i < b->nrows; i++) {
        row_dir(o, b, i, &o->key);
        int pi = part_find(o, o->key.data, o->key.len);
        part *p = &o->parts[pi];
        if (p->nsel == 0) touched[ntouched++] = pi;
        if (p->nsel == p->sel_cap) {
            p->sel_cap = p->sel_cap ? p->sel_cap * 2 : 256;
            p->sel = em_realloc(p->sel, sizeof(int32_t) * (size_t)p->sel_cap);
        }
        p->sel[p->nsel++] = (int32_t)i;
    }
    em_batch *pb = project(o, b);
    for (int t = 0; t < ntouched && rc == 0; t++) {
        part *p = &o->parts[touched[t]];
        em_batch *g = em_batch_gather(pb, p->sel, p->nsel);
        rc = write_part(o, p, g, err);
        em_batch_destroy(g);
    }
    for (int t = 0; t < ntouched; t++) o->parts[touched[t]].nsel = 0;
    em_free(touched);
    em_batch_destroy(pb);
    em_batch_destroy(b);
    return rc;
}

static int writer_finish(em_op *op, em_error *err)
{
    writer_op *o = (writer_op *)op;
    const em_write_desc *d = o->d;
    for (int i = 0; i < o->nparts; i++) EM_TRY(close_file(o, &o->parts[i], err));
    /* An empty result still gets one file, so that it can be read back with
     * its schema: the single file, or task 0's part file. */
    if (o->ndone == 0 && d->npartition_cols == 0 && (d->single_file || o->partition == 0)) {
        int pi = part_find(o, "", 0);
        part *p = &o->parts[pi];
        EM_TRY(open_file(o, p, err));
        EM_TRY(close_file(o, p, err));
    }
    /* The task commit: temporaries become final names. */
    for (int i = 0; i < o->ndone; i++) {
        char *dir = dir_of(o->final_done[i]);
        int rc = mkdir_p(dir, err);
        em_free(dir);
        if (rc < 0) return rc;
        if (rename(o->tmp_done[i], o->final_done[i]) < 0)
            return em_os_error(err, errno, o->final_done[i]);
        em_free(o->tmp_done[i]);
        o->tmp_done[i] = NULL;
        o->files++;
    }
    o->committed = true;
    em_batch *r = em_batch_create(2);
    em_vector *rows = em_vector_create(em_type_make(EM_TYPE_BIGINT), 1);
    em_vector *files = em_vector_create(em_type_make(EM_TYPE_BIGINT), 1);
    em_vector_append_i64(rows, o->rows);
    em_vector_append_i64(files, o->files);
    em_batch_set_col(r, 0, rows);
    em_batch_set_col(r, 1, files);
    r->nrows = 1;
    op->stats.rows_out += 1;
    em_batch_list_push(o->out, r);
    return em_op_finish_next(op, err);
}

static void writer_destroy(em_op *op)
{
    writer_op *o = (writer_op *)op;
    em_error ignored;
    for (int i = 0; i < o->nparts; i++) {
        part *p = &o->parts[i];
        if (p->w) o->vt->close(p->w, false, &ignored);
        if (p->tmp) unlink(p->tmp);
        em_free(p->tmp);
        em_free(p->final);
        em_free(p->dir);
        em_free(p->sel);
    }
    for (int i = 0; i < o->ndone; i++) {
        if (o->tmp_done[i]) unlink(o->tmp_done[i]);
        em_free(o->tmp_done[i]);
        em_free(o->final_done[i]);
    }
    em_free(o->tmp_done);
    em_free(o->final_done);
    em_free(o->parts);
    em_free(o->index);
    em_free(o->keep);
    em_free(o->tmpdir);
    em_strbuf_release(&o->key);
    if (o->file_schema) em_schema_destroy(o->file_schema);
    em_free(o);
}

static const em_op_vtable writer_vt = {"FileWriter", writer_push, writer_finish, writer_destroy};

em_op *em_file_writer_create(em_task_ctx *ctx, const em_write_desc *d, em_batch_list *out)
{
    writer_op *o = em_calloc(1, sizeof *o);
    o->base.vt = &writer_vt;
    o->base.ctx = ctx;
    o->d = d;
    o->vt = em_format_writer(d->format);
    o->out = out;
    o->ext = format_ext(d->format);
    o->partition = ctx ? ctx->partition : 0;
    o->attempt = ctx ? ctx->attempt : 0;
    em_strbuf_init(&o->key);
    int n = d->schema->nfields;
    o->keep = em_malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    for (int c = 0; c < n; c++) {
        bool is_part = false;
        for (int k = 0; k < d->npartition_cols; k++) is_part = is_part || d->partition_cols[k] == c;
        if (!is_part) o->keep[o->nkeep++] = c;
    }
    o->file_schema = em_schema_create(o->nkeep);
    for (int k = 0; k < o->nkeep; k++) {
        const em_field *f = &d->schema->fields[o->keep[k]];
        o->file_schema->fields[k].name = em_strdup(f->name);
        o->file_schema->fields[k].type = f->type;
        o->file_schema->fields[k].nullable = f->nullable;
    }
    return &o->base;
}
