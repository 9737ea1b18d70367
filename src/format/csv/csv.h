/*
 * csv.h — internals of the CSV reader: options, the record tokenizer, the
 * sniffer (header detection, type inference) and split planning.
 *
 * Dialect: RFC 4180. A field that starts with the quote character is quoted;
 * inside it the escape character (by default the quote itself, i.e. doubled
 * quotes) escapes a quote; delimiters and newlines inside quotes are data. A
 * quote anywhere else is an error: the parallel splitter finds record
 * boundaries by counting quote characters, which is only exact when quotes
 * appear where RFC 4180 allows them (use quote='' for files with stray quotes).
 * Records end at LF or CRLF; empty lines are skipped; a final line without a
 * newline is a record. A UTF-8 BOM at the start of a file is skipped.
 */
#ifndef EM_CSV_H
#define EM_CSV_H

#include "format/internal.h"
#include "os/os.h"

typedef struct em__csv_dialect {
    char delim;
    char quote;    /* '\0': quoting disabled */
    char escape;   /* equal to quote for doubled quotes; '\0': none */
    char *nullstr; /* unquoted text read as NULL besides the empty field; NULL: none */
    size_t nullstr_len;
} em__csv_dialect;

typedef struct em__csv_options {
    em__csv_dialect d;
    int header;          /* 1, 0, or -1 = detect */
    int64_t sample_size; /* records to infer from; <= 0: all */
    char *schema_ddl;    /* explicit schema, or NULL */
    bool all_varchar;    /* skip inference: every column VARCHAR */
} em__csv_options;

/* Read and validate desc's options (user spellings or resolved ones). */
int em__csv_options_parse(const em_scan_desc *desc, em__csv_options *o, em_error *err);
void em__csv_options_release(em__csv_options *o);
/* Replace desc's options by the resolved dialect and header. */
void em__csv_options_store(em_scan_desc *desc, const em__csv_options *o);

/* ---- tokenizer ---------------------------------------------------------- */

enum {
    EM__CSV_QUOTED = 1,  /* the field was quoted: never NULL as VARCHAR */
    EM__CSV_SCRATCH = 2, /* unescaped into the scratch buffer */
};

typedef struct em__csv_field {
    const char *p; /* content (after unescaping) */
    int64_t n;
    const char *raw; /* where the field starts in the file (for error lines) */
    uint32_t flags;
} em__csv_field;

typedef struct em__csv_tok {
    const char *path;
    const char *base; /* the whole file */
    const char *end;
    em__csv_dialect d; /* borrowed nullstr */
    em__csv_field *f;  /* fields of the last record */
    int nf;
    int cap;
    char *scratch; /* unescaped quoted fields of the last record */
    size_t slen;
    size_t scap;
    /* Structural scan (see csv_tokenizer.c): the current 64-byte block, its
     * delimiters and newlines outside quotes not yet consumed, whether the
     * block ends inside quotes, and the last quote seen so far. */
    bool fast;     /* RFC 4180 quoting: the block scan is exact */
    bool scanning; /* block state below is valid */
    int64_t block; /* offset of the current block */
    uint64_t mask;
    uint64_t carry;     /* all ones when inside quotes after the block */
    int64_t last_quote; /* offset of the last quote in loaded blocks, or -1 */
    int64_t expect;     /* where the record after the last one starts */
} em__csv_tok;

void em__csv_tok_init(em__csv_tok *t, const char *path, const char *base, int64_t size,
                      const em__csv_dialect *d);
void em__csv_tok_release(em__csv_tok *t);

/* Skip empty lines (LF or CRLF) at p. */
static inline const char *em__csv_skip_empty(const char *p, const char *end)
{
    while (p < end) {
        if (*p == '\n') {
            p++;
        } else if (*p == '\r' && (p + 1 == end || p[1] == '\n')) {
            p += p + 1 == end ? 1 : 2;
        } else {
            break;
        }
    }
    return p;
}

/* Tokenize the record starting at *pos (a record boundary, not an empty
 * line) into t->f; *pos moves past its line end. Successive calls should
 * continue where the previous one stopped (skipping empty lines is fine);
 * anything else restarts the block scan. EM_EFORMAT for an unterminated quote, a quote
 * inside an unquoted field or text after a closing quote. */
int em__csv_tok_record(em__csv_tok *t, const char **pos, em_error *err);
/* The same without resetting the scratch buffer: fields flagged
 * EM__CSV_SCRATCH hold in `p` an offset into t->scratch, valid until the
 * caller sets t->slen = 0. Lets a reader tokenize a whole batch first. */
int em__csv_tok_record_raw(em__csv_tok *t, const char **pos, em_error *err);
/* "path:line: expected N fields, found M" for the record starting at rec. */
int em__csv_ragged_error(const em__csv_tok *t, const char *rec, int expected, em_error *err);
/* True when the field reads as NULL: empty and unquoted, or the null string. */
static inline bool em__csv_is_null(const em__csv_tok *t, const em__csv_field *f)
{
    if (f->flags & EM__CSV_QUOTED) return false;
    if (f->n == 0) return true;
    return t->d.nullstr != NULL && (size_t)f->n == t->d.nullstr_len &&
           memcmp(f->p, t->d.nullstr, t->d.nullstr_len) == 0;
}

/* ---- bind ---------------------------------------------------------------- */

/* Sniff header and schema from the files' first records. On entry *schema is
 * the explicit schema or NULL; on success it holds the bound schema and
 * o->header is 0 or 1. */
int em__csv_sniff(const em_scan_desc *desc, em__csv_options *o, em_schema **schema, em_error *err);
/* Offset of the first data record of a mapped file (after BOM and header). */
int em__csv_data_start(const char *path, const char *base, int64_t size, const em__csv_options *o,
                       int64_t *out, em_error *err);
/* Append the splits of every file of desc, record-aligned. */
int em__csv_plan_splits(em_scan_desc *desc, const em__csv_options *o, int64_t split_bytes,
                        em_threadpool *pool, em_error *err);

/* ---- the split reader (csv_reader.c) ----------------------------------- */

int em__csv_open(const em_scan_desc *desc, int split, const int *cols, int ncols, void **out,
                 em_error *err);
int em__csv_next(void *reader, em_batch **out, em_error *err);
void em__csv_close(void *reader);

#endif
