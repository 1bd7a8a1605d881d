/*
 * mail/dkimkey.c - DKIM private keys: loading, generating, the DNS record
 *
 * Owns: struct mail_dkim_key (an OpenSSL key with the d= domain and s=
 * selector it signs for), reading keys (PEM, or dkimpy's base64 Ed25519
 * seed), making new ones, and the TXT record that publishes the public
 * half (RFC 6376 3.6.1: k=rsa, p= the base64 SubjectPublicKeyInfo; RFC 8463
 * 4: k=ed25519, p= the base64 of the raw 32-octet public key). RSA keys of
 * fewer than 1024 bits are refused (RFC 8301 3.2); keygen makes 2048.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "mail.h"

#define KEY_FILE_MAX 65536

struct mail_dkim_key {
	EVP_PKEY *pkey;
	enum mail_dkim_alg alg;
	char *domain;
	char *selector;
};

/* d= and s= go into a header and a DNS name: letters, digits, '.', '-', '_' */
static int
dns_label_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static EVP_PKEY *
parse_pem(const char *text, size_t n)
{
	BIO *bio = BIO_new_mem_buf(text, (int)n);
	EVP_PKEY *pkey;

	if (bio == NULL)
		return NULL;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return pkey;
}

/* dkimpy keeps Ed25519 keys as the base64 of the 32-octet seed (RFC 8032 5.1.5) */
static EVP_PKEY *
parse_seed(const char *text, size_t n)
{
	EVP_PKEY *pkey = NULL;
	struct buf seed;

	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	buf_init(&seed, 32);
	if (base64_decode(&seed, text, n) == NF_OK && seed.len == 32)
		pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						    (unsigned char *)seed.data, 32);
	OPENSSL_cleanse(seed.data, seed.len);
	buf_free(&seed);
	return pkey;
}

int
mail_dkim_key_parse(const char *text, size_t n, const char *domain,
		    const char *selector, struct mail_dkim_key **out)
{
	struct mail_dkim_key *k;
	EVP_PKEY *pkey;
	int id;

	*out = NULL;
	if (!dns_label_ok(domain) || !dns_label_ok(selector) || n > KEY_FILE_MAX)
		return NF_ERR_INVALID;
	if (n >= 10 && memmem(text, n, "-----BEGIN", 10) != NULL)
		pkey = parse_pem(text, n);
	else
		pkey = parse_seed(text, n);
	if (pkey == NULL)
		return NF_ERR_INVALID;
	id = EVP_PKEY_get_base_id(pkey);
	if ((id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519) ||
	    (id == EVP_PKEY_RSA && EVP_PKEY_get_bits(pkey) < 1024)) {
		EVP_PKEY_free(pkey);
		return NF_ERR_INVALID;
	}
	k = xcalloc(1, sizeof(*k));
	k->pkey = pkey;
	k->alg = id == EVP_PKEY_RSA ? MAIL_DKIM_RSA_SHA256 : MAIL_DKIM_ED25519_SHA256;
	k->domain = xstrdup(domain);
	k->selector = xstrdup(selector);
	*out = k;
	return NF_OK;
}

int
mail_dkim_key_load(const char *path, const char *domain, const char *selector,
		   struct mail_dkim_key **out)
{
	char chunk[4096];
	struct buf text;
	size_t got;
	FILE *f;
	int rc = NF_OK;

	*out = NULL;
	f = fopen(path, "rb");
	if (f == NULL)
		return NF_ERR_IO;
	buf_init(&text, KEY_FILE_MAX);
	while (rc == NF_OK && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_append(&text, chunk, got);
	if (rc == NF_OK && ferror(f))
		rc = NF_ERR_IO;
	fclose(f);
	OPENSSL_cleanse(chunk, sizeof(chunk));
	if (rc == NF_OK)
		rc = mail_dkim_key_parse(text.data ? text.data : "", text.len, domain, selector, out);
	if (text.data)
		OPENSSL_cleanse(text.data, text.len);
	buf_free(&text);
	return rc;
}

void
mail_dkim_key_free(struct mail_dkim_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	free(k->domain);
	free(k->selector);
	free(k);
}

enum mail_dkim_alg
mail_dkim_key_alg(const struct mail_dkim_key *k)
{
	return k->alg;
}

const char *
mail_dkim_key_domain(const struct mail_dkim_key *k)
{
	return k->domain;
}

const char *
mail_dkim_key_selector(const struct mail_dkim_key *k)
{
	return k->selector;
}

int
mail_dkim_key_bits(const struct mail_dkim_key *k)
{
	return EVP_PKEY_get_bits(k->pkey);
}

void *
mail_dkim_key_pkey(const struct mail_dkim_key *k)
{
	return k->pkey;
}

const char *
mail_dkim_alg_name(enum mail_dkim_alg alg)
{
	return alg == MAIL_DKIM_RSA_SHA256 ? "rsa-sha256" : "ed25519-sha256";
}

int
mail_dkim_key_record(const struct mail_dkim_key *k, struct buf *out)
{
	unsigned char raw[32], *der = NULL;
	size_t rawlen = sizeof(raw);
	int derlen, rc;

	if (k->alg == MAIL_DKIM_ED25519_SHA256) {
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen) != 1)
			return NF_ERR;
		rc = buf_puts(out, "v=DKIM1; k=ed25519; p=");
		return rc ? rc : base64_encode(out, raw, rawlen);
	}
	derlen = i2d_PUBKEY(k->pkey, &der);
	if (derlen <= 0)
		return NF_ERR;
	rc = buf_puts(out, "v=DKIM1; k=rsa; p=");
	if (rc == NF_OK)
		rc = base64_encode(out, der, (size_t)derlen);
	OPENSSL_free(der);
	return rc;
}

int
mail_dkim_keygen(enum mail_dkim_alg alg, int bits, struct buf *pem)
{
	EVP_PKEY *pkey;
	BIO *bio;
	char *data;
	long len;
	int rc = NF_ERR;

	if (alg == MAIL_DKIM_RSA_SHA256 && (bits < 1024 || bits > 8192))
		return NF_ERR_INVALID;
	if (alg == MAIL_DKIM_RSA_SHA256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pkey == NULL)
		return NF_ERR;
	bio = BIO_new(BIO_s_secmem());	/* the private key: wiped when freed */
	if (bio && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) == 1) {
		len = BIO_get_mem_data(bio, &data);
		rc = len > 0 ? buf_append(pem, data, (size_t)len) : NF_ERR;
	}
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return rc;
}
