#include "harness.h"

#include <stdlib.h>
#include <string.h>

int test_passed, test_failed;

int test_finish(void) {
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

const char *shared_path(const char *rel) {
    static char bufs[4][4096];
    static int slot;
    const char *root = getenv("SHARED_DIR");
    if (!root || !*root) root = "../shared";
    char *buf = bufs[slot++ & 3];
    snprintf(buf, sizeof bufs[0], "%s/%s", root, rel);
    return buf;
}

char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return NULL; }
    long size = ftell(f);
    if (size < 0) { fclose(f); return NULL; }
    rewind(f);
    char *data = malloc((size_t)size + 1);
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) { free(data); data = NULL; }
    fclose(f);
    if (data) { data[size] = 0; if (len) *len = (size_t)size; }
    return data;
}

uint32_t test_rand(uint64_t *state) {
    // splitmix64: good enough and identical on every platform
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

float test_randf(uint64_t *state) { return (float)test_rand(state) / 2147483648.0f - 1.0f; }
