#ifndef MODELCTL_CLIBCRYPTO_SHIM_H
#define MODELCTL_CLIBCRYPTO_SHIM_H
// The part of OpenSSL libcrypto that ArtifactHashing uses: the EVP digest interface.
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#endif
