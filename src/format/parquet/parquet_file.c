/*
 * parquet_file.c — opening a Parquet file: the magic numbers at both ends,
 * the footer length, the footer itself and the schema tree.
 *
 * Layout: "PAR1" <column chunks ...> <FileMetaData> <u32 footer length> "PAR1".
 * Files with an encrypted footer end in "PARE" and are not supported. Every
 * check names the file, so a directory of files with one bad apple says
 * which one it is.
 */
#include "format/parquet/parquet.h"

#include <string.h>

static int parse(em__pq_file *f, em_error *err)
{
    const uint8_t *d = f->data;
    int64_t n = f->size;
    if (n < 12)
        return em_error_set(err, EM_EFORMAT,
                            "%s: not a Parquet file (%lld bytes, too short for the magic numbers "
                            "and a footer)",
                            f->path, (long long)n);
    if (memcmp(d + n - 4, "PARE", 4) == 0)
        return em_error_set(err, EM_EUNSUPPORTED,
                            "%s: Parquet files with an encrypted footer are not supported",
                            f->path);
    if (memcmp(d, "PAR1", 4) != 0 || memcmp(d + n - 4, "PAR1", 4) != 0)
        return em_error_set(err, EM_EFORMAT,
                            "%s: not a Parquet file (the magic number 'PAR1' is missing at the %s)",
                            f->path, memcmp(d, "PAR1", 4) != 0 ? "start" : "end; truncated?");
    uint32_t flen;
    memcpy(&flen, d + n - 8, 4);
    if ((int64_t)flen > n - 12)
        return em_error_set(err, EM_EFORMAT,
                            "%s: truncated Parquet file (footer of %u bytes in a file of %lld)",
                            f->path, flen, (long long)n);
    const char *why = NULL;
    if (em__pq_meta_decode(d + n - 8 - flen, flen, &f->meta, &why) < 0)
        return em_error_set(err, EM_EFORMAT, "%s: corrupt Parquet footer (%s)", f->path, why);
    if (f->meta.encrypted)
        return em_error_set(err, EM_EUNSUPPORTED, "%s: encrypted Parquet files are not supported",
                            f->path);
    if (em__pq_schema_build(&f->meta, &f->schema, &why) < 0)
        return em_error_set(err, EM_EFORMAT, "%s: corrupt Parquet schema (%s)", f->path, why);
    if (f->meta.num_rows < 0)
        return em_error_set(err, EM_EFORMAT, "%s: corrupt Parquet footer (negative row count)",
                            f->path);
    for (int g = 0; g < f->meta.nrow_groups; g++) {
        const em__pq_row_group *rg = &f->meta.row_groups[g];
        if (rg->num_rows < 0)
            return em_error_set(err, EM_EFORMAT, "%s: row group %d: negative row count", f->path,
                                g);
        if (rg->ncolumns != f->schema.nleaves)
            return em_error_set(err, EM_EFORMAT,
                                "%s: row group %d: %d column chunks for a schema of %d columns",
                                f->path, g, rg->ncolumns, f->schema.nleaves);
    }
    return 0;
}

int em__pq_file_open(em__pq_file *f, const char *path, em_error *err)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    EM_TRY(em_os_mmap(path, &f->map, err));
    f->data = (const uint8_t *)f->map.data;
    f->size = f->map.size;
    int rc = parse(f, err);
    if (rc < 0) em__pq_file_close(f);
    return rc;
}

int em__pq_file_open_mem(em__pq_file *f, const char *name, const void *data, size_t n,
                         em_error *err)
{
    memset(f, 0, sizeof *f);
    f->path = name;
    f->data = data;
    f->size = (int64_t)n;
    int rc = parse(f, err);
    if (rc < 0) em__pq_file_close(f);
    return rc;
}

void em__pq_file_close(em__pq_file *f)
{
    em__pq_schema_release(&f->schema);
    em__pq_meta_release(&f->meta);
    em_os_munmap(&f->map);
    f->data = NULL;
    f->size = 0;
}

int em__pq_file_field(const em__pq_file *f, const char *name)
{
    for (int i = 0; i < f->schema.nfields; i++)
        if (em_str_ieq(f->schema.field_name[i], name)) return i;
    return -1;
}
