/*
 * optimizer.h — rule-based logical optimization (see optimizer.c for the rules).
 */
#ifndef EM_OPTIMIZER_H
#define EM_OPTIMIZER_H

#include "sql/logical/logical.h"

int em_optimize(em_arena *a, em_lop *plan, em_lop **out, em_error *err) EM_MUST_CHECK;
/* Reorder clusters of inner joins (join_order.c) by the estimates of `card`
 * (stats.h), which also receives the estimates of the joins it builds. */
typedef struct em__card em__card;
em_lop *em_optimize_join_order(em_arena *a, em__card *card, em_lop *plan);

#endif
