/*
 * cluster_int.h — what the driver and executor sides of src/cluster share:
 * sending protobuf messages as frames, and numbering a fragment's nodes the
 * same way on both ends (operator counters travel by that number).
 */
#ifndef EM_CLUSTER_INT_H
#define EM_CLUSTER_INT_H

#include "cluster/cluster.h"
#include "net/wire.h"
#include "sql/physical/physical.h"

#include <protobuf-c/protobuf-c.h>

/* Timeouts (milliseconds) for requests between driver and executors. */
#define EM_CLUSTER_SEND_TIMEOUT_MS 30000
#define EM_CLUSTER_CONNECT_TIMEOUT_MS 5000
#define EM_CLUSTER_FETCH_TIMEOUT_MS 30000

/* Pack a protobuf-c message and send it as one frame of the given type. */
int em__cluster_send(em_conn *c, uint16_t type, const ProtobufCMessage *msg, em_error *err)
    EM_MUST_CHECK;

/* A bytes field pointing at a C string (not copied), and a bytes field copied
 * into a NUL-terminated buffer of `cap` bytes (truncated to fit). */
void em__pb_set(ProtobufCBinaryData *d, const char *s);
void em__pb_copy(char *dst, size_t cap, const ProtobufCBinaryData *d);

/* The nodes of a fragment in pre-order; returns the count (fills ids when not NULL). */
int em__cluster_preorder(const em_pop *root, int *ids, int cap);

#endif
