#ifndef MODELCTL_CLIBCRYPTO_SHIM_H
#define MODELCTL_CLIBCRYPTO_SHIM_H
// The part of OpenSSL libcrypto that ArtifactHashing uses: the EVP digest interface.
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
// ModelSigning: EC keys from PEM, ECDSA sign/verify, SubjectPublicKeyInfo encoding.
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/ec.h>
#include <openssl/core_names.h>
// ModelSigning: X.509 chains (X509_STORE, X509_verify_cert) and key usages of certificates.
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
// ModelSigning: the signed certificate timestamps embedded in Fulcio certificates.
#include <openssl/ct.h>
// XN_FLAG_RFC2253 is a macro Swift does not import.
static const unsigned long modelctl_name_flags_rfc2253 = XN_FLAG_RFC2253;
#endif
