/*
 * cli/cmd_dkim.c - newsflash dkim keygen: a DKIM key and the record to publish
 *
 * Owns: the operator's side of DKIM keys. keygen writes a new private key
 * (PEM PKCS#8, mode 0600, never over an existing file) and prints the DNS
 * TXT record for SELECTOR._domainkey.DOMAIN (RFC 6376 3.6.2.1). RSA keys
 * are 2048 bits unless --bits says more (RFC 8301 recommends 2048);
 * --algorithm ed25519 makes an RFC 8463 key, best published beside an RSA
 * one (sign with both: many receivers do not check Ed25519 yet).
 *
 * A TXT character-string holds at most 255 octets (RFC 1035 3.3), and a
 * 2048-bit key's record is longer, so the record is printed as several
 * quoted strings on one line, which zone files and DNS providers join; a
 * web panel takes the name and the unsplit value, printed after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "mail/mail.h"
#include "cli.h"

#define TXT_CHUNK 255
#define DKIM_TXT_TTL 3600	/* an hour: short enough to roll a key the same day */

static int
keygen_usage(const struct config_opt *opts, FILE *to, int rc)
{
	fprintf(to, "usage: newsflash dkim keygen --domain D --selector S "
		    "[--algorithm rsa|ed25519] --out KEYFILE\n\n"
		    "Writes a new DKIM private key (mode 0600) and prints the DNS TXT record.\n\n");
	config_usage(opts, to);
	return rc;
}

/* write_key - create path 0600; an existing file is never replaced */
static int
write_key(const char *path, const struct buf *pem)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return cli_fail("dkim", "cannot create %s: %s", path, strerror(errno));
	if (fchmod(fd, 0600) != 0 || (n = write(fd, pem->data, pem->len)) != (ssize_t)pem->len ||
	    fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return cli_fail("dkim", "cannot write %s: %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

/*
 * print_record - the record two ways: a zone-file line (absolute name with
 * its trailing dot, a TTL, the value cut into strings of at most 255 bytes,
 * RFC 1035 5.1; DNS joins the strings, RFC 6376 3.6.2.2) for BIND, NSD
 * or Knot, and one name and one unsplit value for a provider's web panel,
 * which adds the zone, the TTL and the quotes itself
 */
static void
print_record(const char *selector, const char *domain, const struct buf *rec)
{
	size_t i;

	printf("; zone file:\n%s._domainkey.%s. %d IN TXT", selector, domain, DKIM_TXT_TTL);
	for (i = 0; i < rec->len; i += TXT_CHUNK)
		printf(" \"%.*s\"", (int)(rec->len - i < TXT_CHUNK ? rec->len - i : TXT_CHUNK),
		       rec->data + i);
	printf("\n; a DNS panel (one name, one value):\nname: %s._domainkey.%s\nvalue: %.*s\n",
	       selector, domain, (int)rec->len, rec->data);
}

static int
keygen(int argc, char **argv)
{
	const char *domain = NULL, *selector = NULL, *alg = "rsa", *out = NULL;
	long bits = 2048;
	int help = 0, npos, rc;
	char **pos = NULL;
	struct mail_dkim_key *k = NULL;
	struct buf pem, rec;
	const struct config_opt opts[] = {
		{ "domain", CONFIG_STRING, &domain, "D", "the signing domain (d=)" },
		{ "selector", CONFIG_STRING, &selector, "S", "the selector (s=)" },
		{ "algorithm", CONFIG_STRING, &alg, "rsa|ed25519", "key type (default rsa)" },
		{ "bits", CONFIG_INT, &bits, "N", "RSA key size (default 2048)" },
		{ "out", CONFIG_STRING, &out, "KEYFILE", "where to write the private key" },
		{ "help", CONFIG_BOOL, &help, NULL, "show this help" },
		{ 0, 0, 0, 0, 0 },
	};

	if (config_parse(opts, argc - 1, argv + 1, &pos, &npos) != NF_OK) {
		free(pos);
		return keygen_usage(opts, stderr, EXIT_USAGE);
	}
	free(pos);
	if (help)
		return keygen_usage(opts, stdout, 0);
	if (npos || !domain || !selector || !out)
		return cli_fail("dkim", "keygen needs --domain, --selector and --out");
	if (strcmp(alg, "rsa") && strcmp(alg, "ed25519"))
		return cli_fail("dkim", "--algorithm must be rsa or ed25519");
	if (!strcmp(alg, "rsa") && (bits < 2048 || bits > 8192))
		return cli_fail("dkim", "--bits must be between 2048 and 8192");
	buf_init(&pem, 0);
	buf_init(&rec, 0);
	rc = EXIT_PROBLEM;
	if (mail_dkim_keygen(strcmp(alg, "rsa") ? MAIL_DKIM_ED25519_SHA256 : MAIL_DKIM_RSA_SHA256,
			     (int)bits, &pem) != NF_OK) {
		cli_fail("dkim", "key generation failed");
	} else if (mail_dkim_key_parse(pem.data, pem.len, domain, selector, &k) != NF_OK) {
		rc = cli_fail("dkim", "--domain and --selector may hold letters, digits, '.', '-', '_'");
	} else if ((rc = write_key(out, &pem)) == 0 && mail_dkim_key_record(k, &rec) == NF_OK) {
		print_record(selector, domain, &rec);
	}
	mail_dkim_key_free(k);
	if (pem.data)
		explicit_bzero(pem.data, pem.len);	/* the private key */
	buf_free(&pem);
	buf_free(&rec);
	return rc;
}

int
cmd_dkim(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return keygen(argc - 1, argv + 1);
	fprintf(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
		"usage: newsflash dkim keygen --domain D --selector S [--algorithm rsa|ed25519] --out KEYFILE\n");
	return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : EXIT_USAGE;
}
