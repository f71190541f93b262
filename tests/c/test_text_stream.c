// Streaming text: characters split across pieces come out whole, once complete; ill-formed bytes
// come out as U+FFFD (one per maximal subpart, as browsers decode); every output is valid UTF-8.
#include "hearth.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define FFFD "\xEF\xBF\xBD"

// An independent strict UTF-8 check (Unicode Table 3-7), written from the table rather than from
// the decoder under test.
static int is_valid_utf8(const char *text) {
    const unsigned char *s = (const unsigned char *)text;
    while (*s) {
        unsigned c = s[0];
        int len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) len = 1;
        else if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c == 0xE0) len = 3, lo = 0xA0;
        else if (c >= 0xE1 && c <= 0xEC) len = 3;
        else if (c == 0xED) len = 3, hi = 0x9F;
        else if (c >= 0xEE && c <= 0xEF) len = 3;
        else if (c == 0xF0) len = 4, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3) len = 4;
        else if (c == 0xF4) len = 4, hi = 0x8F;
        else return 0;
        for (int i = 1; i < len; i++) {
            unsigned b = s[i];
            unsigned low = i == 1 ? lo : 0x80, high = i == 1 ? hi : 0xBF;
            if (b < low || b > high) return 0;
        }
        s += len;
    }
    return 1;
}

// Collects everything a stream says over several calls.
typedef struct {
    char text[4096];
    size_t len;
    int invalid_outputs; // outputs that were not valid UTF-8 on their own
} transcript;

static void record(transcript *t, const char *out) {
    if (!is_valid_utf8(out)) t->invalid_outputs++;
    size_t n = strlen(out);
    if (t->len + n < sizeof t->text) {
        memcpy(t->text + t->len, out, n);
        t->len += n;
    }
    t->text[t->len] = 0;
}

// Pushes `input` cut at the given offsets (ascending), then flushes; returns the transcript.
static transcript stream_pieces(const char *input, const size_t *cuts, int n_cuts) {
    transcript t = {{0}, 0, 0};
    hearth_text_stream *stream = hearth_text_stream_create();
    size_t len = strlen(input), start = 0;
    for (int i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts ? cuts[i] : len;
        record(&t, hearth_text_stream_push(stream, input + start, end - start));
        start = end;
    }
    record(&t, hearth_text_stream_flush(stream));
    hearth_text_stream_free(stream);
    return t;
}

static transcript stream_whole(const char *input) { return stream_pieces(input, NULL, 0); }

static const char *const VALID_TEXTS[] = {
    "plain ascii",
    "caf\xC3\xA9",                                   // é: 2 bytes
    "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C", // 你好，世界: 3 bytes each
    "\xF0\x9F\x98\x80 smile \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",      // 😀, 👍🏽: 4 bytes each
    "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x8E\x89z",       // aé中🎉z: every length in a row
    // the edges of the valid ranges: U+10FFFF, U+FFFF, U+D7FF, U+E000
    "\xF4\x8F\xBF\xBF\xEF\xBF\xBF\xED\x9F\xBF\xEE\x80\x80",
};
enum { N_VALID_TEXTS = sizeof VALID_TEXTS / sizeof VALID_TEXTS[0] };

static void test_valid_text_every_split(void) {
    for (int k = 0; k < N_VALID_TEXTS; k++) {
        const char *text = VALID_TEXTS[k];
        size_t len = strlen(text);
        int mismatches = 0, invalid = 0;
        // Every way to cut the text in two and in three pieces (empty pieces included).
        for (size_t a = 0; a <= len; a++) {
            transcript t = stream_pieces(text, &a, 1);
            mismatches += strcmp(t.text, text) != 0;
            invalid += t.invalid_outputs;
            for (size_t b = a; b <= len; b++) {
                size_t cuts[2] = {a, b};
                t = stream_pieces(text, cuts, 2);
                mismatches += strcmp(t.text, text) != 0;
                invalid += t.invalid_outputs;
            }
        }
        // One byte at a time, the way byte-fallback tokens arrive.
        size_t cuts[64];
        int n_cuts = 0;
        for (size_t i = 1; i < len && n_cuts < 64; i++) cuts[n_cuts++] = i;
        transcript t = stream_pieces(text, cuts, n_cuts);
        mismatches += strcmp(t.text, text) != 0;
        invalid += t.invalid_outputs;
        CHECK(mismatches == 0, "text %d: %d splits changed the text", k, mismatches);
        CHECK(invalid == 0, "text %d: %d outputs were not valid UTF-8", k, invalid);
    }
}

static void test_held_back_until_complete(void) {
    hearth_text_stream *stream = hearth_text_stream_create();
    const char *out = hearth_text_stream_push(stream, "ab\xF0\x9F", 4);
    CHECK(strcmp(out, "ab") == 0, "complete part first, got \"%s\"", out);
    out = hearth_text_stream_push(stream, "\x98", 1);
    CHECK(strcmp(out, "") == 0, "still incomplete, got \"%s\"", out);
    out = hearth_text_stream_push(stream, "\x80!", 2);
    CHECK(strcmp(out, "\xF0\x9F\x98\x80!") == 0, "the whole emoji once complete, got \"%s\"", out);
    out = hearth_text_stream_flush(stream);
    CHECK(strcmp(out, "") == 0, "nothing held back, got \"%s\"", out);
    hearth_text_stream_free(stream);
}

typedef struct {
    const char *input;
    const char *expected;
} case_pair;

static void test_invalid_sequences(void) {
    static const case_pair cases[] = {
        {"\x80", FFFD},                                  // stray continuation byte
        {"a\xBF" "b", "a" FFFD "b"},
        {"\xC0\xAF", FFFD FFFD},                         // C0 can only start an overlong
        {"\xC1\xBF", FFFD FFFD},
        {"\xE0\x80\xAF", FFFD FFFD FFFD},                // overlong 3-byte form of '/'
        {"\xF0\x80\x80\xAF", FFFD FFFD FFFD FFFD},       // overlong 4-byte form
        {"\xED\xA0\x80", FFFD FFFD FFFD},                // surrogate U+D800
        {"\xED\xBF\xBF", FFFD FFFD FFFD},                // surrogate U+DFFF
        {"\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD},       // U+110000
        {"\xF5\x80", FFFD FFFD},                         // lead bytes that cannot exist
        {"\xFE\xFF", FFFD FFFD},
        {"\xE2\x82" "A", FFFD "A"},                      // truncated by an ASCII byte: one U+FFFD
        {"\xF0\x9F\x98" "x", FFFD "x"},
        // a lead byte that breaks a sequence starts the next character
        {"\xE2\xF0\x9F\x98\x80", FFFD "\xF0\x9F\x98\x80"},
        {"\xC3\xC3\xA9", FFFD "\xC3\xA9"},
        {"\xE4\xB8", FFFD},                              // cut off by the end: flushed as U+FFFD
        {"x\xF0\x9F\x98", "x" FFFD},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *input = cases[i].input;
        transcript whole = stream_whole(input);
        CHECK(strcmp(whole.text, cases[i].expected) == 0, "case %zu: got \"%s\"", i, whole.text);
        CHECK(whole.invalid_outputs == 0, "case %zu: invalid output", i);
        // Splitting the input anywhere must not change the outcome.
        size_t len = strlen(input);
        int mismatches = 0, invalid = 0;
        for (size_t a = 0; a <= len; a++) {
            for (size_t b = a; b <= len; b++) {
                size_t cuts[2] = {a, b};
                transcript t = stream_pieces(input, cuts, 2);
                mismatches += strcmp(t.text, cases[i].expected) != 0;
                invalid += t.invalid_outputs;
            }
        }
        CHECK(mismatches == 0 && invalid == 0, "case %zu: %d splits differ, %d invalid outputs", i,
              mismatches, invalid);
    }
}

static void test_flush(void) {
    hearth_text_stream *stream = hearth_text_stream_create();
    const char *out = hearth_text_stream_flush(stream);
    CHECK(strcmp(out, "") == 0, "flush of nothing, got \"%s\"", out);
    out = hearth_text_stream_push(stream, "\xF0\x9F", 2);
    CHECK(strcmp(out, "") == 0, "incomplete held back, got \"%s\"", out);
    out = hearth_text_stream_flush(stream);
    CHECK(strcmp(out, FFFD) == 0, "incomplete at the end becomes one U+FFFD, got \"%s\"", out);
    out = hearth_text_stream_flush(stream);
    CHECK(strcmp(out, "") == 0, "second flush is empty, got \"%s\"", out);
    // After a flush the stream starts clean: the continuation bytes are strays now.
    out = hearth_text_stream_push(stream, "\x98\x80" "ok", 4);
    CHECK(strcmp(out, FFFD FFFD "ok") == 0, "after flush, got \"%s\"", out);
    out = hearth_text_stream_push(stream, "\xC3", 1);
    out = hearth_text_stream_push(stream, "\xA9", 1);
    CHECK(strcmp(out, "\xC3\xA9") == 0, "normal decoding after flush, got \"%s\"", out);
    out = hearth_text_stream_push(stream, NULL, 0);
    CHECK(strcmp(out, "") == 0, "empty push, got \"%s\"", out);
    hearth_text_stream_free(stream);
}

static void test_nul_dropped(void) {
    hearth_text_stream *stream = hearth_text_stream_create();
    const char *out = hearth_text_stream_push(stream, "a\0b", 3);
    CHECK(strcmp(out, "ab") == 0, "an embedded NUL would truncate the C string, got \"%s\"", out);
    hearth_text_stream_free(stream);
}

// Random bytes in random pieces: every output valid, and the pieces never change the text.
static void test_random_bytes(void) {
    uint64_t seed = 1234;
    int invalid = 0, mismatches = 0;
    for (int round = 0; round < 2000; round++) {
        char input[40];
        size_t len = 1 + test_rand(&seed) % (sizeof input - 1);
        for (size_t i = 0; i < len; i++) {
            // Mostly bytes that matter to UTF-8, a few ASCII; never NUL (strlen is used above).
            uint32_t r = test_rand(&seed);
            input[i] = (char)(r % 4 == 0 ? 'a' + r % 26 : 0x80 + (r >> 8) % 0x80);
        }
        input[len] = 0;
        transcript whole = stream_whole(input);
        size_t cuts[3];
        for (int c = 0; c < 3; c++) cuts[c] = test_rand(&seed) % (len + 1);
        for (int c = 1; c < 3; c++) // ascending
            for (int d = c; d > 0 && cuts[d] < cuts[d - 1]; d--) {
                size_t t = cuts[d];
                cuts[d] = cuts[d - 1];
                cuts[d - 1] = t;
            }
        transcript split = stream_pieces(input, cuts, 3);
        invalid += whole.invalid_outputs + split.invalid_outputs;
        mismatches += strcmp(whole.text, split.text) != 0;
    }
    CHECK(invalid == 0, "%d invalid outputs from random bytes", invalid);
    CHECK(mismatches == 0, "%d random inputs decoded differently once split", mismatches);
}

static void test_long_piece(void) {
    // Longer than any internal starting buffer, all invalid: the worst case for output growth.
    enum { N = 10000 };
    char *input = malloc(N);
    memset(input, 0xFF, N);
    hearth_text_stream *stream = hearth_text_stream_create();
    const char *out = hearth_text_stream_push(stream, input, N);
    CHECK(strlen(out) == 3 * N && is_valid_utf8(out), "%d bytes of 0xFF give %d U+FFFD", N, N);
    hearth_text_stream_free(stream);
    free(input);
}

int main(void) {
    CHECK(is_valid_utf8("ok") && !is_valid_utf8("\xC0\x80"), "the test's own validator works");
    test_valid_text_every_split();
    test_held_back_until_complete();
    test_invalid_sequences();
    test_flush();
    test_nul_dropped();
    test_random_bytes();
    test_long_piece();
    return test_finish();
}
