/*
 * loop_conn.c — one framed, authenticated TCP connection on a daemon's libuv
 * loop: the wire.h frame decoder fed from read callbacks, the handshake state
 * machine driven frame by frame under a deadline, protobuf messages written as
 * frames, and closing that touches nothing but this connection.
 *
 * Until the handshake is done a connection accepts only handshake-sized frames,
 * so a peer that is not an ember process (or sends garbage) is dropped after
 * its first four bytes at the latest, or when the handshake deadline passes.
 */
#include "cluster/daemon_int.h"

#include <stdio.h>
#include <string.h>

typedef struct write_req {
    uv_write_t req;
    em__lconn *conn;
    uint8_t data[];
} write_req;

static void handle_closed(uv_handle_t *h)
{
    em__lconn *c = h->data;
    if (--c->open_handles == 0) {
        em_frame_reader_release(&c->reader);
        em_free(c);
    }
}

static void close_handles(em__lconn *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->tcp)) uv_close((uv_handle_t *)&c->tcp, handle_closed);
    if (!uv_is_closing((uv_handle_t *)&c->timer)) {
        uv_close((uv_handle_t *)&c->timer, handle_closed);
    }
}

/* Mark closing and tell the owner, once. `msg` is logged as it is: it names the peer. */
static bool begin_close(em__lconn *c, const char *msg)
{
    if (c->closing) return false;
    c->closing = true;
    if (msg != NULL) {
        em_log_warn("%s", msg);
        snprintf(c->fail_reason, sizeof(c->fail_reason), "%s", msg);
    }
    if (c->ops->on_close != NULL) c->ops->on_close(c);
    return true;
}

void em__lconn_close(em__lconn *c, const char *why)
{
    if (why != NULL && !c->closing) {
        char msg[sizeof(c->fail_reason)];
        snprintf(msg, sizeof(msg), "closing the connection with %s: %s", c->peer, why);
        begin_close(c, msg);
    } else {
        begin_close(c, NULL);
    }
    close_handles(c);
}

/* Close after a failure whose message already names the peer. */
static void close_failed(em__lconn *c, const em_error *err)
{
    c->fail_code = err->code;
    begin_close(c, err->message);
    close_handles(c);
}

/* ---- writing ------------------------------------------------------------------ */

static void write_done(uv_write_t *req, int status)
{
    write_req *w = (write_req *)req;
    em__lconn *c = w->conn;
    em_free(w);
    if (status < 0 && status != UV_ECANCELED && !c->closing) {
        em_log_info("connection to %s failed: %s", c->peer, uv_strerror(status));
        em__lconn_close(c, NULL);
    }
}

/* Queue a frame whose payload the caller writes into the returned buffer. */
static uint8_t *write_begin(em__lconn *c, uint16_t type, size_t len, write_req **out)
{
    write_req *w = em_malloc(sizeof(write_req) + EM_WIRE_HEADER_BYTES + len);
    w->conn = c;
    em_frame_header(w->data, type, len);
    *out = w;
    return w->data + EM_WIRE_HEADER_BYTES;
}

static void write_commit(em__lconn *c, write_req *w, size_t len)
{
    uv_buf_t buf = uv_buf_init((char *)w->data, (unsigned)(EM_WIRE_HEADER_BYTES + len));
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, write_done);
    if (rc < 0) {
        em_free(w);
        em_log_info("cannot write to %s: %s", c->peer, uv_strerror(rc));
        em__lconn_close(c, NULL);
        return;
    }
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > EM_CLUSTER_MAX_WRITE_QUEUE) {
        em__lconn_close(c, "the peer does not read what is sent to it");
    }
}

static void write_raw(em__lconn *c, uint16_t type, const void *payload, size_t len)
{
    if (c->closing) return;
    write_req *w;
    uint8_t *p = write_begin(c, type, len, &w);
    if (len > 0) memcpy(p, payload, len);
    write_commit(c, w, len);
}

void em__lconn_send(em__lconn *c, uint16_t type, const ProtobufCMessage *msg)
{
    if (c->closing) return;
    size_t len = protobuf_c_message_get_packed_size(msg);
    write_req *w;
    uint8_t *p = write_begin(c, type, len, &w);
    protobuf_c_message_pack(msg, p);
    write_commit(c, w, len);
}

/* After a refusal: deliver the last frame, then close (or close anyway at the deadline). */
static void shutdown_done(uv_shutdown_t *req, int status)
{
    em__lconn *c = req->data;
    em_free(req);
    close_handles(c);
}

static void force_close(uv_timer_t *t)
{
    close_handles(t->data);
}

static void close_after_flush(em__lconn *c, const em_error *err)
{
    c->fail_code = err->code;
    if (c->closing) return;
    em_log_warn("%s", err->message);
    snprintf(c->fail_reason, sizeof(c->fail_reason), "%s", err->message);
    em__lconn_shutdown(c);
}

void em__lconn_shutdown(em__lconn *c)
{
    if (!begin_close(c, NULL)) return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    uv_shutdown_t *req = em_malloc(sizeof(*req));
    req->data = c;
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, shutdown_done) < 0) {
        em_free(req);
        close_handles(c);
        return;
    }
    uv_timer_stop(&c->timer);
    uv_timer_start(&c->timer, force_close, 2000, 0);
}

/* ---- reading ------------------------------------------------------------------ */

static void handshake_timeout(uv_timer_t *t)
{
    em__lconn *c = t->data;
    if (!c->ready) em__lconn_close(c, "the handshake did not complete in time");
}

static void send_handshake_out(em__lconn *c)
{
    if (c->hs.has_out) {
        write_raw(c, c->hs.out_type, c->hs.out, c->hs.out_len);
        c->hs.has_out = false;
    }
}

static void on_handshake_frame(em__lconn *c, uint16_t type, const uint8_t *p, size_t n)
{
    em_error err;
    int rc = em_handshake_step(&c->hs, type, p, n, &err);
    if (rc < 0) {
        if (c->hs.has_out) {
            send_handshake_out(c);
            close_after_flush(c, &err);
        } else {
            close_failed(c, &err);
        }
        return;
    }
    send_handshake_out(c);
    if (rc == 0) {
        c->ready = true;
        uv_timer_stop(&c->timer);
        c->reader.max_frame = EM_CLUSTER_MAX_FRAME;
        snprintf(c->role, sizeof(c->role), "%s", c->hs.role);
        if (c->ops->on_ready != NULL) c->ops->on_ready(c);
    }
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    em__lconn *c = h->data;
    (void)suggested;
    *buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    em__lconn *c = s->data;
    (void)buf;
    if (c->closing) return;
    if (nread < 0) {
        if (nread == UV_EOF) {
            em_log_debug("%s closed the connection", c->peer);
            em__lconn_close(c, c->ready ? NULL : "closed during the handshake");
        } else {
            em_log_info("connection from %s failed: %s", c->peer, uv_strerror((int)nread));
            em__lconn_close(c, NULL);
        }
        return;
    }
    em_frame_reader_feed(&c->reader, c->rbuf, (size_t)nread);
    while (!c->closing) {
        uint16_t type;
        const uint8_t *p;
        size_t n;
        em_error err;
        int rc = em_frame_reader_next(&c->reader, &type, &p, &n, &err);
        if (rc < 0) {
            em__lconn_close(c, err.message);
            return;
        }
        if (rc == 0) return;
        if (!c->ready) {
            on_handshake_frame(c, type, p, n);
        } else if (c->ops->on_frame(c, type, p, n, &err) < 0) {
            em__lconn_close(c, err.message);
        }
    }
}

/* ---- creating ------------------------------------------------------------------ */

static em__lconn *lconn_new(uv_loop_t *loop, const em__lconn_ops *ops, void *owner)
{
    em__lconn *c = em_calloc(1, sizeof(*c));
    c->ops = ops;
    c->owner = owner;
    uv_tcp_init(loop, &c->tcp);
    uv_timer_init(loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->open_handles = 2;
    em_frame_reader_init(&c->reader, EM_CLUSTER_HANDSHAKE_MAX_FRAME);
    snprintf(c->peer, sizeof(c->peer), "?");
    return c;
}

static void format_peer(em__lconn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0) return;
    char ip[46] = "?"; /* INET6_ADDRSTRLEN: the peer text below always fits */
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        uv_ip4_name(in, ip, sizeof(ip));
        snprintf(c->peer, sizeof(c->peer), "%s:%d", ip, ntohs(in->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        uv_ip6_name(in6, ip, sizeof(ip));
        snprintf(c->peer, sizeof(c->peer), "[%s]:%d", ip, ntohs(in6->sin6_port));
    }
}

em__lconn *em__lconn_accept(uv_stream_t *server, const char *secret, const em__lconn_ops *ops,
                            void *owner)
{
    em__lconn *c = lconn_new(server->loop, ops, owner);
    int rc = uv_accept(server, (uv_stream_t *)&c->tcp);
    if (rc < 0) {
        em_log_warn("cannot accept a connection: %s", uv_strerror(rc));
        em__lconn_close(c, NULL);
        return NULL;
    }
    format_peer(c);
    uv_tcp_nodelay(&c->tcp, 1);
    em_error err;
    if (em_handshake_server_init(&c->hs, secret, c->peer, &err) < 0) {
        em__lconn_close(c, err.message);
        return NULL;
    }
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
    uv_timer_start(&c->timer, handshake_timeout, (uint64_t)(EM_CLUSTER_HANDSHAKE_TIMEOUT * 1000),
                   0);
    return c;
}

static void connected(uv_connect_t *req, int status)
{
    em__lconn *c = req->data;
    if (c->closing) return;
    if (status < 0) {
        c->fail_code = EM_EIO;
        snprintf(c->fail_reason, sizeof(c->fail_reason), "cannot connect to %s: %s", c->peer,
                 uv_strerror(status));
        em__lconn_close(c, NULL);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
    send_handshake_out(c);
}

em__lconn *em__lconn_connect(uv_loop_t *loop, const struct sockaddr *addr, const char *peer,
                             const char *role, const char *secret, const em__lconn_ops *ops,
                             void *owner)
{
    em__lconn *c = lconn_new(loop, ops, owner);
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    em_error err;
    if (em_handshake_client_init(&c->hs, role, secret, peer, &err) < 0) {
        em__lconn_close(c, err.message);
        return NULL;
    }
    c->connect_req.data = c;
    int rc = uv_tcp_connect(&c->connect_req, &c->tcp, addr, connected);
    if (rc < 0) {
        em_log_warn("cannot connect to %s: %s", peer, uv_strerror(rc));
        em__lconn_close(c, NULL);
        return NULL;
    }
    uv_timer_start(&c->timer, handshake_timeout, (uint64_t)(EM_CLUSTER_HANDSHAKE_TIMEOUT * 1000),
                   0);
    return c;
}

/* ---- helpers ---------------------------------------------------------------------- */

int em__unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *payload, size_t len,
               ProtobufCMessage **out, em_error *err)
{
    *out = protobuf_c_message_unpack(desc, NULL, len, payload);
    if (*out == NULL) {
        return em_error_set(err, EM_EIO, "malformed %s message (%zu bytes)", desc->short_name, len);
    }
    return 0;
}

int em__resolve(uv_loop_t *loop, const char *host, int port, struct sockaddr_storage *out,
                em_error *err)
{
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    uv_getaddrinfo_t req;
    /* Without a callback the lookup runs synchronously; it happens once per
     * (re)connection, where waiting for the resolver is what we want anyway. */
    int rc = uv_getaddrinfo(loop, &req, NULL, host, service, &hints);
    if (rc < 0) {
        return em_error_set(err, EM_EIO, "cannot resolve %s: %s", host, uv_strerror(rc));
    }
    const struct addrinfo *pick = req.addrinfo;
    for (const struct addrinfo *a = req.addrinfo; a != NULL; a = a->ai_next) {
        if (a->ai_family == AF_INET) {
            pick = a;
            break;
        }
    }
    if (pick == NULL) {
        uv_freeaddrinfo(req.addrinfo);
        return em_error_set(err, EM_EIO, "cannot resolve %s: no address", host);
    }
    memset(out, 0, sizeof(*out));
    memcpy(out, pick->ai_addr, pick->ai_addrlen);
    uv_freeaddrinfo(req.addrinfo);
    return 0;
}

void em__format_bytes(int64_t bytes, char *out, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0) {
        snprintf(out, cap, "%lld B", (long long)bytes);
    } else {
        snprintf(out, cap, "%.1f %s", v, units[u]);
    }
}
