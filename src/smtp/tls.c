/*
 * smtp/tls.c - TLS for relay connections (RFC 3207 STARTTLS, RFC 8314 implicit TLS)
 *
 * Owns: the OpenSSL client context (TLS 1.2 or later; the relay's
 * certificate checked against the system store or a CA file, and its name
 * or IP address checked, RFC 6125) and the non-blocking handshake.
 * Does not own: when to start TLS (smtp/session.c) or the record I/O after
 * the handshake (smtp/io.c).
 */
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>

#include "smtp_internal.h"

SSL_CTX *
smtp_tls_ctx(const char *ca_file, int verify, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "TLS: cannot create a context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* SSL_write may then write part of a buffer and be called again with
	   the rest from wherever it lives: how io.c writes messages */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (!verify) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return ctx;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1
		    : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "TLS: cannot load CA certificates%s%s", ca_file ? " from " : "",
			 ca_file ? ca_file : "");
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	return ctx;
}

/* expect_name - the certificate must name the host we were told to reach */
static int
expect_name(SSL *ssl, const char *host)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
	/* SNI, so a relay with several names presents the right certificate */
	SSL_set_tlsext_host_name(ssl, host);
	return SSL_set1_host(ssl, host) == 1;
}

int
smtp_tls_start(struct smtp_conn *c, char *err, size_t errlen)
{
	c->ssl = SSL_new(c->relay->tls);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    (c->relay->url.verify && !expect_name(c->ssl, c->relay->url.host))) {
		snprintf(err, errlen, "TLS: cannot set up the connection");
		ERR_clear_error();
		return NF_ERR_IO;
	}
	SSL_set_connect_state(c->ssl);
	return smtp_tls_handshake(c, err, errlen);
}

/* why - the most useful words for a failed handshake */
static void
why(struct smtp_conn *c, int ret, char *err, size_t errlen)
{
	long v = SSL_get_verify_result(c->ssl);
	unsigned long e = ERR_peek_error();
	const char *peer = c->relay->url.host;

	if (v != X509_V_OK)
		snprintf(err, errlen, "TLS handshake with %s failed: certificate verify failed (%s)",
			 peer, X509_verify_cert_error_string(v));
	else if (e)
		snprintf(err, errlen, "TLS handshake with %s failed: %s", peer,
			 ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "error");
	else
		snprintf(err, errlen, "TLS handshake with %s failed: connection closed%s", peer,
			 ret < 0 ? " (I/O error)" : "");
	ERR_clear_error();
}

int
smtp_tls_handshake(struct smtp_conn *c, char *err, size_t errlen)
{
	int ret;

	ERR_clear_error();
	ret = SSL_do_handshake(c->ssl);
	if (ret == 1) {
		c->tls_on = 1;
		return NF_OK;
	}
	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		smtp_io_watch(c, SMTP_EV_READ);
		return SMTP_NEED_MORE;
	case SSL_ERROR_WANT_WRITE:
		smtp_io_watch(c, SMTP_EV_WRITE);
		return SMTP_NEED_MORE;
	default:
		why(c, ret, err, errlen);
		return NF_ERR_IO;
	}
}
