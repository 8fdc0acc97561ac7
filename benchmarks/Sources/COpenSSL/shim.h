#ifndef PROVENANT_COPENSSL_SHIM_H
#define PROVENANT_COPENSSL_SHIM_H
#include <openssl/evp.h>
#endif
