/*
 * tests for mail/dkim.c and dkimkey.c: the RFC 8463 Appendix A signatures
 * reproduced exactly (read in place from shared/testdata/dkim, skipped and
 * counted when absent), key records, key checks, over-signing.
 */
#include <stdlib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mail/mail.h"
#include "mailtest.h"
#include "../../harness.h"

static char *
vector(const char *rel, size_t *len)
{
	char path[1024];
	char *raw, *crlf;
	size_t n;

	snprintf(path, sizeof(path), "%s/dkim/%s", test_data_dir(), rel);
	raw = test_read_file(path, &n);
	if (raw == NULL)
		return NULL;
	crlf = mt_crlf(raw, n, len);
	free(raw);
	return crlf;
}

/* the value of tag t in a DKIM-Signature field, white space removed */
static void
tag_value(const char *field, size_t n, const char *t, struct buf *out)
{
	size_t i = 0, tl = strlen(t);

	buf_reset(out);
	buf_puts(out, "");
	while (i < n) {
		/* a tag starts after "; " or at the field's start past the colon */
		while (i < n && (field[i] == ' ' || field[i] == '\t' || field[i] == '\r' || field[i] == '\n'))
			i++;
		if (i + tl + 1 <= n && !memcmp(field + i, t, tl) && field[i + tl] == '=') {
			for (i += tl + 1; i < n && field[i] != ';'; i++)
				if (field[i] != ' ' && field[i] != '\t' && field[i] != '\r' && field[i] != '\n')
					buf_putc(out, field[i]);
			return;
		}
		while (i < n && field[i] != ';' && field[i] != ':')
			i++;
		i++;
	}
}

/* the field cut just after its "b=" tag: the prefix the signer gets */
static size_t
prefix_len(const char *field, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i++)
		if ((field[i] == ' ' || field[i] == ';') && field[i + 1] == 'b' && field[i + 2] == '=')
			return i + 3;
	return 0;
}

static void
check_rfc8463(const char *name, unsigned nth_from_bottom, const char *keyfile,
	      const char *selector)
{
	char *signed_msg, *msg, *key, *names[16], *hcopy, *h;
	size_t slen, mlen, klen, hlen, body, flen, nn = 0, plen;
	struct mail_dkim_key *k = NULL;
	struct buf want_b, got_b, out, hval, bh64;
	unsigned char bh[32];
	const char *field;

	signed_msg = vector("stalwart-mail-auth/001.txt", &slen);
	msg = vector("dkimpy/rfc6376.msg", &mlen);
	key = vector(keyfile, &klen);
	if (!signed_msg || !msg || !key) {
		test_case_skipped(name, "shared/testdata/dkim vectors absent");
		free(signed_msg), free(msg), free(key);
		return;
	}
	buf_init(&want_b, 0), buf_init(&got_b, 0), buf_init(&out, 0);
	buf_init(&hval, 0), buf_init(&bh64, 0);
	/* 001.txt: two DNS lines, an empty line, then the signed message */
	{
		char *start = strstr(signed_msg, "\r\n\r\n") + 4;

		mail_msg_split(start, slen - (size_t)(start - signed_msg), &hlen, &body);
		mail_msg_header_find(start, hlen, "dkim-signature", nth_from_bottom, &field, &flen);
	}
	tag_value(field, flen, "b", &want_b);
	tag_value(field, flen, "h", &hval);
	hcopy = xstrdup(hval.data);
	for (h = strtok(hcopy, ":"); h && nn < 16; h = strtok(NULL, ":"))
		names[nn++] = h;
	plen = prefix_len(field, flen);
	/* the body hash of the unsigned message is the published bh= */
	mail_msg_split(msg, mlen, &hlen, &body);
	mail_dkim_body_hash(msg + body, mlen - body, bh);
	base64_encode(&bh64, bh, 32);
	tag_value(field, flen, "bh", &hval);
	if (mail_dkim_key_parse(key, klen, "football.example.com", selector, &k) != NF_OK ||
	    strcmp(bh64.data, hval.data) != 0 || plen == 0 ||
	    mail_dkim_sign_prefixed(k, msg, mlen, (const char *const *)names, nn,
				    field, plen, &out) != NF_OK) {
		test_case_result(name, 0, "could not sign");
	} else {
		tag_value(out.data, out.len, "b", &got_b);
		test_case_result(name, strcmp(got_b.data, want_b.data) == 0 &&
					       mt_longest_line(out.data, out.len) <= 78,
				 got_b.data);
	}
	mail_dkim_key_free(k);
	free(hcopy), free(signed_msg), free(msg), free(key);
	buf_free(&want_b), buf_free(&got_b), buf_free(&out), buf_free(&hval), buf_free(&bh64);
}

/* RFC 8463 Appendix A.3: both signatures, byte for byte */
TEST(dkim_rfc8463_vectors)
{
	check_rfc8463("rfc8463 A.3 ed25519-sha256", 1, "dkimpy/rfc8032_7_1.key", "brisbane");
	check_rfc8463("rfc8463 A.3 rsa-sha256", 0, "dkimpy/test.private", "test");
}

/* the TXT records of the vector keys are the ones RFC 8463 A.2 publishes */
TEST(dkim_key_records)
{
	static const struct { const char *key, *want; } cases[] = {
		{ "dkimpy/rfc8032_7_1.key",
		  "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" },
		{ "dkimpy/test.private",
		  "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5"
		  "qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3"
		  "rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB" },
	};
	struct mail_dkim_key *k;
	struct buf rec;
	size_t i, n;
	char *text;

	for (i = 0; i < NF_ARRAY_LEN(cases); i++) {
		text = vector(cases[i].key, &n);
		if (text == NULL) {
			test_case_skipped(cases[i].key, "shared/testdata/dkim absent");
			continue;
		}
		buf_init(&rec, 0);
		test_case_result(cases[i].key,
				 mail_dkim_key_parse(text, n, "example.com", "s", &k) == NF_OK &&
					 mail_dkim_key_record(k, &rec) == NF_OK &&
					 strcmp(rec.data, cases[i].want) == 0,
				 rec.data);
		mail_dkim_key_free(k);
		buf_free(&rec);
		free(text);
	}
}

TEST(dkim_bad_keys_rejected)
{
	struct mail_dkim_key *k = (struct mail_dkim_key *)1;
	EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512);
	struct buf pem;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;

	CHECK_INT(mail_dkim_key_parse("garbage", 7, "example.com", "s", &k), NF_ERR_INVALID);
	CHECK(k == NULL);
	CHECK_INT(mail_dkim_key_parse("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
				      58, "example.com", "s", &k), NF_ERR_INVALID);
	/* RFC 8301 3.2: no signing with fewer than 1024 bits */
	PEM_write_bio_PrivateKey(bio, weak, NULL, NULL, 0, NULL, NULL);
	len = BIO_get_mem_data(bio, &data);
	CHECK_INT(mail_dkim_key_parse(data, (size_t)len, "example.com", "s", &k), NF_ERR_INVALID);
	BIO_free(bio);
	EVP_PKEY_free(weak);
	/* d= and s= end up in a header: nothing but DNS name characters */
	buf_init(&pem, 0);
	CHECK_INT(mail_dkim_keygen(MAIL_DKIM_ED25519_SHA256, 0, &pem), NF_OK);
	CHECK_INT(mail_dkim_key_parse(pem.data, pem.len, "exa;mple.com", "s", &k), NF_ERR_INVALID);
	CHECK_INT(mail_dkim_key_parse(pem.data, pem.len, "example.com", "s\r\nX: y", &k), NF_ERR_INVALID);
	CHECK_INT(mail_dkim_key_load("/nonexistent/key", "example.com", "s", &k), NF_ERR_IO);
	CHECK_INT(mail_dkim_keygen(MAIL_DKIM_RSA_SHA256, 512, &pem), NF_ERR_INVALID);
	buf_free(&pem);
}

/* verify a signature with OpenSSL from the published record, as a receiver would */
static int
verify_with_record(const char *record, const unsigned char hash[32],
		   const unsigned char *sig, size_t siglen, int ed)
{
	const char *p = strstr(record, "p=") + 2;
	struct buf der;
	EVP_PKEY *pub;
	int ok = 0;

	buf_init(&der, 0);
	base64_decode(&der, p, strlen(p));
	if (ed) {
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
						  (unsigned char *)der.data, der.len);
		ok = pub && EVP_DigestVerifyInit(c, NULL, NULL, NULL, pub) == 1 &&
		     EVP_DigestVerify(c, sig, siglen, hash, 32) == 1;
		EVP_MD_CTX_free(c);
	} else {
		const unsigned char *d = (unsigned char *)der.data;
		EVP_PKEY_CTX *c;

		pub = d2i_PUBKEY(NULL, &d, (long)der.len);
		c = EVP_PKEY_CTX_new(pub, NULL);
		ok = pub && EVP_PKEY_verify_init(c) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1 &&
		     EVP_PKEY_verify(c, sig, siglen, hash, 32) == 1;
		EVP_PKEY_CTX_free(c);
	}
	EVP_PKEY_free(pub);
	buf_free(&der);
	return ok;
}

/*
 * a fresh key signs a message over our h= list; rebuilding the signed data
 * by hand (RFC 6376 3.7) and checking b= against the record proves the
 * pieces fit. The over-signed From covers a From added later: it must not
 * be among the hashed fields.
 */
TEST(dkim_sign_fresh_keys)
{
	const char *msg = "From: A <a@example.com>\r\nTo: b@example.org\r\nSubject: hi\r\n"
			  "Date: Sun, 29 Nov 2026 03:10:06 +0000\r\n\r\nbody\r\n";
	enum mail_dkim_alg algs[2] = { MAIL_DKIM_RSA_SHA256, MAIL_DKIM_ED25519_SHA256 };
	int i;

	for (i = 0; i < 2; i++) {
		struct buf pem, rec, sig, data, b, hv;
		struct mail_dkim_key *k;
		unsigned char hash[32];
		const char *f;
		size_t flen, j, hl, bo;

		buf_init(&pem, 0), buf_init(&rec, 0), buf_init(&sig, 0);
		buf_init(&data, 0), buf_init(&b, 0), buf_init(&hv, 0);
		CHECK_INT(mail_dkim_keygen(algs[i], 2048, &pem), NF_OK);
		CHECK_INT(mail_dkim_key_parse(pem.data, pem.len, "example.com", "sel", &k), NF_OK);
		CHECK_INT(mail_dkim_key_alg(k), algs[i]);
		CHECK_INT(mail_dkim_key_record(k, &rec), NF_OK);
		CHECK_INT(mail_dkim_sign(k, msg, strlen(msg), mail_dkim_signed_headers,
					 mail_dkim_signed_count, 1700000000, &sig), NF_OK);
		CHECK(mt_longest_line(sig.data, sig.len) <= 78);
		tag_value(sig.data, sig.len, "h", &hv);
		CHECK_STR(hv.data, "from:subject:date:mime-version:content-type:list-id:"
				   "list-unsubscribe-post:feedback-id:auto-submitted:"
				   "x-auto-response-suppress:list-help:to:message-id:list-unsubscribe:"
				   "from:subject:date:mime-version:content-type:list-id:"
				   "list-unsubscribe-post:feedback-id:auto-submitted:"
				   "x-auto-response-suppress:list-help:to:message-id:list-unsubscribe:"
				   "reply-to:cc:sender:in-reply-to:references");
		/* the signed data, by hand: present fields in h= order, then the field with b= empty */
		mail_msg_split(msg, strlen(msg), &hl, &bo);
		for (j = 0; j < mail_dkim_signed_count; j++) {
			unsigned nth = 0;
			size_t e;

			for (e = 0; e < j; e++)
				nth += strcmp(mail_dkim_signed_headers[e], mail_dkim_signed_headers[j]) == 0;

			if (mail_msg_header_find(msg, hl, mail_dkim_signed_headers[j], nth, &f, &flen) == NF_OK)
				mail_canon_header(&data, f, flen);
		}
		mail_canon_header(&data, sig.data, (size_t)(strstr(sig.data, " b=") + 3 - sig.data));
		data.len -= 2;
		sha256(data.data, data.len, hash);
		tag_value(sig.data, sig.len, "b", &b);
		buf_reset(&hv);
		base64_decode(&hv, b.data, b.len);
		CHECK(verify_with_record(rec.data, hash, (unsigned char *)hv.data, hv.len, i == 1));
		mail_dkim_key_free(k);
		buf_free(&pem), buf_free(&rec), buf_free(&sig), buf_free(&data), buf_free(&b), buf_free(&hv);
	}
}
