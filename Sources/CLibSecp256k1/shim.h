#ifndef PROVENANT_CLIBSECP256K1_SHIM_H
#define PROVENANT_CLIBSECP256K1_SHIM_H

#include <secp256k1.h>
#include <secp256k1_recovery.h>

// Swift 6 rejects the mutable-looking C global `secp256k1_context_static` as not
// concurrency-safe. The context is immutable and documented as usable from any
// thread for verification and recovery, so hand it out through a function.
static inline const secp256k1_context *provenant_secp256k1_context_static(void) {
    return secp256k1_context_static;
}

#endif
