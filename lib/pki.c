// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What keel's TLS ends share about the PKI: the checks of a PKI
 * directory's files, a peer's subject and the allow-lists it is matched
 * against, and OpenSSL's errors as words (keeld, keel-virtd, libkeel
 * and keel-hv's incoming migration).
 */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "pki.h"

int pki_key_check(const char *path, char *why, size_t size)
{
	struct stat st;

	if (stat(path, &st)) {
		int rc = -errno;

		snprintf(why, size, "Cannot use the private key %s: %s.", path,
			 strerror(errno));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, size,
			 "Cannot use the private key %s: it is not a regular file.",
			 path);
		return -EINVAL;
	}
	if (st.st_mode & 077) {
		snprintf(why, size,
			 "Refusing the private key %s: it is readable or writable by group or others (mode %04o); make it private with chmod 600.",
			 path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int pki_ctx_load(SSL_CTX *ctx, bool server, const char *ca, const char *cert,
		 const char *key, const char *hint, char *why, size_t size)
{
	char r[512];
	int rc;

	/* OpenSSL's own words for a missing file are "system lib". */
	if (access(ca, R_OK) || access(cert, R_OK)) {
		rc = -errno;
		snprintf(why, size, "Cannot read %s: %s. %s",
			 access(ca, R_OK) ? ca : cert, strerror(-rc), hint);
		return rc;
	}
	rc = pki_key_check(key, why, size);
	if (rc)
		return rc;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		pki_errors_text(0, r, sizeof(r));
		snprintf(why, size, "Cannot load the CA certificate %s: %s.",
			 ca, r);
		return -EINVAL;
	}
	if (server) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);

		if (names)
			SSL_CTX_set_client_CA_list(ctx, names);
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		pki_errors_text(0, r, sizeof(r));
		snprintf(why, size, "Cannot load the %s certificate %s: %s.",
			 server ? "server" : "client", cert, r);
		return -EINVAL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		pki_errors_text(0, r, sizeof(r));
		snprintf(why, size,
			 "Cannot use the private key %s with the certificate %s: %s.",
			 key, cert, r);
		return -EINVAL;
	}
	SSL_CTX_set_verify(ctx,
			   server ? SSL_VERIFY_PEER |
					    SSL_VERIFY_FAIL_IF_NO_PEER_CERT :
				    SSL_VERIFY_PEER,
			   NULL);
	return 0;
}

void pki_peer_subject(SSL *ssl, char *buf, size_t size)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	BIO *bio = BIO_new(BIO_s_mem());
	int n;

	buf[0] = '\0';
	if (!cert || !bio ||
	    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
			       XN_FLAG_RFC2253) < 0) {
		BIO_free(bio);
		return;
	}
	n = BIO_read(bio, buf, (int)size - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(bio);
}

bool pki_dn_listed(const char *const *list, unsigned nr, const char *dn)
{
	for (unsigned i = 0; i < nr; i++)
		if (!fnmatch(list[i], dn, 0))
			return true;
	return false;
}

void pki_errors_text(unsigned long first, char *buf, size_t size)
{
	unsigned long e;
	size_t off = 0;

	buf[0] = '\0';
	for (e = first ? first : ERR_get_error(); e && off + 2 < size;
	     e = ERR_get_error()) {
		const char *r = ERR_reason_error_string(e);
		int n = snprintf(buf + off, size - off, "%s%s", off ? "; " : "",
				 r ? r : "unknown error");

		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, size, "the connection ended");
	ERR_clear_error();
}
