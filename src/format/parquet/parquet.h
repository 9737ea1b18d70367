/*
 * parquet.h — internals of ember's Parquet reader and writer.
 *
 * Written from the format's specification (apache/parquet-format:
 * parquet.thrift, Encodings.md, LogicalTypes.md). The pieces:
 *   parquet_meta.c     the footer and page headers <-> C structs (Thrift compact)
 *   parquet_schema.c   the schema tree: levels, leaves, ember column types
 *   parquet_codec.c    page compression (snappy, gzip, zstd, lz4)
 *   parquet_rle.c      bit unpacking and the RLE/bit-packed hybrid
 *   parquet_decode.c   value decoders (plain, dictionary, delta, byte stream split)
 *   parquet_column.c   reading a column chunk page by page into vectors
 *   parquet_nested.c   LIST / STRUCT / MAP columns assembled into JSON text
 *   parquet_file.c     opening a file: magic, footer, schema
 *   parquet_reader.c   the split reader (row groups of one split)
 *   parquet_prune.c    skipping row groups and files by statistics and partitions
 *   parquet_hive.c     Hive-style key=value directories as columns
 *   parquet.c          bind and the format vtable
 *   parquet_encode.c   value encoders for the writer (plain, dictionary, RLE)
 *   parquet_writer.c   the file writer
 *
 * Errors name the file, and where it applies the row group and the column:
 * "data.parquet: row group 2, column 'price': page CRC mismatch".
 */
#ifndef EM_PARQUET_H
#define EM_PARQUET_H

#include "format/internal.h"
#include "format/parquet/thrift.h"
#include "os/os.h"

/* ---- enums of parquet.thrift --------------------------------------------- */

enum {
    EM__PQ_BOOLEAN = 0,
    EM__PQ_INT32 = 1,
    EM__PQ_INT64 = 2,
    EM__PQ_INT96 = 3,
    EM__PQ_FLOAT = 4,
    EM__PQ_DOUBLE = 5,
    EM__PQ_BYTE_ARRAY = 6,
    EM__PQ_FLBA = 7, /* FIXED_LEN_BYTE_ARRAY */
};

enum { EM__PQ_REQUIRED = 0, EM__PQ_OPTIONAL = 1, EM__PQ_REPEATED = 2 };

/* ConvertedType (the legacy annotations). */
enum {
    EM__PQ_CT_NONE = -1,
    EM__PQ_CT_UTF8 = 0,
    EM__PQ_CT_MAP = 1,
    EM__PQ_CT_MAP_KEY_VALUE = 2,
    EM__PQ_CT_LIST = 3,
    EM__PQ_CT_ENUM = 4,
    EM__PQ_CT_DECIMAL = 5,
    EM__PQ_CT_DATE = 6,
    EM__PQ_CT_TIME_MILLIS = 7,
    EM__PQ_CT_TIME_MICROS = 8,
    EM__PQ_CT_TIMESTAMP_MILLIS = 9,
    EM__PQ_CT_TIMESTAMP_MICROS = 10,
    EM__PQ_CT_UINT_8 = 11,
    EM__PQ_CT_UINT_16 = 12,
    EM__PQ_CT_UINT_32 = 13,
    EM__PQ_CT_UINT_64 = 14,
    EM__PQ_CT_INT_8 = 15,
    EM__PQ_CT_INT_16 = 16,
    EM__PQ_CT_INT_32 = 17,
    EM__PQ_CT_INT_64 = 18,
    EM__PQ_CT_JSON = 19,
    EM__PQ_CT_BSON = 20,
    EM__PQ_CT_INTERVAL = 21,
};

/* LogicalType union members (field ids of the union). */
enum {
    EM__PQ_LT_NONE = 0,
    EM__PQ_LT_STRING = 1,
    EM__PQ_LT_MAP = 2,
    EM__PQ_LT_LIST = 3,
    EM__PQ_LT_ENUM = 4,
    EM__PQ_LT_DECIMAL = 5,
    EM__PQ_LT_DATE = 6,
    EM__PQ_LT_TIME = 7,
    EM__PQ_LT_TIMESTAMP = 8,
    EM__PQ_LT_INTEGER = 10,
    EM__PQ_LT_UNKNOWN = 11,
    EM__PQ_LT_JSON = 12,
    EM__PQ_LT_BSON = 13,
    EM__PQ_LT_UUID = 14,
    EM__PQ_LT_FLOAT16 = 15,
    EM__PQ_LT_OTHER = 99, /* a member this reader does not know */
};

enum { EM__PQ_MILLIS = 0, EM__PQ_MICROS = 1, EM__PQ_NANOS = 2 };

enum {
    EM__PQ_PLAIN = 0,
    EM__PQ_PLAIN_DICTIONARY = 2,
    EM__PQ_RLE = 3,
    EM__PQ_BIT_PACKED = 4,
    EM__PQ_DELTA_BINARY_PACKED = 5,
    EM__PQ_DELTA_LENGTH_BYTE_ARRAY = 6,
    EM__PQ_DELTA_BYTE_ARRAY = 7,
    EM__PQ_RLE_DICTIONARY = 8,
    EM__PQ_BYTE_STREAM_SPLIT = 9,
};

enum {
    EM__PQ_UNCOMPRESSED = 0,
    EM__PQ_SNAPPY = 1,
    EM__PQ_GZIP = 2,
    EM__PQ_LZO = 3,
    EM__PQ_BROTLI = 4,
    EM__PQ_LZ4 = 5, /* Hadoop-framed LZ4 (deprecated) */
    EM__PQ_ZSTD = 6,
    EM__PQ_LZ4_RAW = 7,
};

enum {
    EM__PQ_DATA_PAGE = 0,
    EM__PQ_INDEX_PAGE = 1,
    EM__PQ_DICTIONARY_PAGE = 2,
    EM__PQ_DATA_PAGE_V2 = 3,
};

const char *em__pq_codec_name(int codec);
const char *em__pq_encoding_name(int encoding);
const char *em__pq_type_name(int ptype);

/* ---- metadata ------------------------------------------------------------ */

typedef struct em__pq_bytes {
    const uint8_t *p; /* in the metadata's arena */
    int32_t n;
    bool set;
} em__pq_bytes;

typedef struct em__pq_stats {
    em__pq_bytes max, min;             /* legacy fields 1 and 2 (signed order) */
    em__pq_bytes max_value, min_value; /* fields 5 and 6 (the column order) */
    int64_t null_count;                /* -1 when absent */
    int64_t distinct_count;            /* -1 when absent */
} em__pq_stats;

typedef struct em__pq_logical {
    int kind; /* EM__PQ_LT_* */
    int32_t scale, precision;
    bool utc;
    int unit; /* EM__PQ_MILLIS.. */
    int bit_width;
    bool is_signed;
} em__pq_logical;

typedef struct em__pq_schema_elem {
    int type; /* physical type, or -1 for a group */
    int32_t type_length;
    int repetition; /* -1 when absent (the root) */
    char *name;
    int32_t num_children;
    int converted; /* EM__PQ_CT_* */
    int32_t scale, precision;
    em__pq_logical logical;
} em__pq_schema_elem;

typedef struct em__pq_column_meta {
    int type;
    int nencodings;
    int32_t *encodings;
    int npath;
    char **path;
    int codec;
    int64_t num_values;
    int64_t total_uncompressed_size;
    int64_t total_compressed_size;
    int64_t data_page_offset;
    int64_t index_page_offset;      /* -1 when absent */
    int64_t dictionary_page_offset; /* -1 when absent */
    bool has_stats;
    em__pq_stats stats;
} em__pq_column_meta;

typedef struct em__pq_column_chunk {
    char *file_path; /* NULL: this file (anything else is unsupported) */
    int64_t file_offset;
    bool has_meta;
    em__pq_column_meta meta;
    bool encrypted;
} em__pq_column_chunk;

typedef struct em__pq_row_group {
    int ncolumns;
    em__pq_column_chunk *columns;
    int64_t total_byte_size;
    int64_t num_rows;
    int64_t file_offset; /* -1 when absent */
    int64_t total_compressed_size;
} em__pq_row_group;

typedef struct em__pq_kv {
    char *key;
    char *value; /* may be NULL */
} em__pq_kv;

typedef struct em__pq_file_meta {
    int32_t version;
    int nschema;
    em__pq_schema_elem *schema;
    int64_t num_rows;
    int nrow_groups;
    em__pq_row_group *row_groups;
    int nkv;
    em__pq_kv *kv;
    char *created_by;
    int ncolumn_orders;
    bool encrypted;
    em_arena *arena; /* owns everything above */
} em__pq_file_meta;

/* Decode a FileMetaData struct. On failure returns -1 with *why set. */
int em__pq_meta_decode(const uint8_t *p, size_t n, em__pq_file_meta *out, const char **why);
void em__pq_meta_release(em__pq_file_meta *m);
void em__pq_meta_encode(const em__pq_file_meta *m, em_strbuf *out);

typedef struct em__pq_page_header {
    int type;
    int32_t uncompressed_size;
    int32_t compressed_size;
    bool has_crc;
    uint32_t crc;
    /* DATA_PAGE and DATA_PAGE_V2 */
    int32_t num_values;
    int encoding;
    int def_encoding, rep_encoding; /* v1 */
    bool has_stats;
    em__pq_stats stats; /* written by the writer when set; never decoded */
    /* DATA_PAGE_V2 */
    int32_t num_nulls, num_rows;
    int32_t def_length, rep_length;
    bool is_compressed;
    /* DICTIONARY_PAGE */
    bool dict_sorted;
    bool has_data, has_v2, has_dict;
} em__pq_page_header;

/* Decode a PageHeader from at most n bytes; *used receives its length. */
int em__pq_page_header_decode(const uint8_t *p, size_t n, em__pq_page_header *h, size_t *used,
                              const char **why);
void em__pq_page_header_encode(const em__pq_page_header *h, em_strbuf *out);
void em__pq_stats_encode(const em__pq_stats *s, em_strbuf *out);

/* Where a row group starts: the first byte of its first column chunk. Bind
 * (making splits) and open (choosing row groups) must agree on it. */
int64_t em__pq_rg_start(const em__pq_row_group *rg);
/* Byte range [start, start + len) of a column chunk; false when the metadata
 * is missing or nonsensical for a file of `size` bytes. */
bool em__pq_chunk_range(const em__pq_column_chunk *c, int64_t size, int64_t *start, int64_t *len);

/* ---- schema -------------------------------------------------------------- */

/* How a flat leaf's physical values become an ember vector. */
typedef enum em__pq_conv {
    EM__PQ_CV_BOOL,      /* BOOLEAN -> BOOLEAN */
    EM__PQ_CV_I32,       /* INT32 -> INTEGER (also INT8/16, UINT8/16) */
    EM__PQ_CV_U32,       /* INT32 holding UINT32 -> BIGINT */
    EM__PQ_CV_I64,       /* INT64 -> BIGINT */
    EM__PQ_CV_U64,       /* INT64 holding UINT64 -> BIGINT (error past INT64_MAX) */
    EM__PQ_CV_DATE,      /* INT32 days -> DATE */
    EM__PQ_CV_DEC32,     /* INT32 unscaled -> DECIMAL */
    EM__PQ_CV_DEC64,     /* INT64 unscaled -> DECIMAL */
    EM__PQ_CV_DECBYTES,  /* big-endian two's complement bytes -> DECIMAL */
    EM__PQ_CV_TS_MILLIS, /* INT64 -> TIMESTAMP */
    EM__PQ_CV_TS_MICROS,
    EM__PQ_CV_TS_NANOS,
    EM__PQ_CV_INT96,       /* Impala/Spark INT96 timestamps -> TIMESTAMP */
    EM__PQ_CV_TIME_MILLIS, /* INT32 -> VARCHAR "hh:mm:ss.fff" */
    EM__PQ_CV_TIME_MICROS, /* INT64 */
    EM__PQ_CV_TIME_NANOS,  /* INT64 */
    EM__PQ_CV_FLOAT,       /* FLOAT -> DOUBLE */
    EM__PQ_CV_DOUBLE,
    EM__PQ_CV_FLOAT16,  /* FLBA(2) -> DOUBLE */
    EM__PQ_CV_STRING,   /* BYTE_ARRAY / FLBA -> VARCHAR (bytes as they are) */
    EM__PQ_CV_UUID,     /* FLBA(16) -> VARCHAR 8-4-4-4-12 hex */
    EM__PQ_CV_INTERVAL, /* FLBA(12) months/days/millis -> INTERVAL */
} em__pq_conv;

typedef struct em__pq_node {
    const em__pq_schema_elem *el;
    int parent;
    int first_child; /* index into the node array; children are consecutive in DFS order */
    int nchildren;
    int *children;
    int def;  /* max definition level at this node (counts itself when not REQUIRED) */
    int rep;  /* max repetition level at this node */
    int leaf; /* leaf (column chunk) index, or -1 for a group */
    int first_leaf, nleaves;
    /* Leaves: how values convert (for the flat path and for JSON). */
    em__pq_conv conv;
    em_type type;
    const char *problem; /* why the leaf cannot be read, or NULL */
} em__pq_node;

typedef struct em__pq_schema {
    int nnodes;
    em__pq_node *nodes; /* node 0 is the root */
    int nleaves;
    int *leaf_node; /* leaf index -> node */
    /* Top-level columns as ember sees them. */
    int nfields;
    int *field_node;
    char **field_name;
    em_type *field_type;
    bool *field_nested; /* a group or repeated field: VARCHAR holding JSON */
} em__pq_schema;

/* Build the schema tree of a file. Structural errors (bad child counts) are
 * EM_EFORMAT; a column ember cannot represent is recorded per field and
 * reported only when the column is read or bound. */
int em__pq_schema_build(const em__pq_file_meta *m, em__pq_schema *s, const char **why);
void em__pq_schema_release(em__pq_schema *s);
/* Whether the field can be read, with the reason when not. */
const char *em__pq_field_problem(const em__pq_schema *s, int field);

/* ---- files ---------------------------------------------------------------- */

/* An opened Parquet file: mapped bytes and decoded footer. */
typedef struct em__pq_file {
    const char *path; /* for messages (not owned) */
    em_mmap map;      /* when opened from a path */
    const uint8_t *data;
    int64_t size;
    em__pq_file_meta meta;
    em__pq_schema schema;
} em__pq_file;

int em__pq_file_open(em__pq_file *f, const char *path, em_error *err);
/* The same from bytes in memory (tests, the fuzz target); data must outlive f. */
int em__pq_file_open_mem(em__pq_file *f, const char *name, const void *data, size_t n,
                         em_error *err);
void em__pq_file_close(em__pq_file *f);
/* Field index by name (case-insensitive), -1 when absent. */
int em__pq_file_field(const em__pq_file *f, const char *name);

/* ---- compression ---------------------------------------------------------- */

/* Whether n compressed bytes can plausibly hold out_len bytes (checked before
 * allocating the output: a corrupt header must not cost gigabytes). */
bool em__pq_decompress_plausible(int codec, const uint8_t *src, size_t n, size_t out_len);
/* Decompress exactly dst_len bytes. -1 corrupt, -2 unsupported codec. */
int em__pq_decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len);
/* Codec state a reader keeps from page to page (created on first use, NULL
 * until then). */
typedef struct em__pq_dctx em__pq_dctx;
int em__pq_decompress_ctx(em__pq_dctx **ctx, int codec, const uint8_t *src, size_t n, uint8_t *dst,
                          size_t dst_len);
void em__pq_dctx_free(em__pq_dctx *ctx);
/* Compress src into out (appended). Returns 0 or -1. */
int em__pq_compress(int codec, int level, const uint8_t *src, size_t n, em_strbuf *out);
uint32_t em__pq_crc32(const uint8_t *p, size_t n);

/* ---- bit packing and RLE ------------------------------------------------- */

/* Unpack n values of `width` bits (0..32, LSB-first) from in into out; in must
 * hold ceil(n * width / 8) bytes. */
void em__pq_unpack32(const uint8_t *in, size_t in_len, int width, uint32_t *out, size_t n);
/* The same for widths up to 64 (delta encoding of INT64). */
void em__pq_unpack64(const uint8_t *in, size_t in_len, int width, uint64_t *out, size_t n);

/* The RLE / bit-packed hybrid (levels, dictionary indices, booleans). */
typedef struct em__pq_rle {
    const uint8_t *p, *end;
    int width;
    uint32_t rle_left; /* values left in the current RLE run */
    uint32_t rle_value;
    uint32_t bp_left;   /* values left in the current bit-packed run */
    uint32_t bp_buf[8]; /* the current group of 8 */
    int bp_pos;         /* next value in bp_buf (8 = refill) */
    bool bad;
} em__pq_rle;

void em__pq_rle_init(em__pq_rle *r, const uint8_t *p, size_t n, int width);
/* Decode n values; returns how many were decoded (fewer at the end or on
 * corruption, which sets r->bad). */
size_t em__pq_rle_u32(em__pq_rle *r, uint32_t *out, size_t n);
size_t em__pq_rle_u8(em__pq_rle *r, uint8_t *out, size_t n);
/* Skip n values. */
size_t em__pq_rle_skip(em__pq_rle *r, size_t n);
/* When the next n values are all `value` within one RLE run, consume them and
 * return true; otherwise return false and leave the values to be decoded (a
 * run header may have been read). The all-valid case of definition levels. */
bool em__pq_rle_take_run(em__pq_rle *r, uint32_t value, size_t n);

/* Deprecated BIT_PACKED levels (MSB-first, no runs). */
void em__pq_unpack_msb(const uint8_t *in, size_t in_len, int width, uint8_t *out, size_t first,
                       size_t n);

/* Encoding, for the writer: RLE/bit-packed hybrid of n values (no length prefix). */
void em__pq_rle_encode(const uint32_t *v, size_t n, int width, em_strbuf *out);
void em__pq_rle_encode_u8(const uint8_t *v, size_t n, int width, em_strbuf *out);
static inline int em__pq_bit_width(uint64_t max)
{
    return max == 0 ? 0 : 64 - __builtin_clzll(max);
}

/* ---- delta binary packed ------------------------------------------------- */

typedef struct em__pq_delta {
    const uint8_t *p, *end;
    uint64_t block_size, miniblocks, per_mini;
    int64_t total; /* values in the stream */
    int64_t done;  /* values handed out */
    int64_t last;  /* previous value (wrapping arithmetic) */
    int64_t min_delta;
    const uint8_t *widths; /* of the current block */
    uint64_t mini;         /* current miniblock within the block */
    uint64_t mini_left;    /* values left in it */
    uint64_t buf[32];
    int buf_pos, buf_n;
    bool first_pending;
    bool bad;
    const char *why;
} em__pq_delta;

void em__pq_delta_init(em__pq_delta *d, const uint8_t *p, size_t n);
size_t em__pq_delta_i64(em__pq_delta *d, int64_t *out, size_t n);
/* Where the stream ends (after decoding every value; DELTA_LENGTH_BYTE_ARRAY's
 * bytes follow it). */
const uint8_t *em__pq_delta_end(em__pq_delta *d);
void em__pq_delta_encode(const int64_t *v, size_t n, em_strbuf *out);

/* ---- reading columns ------------------------------------------------------ */

typedef struct em__pq_colreader em__pq_colreader;

/* Context for messages. */
typedef struct em__pq_where {
    const char *path;
    int row_group;
    const char *column;
} em__pq_where;

int em__pq_where_error(const em__pq_where *w, em_error *err, int code, const char *fmt, ...)
    EM_PRINTF(4, 5);

/* A reader of one leaf's column chunk in one row group. */
em__pq_colreader *em__pq_col_open(const em__pq_file *f, int row_group, int leaf,
                                  const em__pq_where *where, em_error *err, int *rc);
/* The same, taking over (and closing) `old`, a reader of an earlier chunk,
 * whose buffers and codec state it keeps: no allocation per row group. */
em__pq_colreader *em__pq_col_reopen(em__pq_colreader *old, const em__pq_file *f, int row_group,
                                    int leaf, const em__pq_where *where, em_error *err, int *rc);
void em__pq_col_close(em__pq_colreader *c);
/* Append n rows of a flat (max_rep == 0) leaf to v (of the node's type). */
int em__pq_col_read_flat(em__pq_colreader *c, em_vector *v, int64_t n, em_error *err);
/* Read n level entries (rep/def may be NULL when the max level is 0) and
 * their non-null values (appended densely to v). Returns entries read (n, or
 * fewer at the end of the chunk). */
int em__pq_col_read_levels(em__pq_colreader *c, int64_t n, uint8_t *rep, uint8_t *def, em_vector *v,
                           int64_t *got, em_error *err);
int64_t em__pq_col_values_left(const em__pq_colreader *c);

/* ---- nested columns ------------------------------------------------------- */

typedef struct em__pq_nested em__pq_nested;
/* Reads one top-level group/repeated field of a row group as JSON text. */
int em__pq_nested_open(const em__pq_file *f, int row_group, int field, const em__pq_where *where,
                       em__pq_nested **out, em_error *err);
int em__pq_nested_read(em__pq_nested *n, em_vector *v, int64_t rows, em_error *err);
void em__pq_nested_close(em__pq_nested *n);

/* ---- hive partitions ------------------------------------------------------ */

/* key=value segments of a file's directory path. Returns the count; keys and
 * values are unescaped and allocated (free with em__pq_hive_free). */
int em__pq_hive_parse(const char *path, char ***keys, char ***values);
void em__pq_hive_free(char **keys, char **values, int n);
/* The value of a partition column for a path, typed (NULL for a missing key or
 * __HIVE_DEFAULT_PARTITION__). Strings are copied into a. */
em_value em__pq_hive_value(em_arena *a, const char *path, const char *key, em_type type);

/* ---- the format ----------------------------------------------------------- */

int em__pq_open(const em_scan_desc *desc, int split, const int *cols, int ncols, void **out,
                em_error *err);
int em__pq_next(void *reader, em_batch **out, em_error *err);
void em__pq_close(void *reader);
/* Number of trailing schema columns that come from partition directories. */
int em__pq_hive_columns(const em_scan_desc *desc);

/* em_format.prune: splits narrowed to the row groups and files the filters may
 * match (see parquet_prune.c). */
int em__pq_prune(const em_scan_desc *desc, const int *cols, int ncols, int nfilters,
                 struct em_expr *const *filters, em_scan_desc **out, em_error *err);
/* Row-group statistics as ember values of the leaf's type (false: unknown). */
bool em__pq_stats_minmax(const em__pq_file *f, int row_group, int leaf, em_arena *a, em_value *min,
                         em_value *max);

#endif
