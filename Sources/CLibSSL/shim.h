#ifndef MODELCTL_CLIBSSL_SHIM_H
#define MODELCTL_CLIBSSL_SHIM_H
// The part of OpenSSL libssl that HTTPSupport uses: a TLS client over memory BIOs, so the
// socket stays ours (its deadline, MSG_NOSIGNAL) and OpenSSL only encrypts and decrypts.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

// Function-like macros, which Swift does not import.
static inline int modelctl_ssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline int modelctl_ssl_ctx_require_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}
static inline void modelctl_ssl_ctx_ignore_unexpected_eof(SSL_CTX *ctx) {
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
}
static inline void modelctl_bio_set_eof_at_empty(BIO *bio) {
    (void)BIO_set_mem_eof_return(bio, 0);
}
#endif
