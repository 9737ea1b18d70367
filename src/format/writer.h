/*
 * writer.h — what the file writers share (internal to src/format): a
 * buffered output file, option lookup and validation for an em_write_desc,
 * and the per-format writer vtables and option checks.
 *
 * The generic writer operator (writer.c) owns naming, temporary files,
 * partition directories, rolling over at max_file_bytes and commit/abort; a
 * format writer only turns batches into the bytes of one file.
 */
#ifndef EM_FORMAT_WRITER_H
#define EM_FORMAT_WRITER_H

#include "format/format.h"

/* ---- buffered output file --------------------------------------------------- */

typedef struct em__wfile {
    int fd;
    char *path; /* for messages and unlinking */
    char *buf;
    size_t len, cap;
    int64_t written; /* bytes handed to the file so far, including the buffer */
} em__wfile;

int em__wfile_open(em__wfile *f, const char *path, em_error *err) EM_MUST_CHECK;
int em__wfile_write(em__wfile *f, const void *p, size_t n, em_error *err) EM_MUST_CHECK;
/* Flush and close; with !commit (or on a failed flush) the file is removed.
 * Safe on a zeroed struct and after a previous close. */
int em__wfile_close(em__wfile *f, bool commit, em_error *err);

/* ---- options ------------------------------------------------------------------ */

/* The value of option `key` (case-insensitive), or NULL. */
const char *em__write_option(const em_write_desc *d, const char *key);
/* The first of several spellings that is set, or NULL. */
const char *em__write_option_any(const em_write_desc *d, const char *const *keys);
/* Error unless every option is either generic (writer.c handles it) or in
 * `known` (NULL-terminated); the message suggests the closest name. */
int em__write_check_options(const em_write_desc *d, const char *format, const char *const *known,
                            em_error *err) EM_MUST_CHECK;
/* A one-character option (delimiter, quote): "\t" and "tab" are accepted. */
int em__write_option_char(const char *key, const char *value, char *out, em_error *err);

/* ---- formats -------------------------------------------------------------------- */

extern const em_format_writer_vt em__csv_writer_vt;
extern const em_format_writer_vt em__json_writer_vt;
extern const em_format_writer_vt em__parquet_writer_vt;
int em__csv_write_check(const em_write_desc *d, em_error *err) EM_MUST_CHECK;
int em__json_write_check(const em_write_desc *d, em_error *err) EM_MUST_CHECK;
int em__parquet_write_check(const em_write_desc *d, em_error *err) EM_MUST_CHECK;

#endif
