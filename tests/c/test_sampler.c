// Sampler: greedy ties, seeding, each filter's cut (seen through the distribution of many draws
// on small hand-made logits), the penalties' effect on the logits, and the speed on a 150k
// vocabulary (printed, not asserted).
#define _POSIX_C_SOURCE 200809L
#include "hearth.h"
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// Tokens the default parameters give on test_randf logits (see test_seeds).
#define GOLDEN_SEQUENCE                                                                            \
    708, 158, 939, 43, 643, 259, 524, 200, 959, 519, 921, 406, 686, 617, 647, 169

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// Sampling parameters with every filter and penalty off, at temperature 1: the plain softmax.
static hearth_sampling plain_params(uint64_t seed) {
    hearth_sampling p;
    hearth_sampling_default(&p);
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.seed = seed;
    return p;
}

static int32_t argmax_ref(const float *logits, int n) {
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (logits[i] > logits[best]) best = i;
    return best;
}

// Frequencies of each token over `draws` samples (the sampler is created here and freed).
static void histogram(const hearth_sampling *params, const float *logits, int n, int draws,
                      double *freq) {
    hearth_sampler *s = hearth_sampler_create(params);
    for (int i = 0; i < n; i++) freq[i] = 0;
    int out_of_range = 0;
    for (int d = 0; d < draws; d++) {
        int32_t t = hearth_sampler_sample(s, logits, n);
        if (t < 0 || t >= n)
            out_of_range++;
        else
            freq[t] += 1.0 / draws;
    }
    CHECK(out_of_range == 0, "%d tokens out of range", out_of_range);
    hearth_sampler_free(s);
}

// Checks a histogram against expected probabilities: tokens with probability 0 must never
// appear, the others within `tolerance`.
static void check_distribution(const char *what, const double *freq, const double *expected, int n,
                               double tolerance) {
    for (int i = 0; i < n; i++) {
        if (expected[i] == 0)
            CHECK(freq[i] == 0, "%s: token %d was cut but drawn %.4f", what, i, freq[i]);
        else
            CHECK(fabs(freq[i] - expected[i]) < tolerance, "%s: token %d drawn %.4f, expected %.4f",
                  what, i, freq[i], expected[i]);
    }
}

static void test_defaults(void) {
    hearth_sampling p;
    hearth_sampling_default(&p);
    CHECK(p.temperature == 0.8f && p.top_k == 40 && p.top_p == 0.95f && p.min_p == 0.05f,
          "filter defaults");
    CHECK(p.repeat_penalty == 1.0f && p.frequency_penalty == 0 && p.presence_penalty == 0,
          "penalties off");
    CHECK(p.penalty_last_n == 64 && p.seed == 0xC0FFEE, "window %d seed %llx", p.penalty_last_n,
          (unsigned long long)p.seed);
    hearth_sampler *s = hearth_sampler_create(NULL); // NULL params mean the defaults
    CHECK(s != NULL, "create with defaults");
    float one = 3.0f;
    CHECK(hearth_sampler_sample(s, &one, 1) == 0, "a vocabulary of one");
    CHECK(hearth_sampler_sample(s, &one, 0) == -1, "an empty vocabulary is an error");
    hearth_sampler_free(s);
}

static void test_greedy(void) {
    hearth_sampling p = plain_params(1);
    p.temperature = 0.0f;
    hearth_sampler *s = hearth_sampler_create(&p);
    const float tied[] = {1.0f, 5.0f, 2.0f, 5.0f, 5.0f};
    CHECK(hearth_sampler_sample(s, tied, 5) == 1, "ties go to the lower id");
    const float all_tied[] = {-2.0f, -2.0f, -2.0f};
    CHECK(hearth_sampler_sample(s, all_tied, 3) == 0, "all tied: id 0");
    const float with_nan[] = {NAN, 1.0f, 3.0f, NAN};
    CHECK(hearth_sampler_sample(s, with_nan, 4) == 2, "NaN never wins");
    hearth_sampler_free(s);
    p.temperature = -1.0f; // negative is greedy too
    s = hearth_sampler_create(&p);
    CHECK(hearth_sampler_sample(s, tied, 5) == 1, "negative temperature is greedy");
    hearth_sampler_free(s);

    // Greedy against a reference on random logits.
    uint64_t seed = 99;
    float logits[257];
    int wrong = 0;
    p.temperature = 0.0f;
    s = hearth_sampler_create(&p);
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 257; i++) logits[i] = test_randf(&seed) * 10;
        wrong += hearth_sampler_sample(s, logits, 257) != argmax_ref(logits, 257);
    }
    CHECK(wrong == 0, "greedy disagreed with argmax %d times", wrong);
    hearth_sampler_free(s);
}

// Fills `out` with `draws` tokens from a sampler with these parameters, over random logits.
static void sequence(const hearth_sampling *p, int n_vocab, int draws, int32_t *out) {
    hearth_sampler *s = hearth_sampler_create(p);
    float *logits = malloc((size_t)n_vocab * sizeof *logits);
    uint64_t seed = 5;
    for (int d = 0; d < draws; d++) {
        for (int i = 0; i < n_vocab; i++) logits[i] = test_randf(&seed) * 3;
        out[d] = hearth_sampler_sample(s, logits, n_vocab);
    }
    free(logits);
    hearth_sampler_free(s);
}

static void test_seeds(void) {
    enum { DRAWS = 200 };
    int32_t a[DRAWS], b[DRAWS], c[DRAWS];
    hearth_sampling p;
    hearth_sampling_default(&p);
    p.seed = 42;
    sequence(&p, 1000, DRAWS, a);
    sequence(&p, 1000, DRAWS, b);
    p.seed = 43;
    sequence(&p, 1000, DRAWS, c);
    CHECK(memcmp(a, b, sizeof a) == 0, "same seed, same tokens");
    int differ = 0;
    for (int i = 0; i < DRAWS; i++) differ += a[i] != c[i];
    CHECK(differ > DRAWS / 2, "a different seed should change most tokens, changed %d", differ);

    // Reset replays the sequence from the seed.
    hearth_sampler *s = hearth_sampler_create(&p);
    const float flat[8] = {0};
    int32_t first[32], again[32];
    for (int i = 0; i < 32; i++) first[i] = hearth_sampler_sample(s, flat, 8);
    hearth_sampler_reset(s);
    for (int i = 0; i < 32; i++) again[i] = hearth_sampler_sample(s, flat, 8);
    CHECK(memcmp(first, again, sizeof first) == 0, "reset replays the random sequence");
    hearth_sampler_free(s);

    // The same numbers on every platform: a golden sequence for the default parameters. The
    // sampler's PRNG, exp and orderings are exact, so any build (native or wasm, any compiler or
    // optimisation level) must reproduce these tokens.
    hearth_sampling_default(&p);
    int32_t golden[16];
    sequence(&p, 1000, 16, golden);
    static const int32_t expected[16] = {GOLDEN_SEQUENCE};
    int matches = memcmp(golden, expected, sizeof golden) == 0;
    CHECK(matches, "default-parameter tokens differ from the recorded ones");
    if (!matches) {
        fprintf(stderr, "got:");
        for (int i = 0; i < 16; i++) fprintf(stderr, " %d,", golden[i]);
        fputc('\n', stderr);
    }
}

static void test_top_k_one_is_greedy(void) {
    hearth_sampling p;
    hearth_sampling_default(&p);
    p.top_k = 1;
    p.temperature = 1.5f;
    hearth_sampler *s = hearth_sampler_create(&p);
    uint64_t seed = 3;
    float logits[300];
    int wrong = 0;
    for (int round = 0; round < 300; round++) {
        // Coarse values so that ties at the top happen often.
        for (int i = 0; i < 300; i++) logits[i] = (float)(int)(test_randf(&seed) * 20);
        wrong += hearth_sampler_sample(s, logits, 300) != argmax_ref(logits, 300);
    }
    CHECK(wrong == 0, "top_k = 1 disagreed with greedy %d times", wrong);
    hearth_sampler_free(s);
}

// Probabilities 0.5, 0.3, 0.15, 0.05 at temperature 1.
static void probability_logits(float *logits) {
    static const double probs[4] = {0.5, 0.3, 0.15, 0.05};
    for (int i = 0; i < 4; i++) logits[i] = (float)log(probs[i]);
}

static void test_filters(void) {
    enum { DRAWS = 40000 };
    const double tol = 0.015;
    float logits[4];
    probability_logits(logits);
    double freq[4];
    hearth_sampling p = plain_params(11);

    histogram(&p, logits, 4, DRAWS, freq);
    check_distribution("no filter", freq, (double[]){0.5, 0.3, 0.15, 0.05}, 4, tol);

    p.top_k = 2;
    histogram(&p, logits, 4, DRAWS, freq);
    check_distribution("top_k 2", freq, (double[]){0.625, 0.375, 0, 0}, 4, tol);
    p.top_k = 0;

    p.top_p = 0.7f; // 0.5 < 0.7 <= 0.8: the first two
    histogram(&p, logits, 4, DRAWS, freq);
    check_distribution("top_p 0.7", freq, (double[]){0.625, 0.375, 0, 0}, 4, tol);
    p.top_p = 0.85f; // 0.8 < 0.85 <= 0.95: three
    histogram(&p, logits, 4, DRAWS, freq);
    check_distribution("top_p 0.85", freq, (double[]){0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}, 4,
                       tol);
    p.top_p = 0.4f; // the first token alone already holds 0.5
    histogram(&p, logits, 4, DRAWS, freq);
    check_distribution("top_p 0.4", freq, (double[]){1, 0, 0, 0}, 4, tol);
    p.top_p = 1.0f;

    p.min_p = 0.2f; // keep p >= 0.1
    histogram(&p, logits, 4, DRAWS, freq);
    check_distribution("min_p 0.2", freq, (double[]){0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}, 4,
                       tol);
    p.min_p = 0.35f; // keep p >= 0.175
    histogram(&p, logits, 4, DRAWS, freq);
    check_distribution("min_p 0.35", freq, (double[]){0.625, 0.375, 0, 0}, 4, tol);

    // Top-p measures against the candidates top-k left: top_k 3 renormalises {0.5, 0.3, 0.15} to
    // {0.526, 0.316, 0.158}, so two tokens (0.842) reach 0.83; over all four they hold only 0.8.
    p.min_p = 0.0f;
    p.top_k = 3;
    p.top_p = 0.83f;
    histogram(&p, logits, 4, DRAWS, freq);
    check_distribution("top_k 3 + top_p 0.83", freq, (double[]){0.625, 0.375, 0, 0}, 4, tol);
    p.top_k = 0;
    histogram(&p, logits, 4, DRAWS, freq);
    check_distribution("top_p 0.83", freq, (double[]){0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}, 4,
                       tol);
    p.top_p = 1.0f;

    // Temperature after the filters: T = 2 turns probabilities (0.8, 0.2) into (2/3, 1/3).
    const float two[2] = {(float)log(0.8), (float)log(0.2)};
    p.temperature = 2.0f;
    histogram(&p, two, 2, DRAWS, freq);
    check_distribution("temperature 2", freq, (double[]){2.0 / 3, 1.0 / 3}, 2, tol);
    p.temperature = 0.5f; // (0.8^2, 0.2^2) -> (16/17, 1/17)
    histogram(&p, two, 2, DRAWS, freq);
    check_distribution("temperature 0.5", freq, (double[]){16.0 / 17, 1.0 / 17}, 2, tol);
    // The filters use the temperature-1 distribution: min_p 0.3 cuts 0.2 (< 0.24) even though at
    // temperature 2 it would survive (1/3 >= 0.3 * 2/3).
    p.temperature = 2.0f;
    p.min_p = 0.3f;
    histogram(&p, two, 2, DRAWS, freq);
    check_distribution("min_p before temperature", freq, (double[]){1, 0}, 2, tol);
}

// Top-p over a whole vocabulary (no top-k) takes a shortcut; it must pick exactly the tokens the
// plain rank-order computation picks. A token at -inf makes top_k = n - 1 equivalent to no top-k
// while taking the rank-order (top-k) path, so both runs must give identical tokens.
static void test_top_p_shortcut_matches(void) {
    enum { N = 3000, DRAWS = 300 };
    float *logits = malloc(N * sizeof *logits);
    uint64_t seed = 77;
    int differ = 0;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < N; i++) logits[i] = test_randf(&seed) * (2.0f + 4.0f * round);
        logits[N / 2] = -INFINITY;
        hearth_sampling p = plain_params(1000 + round);
        p.top_p = round % 2 ? 0.9f : 0.5f;
        p.min_p = round >= 2 ? 0.01f : 0.0f;
        hearth_sampling q = p;
        q.top_k = N - 1;
        hearth_sampler *shortcut = hearth_sampler_create(&p), *plain = hearth_sampler_create(&q);
        for (int d = 0; d < DRAWS; d++)
            differ += hearth_sampler_sample(shortcut, logits, N) !=
                      hearth_sampler_sample(plain, logits, N);
        hearth_sampler_free(shortcut);
        hearth_sampler_free(plain);
    }
    CHECK(differ == 0, "top-p without top-k differed from the rank-order path %d times", differ);
    free(logits);
}

static void test_penalties(void) {
    // Repeat penalty: a positive logit is divided, a negative one multiplied.
    hearth_sampling p = plain_params(1);
    p.temperature = 0.0f;
    p.repeat_penalty = 1.5f;
    hearth_sampler *s = hearth_sampler_create(&p);
    const float positive[3] = {2.0f, 1.5f, 1.0f};
    CHECK(hearth_sampler_sample(s, positive, 3) == 0, "nothing seen yet: token 0");
    // 0 was just picked: 2.0 / 1.5 = 1.33 < 1.5
    CHECK(hearth_sampler_sample(s, positive, 3) == 1, "a picked token is penalised next time");
    // both seen now: 0 -> 1.33, 1 -> 1.0
    CHECK(hearth_sampler_sample(s, positive, 3) == 0, "both penalised: token 0 again");
    // 0 seen twice is still 1.33: the repeat penalty does not grow with the count
    CHECK(hearth_sampler_sample(s, positive, 3) == 0, "repeat penalty ignores the count");
    hearth_sampler_reset(s);
    const float negative[2] = {-1.0f, -1.2f};
    hearth_sampler_accept(s, 0);
    CHECK(hearth_sampler_sample(s, negative, 2) == 1,
          "a negative logit is multiplied: -1.5 < -1.2");
    hearth_sampler_reset(s);
    CHECK(hearth_sampler_sample(s, negative, 2) == 0, "reset forgets the history");
    hearth_sampler_free(s);

    // Frequency and presence: two occurrences of token 0 with frequency 0.5 and presence 0.3 move
    // its logit from 0 to -1.3, so it is drawn with probability e^-1.3 / (1 + e^-1.3) = 0.214.
    // sample() adds its own picks to the history, so each draw uses a fresh sampler.
    p = plain_params(1);
    p.frequency_penalty = 0.5f;
    p.presence_penalty = 0.3f;
    const float even[2] = {0.0f, 0.0f};
    int zeros = 0;
    enum { DRAWS = 20000 };
    for (int d = 0; d < DRAWS; d++) {
        p.seed = (uint64_t)d;
        s = hearth_sampler_create(&p);
        hearth_sampler_accept(s, 0);
        hearth_sampler_accept(s, 0);
        zeros += hearth_sampler_sample(s, even, 2) == 0;
        hearth_sampler_free(s);
    }
    double expected = exp(-1.3) / (1 + exp(-1.3));
    CHECK(fabs((double)zeros / DRAWS - expected) < 0.015,
          "frequency+presence: p(0) = %.4f, expected %.4f", (double)zeros / DRAWS, expected);

    // Frequency alone scales with the count; presence alone does not. Greedy makes it exact:
    // logits {1, 0.45}: one occurrence at frequency 0.5 leaves 0.5 > 0.45, two leave 0.
    p = plain_params(1);
    p.temperature = 0.0f;
    p.frequency_penalty = 0.5f;
    const float close[2] = {1.0f, 0.45f};
    s = hearth_sampler_create(&p);
    hearth_sampler_accept(s, 0);
    CHECK(hearth_sampler_sample(s, close, 2) == 0, "one occurrence: 0.5 still beats 0.45");
    // the pick above is a second occurrence
    CHECK(hearth_sampler_sample(s, close, 2) == 1, "two occurrences: 0 loses to 0.45");
    hearth_sampler_free(s);
    p.frequency_penalty = 0.0f;
    p.presence_penalty = 0.5f;
    s = hearth_sampler_create(&p);
    hearth_sampler_accept(s, 0);
    hearth_sampler_accept(s, 0);
    hearth_sampler_accept(s, 0);
    CHECK(hearth_sampler_sample(s, close, 2) == 0, "presence counts once: 0.5 beats 0.45");
    hearth_sampler_free(s);

    // Only the last penalty_last_n tokens count.
    p = plain_params(1);
    p.temperature = 0.0f;
    p.repeat_penalty = 2.0f;
    p.penalty_last_n = 2;
    s = hearth_sampler_create(&p);
    const float three[4] = {1.0f, 0.9f, 0.1f, 0.0f};
    hearth_sampler_accept(s, 0);
    hearth_sampler_accept(s, 2);
    CHECK(hearth_sampler_sample(s, three, 4) == 1, "token 0 is in the window");
    // the window now holds {2, 1}: 0 has left it
    CHECK(hearth_sampler_sample(s, three, 4) == 0, "token 0 has left the window");
    hearth_sampler_free(s);
    p.penalty_last_n = 0; // no window: penalties off
    s = hearth_sampler_create(&p);
    hearth_sampler_accept(s, 0);
    CHECK(hearth_sampler_sample(s, three, 4) == 0, "penalty_last_n 0 disables the penalties");
    hearth_sampler_free(s);

    // Accepted ids outside the vocabulary are ignored, not written out of bounds.
    p.penalty_last_n = 8;
    s = hearth_sampler_create(&p);
    hearth_sampler_accept(s, -5);
    hearth_sampler_accept(s, 1000000);
    CHECK(hearth_sampler_sample(s, three, 4) == 0, "out-of-vocabulary history is ignored");
    hearth_sampler_free(s);
}

static void test_big_vocabulary_speed(void) {
    enum { N = 151936, DRAWS = 200 };
    float *logits = malloc(N * sizeof *logits);
    uint64_t seed = 8;
    // Roughly like real logits: most tokens far below a few plausible ones.
    for (int i = 0; i < N; i++) logits[i] = test_randf(&seed) * 4.0f - 6.0f;
    for (int i = 0; i < 50; i++) logits[test_rand(&seed) % N] = 8.0f + test_randf(&seed) * 4.0f;

    struct {
        const char *name;
        int top_k;
        float top_p, min_p, repeat;
    } configs[] = {
        {"defaults (top_k 40)", 40, 0.95f, 0.05f, 1.0f},
        {"defaults + repeat penalty", 40, 0.95f, 0.05f, 1.1f},
        {"no top_k, top_p 0.95, min_p 0.05", 0, 0.95f, 0.05f, 1.0f},
        {"no top_k, top_p 0.95", 0, 0.95f, 0.0f, 1.0f},
        {"no filters", 0, 1.0f, 0.0f, 1.0f},
        {"greedy", -1, 1.0f, 0.0f, 1.0f},
    };
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        hearth_sampling p;
        hearth_sampling_default(&p);
        p.top_k = configs[c].top_k < 0 ? 0 : configs[c].top_k;
        p.top_p = configs[c].top_p;
        p.min_p = configs[c].min_p;
        p.repeat_penalty = configs[c].repeat;
        if (configs[c].top_k < 0) p.temperature = 0.0f;
        hearth_sampler *s = hearth_sampler_create(&p);
        hearth_sampler_sample(s, logits, N); // the first call sizes the scratch buffers
        int in_range = 1;
        double start = now_seconds();
        for (int d = 0; d < DRAWS; d++) {
            int32_t t = hearth_sampler_sample(s, logits, N);
            in_range &= t >= 0 && t < N;
        }
        double per_token = (now_seconds() - start) / DRAWS;
        CHECK(in_range, "%s: token out of range", configs[c].name);
        printf("sample 151936-token vocabulary, %s: %.3f ms\n", configs[c].name, per_token * 1e3);
        hearth_sampler_free(s);
    }
    free(logits);
}

int main(void) {
    test_defaults();
    test_greedy();
    test_seeds();
    test_top_k_one_is_greedy();
    test_filters();
    test_top_p_shortcut_matches();
    test_penalties();
    test_big_vocabulary_speed();
    return test_finish();
}
