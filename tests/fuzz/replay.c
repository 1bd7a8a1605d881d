/*
 * tests/fuzz/replay.c - run a libFuzzer target over its corpus as a test
 *
 * usage: REPLAY DIR|FILE...
 * Linked with one fuzz_*.c, this calls LLVMFuzzerTestOneInput on every file,
 * so each corpus (the seeds and every crash ever found) is a regression test
 * in make check, under gcc and without libFuzzer. A crash is a failure; the
 * sanitizer build turns memory errors into crashes.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;
	long n;

	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, (size_t)n);
	free(data);
	return 0;
}

static int
replay_path(const char *path, int *count)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	char child[4096];
	int bad = 0;

	if (stat(path, &st) != 0)
		return 1;
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path) != 0;
	}
	d = opendir(path);
	if (d == NULL)
		return 1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		bad += replay_path(child, count);
	}
	closedir(d);
	return bad;
}

int
main(int argc, char **argv)
{
	int i, count = 0, bad = 0;

	for (i = 1; i < argc; i++)
		bad += replay_path(argv[i], &count);
	/* reaching here means no input crashed */
	printf("replayed %d inputs from %s\n", count, argc > 1 ? argv[1] : "(nothing)");
	printf("%d passed, %d failed, 0 skipped\n", count - bad, bad);
	return bad ? 1 : 0;
}
