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
#endif
