/* Creates an in-memory SQLite table, counts rows and prints the library version. */
#include <stdio.h>
#include <sqlite3.h>

static int print_row(void *unused, int argc, char **argv, char **names)
{
	(void)unused;
	for (int i = 0; i < argc; i++)
		printf("%s=%s%s", names[i], argv[i] ? argv[i] : "NULL", i + 1 < argc ? " " : "\n");
	return 0;
}

int main(void)
{
	sqlite3 *db;
	char *err = NULL;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
		fprintf(stderr, "open: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	const char *sql =
		"CREATE TABLE layer(n INTEGER, name TEXT);"
		"INSERT INTO layer VALUES (1, 'build'), (2, 'runtime');"
		"SELECT count(*) AS layers, sqlite_version() AS sqlite FROM layer;";
	if (sqlite3_exec(db, sql, print_row, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "exec: %s\n", err);
		sqlite3_free(err);
		sqlite3_close(db);
		return 1;
	}
	sqlite3_close(db);
	return 0;
}
