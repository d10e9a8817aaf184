#include "checksum.h"

/* Adler-style running checksum, enough to give the program some work. */
unsigned long checksum(unsigned long seed, const char *data, size_t len)
{
	unsigned long a = (seed & 0xffff) | 1, b = (seed >> 16) & 0xffff;
	for (size_t i = 0; i < len; i++) {
		a = (a + (unsigned char)data[i]) % 65521;
		b = (b + a) % 65521;
	}
	return (b << 16) | a;
}
