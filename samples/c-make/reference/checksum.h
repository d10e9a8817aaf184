#ifndef CHECKSUM_H
#define CHECKSUM_H
#include <stddef.h>
unsigned long checksum(unsigned long seed, const char *data, size_t len);
#endif
