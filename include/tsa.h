/*
 * tsa.h: RFC 3161 trusted timestamps, for audit packs.  tsa_timestamp()
 * asks a time-stamping authority for a token over some bytes (their SHA-256,
 * with a nonce) and checks the answer before keeping it; tsa_verify()
 * checks a kept answer against the bytes, offline.  OpenSSL's TS API does
 * the ASN.1 and CMS work; libcurl (through http.c) carries the request.
 */
#ifndef ISMSD_TSA_H
#define ISMSD_TSA_H

#include <stddef.h>

#define TSA_TIME_LEN 32

/*
 * POSTs a TimeStampReq (SHA-256 of data, a random nonce, certReq) to url
 * (https) and checks the TimeStampResp: status granted, the same imprint and
 * nonce, and a signature that verifies up to a CA in ca_file (NULL: the
 * system's CAs), which also verifies the HTTPS connection.  Returns 0 with
 * the DER response in *der (malloc'd) and the token's genTime in gen_time,
 * or a negative errno with a message in err.
 */
int tsa_timestamp(const char *url, const char *ca_file, const void *data, size_t len, unsigned char **der,
		  size_t *der_len, char gen_time[TSA_TIME_LEN], char *err, size_t errlen);

/*
 * Verifies a DER TimeStampResp over data: the imprint is data's hash, and
 * the signature verifies up to a CA in ca_file (PEM).  Returns 0 with the
 * genTime, -EBADMSG with the reason in err when it does not verify, or
 * another negative errno when a file cannot be read.
 */
int tsa_verify(const unsigned char *der, size_t der_len, const void *data, size_t len, const char *ca_file,
	       char gen_time[TSA_TIME_LEN], char *err, size_t errlen);

#endif
