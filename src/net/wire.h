/*
 * wire.h — connections between ember processes: TCP sockets carrying frames,
 * and the handshake every connection starts with.
 *
 * A frame is a 4-byte big-endian length L, then L bytes: a 2-byte big-endian
 * message type and the message (a protobuf-c encoding, or raw block bytes for
 * shuffle data). L is at least 2 and at most the connection's frame limit; a
 * frame outside those bounds is a protocol error that closes the connection
 * (and nothing else).
 *
 * Handshake (before any other frame, both directions bounded by a timeout):
 *   client -> server  HELLO      {magic "EMBR", protocol version, role, client nonce}
 *   server -> client  CHALLENGE  {protocol version, server nonce, accepted?, reason}
 *   client -> server  PROOF      {HMAC-SHA256(secret, "client" | server nonce | role)}
 *   server -> client  WELCOME    {HMAC-SHA256(secret, "server" | client nonce)}
 * so each side proves knowledge of ember.authenticate.secret to the other without
 * sending it. With no secret configured on either side, the proofs are empty and
 * only the protocol version is checked. A server with a secret refuses a client
 * without one (or with a wrong one) and logs why; the client's error says
 * "authentication failed". A protocol version mismatch is refused the same way.
 *
 * All I/O is blocking with timeouts (poll); these functions are for threads
 * (driver, executor, tests). The daemons' libuv loops use the frame decoder
 * and the handshake steps below on their own buffers.
 */
#ifndef EM_NET_WIRE_H
#define EM_NET_WIRE_H

#include "common/common.h"

#define EM_WIRE_PROTOCOL_VERSION 1
#define EM_WIRE_DEFAULT_MAX_FRAME ((size_t)256 << 20)

/* Roles named in HELLO. */
#define EM_ROLE_WORKER "worker"     /* worker -> master */
#define EM_ROLE_DRIVER "driver"     /* driver -> master (application client) */
#define EM_ROLE_STATUS "status"     /* `ember status` -> master */
#define EM_ROLE_EXECUTOR "executor" /* executor -> driver */
#define EM_ROLE_FETCH "fetch"       /* shuffle fetch: executor/driver -> executor */

typedef struct em_conn em_conn;

/* Listen on host:port (port 0: any free port). *bound_port receives the port. */
int em_net_listen(const char *host, int port, int *listen_fd, int *bound_port,
                  em_error *err) EM_MUST_CHECK;
/* Accept one connection; timeout_ms < 0 waits forever. EM_ETIMEOUT on timeout. */
int em_net_accept(int listen_fd, int timeout_ms, em_conn **out, em_error *err) EM_MUST_CHECK;
/* Connect to host:port within timeout_ms. */
int em_net_connect(const char *host, int port, int timeout_ms, em_conn **out,
                   em_error *err) EM_MUST_CHECK;
/* Parse "ember://host:port" or "host:port" (host may be a name or an IPv4 address). */
int em_net_parse_url(const char *url, char *host, size_t hostcap, int *port,
                     em_error *err) EM_MUST_CHECK;

void em_conn_close(em_conn *c);
int em_conn_fd(const em_conn *c);
/* "host:port" of the other end, for messages. */
const char *em_conn_peer(const em_conn *c);
/* Frames larger than this are refused in both directions (default EM_WIRE_DEFAULT_MAX_FRAME). */
void em_conn_set_max_frame(em_conn *c, size_t max_bytes);

/* Send one frame. Safe to call from several threads on one connection (an
 * internal lock keeps frames whole). A failed send (a timeout included) may have
 * sent part of the frame: the caller then closes the connection. */
int em_conn_send(em_conn *c, uint16_t type, const void *payload, size_t len, int timeout_ms,
                 em_error *err) EM_MUST_CHECK;
/* Receive one frame; *payload is em_malloc'd (free with em_free), NULL when len is 0.
 * EM_ETIMEOUT when nothing arrives in time, EM_EIO when the peer closed or the
 * frame is malformed (the caller then closes the connection). A timeout in the
 * middle of a frame keeps what arrived, and the next call resumes it; one thread
 * at a time receives on a connection. */
int em_conn_recv(em_conn *c, int timeout_ms, uint16_t *type, uint8_t **payload, size_t *len,
                 em_error *err) EM_MUST_CHECK;

/* The handshake, blocking. secret may be NULL or "" (no authentication).
 * The server side fills role_out (NUL-terminated) with the client's role. */
int em_conn_handshake_client(em_conn *c, const char *role, const char *secret, int timeout_ms,
                             em_error *err) EM_MUST_CHECK;
int em_conn_handshake_server(em_conn *c, const char *secret, int timeout_ms, char *role_out,
                             size_t role_cap, em_error *err) EM_MUST_CHECK;

/* ---- frame types ----------------------------------------------------------
 * Types 1-15 belong to the handshake, 16-63 to the cluster control plane
 * (src/net/proto/cluster.proto, enum MsgType); 64 and up are free for the
 * driver/executor protocol. A type only means something within a connection's
 * phase, so the ranges keep logs and dumps readable rather than being checked. */
#define EM_WIRE_MSG_HELLO 1
#define EM_WIRE_MSG_CHALLENGE 2
#define EM_WIRE_MSG_PROOF 3
#define EM_WIRE_MSG_WELCOME 4

#define EM_WIRE_HEADER_BYTES 6 /* 4-byte length + 2-byte type */
#define EM_WIRE_NONCE_BYTES 32
#define EM_WIRE_MAC_BYTES 32
#define EM_WIRE_MAX_ROLE 32

/* ---- for event loops: frames and handshake steps on the caller's buffers ---- */

/* Write a frame's header for a payload of payload_len bytes. */
void em_frame_header(uint8_t out[EM_WIRE_HEADER_BYTES], uint16_t type, size_t payload_len);

/* An incremental frame decoder: feed it whatever the socket delivered, then take
 * whole frames out until it says it needs more. */
typedef struct em_frame_reader {
    uint8_t *buf;
    size_t len; /* bytes held */
    size_t off; /* start of the first unconsumed frame */
    size_t cap;
    size_t max_frame;
} em_frame_reader;

void em_frame_reader_init(em_frame_reader *r, size_t max_frame);
void em_frame_reader_release(em_frame_reader *r);
void em_frame_reader_feed(em_frame_reader *r, const void *data, size_t n);
/* 1: a frame is ready (*payload points into the reader and stays valid until
 * the next feed or next call); 0: more bytes are needed; EM_EIO: the stream is
 * malformed (a length outside [2, max_frame]) and the connection must close.
 * An oversized length is refused as soon as its 4 bytes arrive. */
int em_frame_reader_next(em_frame_reader *r, uint16_t *type, const uint8_t **payload,
                         size_t *len, em_error *err) EM_MUST_CHECK;

/* The handshake as a state machine. After init and after every step, when
 * has_out is set the caller sends the frame (out_type, out, out_len) before
 * anything else. em_handshake_step consumes one received frame and returns
 * 1 (continue: wait for the next frame), 0 (done: on a server, role holds the
 * client's role) or a negative code with err set: EM_EAUTH for a refusal (a
 * server then still has a refusal frame in out to send before closing), EM_EIO
 * for a frame that does not belong to the handshake. The secret string must
 * outlive the handshake. */
typedef struct em_handshake {
    bool server;
    int state;
    const char *secret; /* NULL when there is none */
    char peer[64];      /* for messages */
    char role[EM_WIRE_MAX_ROLE + 1];
    uint8_t nonce[EM_WIRE_NONCE_BYTES];      /* ours */
    uint8_t peer_nonce[EM_WIRE_NONCE_BYTES]; /* theirs */
    bool has_out;
    uint16_t out_type;
    size_t out_len;
    uint8_t out[512];
} em_handshake;

int em_handshake_client_init(em_handshake *h, const char *role, const char *secret,
                             const char *peer, em_error *err) EM_MUST_CHECK;
int em_handshake_server_init(em_handshake *h, const char *secret, const char *peer,
                             em_error *err) EM_MUST_CHECK;
int em_handshake_step(em_handshake *h, uint16_t type, const uint8_t *payload, size_t len,
                      em_error *err) EM_MUST_CHECK;

#endif
