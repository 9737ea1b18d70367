/*
 * daemon_int.h — what the cluster's daemon side shares (master.c, worker.c,
 * app_client.c, status.c, loop_conn.c): the connection object of the daemons'
 * libuv loops, protobuf helpers, and fetching and printing the master's status
 * (used by `ember status`, the master's JSON page and the tests).
 */
#ifndef EM_CLUSTER_DAEMON_INT_H
#define EM_CLUSTER_DAEMON_INT_H

#include <stdio.h>

#include <uv.h>

#include "cluster.pb-c.h"
#include "cluster/cluster.h"
#include "net/wire.h"

/* Control-plane frames stay small; a status listing of a big cluster is the largest. */
#define EM_CLUSTER_MAX_FRAME ((size_t)16 << 20)
/* Frames allowed before a connection has authenticated (the handshake's are tiny). */
#define EM_CLUSTER_HANDSHAKE_MAX_FRAME 4096
/* Seconds a peer gets to complete the handshake. */
#define EM_CLUSTER_HANDSHAKE_TIMEOUT 10.0
/* Bytes queued for a peer that does not read before the connection is dropped. */
#define EM_CLUSTER_MAX_WRITE_QUEUE ((size_t)64 << 20)
/* Timeout of one request to the master (registration, status) in milliseconds. */
#define EM_CLUSTER_REQUEST_TIMEOUT_MS 10000

/* ---- a framed, authenticated connection on a libuv loop (loop_conn.c) ---- */

typedef struct em__lconn em__lconn;

typedef struct em__lconn_ops {
    /* The handshake succeeded (conn->role holds the client's role on a server). */
    void (*on_ready)(em__lconn *c);
    /* One frame after the handshake; a negative return closes the connection
     * (err says why, logged at warn level with the peer). */
    int (*on_frame)(em__lconn *c, uint16_t type, const uint8_t *payload, size_t len, em_error *err);
    /* The connection is closing (called once): drop every reference to it. */
    void (*on_close)(em__lconn *c);
} em__lconn_ops;

struct em__lconn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* handshake deadline */
    uv_connect_t connect_req;
    em_frame_reader reader;
    em_handshake hs;
    const em__lconn_ops *ops;
    void *owner; /* the master or worker */
    void *data;  /* what the owner attaches (a worker or application record) */
    bool ready;
    bool closing;
    int open_handles;
    char peer[64];
    char role[EM_WIRE_MAX_ROLE + 1];
    int fail_code;          /* why it closed, when it failed: EM_EAUTH for a refusal */
    char fail_reason[1024]; /* ... and the message (empty for a plain close) */
    char rbuf[65536];
};

/* A server-side connection: accept a pending client of `server` and start the
 * handshake. NULL when the accept failed (logged). */
em__lconn *em__lconn_accept(uv_stream_t *server, const char *secret, const em__lconn_ops *ops,
                            void *owner);
/* A client-side connection to addr: connect, then handshake as `role`. Failures
 * arrive through on_close (with ready still false, fail_code and fail_reason set).
 * NULL when the connection could not even be started (on_close has run). */
em__lconn *em__lconn_connect(uv_loop_t *loop, const struct sockaddr *addr, const char *peer,
                             const char *role, const char *secret, const em__lconn_ops *ops,
                             void *owner);
/* Queue one message. A connection that is closing drops it silently. */
void em__lconn_send(em__lconn *c, uint16_t type, const ProtobufCMessage *msg);
/* Close once what was queued has been sent (bounded by a short deadline). */
void em__lconn_shutdown(em__lconn *c);
/* Close; `why` (may be NULL) is logged at warn level with the peer. */
void em__lconn_close(em__lconn *c, const char *why);

/* Decode a message of the expected type; EM_EIO with a message naming it on failure. */
int em__unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *payload, size_t len,
               ProtobufCMessage **out, em_error *err) EM_MUST_CHECK;

/* Resolve host:port for libuv (the first address; IPv4 preferred). */
int em__resolve(uv_loop_t *loop, const char *host, int port, struct sockaddr_storage *out,
                em_error *err) EM_MUST_CHECK;

/* ---- status (status.c) ---------------------------------------------------- */

/* Ask the master at url for its status (free with emcluster__status_response__free_unpacked). */
int em__cluster_status_fetch(const char *url, const char *secret, int timeout_ms,
                             Emcluster__StatusResponse **out, em_error *err) EM_MUST_CHECK;
/* The status as JSON text (em_free it). */
char *em__cluster_status_json(const Emcluster__StatusResponse *s);
/* The status as tables for people. */
void em__cluster_status_print(FILE *f, const Emcluster__StatusResponse *s);

/* "1.5 GiB" style sizes for messages and tables. */
void em__format_bytes(int64_t bytes, char *out, size_t cap);

#endif
