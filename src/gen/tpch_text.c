/*
 * tpch_text.c — the TPC-H text pool (clauses 4.2.2.10 and 4.2.2.14): a long
 * run of pseudo-English sentences that every comment column is cut from.
 *
 * The grammar is the specification's (sentences made of noun, verb and
 * prepositional phrases) over its word lists; the word weights approximate the
 * specification's, keeping the common words common ("regular", "final",
 * "furiously", "packages", "requests", ...), which matters to queries such as
 * Q13 that look for '%special%requests%' in comments.
 */
#include "gen/tpch_int.h"

#include <string.h>

typedef struct word {
    const char *text;
    int weight;
} word;

typedef struct word_list {
    const word *words;
    int n;
    int total; /* sum of the weights, computed on first use */
} word_list;

static const word nouns[] = {
    {"packages", 40},     {"requests", 40},     {"accounts", 40},      {"deposits", 40},
    {"foxes", 20},        {"ideas", 20},        {"theodolites", 20},   {"pinto beans", 20},
    {"instructions", 20}, {"dependencies", 10}, {"excuses", 10},       {"platelets", 10},
    {"asymptotes", 10},   {"courts", 5},        {"dolphins", 5},       {"multipliers", 1},
    {"sauternes", 1},     {"warthogs", 1},      {"frets", 1},          {"dinos", 1},
    {"attainments", 1},   {"somas", 1},         {"Tiresias", 1},       {"patterns", 1},
    {"forges", 1},        {"braids", 1},        {"hockey players", 1}, {"frays", 1},
    {"warhorses", 1},     {"dugouts", 1},       {"notornis", 1},       {"epitaphs", 1},
    {"pearls", 1},        {"tithes", 1},        {"waters", 1},         {"orbits", 1},
    {"gifts", 1},         {"sheaves", 1},       {"depths", 1},         {"sentiments", 1},
    {"decoys", 1},        {"realms", 1},        {"pains", 1},          {"grouches", 1},
    {"escapades", 1},
};

static const word verbs[] = {
    {"sleep", 20},    {"wake", 20},    {"are", 20},   {"cajole", 20}, {"haggle", 20},
    {"nag", 10},      {"use", 10},     {"boost", 10}, {"affix", 5},   {"detect", 5},
    {"integrate", 5}, {"maintain", 1}, {"nod", 1},    {"was", 1},     {"lose", 1},
    {"sublate", 1},   {"solve", 1},    {"thrash", 1}, {"promise", 1}, {"engage", 1},
    {"hinder", 1},    {"print", 1},    {"x-ray", 1},  {"breach", 1},  {"eat", 1},
    {"grow", 1},      {"impress", 1},  {"mold", 1},   {"poach", 1},   {"serve", 1},
    {"run", 1},       {"dazzle", 1},   {"snooze", 1}, {"doze", 1},    {"unwind", 1},
    {"kindle", 1},    {"play", 1},     {"hang", 1},   {"believe", 1}, {"doubt", 1},
};

static const word adjectives[] = {
    {"special", 20}, {"pending", 20}, {"unusual", 20}, {"express", 20}, {"furious", 1},
    {"sly", 1},      {"careful", 1},  {"blithe", 1},   {"quick", 1},    {"fluffy", 1},
    {"slow", 1},     {"quiet", 1},    {"ruthless", 1}, {"thin", 1},     {"close", 1},
    {"dogged", 1},   {"daring", 1},   {"brave", 1},    {"stealthy", 1}, {"permanent", 1},
    {"enticing", 1}, {"idle", 1},     {"busy", 1},     {"regular", 50}, {"final", 40},
    {"ironic", 40},  {"even", 30},    {"bold", 20},    {"silent", 10},
};

static const word adverbs[] = {
    {"sometimes", 1},  {"always", 1},     {"never", 1},      {"furiously", 50},  {"slyly", 50},
    {"carefully", 50}, {"blithely", 40},  {"quickly", 30},   {"fluffily", 20},   {"slowly", 1},
    {"quietly", 1},    {"ruthlessly", 1}, {"thinly", 1},     {"closely", 1},     {"doggedly", 1},
    {"daringly", 1},   {"bravely", 1},    {"stealthily", 1}, {"permanently", 1}, {"enticingly", 1},
    {"idly", 1},       {"busily", 1},     {"regularly", 1},  {"finally", 1},     {"ironically", 1},
    {"evenly", 1},     {"boldly", 1},     {"silently", 1},
};

static const word prepositions[] = {
    {"about", 50},
    {"above", 50},
    {"according to", 50},
    {"across", 50},
    {"after", 50},
    {"against", 40},
    {"along", 40},
    {"alongside of", 30},
    {"among", 30},
    {"around", 20},
    {"at", 10},
    {"atop", 1},
    {"before", 1},
    {"behind", 1},
    {"beneath", 1},
    {"beside", 1},
    {"besides", 1},
    {"between", 1},
    {"beyond", 1},
    {"by", 1},
    {"despite", 1},
    {"during", 1},
    {"except", 1},
    {"for", 1},
    {"from", 1},
    {"in place of", 1},
    {"inside", 1},
    {"instead of", 1},
    {"into", 1},
    {"near", 1},
    {"of", 1},
    {"on", 1},
    {"outside", 1},
    {"over", 1},
    {"past", 1},
    {"since", 1},
    {"through", 1},
    {"throughout", 1},
    {"to", 1},
    {"toward", 1},
    {"under", 1},
    {"until", 1},
    {"up", 1},
    {"upon", 1},
    {"without", 1},
    {"with", 1},
    {"within", 1},
};

static const word auxiliaries[] = {
    {"do", 1},
    {"may", 1},
    {"might", 1},
    {"shall", 1},
    {"will", 1},
    {"would", 1},
    {"can", 1},
    {"could", 1},
    {"should", 1},
    {"ought to", 1},
    {"must", 1},
    {"will have to", 1},
    {"shall have to", 1},
    {"could have to", 1},
    {"should have to", 1},
    {"must have to", 1},
    {"need to", 1},
    {"try to", 1},
};

static const word terminators[] = {
    {".", 50}, {";", 1}, {":", 1}, {"?", 1}, {"!", 1}, {"--", 1},
};

/* Grammar productions: a letter per part (N noun phrase, V verb phrase,
 * P prepositional phrase; in phrases: n noun, j adjective, d adverb,
 * v verb, x auxiliary, ',' a comma after the previous word). */
static const word sentences[] = {
    {"NV", 3}, {"NVP", 3}, {"NVN", 3}, {"NPVN", 1}, {"NPVP", 1},
};
static const word noun_phrases[] = {
    {"n", 10},
    {"jn", 20},
    {"j,jn", 10},
    {"djn", 10},
};
static const word verb_phrases[] = {
    {"v", 30},
    {"xv", 1},
    {"vd", 40},
    {"xvd", 1},
};

/* Longer than any sentence the grammar can produce. */
#define SLACK 1024

#define LIST(a)                                                                                    \
    {                                                                                              \
        a, (int)EM_ARRAY_LEN(a), 0                                                                 \
    }

typedef struct builder {
    em__tpch_rng rng;
    char *start, *p, *end;
    word_list nouns, verbs, adjectives, adverbs, prepositions, auxiliaries, terminators;
    word_list sentences, noun_phrases, verb_phrases;
} builder;

static const char *pick(builder *b, word_list *l)
{
    if (l->total == 0) {
        for (int i = 0; i < l->n; i++) l->total += l->words[i].weight;
    }
    int v = (int)em__tpch_below(&b->rng, (uint64_t)l->total);
    for (int i = 0; i < l->n; i++) {
        if (v < l->words[i].weight) return l->words[i].text;
        v -= l->words[i].weight;
    }
    return l->words[l->n - 1].text;
}

/* Append a word, preceded by a space unless it starts the pool. The buffer
 * has SLACK bytes past `end`, so a sentence begun before `end` always fits. */
static void put_word(builder *b, const char *w)
{
    size_t n = strlen(w);
    if (b->p > b->start) *b->p++ = ' ';
    memcpy(b->p, w, n);
    b->p += n;
}

static void put_phrase(builder *b, const char *shape)
{
    for (const char *s = shape; *s != '\0'; s++) {
        switch (*s) {
        case 'n':
            put_word(b, pick(b, &b->nouns));
            break;
        case 'j':
            put_word(b, pick(b, &b->adjectives));
            break;
        case 'd':
            put_word(b, pick(b, &b->adverbs));
            break;
        case 'v':
            put_word(b, pick(b, &b->verbs));
            break;
        case 'x':
            put_word(b, pick(b, &b->auxiliaries));
            break;
        case ',':
            *b->p++ = ',';
            break;
        default:
            break;
        }
    }
}

static void put_noun_phrase(builder *b)
{
    put_phrase(b, pick(b, &b->noun_phrases));
}

static void put_sentence(builder *b)
{
    for (const char *s = pick(b, &b->sentences); *s != '\0'; s++) {
        switch (*s) {
        case 'N':
            put_noun_phrase(b);
            break;
        case 'V':
            put_phrase(b, pick(b, &b->verb_phrases));
            break;
        case 'P':
            put_word(b, pick(b, &b->prepositions));
            put_word(b, "the");
            put_noun_phrase(b);
            break;
        default:
            break;
        }
    }
    /* The terminator sticks to the last word. */
    const char *t = pick(b, &b->terminators);
    size_t n = strlen(t);
    memcpy(b->p, t, n);
    b->p += n;
}

void em__tpch_text_build(em__tpch_text *pool, size_t bytes)
{
    builder b = {
        .nouns = LIST(nouns),
        .verbs = LIST(verbs),
        .adjectives = LIST(adjectives),
        .adverbs = LIST(adverbs),
        .prepositions = LIST(prepositions),
        .auxiliaries = LIST(auxiliaries),
        .terminators = LIST(terminators),
        .sentences = LIST(sentences),
        .noun_phrases = LIST(noun_phrases),
        .verb_phrases = LIST(verb_phrases),
    };
    em__tpch_rng_seed(&b.rng, 0x7465787420706f6fULL, 0);
    pool->text = em_malloc(bytes + SLACK);
    b.start = b.p = pool->text;
    b.end = pool->text + bytes;
    while (b.p < b.end) put_sentence(&b);
    pool->len = bytes;
    pool->text[bytes] = '\0';
}

void em__tpch_text_release(em__tpch_text *pool)
{
    em_free(pool->text);
    pool->text = NULL;
    pool->len = 0;
}
