/*
 * wire.c — TCP connections carrying length-prefixed frames (see wire.h for the
 * format): listening, accepting and connecting with timeouts, blocking send and
 * receive, and the incremental frame decoder the daemons' event loops use.
 *
 * Every blocking call waits with poll() against a deadline, so no peer can hold
 * a thread longer than the caller allows. A receive that times out in the middle
 * of a frame keeps what it has read in the connection and resumes with the next
 * call, so short timeouts (a thread polling for a stop flag) never desynchronize
 * the stream.
 */
#include "net/wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

struct em_conn {
    int fd;
    size_t max_frame;
    char peer[64];
    pthread_mutex_t send_lock;
    /* A frame being received: the header, then the payload straight into its
     * final buffer. */
    uint8_t hdr[EM_WIRE_HEADER_BYTES];
    size_t hdr_have;
    uint8_t *body;
    size_t body_len;
    size_t body_have;
};

/* ---- deadlines ---------------------------------------------------------- */

static int64_t deadline_after(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : em_now_micros() + (int64_t)timeout_ms * 1000;
}

/* Milliseconds left before the deadline for poll(): -1 = forever, 0 = expired. */
static int remaining_ms(int64_t deadline)
{
    if (deadline < 0) return -1;
    int64_t left = deadline - em_now_micros();
    if (left <= 0) return 0;
    return (int)EM_MIN((left + 999) / 1000, (int64_t)INT32_MAX);
}

/* Wait until fd is ready for `events`; EM_ETIMEOUT when the deadline passes. */
static int wait_fd(int fd, short events, int64_t deadline, const char *what, const char *peer,
                   em_error *err)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        int ms = remaining_ms(deadline);
        int n = poll(&p, 1, ms);
        if (n > 0) return 0;
        if (n == 0) {
            return em_error_set(err, EM_ETIMEOUT, "timed out %s %s", what, peer);
        }
        if (errno != EINTR) {
            return em_error_set(err, EM_EIO, "poll failed %s %s: %s", what, peer, strerror(errno));
        }
    }
}

/* ---- addresses ------------------------------------------------------------ */

static void format_addr(const struct sockaddr *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        port = ntohs(in->sin_port);
        snprintf(out, cap, "%s:%d", ip, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        port = ntohs(in6->sin6_port);
        snprintf(out, cap, "[%s]:%d", ip, port);
    } else {
        snprintf(out, cap, "?");
    }
}

static int resolve(const char *host, int port, bool passive, struct addrinfo **out, em_error *err)
{
    char service[16];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    if (passive) hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(host, service, &hints, out);
    if (rc != 0) {
        return em_error_set(err, EM_EIO, "cannot resolve %s: %s", host, gai_strerror(rc));
    }
    return 0;
}

int em_net_parse_url(const char *url, char *host, size_t hostcap, int *port, em_error *err)
{
    const char *p = url;
    if (p == NULL || *p == '\0') return em_error_set(err, EM_EINVAL, "empty address");
    if (strncmp(p, "ember://", 8) == 0) p += 8;
    const char *colon = strrchr(p, ':');
    if (colon == NULL || colon == p) {
        return em_error_set(err, EM_EINVAL, "malformed address '%s': expected ember://host:port",
                            url);
    }
    const char *h = p;
    size_t hlen = (size_t)(colon - p);
    /* [v6]:port */
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= hostcap) {
        return em_error_set(err, EM_EINVAL, "malformed address '%s': bad host", url);
    }
    long v = 0;
    const char *q = colon + 1;
    if (*q == '\0') return em_error_set(err, EM_EINVAL, "malformed address '%s': no port", url);
    for (; *q != '\0'; q++) {
        if (*q < '0' || *q > '9' || v > 65535) {
            return em_error_set(err, EM_EINVAL, "malformed address '%s': bad port", url);
        }
        v = v * 10 + (*q - '0');
    }
    if (v < 1 || v > 65535) {
        return em_error_set(err, EM_EINVAL, "malformed address '%s': port out of range", url);
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)v;
    return 0;
}

/* ---- listening and connecting --------------------------------------------- */

int em_net_listen(const char *host, int port, int *listen_fd, int *bound_port, em_error *err)
{
    if (host == NULL) host = "127.0.0.1";
    struct addrinfo *ai = NULL;
    EM_TRY(resolve(host, port, true, &ai, err));
    int fd = -1;
    int last_errno = 0;
    for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 128) == 0) break;
        last_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        return em_error_set(err, EM_EIO, "cannot listen on %s:%d: %s", host, port,
                            strerror(last_errno));
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
        int e = errno;
        close(fd);
        return em_error_set(err, EM_EIO, "getsockname failed: %s", strerror(e));
    }
    int p = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    *listen_fd = fd;
    if (bound_port != NULL) *bound_port = p;
    return 0;
}

static em_conn *conn_new(int fd)
{
    em_conn *c = em_calloc(1, sizeof(*c));
    c->fd = fd;
    c->max_frame = EM_WIRE_DEFAULT_MAX_FRAME;
    pthread_mutex_init(&c->send_lock, NULL);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
        format_addr((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
    } else {
        snprintf(c->peer, sizeof(c->peer), "?");
    }
    return c;
}

int em_net_accept(int listen_fd, int timeout_ms, em_conn **out, em_error *err)
{
    int64_t deadline = deadline_after(timeout_ms);
    for (;;) {
        EM_TRY(wait_fd(listen_fd, POLLIN, deadline, "waiting for", "a connection", err));
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            *out = conn_new(fd);
            return 0;
        }
        /* The peer may have given up between poll and accept: wait again. */
        if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
        return em_error_set(err, EM_EIO, "accept failed: %s", strerror(errno));
    }
}

/* One non-blocking connect attempt, waited for until the deadline. */
static int connect_one(const struct addrinfo *a, int64_t deadline, const char *where, int *out,
                       em_error *err)
{
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) return em_error_set(err, EM_EIO, "socket failed: %s", strerror(errno));
    if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            int e = errno;
            close(fd);
            return em_error_set(err, EM_EIO, "cannot connect to %s: %s", where, strerror(e));
        }
        int rc = wait_fd(fd, POLLOUT, deadline, "connecting to", where, err);
        if (rc < 0) {
            close(fd);
            return rc;
        }
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        if (soerr != 0) {
            close(fd);
            return em_error_set(err, EM_EIO, "cannot connect to %s: %s", where, strerror(soerr));
        }
    }
    /* Back to blocking: every later wait goes through poll anyway. */
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    *out = fd;
    return 0;
}

int em_net_connect(const char *host, int port, int timeout_ms, em_conn **out, em_error *err)
{
    char where[300];
    snprintf(where, sizeof(where), "%s:%d", host, port);
    struct addrinfo *ai = NULL;
    EM_TRY(resolve(host, port, false, &ai, err));
    int64_t deadline = deadline_after(timeout_ms);
    int rc = em_error_set(err, EM_EIO, "cannot connect to %s: no address", where);
    for (struct addrinfo *a = ai; a != NULL; a = a->ai_next) {
        int fd = -1;
        rc = connect_one(a, deadline, where, &fd, err);
        if (rc == 0) {
            *out = conn_new(fd);
            break;
        }
        if (rc == EM_ETIMEOUT) break;
    }
    freeaddrinfo(ai);
    return rc;
}

void em_conn_close(em_conn *c)
{
    if (c == NULL) return;
    if (c->fd >= 0) close(c->fd);
    pthread_mutex_destroy(&c->send_lock);
    em_free(c->body);
    em_free(c);
}

int em_conn_fd(const em_conn *c)
{
    return c->fd;
}

const char *em_conn_peer(const em_conn *c)
{
    return c->peer;
}

void em_conn_set_max_frame(em_conn *c, size_t max_bytes)
{
    c->max_frame = max_bytes < 2 ? 2 : max_bytes;
}

/* ---- frames ---------------------------------------------------------------- */

void em_frame_header(uint8_t out[EM_WIRE_HEADER_BYTES], uint16_t type, size_t payload_len)
{
    uint32_t l = (uint32_t)(payload_len + 2);
    out[0] = (uint8_t)(l >> 24);
    out[1] = (uint8_t)(l >> 16);
    out[2] = (uint8_t)(l >> 8);
    out[3] = (uint8_t)l;
    out[4] = (uint8_t)(type >> 8);
    out[5] = (uint8_t)type;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The one check of a frame length, shared by both decoders. */
static int check_length(uint32_t l, size_t max_frame, const char *peer, em_error *err)
{
    const char *from = peer != NULL ? " from " : "";
    if (peer == NULL) peer = "";
    if (l < 2) {
        return em_error_set(err, EM_EIO, "malformed frame%s%s: length %u is below 2", from, peer,
                            (unsigned)l);
    }
    if (l > max_frame) {
        return em_error_set(err, EM_EIO, "malformed frame%s%s: %u bytes exceed the limit of %zu",
                            from, peer, (unsigned)l, max_frame);
    }
    return 0;
}

int em_conn_send(em_conn *c, uint16_t type, const void *payload, size_t len, int timeout_ms,
                 em_error *err)
{
    if (len + 2 > c->max_frame || len > UINT32_MAX - 2) {
        return em_error_set(err, EM_EINVAL, "frame of %zu bytes to %s exceeds the limit of %zu",
                            len + 2, c->peer, c->max_frame);
    }
    uint8_t hdr[EM_WIRE_HEADER_BYTES];
    em_frame_header(hdr, type, len);
    struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)payload, len}};
    int niov = len > 0 ? 2 : 1;
    struct iovec *v = iov;
    int64_t deadline = deadline_after(timeout_ms);
    int rc = 0;
    pthread_mutex_lock(&c->send_lock);
    while (niov > 0) {
        struct msghdr mh = {.msg_iov = v, .msg_iovlen = (size_t)niov};
        ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                rc = wait_fd(c->fd, POLLOUT, deadline, "sending to", c->peer, err);
                if (rc < 0) break;
                continue;
            }
            rc = em_error_set(err, EM_EIO, "cannot send to %s: %s", c->peer, strerror(errno));
            break;
        }
        size_t done = (size_t)n;
        while (niov > 0 && done >= v->iov_len) {
            done -= v->iov_len;
            v++;
            niov--;
        }
        if (niov > 0) {
            v->iov_base = (uint8_t *)v->iov_base + done;
            v->iov_len -= done;
        }
    }
    pthread_mutex_unlock(&c->send_lock);
    return rc;
}

/* Read what is available into [buf + *have, buf + want), waiting at most until the
 * deadline for the first byte. */
static int read_some(em_conn *c, uint8_t *buf, size_t *have, size_t want, int64_t deadline,
                     em_error *err)
{
    while (*have < want) {
        ssize_t n = recv(c->fd, buf + *have, want - *have, MSG_DONTWAIT);
        if (n > 0) {
            *have += (size_t)n;
            continue;
        }
        if (n == 0) {
            return em_error_set(err, EM_EIO, "connection closed by %s%s", c->peer,
                                *have > 0 || c->hdr_have > 0 ? " in the middle of a frame" : "");
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return em_error_set(err, EM_EIO, "cannot receive from %s: %s", c->peer,
                                strerror(errno));
        }
        EM_TRY(wait_fd(c->fd, POLLIN, deadline, "waiting for", c->peer, err));
    }
    return 0;
}

int em_conn_recv(em_conn *c, int timeout_ms, uint16_t *type, uint8_t **payload, size_t *len,
                 em_error *err)
{
    int64_t deadline = deadline_after(timeout_ms);
    if (c->hdr_have < EM_WIRE_HEADER_BYTES) {
        /* The length alone decides whether the frame is acceptable: check it as
         * soon as its 4 bytes are in, before waiting for anything else. */
        if (c->hdr_have < 4) EM_TRY(read_some(c, c->hdr, &c->hdr_have, 4, deadline, err));
        uint32_t l = be32(c->hdr);
        EM_TRY(check_length(l, c->max_frame, c->peer, err));
        EM_TRY(read_some(c, c->hdr, &c->hdr_have, EM_WIRE_HEADER_BYTES, deadline, err));
        c->body_len = l - 2;
        c->body_have = 0;
        c->body = c->body_len > 0 ? em_malloc(c->body_len) : NULL;
    }
    EM_TRY(read_some(c, c->body, &c->body_have, c->body_len, deadline, err));
    *type = (uint16_t)(c->hdr[4] << 8 | c->hdr[5]);
    *payload = c->body;
    *len = c->body_len;
    c->body = NULL;
    c->body_len = c->body_have = 0;
    c->hdr_have = 0;
    return 0;
}

/* ---- the incremental decoder ------------------------------------------------ */

void em_frame_reader_init(em_frame_reader *r, size_t max_frame)
{
    memset(r, 0, sizeof(*r));
    r->max_frame = max_frame;
}

void em_frame_reader_release(em_frame_reader *r)
{
    em_free(r->buf);
    memset(r, 0, sizeof(*r));
}

void em_frame_reader_feed(em_frame_reader *r, const void *data, size_t n)
{
    if (n == 0) return;
    /* Drop consumed frames first so the buffer holds at most one frame plus a read. */
    if (r->off > 0) {
        memmove(r->buf, r->buf + r->off, r->len - r->off);
        r->len -= r->off;
        r->off = 0;
    }
    if (r->len + n > r->cap) {
        size_t cap = r->cap == 0 ? 4096 : r->cap;
        while (cap < r->len + n) cap *= 2;
        r->buf = em_realloc(r->buf, cap);
        r->cap = cap;
    }
    memcpy(r->buf + r->len, data, n);
    r->len += n;
}

int em_frame_reader_next(em_frame_reader *r, uint16_t *type, const uint8_t **payload, size_t *len,
                         em_error *err)
{
    size_t avail = r->len - r->off;
    if (avail < 4) return 0;
    const uint8_t *p = r->buf + r->off;
    uint32_t l = be32(p);
    EM_TRY(check_length(l, r->max_frame, NULL, err));
    if (avail < 4 + (size_t)l) return 0;
    *type = (uint16_t)(p[4] << 8 | p[5]);
    *payload = p + EM_WIRE_HEADER_BYTES;
    *len = l - 2;
    r->off += 4 + (size_t)l;
    if (r->off == r->len) r->off = r->len = 0;
    return 1;
}

/* ---- the blocking handshake ------------------------------------------------------------ */

/* Handshake frames are a few hundred bytes; while it runs, a peer announcing a
 * bigger frame is not speaking ember and must not make us allocate for it. */
#define HANDSHAKE_MAX_FRAME 4096

/* Run the machine over a connection until it ends; the deadline covers the whole
 * exchange. */
static int run_handshake(em_conn *c, em_handshake *h, int timeout_ms, em_error *err)
{
    int64_t deadline = deadline_after(timeout_ms);
    size_t saved_max = c->max_frame;
    c->max_frame = HANDSHAKE_MAX_FRAME;
    int rc = 1;
    for (;;) {
        int left = remaining_ms(deadline);
        if (h->has_out) {
            em_error serr;
            int src = em_conn_send(c, h->out_type, h->out, h->out_len, left, &serr);
            h->has_out = false;
            if (rc < 0) break; /* a refusal was the last word, delivered or not */
            if (src < 0) {
                *err = serr;
                rc = src;
                break;
            }
        }
        if (rc <= 0) break;
        uint16_t type = 0;
        uint8_t *payload = NULL;
        size_t len = 0;
        rc = em_conn_recv(c, left, &type, &payload, &len, err);
        if (rc < 0) {
            if (rc == EM_ETIMEOUT) {
                rc = em_error_set(err, EM_ETIMEOUT, "handshake with %s timed out", c->peer);
            } else {
                em_error_prefix(err, "handshake failed");
            }
            break;
        }
        rc = em_handshake_step(h, type, payload, len, err);
        em_free(payload);
    }
    c->max_frame = saved_max;
    return rc;
}

int em_conn_handshake_client(em_conn *c, const char *role, const char *secret, int timeout_ms,
                             em_error *err)
{
    em_handshake h;
    EM_TRY(em_handshake_client_init(&h, role, secret, c->peer, err));
    return run_handshake(c, &h, timeout_ms, err);
}

int em_conn_handshake_server(em_conn *c, const char *secret, int timeout_ms, char *role_out,
                             size_t role_cap, em_error *err)
{
    em_handshake h;
    EM_TRY(em_handshake_server_init(&h, secret, c->peer, err));
    int rc = run_handshake(c, &h, timeout_ms, err);
    if (rc < 0) {
        em_log_warn("%s", err->message);
        return rc;
    }
    if (role_out != NULL && role_cap > 0) snprintf(role_out, role_cap, "%s", h.role);
    return 0;
}
