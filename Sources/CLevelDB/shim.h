#ifndef PROVENANT_CLEVELDB_SHIM_H
#define PROVENANT_CLEVELDB_SHIM_H
#include <leveldb/c.h>
#endif
