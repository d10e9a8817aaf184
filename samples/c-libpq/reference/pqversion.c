/* Prints the version of the libpq it runs against, and checks a conninfo string parses. */
#include <stdio.h>
#include <libpq-fe.h>

int main(void)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse("host=localhost dbname=squasher", &err);
	if (opts == NULL) {
		fprintf(stderr, "conninfo: %s\n", err ? err : "out of memory");
		PQfreemem(err);
		return 1;
	}
	PQconninfoFree(opts);
	int v = PQlibVersion();
	printf("libpq %d.%d\n", v / 10000, v % 10000);
	return 0;
}
