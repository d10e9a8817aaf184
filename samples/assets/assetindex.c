/* assetindex DIR: one line per regular file under DIR, sorted by path:
 * "<fnv1a-64 hex> <size> <path relative to DIR>", then a "total" line. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry { char *path; uint64_t hash; long long size; };

static struct entry *entries;
static size_t count, capacity;
static size_t root_len;

static uint64_t fnv1a(const char *path)
{
	uint64_t hash = 0xcbf29ce484222325ULL;
	unsigned char buf[65536];
	size_t n;
	FILE *f = fopen(path, "rb");
	if (!f) { perror(path); exit(1); }
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		for (size_t i = 0; i < n; i++) { hash ^= buf[i]; hash *= 0x100000001b3ULL; }
	fclose(f);
	return hash;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F) return 0;
	if (count == capacity) {
		capacity = capacity ? capacity * 2 : 64;
		entries = realloc(entries, capacity * sizeof *entries);
		if (!entries) { perror("realloc"); exit(1); }
	}
	entries[count].path = strdup(path + root_len + 1);
	entries[count].hash = fnv1a(path);
	entries[count].size = (long long)st->st_size;
	count++;
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

int main(int argc, char **argv)
{
	long long total = 0;
	if (argc != 2) { fprintf(stderr, "usage: assetindex DIR\n"); return 2; }
	root_len = strlen(argv[1]);
	while (root_len > 1 && argv[1][root_len - 1] == '/') root_len--;
	if (nftw(argv[1], visit, 16, FTW_PHYS) != 0) { perror(argv[1]); return 1; }
	qsort(entries, count, sizeof *entries, by_path);
	for (size_t i = 0; i < count; i++) {
		printf("%016" PRIx64 " %lld %s\n", entries[i].hash, entries[i].size, entries[i].path);
		total += entries[i].size;
	}
	printf("total %zu files %lld bytes\n", count, total);
	return 0;
}
