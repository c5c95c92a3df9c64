/*
 * tsa.c: RFC 3161 trusted timestamps (see include/tsa.h).
 *
 * The request carries the SHA-256 of the bytes, a 64-bit random nonce and
 * certReq, so the answer holds the TSA's certificate.  The answer is
 * checked before it is kept: status granted, version, the imprint and the
 * nonce of the request, and the CMS signature up to a trusted CA.  The
 * whole TimeStampResp is kept (DER), as `openssl ts -verify -in` expects.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "http.h"
#include "tsa.h"

#define TSA_MAX_REPLY (1u << 20)

/* The first OpenSSL error, as text, or what. */
static void ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s%s%s", what, buf[0] ? ": " : "", buf);
	ERR_clear_error();
}

static X509_STORE *trust_store(const char *ca_file)
{
	X509_STORE *st = X509_STORE_new();
	if (st == NULL)
		return NULL;
	int ok = ca_file ? X509_STORE_load_file(st, ca_file) : X509_STORE_set_default_paths(st);
	if (ok != 1) {
		X509_STORE_free(st);
		return NULL;
	}
	return st;
}

static void gen_time_of(TS_RESP *resp, char out[TSA_TIME_LEN])
{
	out[0] = '\0';
	TS_TST_INFO *info = TS_RESP_get_tst_info(resp);
	const ASN1_GENERALIZEDTIME *t = info ? TS_TST_INFO_get_time(info) : NULL;
	struct tm tm;
	if (t != NULL && ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(out, TSA_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A TimeStampReq over the SHA-256 of data with a fresh nonce. */
static TS_REQ *make_request(const void *data, size_t len)
{
	unsigned char md[32];
	unsigned mdlen = 0;
	uint64_t n = 0;
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *nonce = NULL;
	int ok = req && mi && alg && EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) == 1 &&
		 getrandom(&n, sizeof(n), 0) == sizeof(n) &&
		 X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) == 1 &&
		 TS_MSG_IMPRINT_set_algo(mi, alg) == 1 && TS_MSG_IMPRINT_set_msg(mi, md, (int)mdlen) == 1 &&
		 TS_REQ_set_version(req, 1) == 1 && TS_REQ_set_msg_imprint(req, mi) == 1 &&
		 (bn = BN_bin2bn((const unsigned char *)&n, sizeof(n), NULL)) != NULL &&
		 (nonce = BN_to_ASN1_INTEGER(bn, NULL)) != NULL && TS_REQ_set_nonce(req, nonce) == 1 &&
		 TS_REQ_set_cert_req(req, 1) == 1;
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	if (!ok) {
		TS_REQ_free(req);
		return NULL;
	}
	return req;
}

int tsa_timestamp(const char *url, const char *ca_file, const void *data, size_t len, unsigned char **der,
		  size_t *der_len, char gen_time[TSA_TIME_LEN], char *err, size_t errlen)
{
	*der = NULL;
	*der_len = 0;
	gen_time[0] = '\0';
	int r = -EIO;
	unsigned char *qder = NULL;
	TS_RESP *resp = NULL;
	TS_VERIFY_CTX *vctx = NULL;
	struct http_client *hc = NULL;
	struct http_response hr = { 0 };
	TS_REQ *req = make_request(data, len);
	int qlen = req ? i2d_TS_REQ(req, &qder) : -1;
	if (qlen <= 0) {
		ssl_err(err, errlen, "cannot build the timestamp request");
		goto out;
	}
	struct http_options o = { .ca_file = (char *)ca_file, .max_body = TSA_MAX_REPLY, .max_attempts = 3,
				  .timeout_s = 60, .no_redirects = 1 };
	char herr[512];
	if ((hc = http_client_new(&o, "tsa", NULL, herr, sizeof(herr))) == NULL) {
		snprintf(err, errlen, "timestamp: %s", herr);
		goto out;
	}
	struct http_header h[] = { { (char *)"Content-Type", (char *)"application/timestamp-query" },
				   { (char *)"Accept", (char *)"application/timestamp-reply" } };
	struct http_request hreq = { "POST", url, h, 2, (const char *)qder, (size_t)qlen, NULL };
	if (http_fetch(hc, &hreq, &hr, herr, sizeof(herr)) < 0) {
		snprintf(err, errlen, "timestamp: %s", herr);
		goto out;
	}
	const char *ct = http_header_get(&hr, "Content-Type");
	if (ct == NULL || strncasecmp(ct, "application/timestamp-reply", 27) != 0) {
		snprintf(err, errlen, "timestamp: the TSA answered %s, not application/timestamp-reply", ct ? ct : "no type");
		goto out;
	}
	const unsigned char *p = (const unsigned char *)hr.body;
	if ((resp = d2i_TS_RESP(NULL, &p, (long)hr.len)) == NULL) {
		ssl_err(err, errlen, "timestamp: the TSA's answer is not a TimeStampResp");
		goto out;
	}
	/* the imprint and nonce of our request, and the signature */
	X509_STORE *store = trust_store(ca_file);
	vctx = store ? TS_REQ_to_TS_VERIFY_CTX(req, NULL) : NULL;
	if (vctx == NULL) {
		X509_STORE_free(store);
		ssl_err(err, errlen, "timestamp: cannot load the trusted CAs");
		goto out;
	}
	TS_VERIFY_CTX_add_flags(vctx, TS_VFY_SIGNATURE);
	TS_VERIFY_CTX_set_store(vctx, store);
	if (TS_RESP_verify_response(vctx, resp) != 1) {
		ssl_err(err, errlen, "timestamp: the TSA's answer does not verify");
		r = -EBADMSG;
		goto out;
	}
	gen_time_of(resp, gen_time);
	*der = malloc(hr.len);
	if (*der == NULL) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(*der, hr.body, hr.len);
	*der_len = hr.len;
	r = 0;
out:
	TS_VERIFY_CTX_free(vctx);
	TS_RESP_free(resp);
	TS_REQ_free(req);
	OPENSSL_free(qder);
	http_response_free(&hr);
	http_client_free(hc);
	return r;
}

int tsa_verify(const unsigned char *der, size_t der_len, const void *data, size_t len, const char *ca_file,
	       char gen_time[TSA_TIME_LEN], char *err, size_t errlen)
{
	gen_time[0] = '\0';
	const unsigned char *p = der;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)der_len);
	if (resp == NULL) {
		ssl_err(err, errlen, "not a TimeStampResp");
		return -EBADMSG;
	}
	int r = -EBADMSG;
	TS_VERIFY_CTX *vctx = TS_VERIFY_CTX_new();
	X509_STORE *store = trust_store(ca_file);
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	if (vctx == NULL || store == NULL || bio == NULL) {
		ssl_err(err, errlen, store == NULL ? "cannot load the TSA's CA certificates" : "out of memory");
		X509_STORE_free(store);
		BIO_free(bio);
		r = store == NULL ? -ENOENT : -ENOMEM;
		goto out;
	}
	TS_VERIFY_CTX_set_flags(vctx, TS_VFY_VERSION | TS_VFY_DATA | TS_VFY_SIGNATURE);
	TS_VERIFY_CTX_set_data(vctx, bio);
	TS_VERIFY_CTX_set_store(vctx, store);
	if (TS_RESP_verify_response(vctx, resp) != 1) {
		ssl_err(err, errlen, "the timestamp does not verify");
		goto out;
	}
	gen_time_of(resp, gen_time);
	r = 0;
out:
	TS_VERIFY_CTX_free(vctx);
	TS_RESP_free(resp);
	return r;
}
