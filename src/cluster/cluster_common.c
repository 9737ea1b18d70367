/*
 * cluster_common.c — what the driver's and the executor's sides of the cluster
 * share: protobuf messages sent as frames, protobuf bytes fields to and from C
 * strings, and the node numbering that operator counters travel by.
 */
#include "cluster/cluster_int.h"

#include <stdio.h>
#include <string.h>

int em__cluster_send(em_conn *c, uint16_t type, const ProtobufCMessage *msg, em_error *err)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = em_malloc(len ? len : 1);
    protobuf_c_message_pack(msg, buf);
    int rc = em_conn_send(c, type, buf, len, EM_CLUSTER_SEND_TIMEOUT_MS, err);
    em_free(buf);
    return rc;
}

static int preorder(const em_pop *p, int *ids, int cap, int n)
{
    if (ids && n < cap) ids[n] = p->id;
    n++;
    for (int i = 0; i < p->nchildren; i++) n = preorder(p->children[i], ids, cap, n);
    return n;
}

int em__cluster_preorder(const em_pop *root, int *ids, int cap)
{
    return preorder(root, ids, cap, 0);
}

void em__pb_set(ProtobufCBinaryData *d, const char *s)
{
    d->data = (uint8_t *)s;
    d->len = strlen(s);
}

void em__pb_copy(char *dst, size_t cap, const ProtobufCBinaryData *d)
{
    snprintf(dst, cap, "%.*s", (int)d->len, (const char *)d->data);
}
