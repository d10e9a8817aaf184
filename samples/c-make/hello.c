/* A small C program: prints a greeting and a checksum of its arguments. */
#include <stdio.h>
#include <string.h>

#include "checksum.h"

int main(int argc, char **argv)
{
	unsigned long sum = 0;
	for (int i = 1; i < argc; i++)
		sum = checksum(sum, argv[i], strlen(argv[i]));
	printf("hello from c-make (checksum %lu)\n", sum);
	return 0;
}
