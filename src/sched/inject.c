/*
 * inject.c — deterministic fault injection for tests (ember.test.inject).
 *
 * The setting is a list of rules separated by ';', each an action and
 * key=value conditions separated by ',':
 *   fail:stage=S,task=P,attempt=A   the attempt fails with a retryable I/O error
 *   sleep:stage=S,task=P,attempt=A,ms=M   matching attempts sleep M ms first
 *   exit:executor=E,after=N         executor E (its id, or its position in the
 *                                   id's trailing number) exits after its Nth task
 *   fetchfail:shuffle=H,map=M       a reducer's fetch of that map output fails, as
 *                                   if it were lost (first task attempts only)
 * A condition left out matches anything. Unknown actions or keys are errors,
 * so a typo in a test fails loudly instead of injecting nothing.
 */
#include "sched/sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct rule {
    char action[16];
    int stage, task, attempt, ms, after, shuffle, map;
    char executor[64];
} rule;

/* Parse one rule; -1 in a field means "any". */
static int parse_rule(const char *text, size_t n, rule *r, em_error *err)
{
    *r = (rule){.stage = -1, .task = -1, .attempt = -1, .ms = 0, .after = -1, .shuffle = -1,
                .map = -1};
    const char *colon = memchr(text, ':', n);
    size_t alen = colon ? (size_t)(colon - text) : n;
    if (alen == 0 || alen >= sizeof r->action)
        return em_error_set(err, EM_EINVAL, "ember.test.inject: bad rule '%.*s'", (int)n, text);
    memcpy(r->action, text, alen);
    if (strcmp(r->action, "fail") && strcmp(r->action, "sleep") && strcmp(r->action, "exit") &&
        strcmp(r->action, "fetchfail"))
        return em_error_set(err, EM_EINVAL, "ember.test.inject: unknown action '%s'", r->action);
    const char *p = colon ? colon + 1 : text + n, *end = text + n;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        if (!eq)
            return em_error_set(err, EM_EINVAL, "ember.test.inject: expected key=value in '%.*s'",
                                (int)(stop - p), p);
        char key[32], val[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - p), p);
        snprintf(val, sizeof val, "%.*s", (int)(stop - eq - 1), eq + 1);
        char *num_end;
        long lv = strtol(val, &num_end, 10);
        int iv = (int)lv;
        if (strcmp(key, "executor") != 0 && (*val == '\0' || *num_end != '\0' || lv < 0 || lv > 1 << 30))
            return em_error_set(err, EM_EINVAL, "ember.test.inject: %s expects a number, not '%s'",
                                key, val);
        if (strcmp(key, "stage") == 0) r->stage = iv;
        else if (strcmp(key, "task") == 0) r->task = iv;
        else if (strcmp(key, "attempt") == 0) r->attempt = iv;
        else if (strcmp(key, "ms") == 0) r->ms = iv;
        else if (strcmp(key, "after") == 0) r->after = iv;
        else if (strcmp(key, "shuffle") == 0) r->shuffle = iv;
        else if (strcmp(key, "map") == 0) r->map = iv;
        else if (strcmp(key, "executor") == 0) snprintf(r->executor, sizeof r->executor, "%s", val);
        else return em_error_set(err, EM_EINVAL, "ember.test.inject: unknown key '%s'", key);
        p = comma ? comma + 1 : end;
    }
    return 0;
}

/* Call fn for each rule of `spec` whose action is `action`; stops at the
 * first nonzero return. */
static int each_rule(const char *spec, const char *action, int (*fn)(const rule *, void *),
                     void *ctx, em_error *err)
{
    if (!spec || !*spec) return 0;
    const char *p = spec;
    while (*p) {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        if (n > 0) {
            rule r;
            EM_TRY(parse_rule(p, n, &r, err));
            if (fn && strcmp(r.action, action) == 0) {
                int rc = fn(&r, ctx);
                if (rc) return rc;
            }
        }
        p += n + (semi ? 1 : 0);
    }
    return 0;
}

int em_inject_check(const char *spec, em_error *err)
{
    /* Parsing every rule is the check. */
    int rc = each_rule(spec, "", NULL, NULL, err);
    return rc < 0 ? rc : 0;
}

typedef struct task_match {
    int stage, task, attempt;
} task_match;

static int match_fail(const rule *r, void *ctx)
{
    const task_match *m = ctx;
    return (r->stage < 0 || r->stage == m->stage) && (r->task < 0 || r->task == m->task) &&
           (r->attempt < 0 || r->attempt == m->attempt);
}

static int match_sleep(const rule *r, void *ctx)
{
    const task_match *m = ctx;
    if ((r->stage < 0 || r->stage == m->stage) && (r->task < 0 || r->task == m->task) &&
        (r->attempt < 0 || r->attempt == m->attempt) && r->ms > 0)
        usleep((useconds_t)r->ms * 1000);
    return 0;
}

int em_inject_task_start(const char *spec, int stage, int task, int attempt, em_error *err)
{
    task_match m = {stage, task, attempt};
    int rc = each_rule(spec, "sleep", match_sleep, &m, err);
    if (rc < 0) return rc;
    rc = each_rule(spec, "fail", match_fail, &m, err);
    if (rc < 0) return rc;
    if (rc > 0)
        return em_error_set(err, EM_EIO, "injected failure of task %d.%d attempt %d", stage, task,
                            attempt);
    return 0;
}

typedef struct exec_match {
    const char *executor;
    int ntasks;
} exec_match;

/* The executor matches by id, or by the number its id ends with. */
static bool executor_matches(const char *want, const char *id)
{
    if (!*want) return true;
    if (strcmp(want, id) == 0) return true;
    size_t n = strlen(id);
    while (n > 0 && id[n - 1] >= '0' && id[n - 1] <= '9') n--;
    return id[n] != '\0' && strcmp(id + n, want) == 0;
}

static int match_exit(const rule *r, void *ctx)
{
    const exec_match *m = ctx;
    return executor_matches(r->executor, m->executor) && r->after >= 0 && m->ntasks >= r->after;
}

bool em_inject_executor_exit(const char *spec, const char *executor, int ntasks)
{
    exec_match m = {executor, ntasks};
    em_error err = {0};
    return each_rule(spec, "exit", match_exit, &m, &err) > 0;
}

typedef struct fetch_match {
    int shuffle, map;
} fetch_match;

static int match_fetch(const rule *r, void *ctx)
{
    const fetch_match *m = ctx;
    return (r->shuffle < 0 || r->shuffle == m->shuffle) && (r->map < 0 || r->map == m->map);
}

bool em_inject_fetch_fail(const char *spec, int shuffle, int map)
{
    fetch_match m = {shuffle, map};
    em_error err = {0};
    return each_rule(spec, "fetchfail", match_fetch, &m, &err) > 0;
}
