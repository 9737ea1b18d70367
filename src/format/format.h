/*
 * format.h — file formats as table sources.
 *
 * A file scan is described by an em_scan_desc: the format's name, the files
 * (a pattern expanded once, at bind time), resolved options as text key/value
 * pairs, the schema and the splits. The description is plain data so that it
 * can be serialized into a task (src/net/proto/plan.proto) and read on another
 * thread or process; a split reader needs nothing but the description.
 *
 * Contract of an em_format:
 *   bind(desc)        — called once on the driver. desc->format, files and the
 *                       user's options are set. It validates the options (a bad
 *                       one is an EM_EINVAL naming it), sniffs/infers the schema
 *                       unless an explicit one was given, rewrites desc->options
 *                       into their resolved form (so that open() need not sniff
 *                       again), and fills desc->splits. Splits of one file are
 *                       byte ranges of about `split_bytes`; a reader of a split
 *                       produces exactly the records that *start* inside its
 *                       range, so the union over splits is every record once.
 *   open(desc, split) — a reader for one split, producing only the columns in
 *                       `cols` (indexes into desc->schema), in that order.
 *   next(reader)      — the next batch (at most EM_BATCH_ROWS rows) or *out = NULL
 *                       at the end. A malformed record is an EM_EFORMAT whose
 *                       message names file, line and column:
 *                       "data.csv:12:3: expected 4 fields, found 5".
 *   close(reader)     — frees the reader; always safe after open succeeded.
 * Readers own the batches they hand out until the caller takes them: the
 * caller destroys every batch it receives.
 */
#ifndef EM_FORMAT_H
#define EM_FORMAT_H

#include "common/common.h"
#include "vector/vector.h"

typedef struct em_kv {
    char *key;   /* lower-case */
    char *value;
} em_kv;

typedef struct em_split {
    int file;      /* index into desc->files */
    int64_t start; /* byte range [start, end) */
    int64_t end;
} em_split;

typedef struct em_scan_desc {
    char *format; /* "csv", "json" */
    int nfiles;
    char **files;
    int noptions;
    em_kv *options;
    em_schema *schema; /* NULL until bound */
    int nsplits;
    em_split *splits;
} em_scan_desc;

struct em_expr;

typedef struct em_format {
    const char *name;
    int (*bind)(em_scan_desc *desc, int64_t split_bytes, em_threadpool *pool, em_error *err);
    int (*open)(const em_scan_desc *desc, int split, const int *cols, int ncols, void **reader,
                em_error *err);
    int (*next)(void *reader, em_batch **out, em_error *err);
    void (*close)(void *reader);
    /* Optional (NULL when the format cannot skip data): given the scan's pushed-down
     * filters (bound boolean expressions over the scan's output columns; cols[i] is
     * the desc->schema column of output column i), make *out a copy of desc whose
     * splits leave out the parts no row of which can pass (Parquet: row groups by
     * their min/max/null-count statistics, files by partition values), or set *out
     * to NULL when nothing can be skipped. The filters must still run on every row
     * read. */
    int (*prune)(const em_scan_desc *desc, const int *cols, int ncols, int nfilters,
                 struct em_expr *const *filters, em_scan_desc **out, em_error *err);
    /* Optional (NULL when the format cannot tell without reading the data): the
     * rows of all the scan's files, from their metadata (Parquet footers). Only
     * the optimizer's estimates use it. */
    int (*row_count)(const em_scan_desc *desc, int64_t *rows, em_error *err);
} em_format;

/* ---- writing files (COPY ... TO) -------------------------------------------
 *
 * A write is described by an em_write_desc (plain data, serializable like a
 * scan). Each task of the query's last stage writes its rows through a writer
 * operator (em_file_writer_create): files of at most `max_file_bytes` each,
 * under `path` (a directory) or exactly `path` (a single file, when the query
 * has one partition and `single_file` is set), optionally split into Hive-style
 * `col=value/` directories by `partition_cols` (those columns are not written
 * into the files). Files are written under a temporary name and renamed when
 * the task commits, so a failed or retried task never leaves a partial or
 * duplicate file; the job commit (em_write_job_commit) removes what aborted
 * attempts left behind.
 *
 * A format that can write fills write_open/write_batch/write_close; options are
 * the resolved text options of the COPY statement (COMPRESSION, ROW_GROUP_SIZE,
 * DELIMITER, HEADER, ...), and an unknown option is an EM_EINVAL naming it. */
typedef struct em_write_desc {
    char *format;
    char *path;
    bool single_file;
    int noptions;
    em_kv *options;
    em_schema *schema;      /* of the rows the writer receives */
    int npartition_cols;    /* PARTITION_BY columns (indexes into schema) */
    int *partition_cols;
    int64_t max_file_bytes; /* roll over to a new file past this size (0 = no limit) */
    char *job_id;           /* unique per COPY: part of file names */
} em_write_desc;

typedef struct em_format_writer_vt {
    /* Open `path` (the temporary name) for rows of `schema`. */
    int (*open)(const em_write_desc *d, const em_schema *schema, const char *path, void **w,
                em_error *err);
    int (*write)(void *w, const em_batch *b, em_error *err);
    int64_t (*bytes)(void *w); /* bytes written so far (for rolling over) */
    /* Finish the file (commit) or abandon it; frees w either way. */
    int (*close)(void *w, bool commit, em_error *err);
} em_format_writer_vt;

/* The writer vtable of a format, or NULL when it cannot write. */
const em_format_writer_vt *em_format_writer(const char *format);
/* Validate the options of a write before any task runs. */
int em_write_desc_check(const em_write_desc *d, em_error *err) EM_MUST_CHECK;
/* After every task committed: clean temporary leftovers; after a failure: remove
 * what the job wrote. */
int em_write_job_commit(const em_write_desc *d, em_error *err) EM_MUST_CHECK;
void em_write_job_abort(const em_write_desc *d);

/* "csv", "json" (also "ndjson", "jsonl"), "parquet"; NULL when unknown. */
const em_format *em_format_lookup(const char *name);
/* Guess the format from a path's extension (.csv, .tsv, .json, .jsonl, .ndjson,
 * .parquet); NULL when it cannot tell. */
const char *em_format_guess(const char *path);

/* Description lifecycle. */
em_scan_desc *em_scan_desc_create(const char *format);
void em_scan_desc_destroy(em_scan_desc *d);
em_scan_desc *em_scan_desc_copy(const em_scan_desc *d);
void em_scan_desc_set_option(em_scan_desc *d, const char *key, const char *value);
const char *em_scan_desc_option(const em_scan_desc *d, const char *key); /* NULL if unset */
/* Expand a path: a file, a directory (its regular files, sorted, hidden ones
 * skipped, and the files under Hive-style key=value subdirectories) or a glob
 * (sorted). No match is an EM_ENOENT naming the pattern. */
int em_scan_desc_add_files(em_scan_desc *d, const char *pattern, em_error *err) EM_MUST_CHECK;
/* Bind through the format's vtable (see the contract above). */
int em_scan_desc_bind(em_scan_desc *d, int64_t split_bytes, em_threadpool *pool,
                      em_error *err) EM_MUST_CHECK;

/* The format's prune hook (see em_format.prune); *out = NULL when the format has
 * none or nothing can be skipped. The caller owns *out (em_scan_desc_destroy). */
int em_scan_desc_prune(const em_scan_desc *d, const int *cols, int ncols, int nfilters,
                       struct em_expr *const *filters, em_scan_desc **out,
                       em_error *err) EM_MUST_CHECK;

/* Parse a Spark-style DDL schema string: "a INT, b VARCHAR, c DECIMAL(10,2)". */
int em_schema_parse_ddl(const char *ddl, em_schema **out, em_error *err) EM_MUST_CHECK;

/* Formats register here (format.c holds the table). */
extern const em_format em_format_csv;
extern const em_format em_format_json;
extern const em_format em_format_parquet;

#endif
