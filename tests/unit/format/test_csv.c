/*
 * test_csv.c — the CSV reader on small files written to a temp dir: RFC 4180
 * quoting, dialect options, headers, NULLs, type inference, explicit schemas,
 * error messages with line numbers, projections, and — most important — that
 * reading a file in many record-aligned splits gives exactly the rows of a
 * single-split read.
 */
#include <errno.h>
#include <math.h>

#include "format/internal.h"
#include "format_test_util.h"

static em_scan_desc *bind_ok(const char *file, const char *text, ...)
{
    const char *path = ft_write(file, text);
    em_scan_desc *d = em_scan_desc_create("csv");
    va_list ap;
    va_start(ap, text);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL) break;
        em_scan_desc_set_option(d, k, va_arg(ap, const char *));
    }
    va_end(ap);
    em_error err;
    if (em_scan_desc_add_files(d, path, &err) < 0 || em_scan_desc_bind(d, 0, NULL, &err) < 0)
        fail_msg("bind failed: %s", err.message);
    return d;
}

/* Bind must fail with this code and message (path prefix replaced by "DIR"). */
static void bind_fails(const char *file, const char *text, int code, const char *msg, ...)
{
    const char *path = ft_write(file, text);
    em_scan_desc *d = em_scan_desc_create("csv");
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL) break;
        em_scan_desc_set_option(d, k, va_arg(ap, const char *));
    }
    va_end(ap);
    em_error err;
    int rc = em_scan_desc_add_files(d, path, &err);
    if (rc == 0) rc = em_scan_desc_bind(d, 0, NULL, &err);
    em_scan_desc_destroy(d);
    assert_int_equal(rc, code);
    char expect[1024];
    snprintf(expect, sizeof expect, msg, ft_dir);
    assert_string_equal(err.message, expect);
}

/* Bind succeeds, reading fails with this message ("%s" = temp dir). */
static void read_fails(em_scan_desc *d, const char *msg)
{
    em_error err;
    int rc;
    char *rows = ft_read_all(d, &err, &rc);
    em_free(rows);
    assert_int_equal(rc, EM_EFORMAT);
    char expect[1024];
    snprintf(expect, sizeof expect, msg, ft_dir);
    assert_string_equal(err.message, expect);
    em_scan_desc_destroy(d);
}

static void test_inference_and_header(void **state)
{
    (void)state;
    em_scan_desc *d = bind_ok("a.csv",
                              "id,name,amount,day,flag,ts,mixed\n"
                              "1,alice,2.5,2024-02-29,true,2024-01-02 03:04:05,1\n"
                              "-7,bob,3,2023-12-31,FALSE,2024-01-02T03:04:05.25,x\n",
                              NULL);
    FT_EXPECT(d,
              "id BIGINT, name VARCHAR, amount DOUBLE, day DATE, flag BOOLEAN, ts TIMESTAMP, "
              "mixed VARCHAR",
              "1|alice|2.5|2024-02-29|true|2024-01-02 03:04:05|1\n"
              "-7|bob|3.0|2023-12-31|false|2024-01-02 03:04:05.25|x\n");
    assert_string_equal(em_scan_desc_option(d, "header"), "true");
    assert_string_equal(em_scan_desc_option(d, "delim"), ",");
    em_scan_desc_destroy(d);

    /* A first row with a number is data; names are column0.. */
    d = bind_ok("b.csv", "1,x\n2,y\n", NULL);
    FT_EXPECT(d, "column0 BIGINT, column1 VARCHAR", "1|x\n2|y\n");
    assert_string_equal(em_scan_desc_option(d, "header"), "false");
    em_scan_desc_destroy(d);

    /* An all-string file is ambiguous: header wins. */
    d = bind_ok("c.csv", "a,b\nx,y\n", NULL);
    FT_EXPECT(d, "a VARCHAR, b VARCHAR", "x|y\n");
    em_scan_desc_destroy(d);

    /* header=false explicitly. */
    d = bind_ok("d.csv", "a,b\nx,y\n", "header", "false", NULL);
    FT_EXPECT(d, "column0 VARCHAR, column1 VARCHAR", "a|b\nx|y\n");
    em_scan_desc_destroy(d);

    /* Integers and decimals mix to DOUBLE; dates and timestamps to TIMESTAMP;
     * all-NULL columns are VARCHAR; big integers become DOUBLE. */
    d = bind_ok("e.csv",
                "n,t,z,big\n1,2024-01-01,,99999999999999999999\n2.5,2024-01-01 10:00:00,,1\n",
                NULL);
    FT_EXPECT(d, "n DOUBLE, t TIMESTAMP, z VARCHAR, big DOUBLE",
              "1.0|2024-01-01 00:00:00|NULL|1e+20\n2.5|2024-01-01 10:00:00|NULL|1.0\n");
    em_scan_desc_destroy(d);
}

static void test_quotes(void **state)
{
    (void)state;
    em_scan_desc *d = bind_ok("q.csv",
                              "a,b,c\r\n"
                              "\"x,y\",\"he said \"\"hi\"\"\",\"line1\nline2\"\r\n"
                              "\"\",,\"\"\"\"\r\n"
                              "plain,\"\",last",
                              NULL);
    FT_EXPECT(d, "a VARCHAR, b VARCHAR, c VARCHAR",
              "x,y|he said \"hi\"|line1\nline2\n"
              "|NULL|\"\n"
              "plain||last\n");
    em_scan_desc_destroy(d);

    /* A backslash escape: the file is not split. */
    const char *text = "a,b\n\"x\\\"y\",\"p\\\\q\"\n\"r\"\"s\",t\n";
    d = bind_ok("e.csv", text, "escape", "\\", NULL);
    FT_EXPECT(d, "a VARCHAR, b VARCHAR", "x\"y|p\\q\nr\"s|t\n");
    em_scan_desc_destroy(d);

    /* quote='' reads quotes as data. */
    d = bind_ok("n.csv", "a,b\n5\"6,\"x\"\n", "quote", "", NULL);
    FT_EXPECT(d, "a VARCHAR, b VARCHAR", "5\"6|\"x\"\n");
    em_scan_desc_destroy(d);

    /* Single quote as quote character. */
    d = bind_ok("s.csv", "a;b\n'x;y';'it''s'\n", "delim", ";", "quote", "'", NULL);
    FT_EXPECT(d, "a VARCHAR, b VARCHAR", "x;y|it's\n");
    em_scan_desc_destroy(d);
}

static void test_delimiters(void **state)
{
    (void)state;
    em_scan_desc *d = bind_ok("p.csv", "a|b\n1|2\n", "sep", "|", NULL);
    FT_EXPECT(d, "a BIGINT, b BIGINT", "1|2\n");
    em_scan_desc_destroy(d);
    d = bind_ok("t.csv", "a\tb\n1\t2,5\n", "delimiter", "\\t", NULL);
    FT_EXPECT(d, "a BIGINT, b VARCHAR", "1|2,5\n");
    em_scan_desc_destroy(d);
    d = bind_ok("t2.csv", "a\tb\n1\t2\n", "delim", "\t", NULL);
    FT_EXPECT(d, "a BIGINT, b BIGINT", "1|2\n");
    em_scan_desc_destroy(d);
    /* .tsv files default to tabs. */
    d = bind_ok("x.tsv", "a\tb\n1\t2\n", NULL);
    FT_EXPECT(d, "a BIGINT, b BIGINT", "1|2\n");
    assert_string_equal(em_scan_desc_option(d, "delim"), "\t");
    em_scan_desc_destroy(d);

    bind_fails("bad.csv", "a\n", EM_EINVAL,
               "option 'delim' must be a single ASCII character, not '::'", "delim", "::", NULL);
    bind_fails("bad.csv", "a\n", EM_EINVAL,
               "unknown CSV option 'delimeter' (did you mean "
               "'delimiter'?)",
               "delimeter", ";", NULL);
    bind_fails("bad.csv", "a\n", EM_EINVAL, "option 'header' must be true or false, not 'maybe'",
               "header", "maybe", NULL);
    bind_fails("bad.csv", "a\n", EM_EINVAL, "the delimiter and the quote cannot both be '''",
               "delim", "'", "quote", "'", NULL);
}

static void test_lines_bom_empty(void **state)
{
    (void)state;
    /* BOM, blank lines (LF and CRLF), no final newline. */
    em_scan_desc *d = bind_ok("b.csv",
                              "\xEF\xBB\xBF"
                              "a,b\n\n1,2\r\n\r\n\n3,4",
                              NULL);
    FT_EXPECT(d, "a BIGINT, b BIGINT", "1|2\n3|4\n");
    em_scan_desc_destroy(d);

    /* Empty file: no columns is an error, unless a schema is given. */
    bind_fails("empty.csv", "", EM_EFORMAT, "no columns in empty file '%s/empty.csv'", NULL);
    d = bind_ok("empty2.csv", "", "schema", "a INT, b VARCHAR", NULL);
    FT_EXPECT(d, "a INTEGER, b VARCHAR", "");
    em_scan_desc_destroy(d);
    d = bind_ok("blank.csv", "\n\r\n\n", "columns", "{'a': 'BIGINT'}", NULL);
    FT_EXPECT(d, "a BIGINT", "");
    em_scan_desc_destroy(d);

    /* Header only: VARCHAR columns, no rows. */
    d = bind_ok("h.csv", "x,y,z\n", NULL);
    FT_EXPECT(d, "x VARCHAR, y VARCHAR, z VARCHAR", "");
    assert_int_equal(d->nsplits, 1);
    em_scan_desc_destroy(d);

    /* Duplicate and empty header names are made unique. */
    d = bind_ok("dup.csv", "a,A,,a_1,a\n1,2,3,4,5\n", "header", "true", NULL);
    FT_EXPECT(d, "a BIGINT, A_2 BIGINT, column2 BIGINT, a_1 BIGINT, a_3 BIGINT", "1|2|3|4|5\n");
    em_scan_desc_destroy(d);
}

static void test_nulls(void **state)
{
    (void)state;
    em_scan_desc *d = bind_ok("n.csv", "s,i,d\n,,\n\"\",\"\",\"\"\nNA,NA,2024-01-01\nx,1,\n",
                              "nullstr", "NA", NULL);
    FT_EXPECT(d, "s VARCHAR, i BIGINT, d DATE",
              "NULL|NULL|NULL\n|NULL|NULL\nNULL|NULL|2024-01-01\nx|1|NULL\n");
    em_scan_desc_destroy(d);
    /* Spark's spelling; a quoted null string is a string. */
    d = bind_ok("n2.csv", "s\n\\N\n\"\\N\"\n", "nullvalue", "\\N", NULL);
    FT_EXPECT(d, "s VARCHAR", "NULL\n\\N\n");
    em_scan_desc_destroy(d);
}

static void test_explicit_schema(void **state)
{
    (void)state;
    em_scan_desc *d = bind_ok("s.csv", "a,b,c,d\n1,x,12.345,true\n,y,-0.5,f\n", "schema",
                              "a INT, b STRING, c DECIMAL(10,2), d BOOLEAN", NULL);
    FT_EXPECT(d, "a INTEGER, b VARCHAR, c DECIMAL(10,2), d BOOLEAN",
              "1|x|12.35|true\nNULL|y|-0.50|false\n");
    em_scan_desc_destroy(d);

    /* Explicit types are checked for every row. */
    d = bind_ok("s2.csv", "a\n1\n3000000000\n", "schema", "a INT", NULL);
    read_fails(d, "%s/s2.csv:3: column 'a' (1): could not convert '3000000000' to INTEGER");

    /* Doubles: inf and nan spellings convert, numbers beyond the range do not. */
    d = bind_ok("s5.csv", "x\n1.5\ninf\n-Infinity\nNaN\n 2.5 \n1e400\n", "schema", "x DOUBLE",
                NULL);
    read_fails(d, "%s/s5.csv:7: column 'x' (1): could not convert '1e400' to DOUBLE");

    /* inferschema=false / all_varchar. */
    d = bind_ok("s3.csv", "a,b\n1,2024-01-01\n", "inferschema", "false", NULL);
    FT_EXPECT(d, "a VARCHAR, b VARCHAR", "1|2024-01-01\n");
    em_scan_desc_destroy(d);

    /* DuckDB's auto_detect=false: no header, no inference. */
    d = bind_ok("s6.csv", "a,b\n1,2\n", "auto_detect", "false", NULL);
    FT_EXPECT(d, "column0 VARCHAR, column1 VARCHAR", "a|b\n1|2\n");
    em_scan_desc_destroy(d);
    bind_fails("s7.csv", "a\n", EM_EUNSUPPORTED,
               "compression 'gzip' is not supported (only uncompressed files)", "compression",
               "gzip", NULL);

    bind_fails("s4.csv", "a\n1\n", EM_EINVAL, "option 'schema': duplicate column 'A' in schema",
               "schema", "a INT, A INT", NULL);
}

/* BIGINTs of 17 to 19 digits (the reader's SWAR path for long integers):
 * exact values at both ends of the range, signs, leading zeros; numbers out
 * of range or with a stray character fail with their line, also when they
 * sit mid-file where the fast path reads ahead. */
static void test_long_integers(void **state)
{
    (void)state;
    static const char *const fixed[] = {
        "9223372036854775807",  "-9223372036854775808", "+9223372036854775807",
        "10000000000000000",    "-10000000000000000",   "99999999999999999",
        "999999999999999999",   "-999999999999999999",  "1000000000000000000",
        "0000000000000000001",  "-000000000000000000",  "+00000000000000000",
        "1234567890123456789",  "-1234567890123456789", "12345678901234567",
    };
    size_t nfixed = sizeof fixed / sizeof fixed[0];
    char *text = em_malloc(1 << 20), *expect = em_malloc(1 << 20);
    size_t tl = 0, el = 0;
    tl += (size_t)sprintf(text + tl, "x\n");
    uint64_t seed = 42;
    for (int i = 0; i < 3000; i++) {
        int64_t v;
        if ((size_t)i < nfixed) {
            tl += (size_t)sprintf(text + tl, "%s\n", fixed[i]);
            v = strtoll(fixed[i], NULL, 10);
        } else {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            v = (int64_t)(seed >> (seed % 16)); /* 14 to 19 digits, both signs */
            if (seed & 1) v = -v;
            tl += (size_t)sprintf(text + tl, "%lld\n", (long long)v);
        }
        el += (size_t)sprintf(expect + el, "%lld\n", (long long)v);
    }
    em_scan_desc *d = bind_ok("long.csv", text, "schema", "x BIGINT", NULL);
    FT_EXPECT(d, "x BIGINT", expect);
    em_scan_desc_destroy(d);
    em_free(text);
    em_free(expect);

    static const char *const bad[] = {"9223372036854775808", "-9223372036854775809",
                                      "99999999999999999999", "12345678901234x678",
                                      "-1234567890123456-89", "+-12345678901234567"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char body[256], msg[256];
        snprintf(body, sizeof body, "x\n1\n%s\n1234567890123456789\n1234567890123456789\n",
                 bad[i]);
        d = bind_ok("bad.csv", body, "schema", "x BIGINT", NULL);
        snprintf(msg, sizeof msg, "%%s/bad.csv:3: column 'x' (1): could not convert '%s' to BIGINT",
                 bad[i]);
        read_fails(d, msg);
    }
}

static void test_errors(void **state)
{
    (void)state;
    /* Ragged rows name the physical line (the quoted newline counts). */
    em_scan_desc *d =
        bind_ok("r.csv", "a,b,c,d\n1,2,3,4\n1,\"x\ny\",3,4\n1,2,3,4,5\n", "sample_size", "2", NULL);
    read_fails(d, "%s/r.csv:5: expected 4 fields, found 5");
    d = bind_ok("r2.csv", "a,b\n1,2\n3\n", "sample_size", "1", NULL);
    read_fails(d, "%s/r2.csv:3: expected 2 fields, found 1");
    /* Inside the sample the same error comes from bind. */
    bind_fails("r3.csv", "a,b\n1,2\n\n3,4,5\n", EM_EFORMAT,
               "%s/r3.csv:4: expected 2 fields, found 3", NULL);

    /* An unterminated quote names the line where the field started. */
    bind_fails("u.csv", "a,b\n1,2\n3,\"abc\ndef\n", EM_EFORMAT,
               "%s/u.csv:3: unterminated quoted field", NULL);
    bind_fails("u2.csv", "a,b\n1,2\n3,x\"y\n", EM_EFORMAT,
               "%s/u2.csv:3: field 2: quote character inside an unquoted field (set quote='' "
               "to read quotes as data)",
               NULL);
    bind_fails("u3.csv", "a,b\n1,\"x\"y\n", EM_EFORMAT,
               "%s/u3.csv:2: field 2: unexpected character 'y' after the closing quote", NULL);

    /* A value after the sample that does not convert. */
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_puts(&sb, "id,amount\n");
    for (int i = 0; i < 20; i++) em_strbuf_printf(&sb, "%d,%d.5\n", i, i);
    em_strbuf_puts(&sb, "20,abc\n");
    d = bind_ok("c.csv", sb.data, "sample_size", "10", NULL);
    em_strbuf_release(&sb);
    char *s = ft_schema_text(d->schema);
    assert_string_equal(s, "id BIGINT, amount DOUBLE");
    em_free(s);
    read_fails(d, "%s/c.csv:22: column 'amount' (2): could not convert 'abc' to DOUBLE");

    /* The line is the field's own, also inside a multi-line record, and an
     * unescaped value is shown unescaped. */
    d = bind_ok("c2.csv", "t,n\nx,1\n\"a\nb\",2\n\"c\nd\",\"3\"\"4\"\n", "sample_size", "2", NULL);
    read_fails(d, "%s/c2.csv:6: column 'n' (2): could not convert '3\"4' to BIGINT");
}

static void test_projection(void **state)
{
    (void)state;
    em_scan_desc *d = bind_ok("p.csv", "a,b,c\n1,x,2.5\n2,\"y,z\",3.5\n", NULL);
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_error err;
    int cols[] = {2, 0};
    int64_t rows = 0;
    assert_int_equal(ft_read_splits(d, 0, d->nsplits, cols, 2, &sb, &rows, &err), 0);
    assert_string_equal(sb.data, "2.5|1\n3.5|2\n");
    /* No columns (count(*)): batches carry only a row count. */
    em_strbuf_clear(&sb);
    rows = 0;
    assert_int_equal(ft_read_splits(d, 0, d->nsplits, cols, 0, &sb, &rows, &err), 0);
    assert_int_equal(rows, 2);
    em_strbuf_release(&sb);
    em_scan_desc_destroy(d);
}

/* Reading a file of many batches in record-aligned splits gives the rows of
 * one split, in order: same count, same checksum, same text. */
static void check_splits_equal(const char *path, int64_t split_bytes, em_threadpool *pool,
                               int64_t expect_rows, const char *format)
{
    em_error err;
    em_scan_desc *one, *many;
    assert_int_equal(ft_bind(&one, format, path, 0, NULL, &err, NULL), 0);
    if (ft_bind(&many, format, path, split_bytes, pool, &err, NULL) < 0)
        fail_msg("bind: %s", err.message);
    assert_int_equal(one->nsplits, 1);
    assert_true(many->nsplits > 1);
    /* Splits tile the data without gaps. */
    for (int i = 1; i < many->nsplits; i++)
        assert_int_equal(many->splits[i].start, many->splits[i - 1].end);
    em_strbuf a, b;
    em_strbuf_init(&a);
    em_strbuf_init(&b);
    int64_t ra = 0, rb = 0;
    if (ft_read_splits(one, 0, 1, NULL, 0, &a, &ra, &err) < 0) fail_msg("%s", err.message);
    if (ft_read_splits(many, 0, many->nsplits, NULL, 0, &b, &rb, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(ra, expect_rows);
    assert_int_equal(rb, expect_rows);
    assert_int_equal(a.len, b.len);
    assert_int_equal(em_hash_bytes(a.data, a.len, 0), em_hash_bytes(b.data, b.len, 0));
    assert_true(memcmp(a.data, b.data, a.len) == 0);
    em_strbuf_release(&a);
    em_strbuf_release(&b);
    em_scan_desc_destroy(one);
    em_scan_desc_destroy(many);
}

/* A CSV of about `bytes` bytes with quoted fields holding newlines,
 * delimiters and quotes, some long enough to straddle several 64 KiB split
 * boundaries; *rows receives the record count. */
static const char *gen_csv(const char *name, size_t bytes, int64_t *rows)
{
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_puts(&sb, "id,text,amount,day\n");
    uint64_t x = 12345;
    int64_t n = 0;
    while (sb.len < bytes) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int kind = (int)((x >> 33) % 7);
        em_strbuf_printf(&sb, "%lld,", (long long)n);
        switch (kind) {
        case 0:
            em_strbuf_puts(&sb, "plain");
            break;
        case 1:
            em_strbuf_printf(&sb, "\"multi\nline,%llu\"", (unsigned long long)(x >> 40));
            break;
        case 2:
            em_strbuf_puts(&sb, "\"quote \"\"inside\"\"\n\"\"\"");
            break;
        case 3:
            em_strbuf_puts(&sb, "\"\"");
            break;
        case 4:
            em_strbuf_puts(&sb, "");
            break;
        case 5:
            if (n % 97 == 0) {
                /* A quoted field of ~150 KB full of newlines and commas. */
                em_strbuf_putc(&sb, '"');
                for (int k = 0; k < 15000; k++) em_strbuf_puts(&sb, "a,\nb\"\"c\n");
                em_strbuf_putc(&sb, '"');
            } else {
                em_strbuf_puts(&sb, "\",\n,\n\"");
            }
            break;
        default:
            em_strbuf_printf(&sb, "w%llu", (unsigned long long)(x >> 50));
            break;
        }
        em_strbuf_printf(&sb, ",%lld.%02d,2024-01-%02d%s", (long long)(x >> 45), (int)(x % 100),
                         (int)(x % 28) + 1, n % 5 == 0 ? "\r\n" : "\n");
        if (n % 1000 == 999) em_strbuf_puts(&sb, "\n");
        n++;
    }
    const char *path = ft_write_n(name, sb.data, sb.len);
    em_strbuf_release(&sb);
    *rows = n;
    return path;
}

static void test_splits(void **state)
{
    (void)state;
    int64_t n;
    const char *path = gen_csv("big.csv", 2000000, &n);
    /* The pool counts quote parities in parallel; the second bind with the
     * same split size is served from the boundary cache. */
    em_threadpool *pool = em_threadpool_create(2);
    check_splits_equal(path, 64 << 10, pool, n, "csv");
    check_splits_equal(path, 64 << 10, NULL, n, "csv");
    check_splits_equal(path, 65537, NULL, n, "csv");
    check_splits_equal(path, 4099, pool, n, "csv");
    em_threadpool_destroy(pool);

    /* Rewriting the file invalidates the cached boundaries: a first row that
     * opens a quoted field shifts every quote's parity. */
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_puts(&sb, "id,text,amount,day\n0,\"x\ny\",1.5,2024-01-01\n");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char chunk[65536];
    size_t got = fread(chunk, 1, 19, f); /* skip the header */
    assert_int_equal(got, 19);
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) em_strbuf_append(&sb, chunk, got);
    fclose(f);
    path = ft_write_n("big.csv", sb.data, sb.len);
    em_strbuf_release(&sb);
    check_splits_equal(path, 64 << 10, NULL, n + 1, "csv");

    /* Splits larger than a parity piece (4 MiB): each range is counted in
     * several pieces whose parities are folded. */
    path = gen_csv("bigger.csv", 10000000, &n);
    pool = em_threadpool_create(2);
    check_splits_equal(path, (9 << 20) / 2, pool, n, "csv");
    em_threadpool_destroy(pool);
}

static void test_many_files(void **state)
{
    (void)state;
    assert_int_equal(mkdir(ft_path("dir"), 0755), 0);
    ft_write("dir/part-1.csv", "a,b\n1,x\n2,y\n");
    ft_write("dir/part-0.csv", "a,b\n0,w\n");
    ft_write("dir/part-2.csv", "");
    ft_write("dir/_SUCCESS", "");
    ft_write("dir/.part-0.csv.crc", "junk");
    em_scan_desc *d;
    em_error err;
    assert_int_equal(ft_bind(&d, "csv", ft_path("dir"), 0, NULL, &err, NULL), 0);
    assert_int_equal(d->nfiles, 3);
    FT_EXPECT(d, "a BIGINT, b VARCHAR", "0|w\n1|x\n2|y\n");
    em_scan_desc_destroy(d);

    assert_int_equal(ft_bind(&d, "csv", ft_path("dir/part-[01].csv"), 0, NULL, &err, NULL), 0);
    assert_int_equal(d->nfiles, 2);
    FT_EXPECT(d, "a BIGINT, b VARCHAR", "0|w\n1|x\n2|y\n");
    em_scan_desc_destroy(d);

    /* The format comes from the extension when none is given. */
    assert_int_equal(ft_bind(&d, NULL, ft_path("dir/*.csv"), 0, NULL, &err, NULL), 0);
    assert_string_equal(d->format, "csv");
    em_scan_desc_destroy(d);

    assert_int_equal(ft_bind(&d, "csv", ft_path("dir/*.parquet"), 0, NULL, &err, NULL), EM_ENOENT);
    char expect[512];
    snprintf(expect, sizeof expect, "no files match '%s/dir/*.parquet'", ft_dir);
    assert_string_equal(err.message, expect);
    assert_int_equal(ft_bind(&d, "csv", ft_path("nope.csv"), 0, NULL, &err, NULL), EM_ENOENT);
    snprintf(expect, sizeof expect, "No such file or directory: '%s/nope.csv'", ft_dir);
    assert_string_equal(err.message, expect);
}

/* Bind and read a file with the given escape option (NULL: default); the
 * result is the rendered rows, or "error: <message>". */
static char *outcome(const char *path, const char *escape)
{
    em_scan_desc *d;
    em_error err;
    int rc = escape ? ft_bind(&d, "csv", path, 0, NULL, &err, "escape", escape, "header", "false",
                              "all_varchar", "true", NULL)
                    : ft_bind(&d, "csv", path, 0, NULL, &err, "header", "false", "all_varchar",
                              "true", NULL);
    char *text = NULL;
    if (rc == 0) {
        text = ft_read_all(d, &err, &rc);
        em_scan_desc_destroy(d);
    }
    if (rc < 0) {
        em_free(text);
        text = em_strdup(err.message);
        text[0] = text[0] ? text[0] : '?';
        char *e = em_malloc(strlen(text) + 8);
        sprintf(e, "error: %s", text);
        em_free(text);
        text = e;
    }
    return text;
}

/* The block-scanning tokenizer and the byte-by-byte one (used when the
 * escape differs from the quote; '~' never occurs here) must agree on every
 * input, well-formed or not: same rows, or the same error. */
static void test_tokenizers_agree(void **state)
{
    (void)state;
    static const char alphabet[] = "ab,,\"\"\n\r x";
    uint64_t x = 4242;
    int failures = 0;
    for (int iter = 0; iter < 400; iter++) {
        char buf[300];
        int n = 0, len = 1 + (int)(x % 290);
        for (int i = 0; i < len; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            buf[n++] = alphabet[(x >> 33) % (sizeof alphabet - 1)];
        }
        /* Half of the inputs: two fields per line, quoted or not, so that most parse. */
        if (iter % 2 == 0) {
            n = 0;
            for (int r = 0; r < 20 && n < 250; r++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                const char *eol = (x >> 20) % 4 == 0 ? "\r\n" : "\n";
                if ((x >> 40) % 3 == 0)
                    n += snprintf(buf + n, sizeof buf - (size_t)n, "\"a\nb\"\"\",c%s", eol);
                else
                    n += snprintf(buf + n, sizeof buf - (size_t)n, "x%d,\"%d\"%s", (int)(x % 7),
                                  (int)(x % 5), eol);
            }
        }
        const char *path = ft_write_n("fuzz.csv", buf, (size_t)n);
        char *a = outcome(path, NULL), *b = outcome(path, "~");
        if (strcmp(a, b) != 0) {
            if (failures++ < 3)
                print_error("input %d differs:\n--- fast:\n%s\n--- escaped:\n%s\n", iter, a, b);
        }
        em_free(a);
        em_free(b);
    }
    assert_int_equal(failures, 0);
}

/* The allocation-free parsers against the reference implementations. */
static void test_text_conversions(void **state)
{
    (void)state;
    char buf[64];
    /* Every day of two centuries, and what is not a day. */
    for (int y = 1900; y <= 2100; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= 31; d++) {
                snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
                int32_t got = 0;
                bool ok = em__parse_date_fast(buf, 10, &got);
                int32_t ref;
                bool valid = em_parse_date(buf, 10, &ref) == 0;
                if (ok != valid || (ok && got != ref)) fail_msg("date %s: %d/%d", buf, ok, valid);
                if (ok) assert_int_equal(got, em_days_from_civil(y, (unsigned)m, (unsigned)d));
            }
        }
    }
    int32_t days;
    static const char *const bad_dates[] = {"2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31",
                                            "2024-1-01",  "2024/01/01", "20240101",   "2024-01-0a"};
    for (size_t i = 0; i < EM_ARRAY_LEN(bad_dates); i++)
        assert_false(em__parse_date_fast(bad_dates[i], strlen(bad_dates[i]), &days));

    /* Timestamps round-trip through vector/'s printer; digits past micros truncate. */
    uint64_t x = 5;
    for (int i = 0; i < 20000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t micros = (int64_t)(x >> 20) % (4000000000LL * 1000000) - 1000000000LL * 1000000;
        if (i % 3 == 0) micros -= micros % 1000000;
        em_format_timestamp(micros, buf, sizeof buf);
        int64_t got;
        if (!em__text_timestamp(buf, strlen(buf), &got)) fail_msg("timestamp '%s' refused", buf);
        assert_int_equal(got, micros);
    }
    int64_t ts;
    assert_true(em__parse_timestamp_fast("2024-02-29T23:59:59.1234567", 27, &ts));
    assert_int_equal(ts % 86400000000LL, 86399123456LL);
    assert_true(em__parse_timestamp_fast("2019-09-29 19:29", 16, &ts));
    assert_false(em__parse_timestamp_fast("2024-01-01 24:00:00", 19, &ts));
    assert_false(em__parse_timestamp_fast("2024-01-01 12:60", 16, &ts));
    assert_false(em__parse_timestamp_fast("2024-01-01 12:00:00.", 20, &ts));

    /* Integers: the SWAR path (plenty of readable bytes) and the loop agree
     * with strtoll for every length, sign and a few malformed inputs. */
    char text[80];
    for (int i = 0; i < 50000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int digits = 1 + (int)((x >> 10) % 19);
        int k = 0;
        if ((x >> 3) % 3 == 0) text[k++] = '-';
        uint64_t y = x;
        for (int j = 0; j < digits; j++) {
            y = y * 2862933555777941757ULL + 3037000493ULL;
            text[k++] = (char)('0' + (y >> 59) % 10);
        }
        if (i % 97 == 0) text[(x >> 40) % (unsigned)k] = 'x';
        memset(text + k, '7', sizeof text - (size_t)k); /* garbage after the field */
        char *endp;
        char term[32];
        memcpy(term, text, (size_t)k);
        term[k] = '\0';
        errno = 0;
        long long want = strtoll(term, &endp, 10);
        bool valid = *endp == '\0' && errno == 0 && k > (term[0] == '-');
        int64_t a = 0, b = 0;
        bool oka = em__parse_i64_swar(text, (size_t)k, text + sizeof text, &a);
        bool okb = em__parse_i64_fast(text, (size_t)k, &b);
        if (oka != valid || okb != valid || (valid && (a != want || b != want)))
            fail_msg("int '%s': swar %d %lld, loop %d %lld, strtoll %d %lld", term, oka,
                     (long long)a, okb, (long long)b, valid, want);
    }
}

/* The fast double path must round exactly like strtod. */
static void test_double_exact(void **state)
{
    (void)state;
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_puts(&sb, "v\n");
    uint64_t x = 99;
    char(*texts)[48] = em_malloc(5000 * sizeof *texts);
    static const char *const fixed[] = {"0.1",
                                        "0.3",
                                        "1e22",
                                        "1e23",
                                        "123456789012345678",
                                        "9007199254740993",
                                        "2.2250738585072014e-308",
                                        "-0.0",
                                        "4.35",
                                        "1.7976931348623157e308",
                                        "5e-324",
                                        "3.14159265358979323846264338327950288"};
    int n = 0;
    for (size_t i = 0; i < EM_ARRAY_LEN(fixed); i++) snprintf(texts[n++], 48, "%s", fixed[i]);
    while (n < 5000) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int digits = 1 + (int)((x >> 20) % 18), point = (int)((x >> 40) % (digits + 1));
        char *t = texts[n++];
        int k = 0;
        if (x & 1) t[k++] = '-';
        uint64_t y = x;
        for (int i = 0; i < digits; i++) {
            if (i == point && i > 0) t[k++] = '.';
            y = y * 2862933555777941757ULL + 3037000493ULL;
            t[k++] = (char)('0' + (y >> 60) % 10);
        }
        if ((x >> 8) % 4 == 0)
            k += snprintf(t + k, 48 - (size_t)k, "e%d", (int)((x >> 50) % 40) - 20);
        t[k] = '\0';
    }
    for (int i = 0; i < n; i++) em_strbuf_printf(&sb, "%s\n", texts[i]);
    const char *path = ft_write_n("d.csv", sb.data, sb.len);
    em_strbuf_release(&sb);
    em_scan_desc *d;
    em_error err;
    assert_int_equal(ft_bind(&d, "csv", path, 0, NULL, &err, NULL), 0);
    assert_int_equal(d->schema->fields[0].type.id, EM_TYPE_DOUBLE);
    const em_format *fmt = em_format_lookup("csv");
    void *r;
    int col = 0;
    assert_int_equal(fmt->open(d, 0, &col, 1, &r, &err), 0);
    int row = 0;
    for (;;) {
        em_batch *b;
        assert_int_equal(fmt->next(r, &b, &err), 0);
        if (b == NULL) break;
        for (int64_t i = 0; i < b->nrows; i++, row++) {
            double want = strtod(texts[row], NULL);
            double got = EM_VEC_F64(b->cols[0])[i];
            if (memcmp(&want, &got, sizeof want) != 0)
                fail_msg("'%s': got %.17g, want %.17g", texts[row], got, want);
        }
        em_batch_destroy(b);
    }
    assert_int_equal(row, n);
    fmt->close(r);
    em_scan_desc_destroy(d);
    em_free(texts);
}

static void test_ddl(void **state)
{
    (void)state;
    em_schema *s;
    em_error err;
    assert_int_equal(em_schema_parse_ddl("a INT, `b c` STRING NOT NULL, d decimal(10, 2), "
                                         "e TIMESTAMP COMMENT 'x', f: long",
                                         &s, &err),
                     0);
    char *t = ft_schema_text(s);
    assert_string_equal(t, "a INTEGER, b c VARCHAR, d DECIMAL(10,2), e TIMESTAMP, f BIGINT");
    em_free(t);
    assert_false(s->fields[1].nullable);
    assert_true(s->fields[0].nullable);
    em_schema_destroy(s);
    assert_int_equal(em_schema_parse_ddl("{'x': 'DOUBLE', \"y\": 'DATE'}", &s, &err), 0);
    t = ft_schema_text(s);
    assert_string_equal(t, "x DOUBLE, y DATE");
    em_free(t);
    em_schema_destroy(s);
    assert_int_equal(em_schema_parse_ddl("a INT,", &s, &err), EM_EINVAL);
    assert_int_equal(em_schema_parse_ddl("a", &s, &err), EM_EINVAL);
    assert_true(em_schema_parse_ddl("a NOTATYPE", &s, &err) < 0);
    assert_null(s);
}

static void test_desc_lifecycle(void **state)
{
    (void)state;
    assert_ptr_equal(em_format_lookup("CSV"), &em_format_csv);
    assert_ptr_equal(em_format_lookup("ndjson"), &em_format_json);
    assert_null(em_format_lookup("orc"));
    assert_string_equal(em_format_guess("data/x.TSV"), "csv");
    assert_string_equal(em_format_guess("x.jsonl"), "json");
    assert_null(em_format_guess("x.csv.gz"));
    assert_null(em_format_guess("data/"));

    em_scan_desc *d = bind_ok("l.csv", "a,b\n1,2\n", "Header", "true", NULL);
    em_scan_desc *c = em_scan_desc_copy(d);
    em_scan_desc_destroy(d);
    FT_EXPECT(c, "a BIGINT, b BIGINT", "1|2\n");
    em_scan_desc_set_option(c, "DELIM", ";");
    assert_string_equal(em_scan_desc_option(c, "delim"), ";");
    em_scan_desc_set_option(c, "delim", NULL);
    assert_null(em_scan_desc_option(c, "delim"));
    em_scan_desc_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_inference_and_header, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_quotes, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_delimiters, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_lines_bom_empty, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_nulls, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_explicit_schema, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_errors, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_projection, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_splits, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_many_files, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_double_exact, ft_setup, ft_teardown),
        cmocka_unit_test(test_text_conversions),
        cmocka_unit_test_setup_teardown(test_long_integers, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_tokenizers_agree, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_ddl, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_desc_lifecycle, ft_setup, ft_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
