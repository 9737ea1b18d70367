/*
 * test_wire.c — frames and the handshake over real sockets on 127.0.0.1.
 *
 * Frames must round-trip whole (empty, small and multi-megabyte payloads, in
 * both directions, through the blocking calls and the incremental decoder);
 * truncated, oversized, undersized and garbage frames must fail with EM_EIO and
 * a message, never a hang or a crash; a receive that times out in the middle of
 * a frame must resume. The handshake must succeed with matching secrets (or
 * none) and refuse, with a reason on both sides, a wrong secret, a missing one,
 * a secret the server does not expect, another protocol version, a server that
 * cannot prove the secret, and peers that stay silent (timeouts).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/wire.h"

/* ---- a connected pair ---------------------------------------------------------- */

typedef struct pair {
    int listen_fd;
    int port;
    em_conn *client;
    em_conn *server;
} pair;

static void pair_open(pair *p)
{
    em_error err;
    assert_int_equal(em_net_listen("127.0.0.1", 0, &p->listen_fd, &p->port, &err), 0);
    assert_true(p->port > 0);
    assert_int_equal(em_net_connect("127.0.0.1", p->port, 2000, &p->client, &err), 0);
    assert_int_equal(em_net_accept(p->listen_fd, 2000, &p->server, &err), 0);
}

static void pair_close(pair *p)
{
    em_conn_close(p->client);
    em_conn_close(p->server);
    close(p->listen_fd);
}

/* Write raw bytes on a connection's socket, bypassing the framing. */
static void raw_write(em_conn *c, const void *data, size_t n)
{
    assert_int_equal(send(em_conn_fd(c), data, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* ---- addresses ------------------------------------------------------------------ */

static void test_parse_url(void **state)
{
    (void)state;
    char host[64];
    int port = 0;
    em_error err;
    assert_int_equal(em_net_parse_url("ember://node1:7077", host, sizeof(host), &port, &err), 0);
    assert_string_equal(host, "node1");
    assert_int_equal(port, 7077);
    assert_int_equal(em_net_parse_url("127.0.0.1:1", host, sizeof(host), &port, &err), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 1);
    assert_int_equal(em_net_parse_url("[::1]:8080", host, sizeof(host), &port, &err), 0);
    assert_string_equal(host, "::1");
    static const char *const bad[] = {"",           "node1", "node1:",    "node1:0", "h:70000",
                                      "ember://:5", "h:12x", "ember://h", ":7077"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(em_net_parse_url(bad[i], host, sizeof(host), &port, &err), EM_EINVAL);
        assert_non_null(strstr(err.message, "address"));
    }
    /* A host longer than the caller's buffer is refused, not truncated. */
    assert_int_equal(em_net_parse_url("averyveryverylonghostname:1", host, 8, &port, &err),
                     EM_EINVAL);
}

static void test_accept_connect_timeouts(void **state)
{
    (void)state;
    em_error err;
    int fd, port;
    assert_int_equal(em_net_listen("127.0.0.1", 0, &fd, &port, &err), 0);
    em_conn *c = NULL;
    double t0 = em_now_seconds();
    assert_int_equal(em_net_accept(fd, 50, &c, &err), EM_ETIMEOUT);
    assert_true(em_now_seconds() - t0 < 2.0);
    close(fd);
    /* Nobody listens there any more. */
    assert_int_equal(em_net_connect("127.0.0.1", port, 1000, &c, &err), EM_EIO);
    assert_non_null(strstr(err.message, "cannot connect"));
    /* Listening twice on one port fails with a message. */
    int fd1, fd2, p1;
    assert_int_equal(em_net_listen("127.0.0.1", 0, &fd1, &p1, &err), 0);
    assert_int_equal(em_net_listen("127.0.0.1", p1, &fd2, NULL, &err), EM_EIO);
    assert_non_null(strstr(err.message, "cannot listen"));
    close(fd1);
}

/* ---- frames ---------------------------------------------------------------------- */

typedef struct sender {
    em_conn *c;
    uint16_t type;
    const uint8_t *data;
    size_t len;
    int rc;
} sender;

static void *send_thread(void *arg)
{
    sender *s = arg;
    em_error err;
    s->rc = em_conn_send(s->c, s->type, s->data, s->len, 10000, &err);
    return NULL;
}

static void expect_frame(em_conn *c, uint16_t want_type, const uint8_t *want, size_t want_len)
{
    uint16_t type = 0;
    uint8_t *payload = NULL;
    size_t len = 0;
    em_error err;
    assert_int_equal(em_conn_recv(c, 10000, &type, &payload, &len, &err), 0);
    assert_int_equal(type, want_type);
    assert_int_equal(len, want_len);
    if (want_len == 0) {
        assert_null(payload);
    } else {
        assert_memory_equal(payload, want, want_len);
    }
    em_free(payload);
}

static void test_frames_round_trip(void **state)
{
    (void)state;
    pair p;
    pair_open(&p);
    assert_non_null(strstr(em_conn_peer(p.client), "127.0.0.1:"));
    em_error err;
    assert_int_equal(em_conn_send(p.client, 7, NULL, 0, 1000, &err), 0);
    assert_int_equal(em_conn_send(p.client, 65535, "hello", 5, 1000, &err), 0);
    assert_int_equal(em_conn_send(p.server, 300, "back", 4, 1000, &err), 0);
    expect_frame(p.server, 7, NULL, 0);
    expect_frame(p.server, 65535, (const uint8_t *)"hello", 5);
    expect_frame(p.client, 300, (const uint8_t *)"back", 4);

    /* Several megabytes need a sender thread: the socket buffers cannot hold them. */
    size_t big = (size_t)5 << 20;
    uint8_t *data = em_malloc(big);
    for (size_t i = 0; i < big; i++) data[i] = (uint8_t)(i * 131 + (i >> 13));
    sender s = {p.client, 1234, data, big, -1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_thread, &s), 0);
    expect_frame(p.server, 1234, data, big);
    pthread_join(t, NULL);
    assert_int_equal(s.rc, 0);
    em_free(data);
    pair_close(&p);
}

static void test_frame_limits(void **state)
{
    (void)state;
    pair p;
    pair_open(&p);
    em_error err;
    uint8_t buf[2048] = {0};
    /* The sender refuses a frame over its own limit without sending anything. */
    em_conn_set_max_frame(p.client, 1024);
    assert_int_equal(em_conn_send(p.client, 1, buf, 2000, 1000, &err), EM_EINVAL);
    assert_non_null(strstr(err.message, "exceeds the limit"));
    /* Exactly at the limit (the 2 type bytes count) goes through. */
    assert_int_equal(em_conn_send(p.client, 1, buf, 1022, 1000, &err), 0);
    em_conn_set_max_frame(p.server, 1024);
    expect_frame(p.server, 1, buf, 1022);
    /* An announced length over the receiver's limit fails at once. */
    uint8_t huge[6] = {0xff, 0xff, 0xff, 0xff, 0, 1};
    raw_write(p.client, huge, sizeof(huge));
    uint16_t type;
    uint8_t *payload = NULL;
    size_t len;
    assert_int_equal(em_conn_recv(p.server, 1000, &type, &payload, &len, &err), EM_EIO);
    assert_non_null(strstr(err.message, "exceed the limit"));
    assert_non_null(strstr(err.message, "127.0.0.1"));
    assert_null(payload);
    pair_close(&p);
}

static void test_frame_garbage(void **state)
{
    (void)state;
    em_error err;
    uint16_t type;
    uint8_t *payload = NULL;
    size_t len;
    {
        /* A length below 2 cannot even hold the type. */
        pair p;
        pair_open(&p);
        uint8_t one[5] = {0, 0, 0, 1, 9};
        raw_write(p.client, one, sizeof(one));
        assert_int_equal(em_conn_recv(p.server, 1000, &type, &payload, &len, &err), EM_EIO);
        assert_non_null(strstr(err.message, "below 2"));
        pair_close(&p);
    }
    {
        /* Text from some other protocol reads as an absurd length. */
        pair p;
        pair_open(&p);
        const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        raw_write(p.client, http, strlen(http));
        assert_int_equal(em_conn_recv(p.server, 1000, &type, &payload, &len, &err), EM_EIO);
        assert_non_null(strstr(err.message, "malformed frame"));
        pair_close(&p);
    }
    {
        /* Truncated inside the header, then the peer goes away. */
        pair p;
        pair_open(&p);
        uint8_t part[3] = {0, 0, 0};
        raw_write(p.client, part, sizeof(part));
        em_conn_close(p.client);
        p.client = NULL;
        assert_int_equal(em_conn_recv(p.server, 1000, &type, &payload, &len, &err), EM_EIO);
        assert_non_null(strstr(err.message, "closed"));
        pair_close(&p);
    }
    {
        /* Truncated inside the payload. */
        pair p;
        pair_open(&p);
        uint8_t part[10] = {0, 0, 0, 100, 0, 5, 'a', 'b', 'c', 'd'};
        raw_write(p.client, part, sizeof(part));
        em_conn_close(p.client);
        p.client = NULL;
        assert_int_equal(em_conn_recv(p.server, 1000, &type, &payload, &len, &err), EM_EIO);
        assert_non_null(strstr(err.message, "in the middle of a frame"));
        assert_null(payload);
        pair_close(&p);
    }
}

static void test_recv_timeout_resumes(void **state)
{
    (void)state;
    pair p;
    pair_open(&p);
    em_error err;
    uint16_t type;
    uint8_t *payload = NULL;
    size_t len;
    double t0 = em_now_seconds();
    assert_int_equal(em_conn_recv(p.server, 100, &type, &payload, &len, &err), EM_ETIMEOUT);
    double waited = em_now_seconds() - t0;
    assert_true(waited >= 0.09 && waited < 2.0);
    /* Half a frame, a timeout, then the rest: the frame arrives whole. */
    uint8_t head[8] = {0, 0, 0, 7, 0x12, 0x34, 'x', 'y'};
    raw_write(p.client, head, sizeof(head));
    assert_int_equal(em_conn_recv(p.server, 50, &type, &payload, &len, &err), EM_ETIMEOUT);
    raw_write(p.client, "zzz", 3);
    expect_frame(p.server, 0x1234, (const uint8_t *)"xyzzz", 5);
    pair_close(&p);
}

static void test_frame_reader(void **state)
{
    (void)state;
    /* Three frames fed one byte at a time come out whole and in order. */
    uint8_t stream[64];
    size_t n = 0;
    em_frame_header(stream + n, 5, 3);
    n += EM_WIRE_HEADER_BYTES;
    memcpy(stream + n, "abc", 3);
    n += 3;
    em_frame_header(stream + n, 6, 0);
    n += EM_WIRE_HEADER_BYTES;
    em_frame_header(stream + n, 7, 2);
    n += EM_WIRE_HEADER_BYTES;
    memcpy(stream + n, "de", 2);
    n += 2;
    em_frame_reader r;
    em_frame_reader_init(&r, 100);
    int got = 0;
    em_error err;
    for (size_t i = 0; i < n; i++) {
        em_frame_reader_feed(&r, stream + i, 1);
        uint16_t type;
        const uint8_t *p;
        size_t len;
        int rc;
        while ((rc = em_frame_reader_next(&r, &type, &p, &len, &err)) == 1) {
            if (got == 0) {
                assert_int_equal(type, 5);
                assert_int_equal(len, 3);
                assert_memory_equal(p, "abc", 3);
            } else if (got == 1) {
                assert_int_equal(type, 6);
                assert_int_equal(len, 0);
            } else {
                assert_int_equal(type, 7);
                assert_memory_equal(p, "de", 2);
            }
            got++;
        }
        assert_int_equal(rc, 0);
    }
    assert_int_equal(got, 3);
    /* An oversized length is refused as soon as its four bytes are in. */
    uint8_t bad[4] = {0, 0, 1, 0};
    em_frame_reader_feed(&r, bad, 4);
    uint16_t type;
    const uint8_t *p;
    size_t len;
    assert_int_equal(em_frame_reader_next(&r, &type, &p, &len, &err), EM_EIO);
    assert_non_null(strstr(err.message, "exceed the limit of 100"));
    em_frame_reader_release(&r);
    em_frame_reader_init(&r, 100);
    uint8_t small[4] = {0, 0, 0, 0};
    em_frame_reader_feed(&r, small, 4);
    assert_int_equal(em_frame_reader_next(&r, &type, &p, &len, &err), EM_EIO);
    em_frame_reader_release(&r);
}

/* ---- handshake ---------------------------------------------------------------------- */

typedef struct hs_server {
    em_conn *c;
    const char *secret;
    int timeout_ms;
    int rc;
    char role[EM_WIRE_MAX_ROLE + 1];
    em_error err;
} hs_server;

static void *server_thread(void *arg)
{
    hs_server *s = arg;
    s->rc =
        em_conn_handshake_server(s->c, s->secret, s->timeout_ms, s->role, sizeof(s->role), &s->err);
    return NULL;
}

/* Run a handshake between the pair's ends; returns the client's code. */
static int handshake(pair *p, hs_server *s, const char *server_secret, const char *role,
                     const char *client_secret, em_error *err)
{
    memset(s, 0, sizeof(*s));
    s->c = p->server;
    s->secret = server_secret;
    s->timeout_ms = 5000;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, server_thread, s), 0);
    int rc = em_conn_handshake_client(p->client, role, client_secret, 5000, err);
    pthread_join(t, NULL);
    return rc;
}

static void test_handshake_ok(void **state)
{
    (void)state;
    static const char *const secrets[] = {NULL, "", "s3cret", "a much longer secret phrase"};
    for (size_t i = 0; i < 4; i++) {
        pair p;
        pair_open(&p);
        hs_server s;
        em_error err;
        assert_int_equal(handshake(&p, &s, secrets[i], EM_ROLE_WORKER, secrets[i], &err), 0);
        assert_int_equal(s.rc, 0);
        assert_string_equal(s.role, "worker");
        /* The connection carries frames afterwards. */
        assert_int_equal(em_conn_send(p.client, 42, "after", 5, 1000, &err), 0);
        expect_frame(p.server, 42, (const uint8_t *)"after", 5);
        pair_close(&p);
    }
}

static void test_handshake_refusals(void **state)
{
    (void)state;
    struct {
        const char *server_secret;
        const char *client_secret;
        const char *server_says;
    } cases[] = {
        {"right", "wrong", "wrong secret"},
        {"right", NULL, "missing secret"},
        {NULL, "extra", "not set here"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pair p;
        pair_open(&p);
        hs_server s;
        em_error err;
        int rc =
            handshake(&p, &s, cases[i].server_secret, EM_ROLE_DRIVER, cases[i].client_secret, &err);
        assert_int_equal(rc, EM_EAUTH);
        assert_non_null(strstr(err.message, "authentication failed"));
        assert_non_null(strstr(err.message, cases[i].server_says));
        assert_int_equal(s.rc, EM_EAUTH);
        assert_non_null(strstr(s.err.message, cases[i].server_says));
        assert_non_null(strstr(s.err.message, "127.0.0.1:"));
        pair_close(&p);
    }
}

static void test_handshake_version_mismatch(void **state)
{
    (void)state;
    pair p;
    pair_open(&p);
    hs_server s = {.c = p.server, .secret = NULL, .timeout_ms = 5000};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, server_thread, &s), 0);
    /* A HELLO from a future version: magic, version 99, the rest as version 1 has it. */
    uint8_t hello[4 + 2 + 1 + EM_WIRE_NONCE_BYTES + 1 + 6] = {'E', 'M', 'B', 'R', 0, 99, 0};
    hello[4 + 2 + 1 + EM_WIRE_NONCE_BYTES] = 6;
    memcpy(hello + 4 + 2 + 1 + EM_WIRE_NONCE_BYTES + 1, "status", 6);
    em_error err;
    assert_int_equal(em_conn_send(p.client, EM_WIRE_MSG_HELLO, hello, sizeof(hello), 1000, &err),
                     0);
    uint16_t type;
    uint8_t *payload = NULL;
    size_t len;
    assert_int_equal(em_conn_recv(p.client, 5000, &type, &payload, &len, &err), 0);
    pthread_join(t, NULL);
    assert_int_equal(type, EM_WIRE_MSG_CHALLENGE);
    assert_true(len > 4);
    assert_int_equal(payload[2], 0); /* not accepted */
    em_free(payload);
    assert_int_equal(s.rc, EM_EAUTH);
    assert_non_null(strstr(s.err.message, "protocol version mismatch"));
    assert_non_null(strstr(s.err.message, "99"));
    pair_close(&p);

    /* The state machine answers the same to a client driving it by hand, and a
     * client machine refuses a challenge from another version. */
    em_handshake server, client;
    assert_int_equal(em_handshake_server_init(&server, NULL, "test", &err), 0);
    assert_int_equal(em_handshake_step(&server, EM_WIRE_MSG_HELLO, hello, sizeof(hello), &err),
                     EM_EAUTH);
    assert_true(server.has_out);
    assert_int_equal(server.out_type, EM_WIRE_MSG_CHALLENGE);
    assert_int_equal(em_handshake_client_init(&client, "status", NULL, "test", &err), 0);
    uint8_t challenge[2 + 1 + 1 + EM_WIRE_NONCE_BYTES + 2] = {0, 2, 1, 0};
    assert_int_equal(
        em_handshake_step(&client, EM_WIRE_MSG_CHALLENGE, challenge, sizeof(challenge), &err),
        EM_EAUTH);
    assert_non_null(strstr(err.message, "protocol version 2"));
}

static void test_handshake_bad_frames(void **state)
{
    (void)state;
    em_error err;
    em_handshake h;
    /* Something other than HELLO first. */
    assert_int_equal(em_handshake_server_init(&h, "x", "peer", &err), 0);
    assert_int_equal(em_handshake_step(&h, 77, (const uint8_t *)"", 0, &err), EM_EIO);
    assert_non_null(strstr(err.message, "expects type 1"));
    /* Bad magic, truncation, trailing bytes, an invalid role. */
    uint8_t hello[4 + 2 + 1 + EM_WIRE_NONCE_BYTES + 1 + 6] = {'E', 'M', 'B', 'R', 0, 1, 0};
    hello[4 + 2 + 1 + EM_WIRE_NONCE_BYTES] = 6;
    memcpy(hello + 4 + 2 + 1 + EM_WIRE_NONCE_BYTES + 1, "driver", 6);
    uint8_t copy[sizeof(hello) + 1];
    memcpy(copy, hello, sizeof(hello));
    copy[0] = 'X';
    assert_int_equal(em_handshake_server_init(&h, NULL, "peer", &err), 0);
    assert_int_equal(em_handshake_step(&h, EM_WIRE_MSG_HELLO, copy, sizeof(hello), &err), EM_EAUTH);
    assert_non_null(strstr(err.message, "bad magic"));
    for (size_t cut = 0; cut < sizeof(hello); cut++) {
        assert_int_equal(em_handshake_server_init(&h, NULL, "peer", &err), 0);
        assert_int_equal(em_handshake_step(&h, EM_WIRE_MSG_HELLO, hello, cut, &err), EM_EAUTH);
    }
    memcpy(copy, hello, sizeof(hello));
    copy[sizeof(hello)] = 0;
    assert_int_equal(em_handshake_server_init(&h, NULL, "peer", &err), 0);
    assert_int_equal(em_handshake_step(&h, EM_WIRE_MSG_HELLO, copy, sizeof(copy), &err), EM_EAUTH);
    memcpy(copy, hello, sizeof(hello));
    copy[sizeof(hello) - 1] = '/';
    assert_int_equal(em_handshake_server_init(&h, NULL, "peer", &err), 0);
    assert_int_equal(em_handshake_step(&h, EM_WIRE_MSG_HELLO, copy, sizeof(hello), &err), EM_EAUTH);
    assert_non_null(strstr(err.message, "invalid role"));
    /* The same HELLO, intact, is accepted. */
    assert_int_equal(em_handshake_server_init(&h, NULL, "peer", &err), 0);
    assert_int_equal(em_handshake_step(&h, EM_WIRE_MSG_HELLO, hello, sizeof(hello), &err), 1);
    assert_int_equal(em_handshake_client_init(&h, "Not A Role", NULL, "peer", &err), EM_EINVAL);
}

/* A server that does not know the secret cannot fake the WELCOME. */
static void test_handshake_impostor(void **state)
{
    (void)state;
    em_error err;
    em_handshake client, server;
    assert_int_equal(em_handshake_client_init(&client, "driver", "real", "peer", &err), 0);
    assert_int_equal(em_handshake_server_init(&server, "guess", "peer", &err), 0);
    assert_int_equal(em_handshake_step(&server, client.out_type, client.out, client.out_len, &err),
                     1);
    assert_int_equal(em_handshake_step(&client, server.out_type, server.out, server.out_len, &err),
                     1);
    /* The impostor never checks the proof; it just answers WELCOME with its own MAC. */
    uint8_t welcome[1 + 1 + EM_WIRE_MAC_BYTES + 2] = {1, EM_WIRE_MAC_BYTES};
    memset(welcome + 2, 0xab, EM_WIRE_MAC_BYTES);
    assert_int_equal(
        em_handshake_step(&client, EM_WIRE_MSG_WELCOME, welcome, sizeof(welcome), &err), EM_EAUTH);
    assert_non_null(strstr(err.message, "did not prove"));
}

static void *silent_client_thread(void *arg)
{
    (void)arg;
    /* Connected, never says a word, until the server has given up. */
    struct timespec ts = {0, 400 * 1000000L};
    nanosleep(&ts, NULL);
    return NULL;
}

static void test_handshake_timeouts(void **state)
{
    (void)state;
    pair p;
    pair_open(&p);
    em_error err;
    /* A client whose server never answers. */
    double t0 = em_now_seconds();
    assert_int_equal(em_conn_handshake_client(p.client, "driver", NULL, 150, &err), EM_ETIMEOUT);
    assert_true(em_now_seconds() - t0 < 3.0);
    assert_non_null(strstr(err.message, "timed out"));
    pair_close(&p);
    /* A server whose client never speaks. */
    pair_open(&p);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, silent_client_thread, &p), 0);
    char role[EM_WIRE_MAX_ROLE + 1];
    t0 = em_now_seconds();
    assert_int_equal(em_conn_handshake_server(p.server, "s", 150, role, sizeof(role), &err),
                     EM_ETIMEOUT);
    assert_true(em_now_seconds() - t0 < 3.0);
    pthread_join(t, NULL);
    pair_close(&p);
}

int main(void)
{
    /* The refusals are logged at warn level; the tests check err instead. */
    em_log_set_level(EM_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_url),
        cmocka_unit_test(test_accept_connect_timeouts),
        cmocka_unit_test(test_frames_round_trip),
        cmocka_unit_test(test_frame_limits),
        cmocka_unit_test(test_frame_garbage),
        cmocka_unit_test(test_recv_timeout_resumes),
        cmocka_unit_test(test_frame_reader),
        cmocka_unit_test(test_handshake_ok),
        cmocka_unit_test(test_handshake_refusals),
        cmocka_unit_test(test_handshake_version_mismatch),
        cmocka_unit_test(test_handshake_bad_frames),
        cmocka_unit_test(test_handshake_impostor),
        cmocka_unit_test(test_handshake_timeouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
