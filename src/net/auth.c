/*
 * auth.c — the handshake every ember connection starts with (wire.h): protocol
 * version check and mutual proof of the shared secret by HMAC-SHA256 over fresh
 * nonces, as a state machine that event loops drive frame by frame (the blocking
 * versions for threads are in wire.c).
 *
 * The four handshake frames have a fixed binary layout (integers big-endian) so
 * that the magic and the version can be read whatever a future version changes
 * after them:
 *   HELLO      "EMBR" | u16 version | u8 flags | nonce[32] | u8 role_len | role
 *   CHALLENGE  u16 version | u8 accepted | u8 flags | nonce[32] | u16 reason_len | reason
 *   PROOF      u8 mac_len | mac            (mac_len 0 without a secret, else 32)
 *   WELCOME    u8 accepted | u8 mac_len | mac | u16 reason_len | reason
 * flags bit 0 says the sender has a secret. Both proofs bind the other side's
 * nonce, so a recorded exchange cannot be replayed, and the client's proof binds
 * its role, so a proof made for one role cannot be used for another.
 */
#include "net/wire.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

enum {
    HS_CLIENT_WAIT_CHALLENGE = 1,
    HS_CLIENT_WAIT_WELCOME,
    HS_SERVER_WAIT_HELLO,
    HS_SERVER_WAIT_PROOF,
    HS_DONE,
    HS_FAILED,
};

#define FLAG_HAS_SECRET 1u
#define MAX_REASON 400

static const uint8_t MAGIC[4] = {'E', 'M', 'B', 'R'};

static bool has_secret(const char *s)
{
    return s != NULL && s[0] != '\0';
}

static bool valid_role(const char *r, size_t n)
{
    if (n == 0 || n > EM_WIRE_MAX_ROLE) return false;
    for (size_t i = 0; i < n; i++) {
        char c = r[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

/* ---- byte writing into h->out ------------------------------------------------ */

static void out_begin(em_handshake *h, uint16_t type)
{
    h->has_out = true;
    h->out_type = type;
    h->out_len = 0;
}

static void out_bytes(em_handshake *h, const void *p, size_t n)
{
    /* Every frame built here is bounded well below the buffer by construction. */
    if (n > sizeof(h->out) - h->out_len) n = sizeof(h->out) - h->out_len;
    memcpy(h->out + h->out_len, p, n);
    h->out_len += n;
}

static void out_u8(em_handshake *h, unsigned v)
{
    uint8_t b = (uint8_t)v;
    out_bytes(h, &b, 1);
}

static void out_u16(em_handshake *h, unsigned v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    out_bytes(h, b, 2);
}

static void out_reason(em_handshake *h, const char *reason)
{
    size_t n = strlen(reason);
    if (n > MAX_REASON) n = MAX_REASON;
    out_u16(h, (unsigned)n);
    out_bytes(h, reason, n);
}

/* ---- byte reading ------------------------------------------------------------ */

typedef struct rd {
    const uint8_t *p;
    size_t left;
    bool bad;
} rd;

static const uint8_t *rd_take(rd *r, size_t n)
{
    if (r->bad || r->left < n) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

static unsigned rd_u8(rd *r)
{
    const uint8_t *p = rd_take(r, 1);
    return p != NULL ? p[0] : 0;
}

static unsigned rd_u16(rd *r)
{
    const uint8_t *p = rd_take(r, 2);
    return p != NULL ? (unsigned)(p[0] << 8 | p[1]) : 0;
}

/* A length-prefixed reason, copied as printable text. */
static void rd_reason(rd *r, char *out, size_t cap)
{
    unsigned n = rd_u16(r);
    const uint8_t *p = rd_take(r, n);
    size_t k = 0;
    if (p != NULL) {
        for (unsigned i = 0; i < n && k + 1 < cap; i++) {
            out[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
        }
    }
    out[k] = '\0';
}

/* ---- MACs ---------------------------------------------------------------------- */

/* HMAC-SHA256(secret, label | nonce | extra). */
static int compute_mac(const char *secret, const char *label, const uint8_t *nonce,
                       const char *extra, uint8_t mac[EM_WIRE_MAC_BYTES], em_error *err)
{
    uint8_t msg[16 + EM_WIRE_NONCE_BYTES + EM_WIRE_MAX_ROLE];
    size_t n = 0;
    size_t ll = strlen(label);
    memcpy(msg + n, label, ll);
    n += ll;
    memcpy(msg + n, nonce, EM_WIRE_NONCE_BYTES);
    n += EM_WIRE_NONCE_BYTES;
    if (extra != NULL) {
        size_t el = strlen(extra);
        memcpy(msg + n, extra, el);
        n += el;
    }
    unsigned int mlen = 0;
    if (HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, n, mac, &mlen) == NULL ||
        mlen != EM_WIRE_MAC_BYTES) {
        return em_error_set(err, EM_EINTERNAL, "HMAC-SHA256 failed");
    }
    return 0;
}

static int fresh_nonce(uint8_t *nonce, em_error *err)
{
    if (RAND_bytes(nonce, EM_WIRE_NONCE_BYTES) != 1) {
        return em_error_set(err, EM_EINTERNAL, "cannot draw random bytes for a nonce");
    }
    return 0;
}

/* ---- the state machine ------------------------------------------------------------ */

static void init_common(em_handshake *h, bool server, const char *secret, const char *peer)
{
    memset(h, 0, sizeof(*h));
    h->server = server;
    h->secret = has_secret(secret) ? secret : NULL;
    snprintf(h->peer, sizeof(h->peer), "%s", peer != NULL ? peer : "?");
}

int em_handshake_client_init(em_handshake *h, const char *role, const char *secret,
                             const char *peer, em_error *err)
{
    init_common(h, false, secret, peer);
    size_t rl = role != NULL ? strlen(role) : 0;
    if (!valid_role(role, rl)) {
        h->state = HS_FAILED;
        return em_error_set(err, EM_EINVAL, "invalid connection role '%s'", role ? role : "");
    }
    memcpy(h->role, role, rl + 1);
    EM_TRY(fresh_nonce(h->nonce, err));
    out_begin(h, EM_WIRE_MSG_HELLO);
    out_bytes(h, MAGIC, 4);
    out_u16(h, EM_WIRE_PROTOCOL_VERSION);
    out_u8(h, h->secret != NULL ? FLAG_HAS_SECRET : 0);
    out_bytes(h, h->nonce, EM_WIRE_NONCE_BYTES);
    out_u8(h, (unsigned)rl);
    out_bytes(h, role, rl);
    h->state = HS_CLIENT_WAIT_CHALLENGE;
    return 0;
}

int em_handshake_server_init(em_handshake *h, const char *secret, const char *peer, em_error *err)
{
    init_common(h, true, secret, peer);
    EM_TRY(fresh_nonce(h->nonce, err));
    h->state = HS_SERVER_WAIT_HELLO;
    return 0;
}

/* A server's refusals: the reason goes into the reply frame and, with the peer and
 * the role when known, into err for the log. */
static int refuse_in_challenge(em_handshake *h, const char *reason, em_error *err)
{
    out_begin(h, EM_WIRE_MSG_CHALLENGE);
    out_u16(h, EM_WIRE_PROTOCOL_VERSION);
    out_u8(h, 0);
    out_u8(h, h->secret != NULL ? FLAG_HAS_SECRET : 0);
    out_bytes(h, h->nonce, EM_WIRE_NONCE_BYTES);
    out_reason(h, reason);
    h->state = HS_FAILED;
    em_error_set(err, EM_EAUTH, "refused connection from %s%s%s%s: %s", h->peer,
                 h->role[0] ? " (role " : "", h->role, h->role[0] ? ")" : "", reason);
    return EM_EAUTH;
}

static int refuse_in_welcome(em_handshake *h, const char *reason, em_error *err)
{
    out_begin(h, EM_WIRE_MSG_WELCOME);
    out_u8(h, 0);
    out_u8(h, 0);
    out_reason(h, reason);
    h->state = HS_FAILED;
    em_error_set(err, EM_EAUTH, "refused connection from %s (role %s): %s", h->peer, h->role,
                 reason);
    return EM_EAUTH;
}

static int server_on_hello(em_handshake *h, const uint8_t *payload, size_t len, em_error *err)
{
    rd r = {payload, len, false};
    const uint8_t *magic = rd_take(&r, 4);
    if (magic == NULL || memcmp(magic, MAGIC, 4) != 0) {
        return refuse_in_challenge(h, "not an ember peer (bad magic in HELLO)", err);
    }
    unsigned version = rd_u16(&r);
    if (r.bad) return refuse_in_challenge(h, "truncated HELLO", err);
    if (version != EM_WIRE_PROTOCOL_VERSION) {
        char reason[128];
        snprintf(reason, sizeof(reason),
                 "protocol version mismatch: the client speaks %u, this side speaks %u", version,
                 (unsigned)EM_WIRE_PROTOCOL_VERSION);
        return refuse_in_challenge(h, reason, err);
    }
    unsigned flags = rd_u8(&r);
    const uint8_t *nonce = rd_take(&r, EM_WIRE_NONCE_BYTES);
    unsigned rl = rd_u8(&r);
    const uint8_t *role = rd_take(&r, rl);
    if (r.bad || r.left != 0) return refuse_in_challenge(h, "malformed HELLO", err);
    if (!valid_role((const char *)role, rl)) {
        return refuse_in_challenge(h, "malformed HELLO (invalid role)", err);
    }
    memcpy(h->role, role, rl);
    h->role[rl] = '\0';
    memcpy(h->peer_nonce, nonce, EM_WIRE_NONCE_BYTES);
    bool client_secret = (flags & FLAG_HAS_SECRET) != 0;
    if (h->secret != NULL && !client_secret) {
        return refuse_in_challenge(
            h, "missing secret: ember.authenticate.secret is set here but the client has none",
            err);
    }
    if (h->secret == NULL && client_secret) {
        return refuse_in_challenge(
            h, "the client has a secret but ember.authenticate.secret is not set here", err);
    }
    out_begin(h, EM_WIRE_MSG_CHALLENGE);
    out_u16(h, EM_WIRE_PROTOCOL_VERSION);
    out_u8(h, 1);
    out_u8(h, h->secret != NULL ? FLAG_HAS_SECRET : 0);
    out_bytes(h, h->nonce, EM_WIRE_NONCE_BYTES);
    out_reason(h, "");
    h->state = HS_SERVER_WAIT_PROOF;
    return 1;
}

static int server_on_proof(em_handshake *h, const uint8_t *payload, size_t len, em_error *err)
{
    rd r = {payload, len, false};
    unsigned ml = rd_u8(&r);
    const uint8_t *mac = rd_take(&r, ml);
    if (r.bad || r.left != 0) return refuse_in_welcome(h, "malformed PROOF", err);
    uint8_t mine[EM_WIRE_MAC_BYTES];
    if (h->secret == NULL) {
        if (ml != 0) return refuse_in_welcome(h, "unexpected proof without a secret", err);
    } else {
        uint8_t want[EM_WIRE_MAC_BYTES];
        EM_TRY(compute_mac(h->secret, "client", h->nonce, h->role, want, err));
        if (ml != EM_WIRE_MAC_BYTES || CRYPTO_memcmp(mac, want, EM_WIRE_MAC_BYTES) != 0) {
            return refuse_in_welcome(h, "wrong secret (the client's proof did not match)", err);
        }
        EM_TRY(compute_mac(h->secret, "server", h->peer_nonce, NULL, mine, err));
    }
    out_begin(h, EM_WIRE_MSG_WELCOME);
    out_u8(h, 1);
    out_u8(h, h->secret != NULL ? EM_WIRE_MAC_BYTES : 0);
    if (h->secret != NULL) out_bytes(h, mine, EM_WIRE_MAC_BYTES);
    out_reason(h, "");
    h->state = HS_DONE;
    return 0;
}

static int client_fail(em_handshake *h, em_error *err, const char *fmt, const char *detail)
{
    h->state = HS_FAILED;
    h->has_out = false;
    char msg[600];
    snprintf(msg, sizeof(msg), fmt, detail);
    return em_error_set(err, EM_EAUTH, "authentication failed: %s %s", h->peer, msg);
}

static int client_on_challenge(em_handshake *h, const uint8_t *payload, size_t len, em_error *err)
{
    rd r = {payload, len, false};
    unsigned version = rd_u16(&r);
    unsigned accepted = rd_u8(&r);
    unsigned flags = rd_u8(&r);
    const uint8_t *nonce = rd_take(&r, EM_WIRE_NONCE_BYTES);
    char reason[MAX_REASON + 1];
    rd_reason(&r, reason, sizeof(reason));
    if (r.bad || r.left != 0) return client_fail(h, err, "sent a malformed CHALLENGE%s", "");
    if (!accepted) return client_fail(h, err, "refused the connection: %s", reason);
    if (version != EM_WIRE_PROTOCOL_VERSION) {
        char v[96];
        snprintf(v, sizeof(v), "%u, this side speaks %u", version,
                 (unsigned)EM_WIRE_PROTOCOL_VERSION);
        return client_fail(h, err, "speaks protocol version %s", v);
    }
    bool server_secret = (flags & FLAG_HAS_SECRET) != 0;
    if (server_secret != (h->secret != NULL)) {
        return client_fail(h, err, "%s",
                           server_secret ? "requires a secret and this side has none"
                                         : "does not authenticate but this side has a secret");
    }
    memcpy(h->peer_nonce, nonce, EM_WIRE_NONCE_BYTES);
    out_begin(h, EM_WIRE_MSG_PROOF);
    if (h->secret != NULL) {
        uint8_t mac[EM_WIRE_MAC_BYTES];
        EM_TRY(compute_mac(h->secret, "client", h->peer_nonce, h->role, mac, err));
        out_u8(h, EM_WIRE_MAC_BYTES);
        out_bytes(h, mac, EM_WIRE_MAC_BYTES);
    } else {
        out_u8(h, 0);
    }
    h->state = HS_CLIENT_WAIT_WELCOME;
    return 1;
}

static int client_on_welcome(em_handshake *h, const uint8_t *payload, size_t len, em_error *err)
{
    rd r = {payload, len, false};
    unsigned accepted = rd_u8(&r);
    unsigned ml = rd_u8(&r);
    const uint8_t *mac = rd_take(&r, ml);
    char reason[MAX_REASON + 1];
    rd_reason(&r, reason, sizeof(reason));
    if (r.bad || r.left != 0) return client_fail(h, err, "sent a malformed WELCOME%s", "");
    if (!accepted) return client_fail(h, err, "refused the connection: %s", reason);
    h->has_out = false;
    if (h->secret != NULL) {
        uint8_t want[EM_WIRE_MAC_BYTES];
        EM_TRY(compute_mac(h->secret, "server", h->nonce, NULL, want, err));
        if (ml != EM_WIRE_MAC_BYTES || CRYPTO_memcmp(mac, want, EM_WIRE_MAC_BYTES) != 0) {
            return client_fail(h, err, "did not prove that it knows the secret%s", "");
        }
    } else if (ml != 0) {
        return client_fail(h, err, "sent a proof although no secret is configured%s", "");
    }
    h->state = HS_DONE;
    return 0;
}

int em_handshake_step(em_handshake *h, uint16_t type, const uint8_t *payload, size_t len,
                      em_error *err)
{
    h->has_out = false;
    uint16_t want = 0;
    switch (h->state) {
    case HS_CLIENT_WAIT_CHALLENGE:
        want = EM_WIRE_MSG_CHALLENGE;
        break;
    case HS_CLIENT_WAIT_WELCOME:
        want = EM_WIRE_MSG_WELCOME;
        break;
    case HS_SERVER_WAIT_HELLO:
        want = EM_WIRE_MSG_HELLO;
        break;
    case HS_SERVER_WAIT_PROOF:
        want = EM_WIRE_MSG_PROOF;
        break;
    default:
        return em_error_set(err, EM_EINTERNAL, "handshake with %s stepped after it ended", h->peer);
    }
    if (type != want) {
        h->state = HS_FAILED;
        return em_error_set(err, EM_EIO,
                            "protocol error from %s: frame of type %u where the handshake "
                            "expects type %u",
                            h->peer, (unsigned)type, (unsigned)want);
    }
    switch (h->state) {
    case HS_CLIENT_WAIT_CHALLENGE:
        return client_on_challenge(h, payload, len, err);
    case HS_CLIENT_WAIT_WELCOME:
        return client_on_welcome(h, payload, len, err);
    case HS_SERVER_WAIT_HELLO:
        return server_on_hello(h, payload, len, err);
    default:
        return server_on_proof(h, payload, len, err);
    }
}
