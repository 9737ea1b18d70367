/*
 * words.c — Zipf-distributed text for word counting (see words.h).
 *
 * Spelling: the word of rank r (0-based) is r written in bijective base 90
 * with a syllable (consonant + vowel) for each digit, so ranks 0..89 are one
 * syllable, the next 8100 two, and so on: every rank has its own word, and
 * frequent words are short. The syllable table is shuffled by the seed.
 *
 * Sampling: Vose's alias method over the vocabulary's Zipf weights, built
 * once; a draw costs two random numbers whatever the vocabulary's size.
 */
#include "gen/words.h"

#include <math.h>

#include "gen/gen_int.h"

#define LINES_PER_CHUNK 8192
#define MIN_WORDS_PER_LINE 4
#define MAX_WORDS_PER_LINE 16
#define MAX_VOCABULARY 50000000
#define NSYLLABLES 90

static const char consonants[] = "bcdfghjklmnprstvwz";
static const char vowels[] = "aeiou";

/* Alias method: keep slot i with probability `keep`, otherwise take `other`. */
typedef struct alias_slot {
    float keep;
    uint32_t other;
} alias_slot;

typedef struct words_ctx {
    uint64_t seed;
    bool one_per_line;
    int64_t vocabulary;
    int max_word_len;
    char syllables[NSYLLABLES][2];
    struct alias_slot *slots; /* the alias table, one cache line access per draw */
} words_ctx;

static void build_syllables(words_ctx *ctx)
{
    int n = 0;
    for (int c = 0; consonants[c] != '\0'; c++) {
        for (int v = 0; vowels[v] != '\0'; v++) {
            ctx->syllables[n][0] = consonants[c];
            ctx->syllables[n][1] = vowels[v];
            n++;
        }
    }
    /* Fisher-Yates with the seed's own stream. */
    em__gen_rng r;
    em__gen_rng_seed(&r, ctx->seed, UINT64_C(0x5711ab1e));
    for (int i = NSYLLABLES - 1; i > 0; i--) {
        int j = (int)em__gen_rng_below(&r, (uint64_t)i + 1);
        char t0 = ctx->syllables[i][0], t1 = ctx->syllables[i][1];
        ctx->syllables[i][0] = ctx->syllables[j][0];
        ctx->syllables[i][1] = ctx->syllables[j][1];
        ctx->syllables[j][0] = t0;
        ctx->syllables[j][1] = t1;
    }
}

/* Syllables in the word of rank r: bijective base-90 length. */
static int word_syllables(uint64_t r)
{
    int len = 1;
    uint64_t span = NSYLLABLES;
    while (r >= span) {
        r -= span;
        span *= NSYLLABLES;
        len++;
    }
    return len;
}

static char *put_word(const words_ctx *ctx, char *p, uint64_t r)
{
    int len = 1;
    uint64_t span = NSYLLABLES;
    while (r >= span) {
        r -= span;
        span *= NSYLLABLES;
        len++;
    }
    /* r is now the offset among words of `len` syllables: its base-90 digits. */
    for (int i = len - 1; i >= 0; i--) {
        const char *s = ctx->syllables[r % NSYLLABLES];
        p[2 * i] = s[0];
        p[2 * i + 1] = s[1];
        r /= NSYLLABLES;
    }
    return p + 2 * len;
}

/* Vose's alias method for weights 1 / (r + 1)^s. */
static void build_alias(words_ctx *ctx, double s)
{
    size_t n = (size_t)ctx->vocabulary;
    double *scaled = em_malloc(n * sizeof(double));
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        scaled[i] = pow((double)(i + 1), -s);
        total += scaled[i];
    }
    uint32_t *small = em_malloc(n * sizeof(uint32_t)), *large = em_malloc(n * sizeof(uint32_t));
    size_t ns = 0, nl = 0;
    for (size_t i = 0; i < n; i++) {
        scaled[i] = scaled[i] * (double)n / total;
        if (scaled[i] < 1.0) {
            small[ns++] = (uint32_t)i;
        } else {
            large[nl++] = (uint32_t)i;
        }
    }
    ctx->slots = em_malloc(n * sizeof(alias_slot));
    while (ns > 0 && nl > 0) {
        uint32_t lo = small[--ns], hi = large[--nl];
        ctx->slots[lo] = (alias_slot){(float)scaled[lo], hi};
        scaled[hi] = (scaled[hi] + scaled[lo]) - 1.0;
        if (scaled[hi] < 1.0) {
            small[ns++] = hi;
        } else {
            large[nl++] = hi;
        }
    }
    /* What is left is 1 up to rounding. */
    while (nl > 0) {
        uint32_t i = large[--nl];
        ctx->slots[i] = (alias_slot){1.0f, i};
    }
    while (ns > 0) {
        uint32_t i = small[--ns];
        ctx->slots[i] = (alias_slot){1.0f, i};
    }
    em_free(small);
    em_free(large);
    em_free(scaled);
}

static uint64_t draw_rank(const words_ctx *ctx, em__gen_rng *r)
{
    uint64_t i = em__gen_rng_below(r, (uint64_t)ctx->vocabulary);
    const alias_slot *s = &ctx->slots[i];
    /* 24 random bits against a float threshold: exact comparisons, so the
     * draw never depends on the platform's float rounding. */
    float u = (float)(em__gen_rng_next(r) >> 40) * 0x1.0p-24f;
    return u < s->keep ? i : s->other;
}

static size_t words_chunk(const void *arg, int64_t index, char *buf)
{
    const words_ctx *ctx = arg;
    em__gen_rng r;
    em__gen_rng_seed(&r, ctx->seed, (uint64_t)index);
    char sep = ctx->one_per_line ? '\n' : ' ';
    char *p = buf;
    for (int line = 0; line < LINES_PER_CHUNK; line++) {
        int nwords = MIN_WORDS_PER_LINE +
                     (int)em__gen_rng_below(&r, MAX_WORDS_PER_LINE - MIN_WORDS_PER_LINE + 1);
        for (int w = 0; w < nwords; w++) {
            p = put_word(ctx, p, draw_rank(ctx, &r));
            *p++ = w + 1 < nwords ? sep : '\n';
        }
    }
    return (size_t)(p - buf);
}

int em_gen_words(const em_gen_words_opts *o, em_gen_words_stats *stats, em_error *err)
{
    if (o->out_dir == NULL || o->out_dir[0] == '\0') {
        return em_error_set(err, EM_EINVAL, "no output directory");
    }
    if (o->bytes < 1) return em_error_set(err, EM_EINVAL, "--bytes must be at least 1");
    if (o->vocabulary < 1 || o->vocabulary > MAX_VOCABULARY) {
        return em_error_set(err, EM_EINVAL, "--vocabulary must be between 1 and %d",
                            MAX_VOCABULARY);
    }
    if (!(o->zipf >= 0 && o->zipf <= 4)) {
        return em_error_set(err, EM_EINVAL, "--zipf must be between 0 and 4");
    }
    if (o->threads < 0) return em_error_set(err, EM_EINVAL, "--threads must be positive");
    EM_TRY(em__gen_mkdir_p(o->out_dir, err));

    words_ctx *ctx = em_calloc(1, sizeof(words_ctx));
    ctx->seed = o->seed;
    ctx->one_per_line = o->one_per_line;
    ctx->vocabulary = o->vocabulary;
    ctx->max_word_len = 2 * word_syllables((uint64_t)o->vocabulary - 1);
    build_syllables(ctx);
    build_alias(ctx, o->zipf);
    em__gen_file_spec spec = {
        .dir = o->out_dir,
        .name = o->one_per_line ? "one_word_per_line.txt" : "text.txt",
        .nchunks = INT64_MAX,
        .max_chunk_bytes =
            (size_t)LINES_PER_CHUNK * MAX_WORDS_PER_LINE * (size_t)(ctx->max_word_len + 1),
        .limit_bytes = o->bytes,
        .fn = words_chunk,
        .ctx = ctx,
        .threads = EM_MIN(o->threads > 0 ? o->threads : em_cpu_count(), 64),
    };
    int64_t bytes = 0;
    int rc = em__gen_write_file(&spec, &bytes, err);
    em_free(ctx->slots);
    em_free(ctx);
    if (stats != NULL) stats->bytes = bytes;
    return rc;
}
