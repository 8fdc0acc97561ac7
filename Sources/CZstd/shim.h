#ifndef PROVENANT_CZSTD_SHIM_H
#define PROVENANT_CZSTD_SHIM_H
#include <zstd.h>
#include <zdict.h>
#endif
