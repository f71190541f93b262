// Token sampling: turns the logits of the last position into the next token, the way llama.cpp's
// default chain does: penalties -> top-k -> top-p -> min-p -> temperature -> softmax -> draw.
//
// Reproducibility is part of the contract: the same seed and the same logits give the same tokens
// on every platform and build (native and WebAssembly). So nothing here depends on libm's
// approximations or the C library's sort: the PRNG is our own (xoshiro256** seeded by
// splitmix64), exp is our own polynomial in plain double arithmetic, every ordering is a total
// order (logit descending, then id ascending) so any correct sort gives the same result, and
// floating-point contraction into FMA is switched off so the compiler cannot round differently
// on CPUs that have FMA.
//
// Speed: with top-k on, one pass over the vocabulary keeps the k best in a small heap, so only k
// candidates are ever sorted or exponentiated. Scratch buffers live in the sampler and grow to the
// largest vocabulary seen; sampling a token allocates nothing after the first call.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "hearth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// The default seed, so that runs without an explicit seed are reproducible too.
#define HEARTH_DEFAULT_SEED 0xC0FFEEull

void hearth_sampling_default(hearth_sampling *params) {
    params->temperature = 0.8f;
    params->top_k = 40;
    params->top_p = 0.95f;
    params->min_p = 0.05f;
    params->repeat_penalty = 1.0f;
    params->frequency_penalty = 0.0f;
    params->presence_penalty = 0.0f;
    params->penalty_last_n = 64;
    params->seed = HEARTH_DEFAULT_SEED;
}

typedef struct {
    int32_t id;
    float logit;
} candidate;

struct hearth_sampler {
    hearth_sampling params;
    uint64_t rng[4]; // xoshiro256** state

    // The last penalty_last_n tokens (picked or accepted), as a ring: once full, the slot at
    // history_next holds the oldest token. Their order never matters, only their counts.
    int32_t *history;
    int history_capacity, history_len, history_next;
    int32_t *history_sorted; // scratch for counting repeats

    // Per-vocabulary scratch, sized for the largest n_vocab seen so far.
    int vocab_capacity;
    float *penalized; // a copy of the logits with the penalties applied
    candidate *candidates; // the tokens still in the running
    double *weights; // per candidate: exp((logit - max) / temperature), at some temperature
};

// ---- Deterministic random numbers ----

static uint64_t splitmix64_next(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_seed(uint64_t rng[4], uint64_t seed) {
    // splitmix64 spreads any seed (0 included) over the state; xoshiro must not start all-zero,
    // which splitmix64's four consecutive outputs never are.
    for (int i = 0; i < 4; i++) rng[i] = splitmix64_next(&seed);
}

static uint64_t rotate_left(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(uint64_t s[4]) {
    uint64_t result = rotate_left(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotate_left(s[3], 45);
    return result;
}

// Uniform in [0, 1): the top 53 bits, exactly representable as a double.
static double rng_uniform(uint64_t s[4]) { return (double)(rng_next(s) >> 11) * 0x1.0p-53; }

// ---- Deterministic exp ----

// exp(x) for x <= 0, with about 1e-15 relative error, from + and * alone, so that every IEEE
// platform gets the same bits (libm's exp differs between C libraries in the last bit, which could
// flip a draw that lands on a boundary). Results below e^-708 (1e-307) count as zero: such a
// weight is invisible next to the best token's weight of 1, and it keeps 2^k a normal number.
static double exp_nonpositive(double x) {
    if (!(x > -708.0)) return 0.0; // NaN counts as nothing too
    if (x >= 0.0) return 1.0;
    // x = k ln2 + r with |r| <= ln2 / 2. Adding 1.5 * 2^52 rounds to an integer (to nearest, the
    // IEEE default) without a libm call. ln2 is split in two so that k * LN2_HI is exact (its low
    // bits are zero) and r keeps its precision.
    const double LOG2E = 1.4426950408889634;
    const double LN2_HI = 6.93147180369123816490e-01;
    const double LN2_LO = 1.90821492927058770002e-10;
    const double ROUNDING_SHIFT = 0x1.8p52;
    double k = (x * LOG2E + ROUNDING_SHIFT) - ROUNDING_SHIFT;
    double r = (x - k * LN2_HI) - k * LN2_LO;
    // Taylor series to r^12 / 12!: the next term is below 2e-16 for |r| <= 0.347.
    static const double inverse_factorials[] = {
        1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0,
        1.0 / 120.0,      1.0 / 24.0,      1.0 / 6.0,      1.0 / 2.0,     1.0,          1.0,
    };
    double p = 1.0 / 479001600.0;
    for (size_t i = 0; i < sizeof inverse_factorials / sizeof inverse_factorials[0]; i++)
        p = p * r + inverse_factorials[i];
    // 2^k built from its bits: k is in [-1022, 0], where 2^k is a normal double.
    uint64_t scale_bits = (uint64_t)((int64_t)k + 1023) << 52;
    double scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return p * scale; // exact: scaling by a power of two without underflow
}

// The unnormalised probability of a logit relative to the best one: exp((logit - max) / t).
// Equal logits weigh 1 even when both are infinite (where the difference would be NaN).
static double relative_weight(float logit, float max_logit, double temperature) {
    if (logit == max_logit) return 1.0;
    return exp_nonpositive(((double)logit - (double)max_logit) / temperature);
}

// ---- Ordering ----

// NaN logits would break every comparison below; they count as impossible tokens.
static float clean_logit(float logit) { return logit != logit ? -INFINITY : logit; }

// The total order candidates are ranked by: higher logit first, lower id among equals.
static int ranks_before(candidate a, candidate b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

static int compare_rank(const void *pa, const void *pb) {
    candidate a = *(const candidate *)pa, b = *(const candidate *)pb;
    if (ranks_before(a, b)) return -1;
    return ranks_before(b, a) ? 1 : 0;
}

static int compare_int32(const void *pa, const void *pb) {
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    return (a > b) - (a < b);
}

static int32_t argmax(const float *logits, int n_vocab) {
    int32_t best = 0;
    float best_logit = clean_logit(logits[0]);
    for (int i = 1; i < n_vocab; i++) {
        if (logits[i] > best_logit) { // strictly greater: ties stay with the lower id
            best = i;
            best_logit = logits[i];
        }
    }
    return best;
}

// ---- Life cycle ----

hearth_sampler *hearth_sampler_create(const hearth_sampling *params) {
    hearth_sampler *sampler = calloc(1, sizeof *sampler);
    if (!sampler) return NULL;
    if (params)
        sampler->params = *params;
    else
        hearth_sampling_default(&sampler->params);
    // A non-positive window means no penalties (llama.cpp's -1 "whole context" is not supported:
    // the engine caps the context, so a caller can pass n_ctx instead).
    int window = sampler->params.penalty_last_n > 0 ? sampler->params.penalty_last_n : 0;
    if (window > 0) {
        sampler->history = malloc((size_t)window * sizeof *sampler->history);
        sampler->history_sorted = malloc((size_t)window * sizeof *sampler->history_sorted);
        if (!sampler->history || !sampler->history_sorted) {
            hearth_sampler_free(sampler);
            return NULL;
        }
    }
    sampler->history_capacity = window;
    rng_seed(sampler->rng, sampler->params.seed);
    return sampler;
}

void hearth_sampler_free(hearth_sampler *sampler) {
    if (!sampler) return;
    free(sampler->history);
    free(sampler->history_sorted);
    free(sampler->penalized);
    free(sampler->candidates);
    free(sampler->weights);
    free(sampler);
}

void hearth_sampler_accept(hearth_sampler *sampler, int32_t token) {
    if (!sampler || sampler->history_capacity == 0) return;
    sampler->history[sampler->history_next] = token;
    sampler->history_next = (sampler->history_next + 1) % sampler->history_capacity;
    if (sampler->history_len < sampler->history_capacity) sampler->history_len++;
}

// Forgets the history and restarts the random sequence from the seed, so a reset sampler repeats
// what a fresh one would do.
void hearth_sampler_reset(hearth_sampler *sampler) {
    if (!sampler) return;
    sampler->history_len = 0;
    sampler->history_next = 0;
    rng_seed(sampler->rng, sampler->params.seed);
}

static bool reserve_vocab(hearth_sampler *sampler, int n_vocab) {
    if (n_vocab <= sampler->vocab_capacity) return true;
    size_t n = (size_t)n_vocab;
    // Each buffer is replaced only once it has grown, so a failure leaves the sampler usable.
    float *penalized = realloc(sampler->penalized, n * sizeof *penalized);
    if (!penalized) return false;
    sampler->penalized = penalized;
    candidate *candidates = realloc(sampler->candidates, n * sizeof *candidates);
    if (!candidates) return false;
    sampler->candidates = candidates;
    double *weights = realloc(sampler->weights, n * sizeof *weights);
    if (!weights) return false;
    sampler->weights = weights;
    sampler->vocab_capacity = n_vocab;
    return true;
}

// ---- Penalties ----

static bool penalties_enabled(const hearth_sampling *p) {
    return p->repeat_penalty != 1.0f || p->frequency_penalty != 0.0f || p->presence_penalty != 0.0f;
}

// The logits with llama.cpp's penalties applied to every token seen in the window: the repeat
// penalty pushes a logit towards "less likely" whatever its sign (divide positive, multiply
// negative), then frequency subtracts per occurrence and presence once. Returns the caller's
// logits untouched when there is nothing to penalise.
static const float *apply_penalties(hearth_sampler *sampler, const float *logits, int n_vocab) {
    const hearth_sampling *p = &sampler->params;
    int n = sampler->history_len;
    if (n == 0 || !penalties_enabled(p)) return logits;

    float *out = sampler->penalized;
    memcpy(out, logits, (size_t)n_vocab * sizeof *out);
    // Sorting the window puts repeats of a token next to each other, so each distinct token is
    // penalised once with its count, in O(n log n) whatever the window size.
    int32_t *sorted = sampler->history_sorted;
    memcpy(sorted, sampler->history, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_int32);
    for (int i = 0; i < n;) {
        int32_t token = sorted[i];
        int count = 0;
        while (i < n && sorted[i] == token) {
            i++;
            count++;
        }
        if (token < 0 || token >= n_vocab) continue;
        float logit = out[token];
        if (p->repeat_penalty != 1.0f)
            logit = logit <= 0.0f ? logit * p->repeat_penalty : logit / p->repeat_penalty;
        logit -= (float)count * p->frequency_penalty + p->presence_penalty;
        out[token] = logit;
    }
    return out;
}

// ---- Candidate selection ----

static void heap_sift_down(candidate *heap, int size, int i) {
    for (;;) {
        int worst = i, left = 2 * i + 1, right = left + 1;
        if (left < size && ranks_before(heap[worst], heap[left])) worst = left;
        if (right < size && ranks_before(heap[worst], heap[right])) worst = right;
        if (worst == i) return;
        candidate t = heap[i];
        heap[i] = heap[worst];
        heap[worst] = t;
        i = worst;
    }
}

static void heap_sift_up(candidate *heap, int i) {
    while (i > 0) {
        int parent = (i - 1) / 2;
        if (!ranks_before(heap[parent], heap[i])) return;
        candidate t = heap[i];
        heap[i] = heap[parent];
        heap[parent] = t;
        i = parent;
    }
}

// The k best tokens, best first, in one pass: a heap holds the k best so far with the worst of
// them on top, and most tokens are turned away by a single comparison with it. O(n log k) in the
// worst case, about O(n) in practice.
static int select_top_k(const float *logits, int n_vocab, int k, candidate *out) {
    int size = 0;
    for (int i = 0; i < n_vocab; i++) {
        candidate c = {i, clean_logit(logits[i])};
        if (size < k) {
            out[size] = c;
            heap_sift_up(out, size++);
        } else if (c.logit > out[0].logit) {
            // Equal logits lose: ids only grow, so an equal newcomer ranks after the one kept.
            out[0] = c;
            heap_sift_down(out, size, 0);
        }
    }
    qsort(out, (size_t)size, sizeof *out, compare_rank);
    return size;
}

// Bucket of a weight in (0, 1]: b such that the weight lies in [2^-b, 2^(1-b)), capped at 63.
enum { WEIGHT_BUCKETS = 64 };
static int weight_bucket(double weight) {
    if (weight <= 0.0) return WEIGHT_BUCKETS - 1;
    // Weights are normal numbers (see exp_nonpositive), so the biased exponent e says the weight
    // lies in [2^(e-1023), 2^(e-1022)).
    uint64_t bits;
    memcpy(&bits, &weight, sizeof bits);
    int bucket = 1023 - (int)((bits >> 52) & 0x7FF);
    return bucket < WEIGHT_BUCKETS - 1 ? bucket : WEIGHT_BUCKETS - 1;
}

// Top-p keeps the best tokens until their mass reaches top_p. Sorting a whole vocabulary for that
// is slow, but the cut can only fall among the heavy tokens: if the tokens weighing at least
// 2^-b already hold the needed mass, nothing lighter can be reached. Returns the largest such
// 2^-b, or 0 when no bucket provably suffices. The margin covers the rounding difference between
// summing here (id order) and summing later (rank order).
static double top_p_weight_floor(const double *weights, int n, double total, float top_p) {
    double mass[WEIGHT_BUCKETS] = {0};
    for (int i = 0; i < n; i++) mass[weight_bucket(weights[i])] += weights[i];
    double needed = ((double)top_p + 1e-9) * total;
    double heavier = 0.0;
    for (int b = 0; b < WEIGHT_BUCKETS - 1; b++) {
        heavier += mass[b];
        if (heavier >= needed) return ldexp(1.0, -b);
    }
    return 0.0;
}

// Keeps the candidates weighing at least `floor`, in their order; returns how many.
static int keep_heavy(candidate *candidates, double *weights, int n, double weight_floor) {
    int kept = 0;
    for (int i = 0; i < n; i++) {
        if (weights[i] >= weight_floor) {
            candidates[kept] = candidates[i];
            weights[kept] = weights[i];
            kept++;
        }
    }
    return kept;
}

// Temperature > 0: filters the candidates, then draws one in proportion to its weight.
static int32_t sample_distribution(hearth_sampler *sampler, const float *logits, int n_vocab) {
    const hearth_sampling *p = &sampler->params;
    candidate *candidates = sampler->candidates;
    double *weights = sampler->weights;
    // Drawn before anything can return early, so the random sequence advances exactly once per
    // sampled token whatever the logits look like.
    double draw = rng_uniform(sampler->rng);

    int n;
    bool ranked; // candidates are in rank order
    if (p->top_k > 0 && p->top_k < n_vocab) {
        n = select_top_k(logits, n_vocab, p->top_k, candidates);
        ranked = true;
    } else {
        for (int i = 0; i < n_vocab; i++) candidates[i] = (candidate){i, clean_logit(logits[i])};
        n = n_vocab;
        ranked = false;
    }

    int best = 0;
    for (int i = 1; i < n; i++)
        if (ranks_before(candidates[i], candidates[best])) best = i;
    float max_logit = candidates[best].logit;
    if (max_logit == -INFINITY) return candidates[best].id; // nothing is possible: be greedy

    // Top-p and min-p both keep a prefix of the candidates in rank order, measured at temperature
    // 1 and against the candidates that survived top-k. Min-p after top-p keeps the shorter of
    // the two prefixes (its test, weight >= min_p relative to the best, does not depend on what
    // top-p removed), so min-p can run first as a filter, as long as top-p still measures its
    // mass against the total before min-p.
    bool use_top_p = p->top_p < 1.0f;
    double weight_floor = p->min_p > 0.0f ? (double)p->min_p : 0.0;
    if (weight_floor > 1.0) weight_floor = 1.0; // keep at least the best token(s)
    double total = 0.0;
    if (use_top_p || weight_floor > 0.0) // with neither filter the temperature-1 weights are unused
        for (int i = 0; i < n; i++)
            total += weights[i] = relative_weight(candidates[i].logit, max_logit, 1.0);
    if (use_top_p && !ranked) {
        double top_p_floor = top_p_weight_floor(weights, n, total, p->top_p);
        if (top_p_floor > weight_floor) weight_floor = top_p_floor;
    }
    if (weight_floor > 0.0) n = keep_heavy(candidates, weights, n, weight_floor);

    if (use_top_p) {
        if (!ranked) {
            qsort(candidates, (size_t)n, sizeof *candidates, compare_rank);
            for (int i = 0; i < n; i++)
                weights[i] = relative_weight(candidates[i].logit, max_logit, 1.0);
        }
        double needed = (double)p->top_p * total, mass = 0.0;
        for (int i = 0; i < n; i++) {
            mass += weights[i];
            if (mass >= needed) {
                n = i + 1;
                break;
            }
        }
    }

    // Temperature reshapes the survivors; the softmax normalisation is folded into the draw.
    double temperature = p->temperature;
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += weights[i] = relative_weight(candidates[i].logit, max_logit, temperature);
    double target = draw * sum, mass = 0.0;
    int last_possible = 0;
    for (int i = 0; i < n; i++) {
        if (weights[i] <= 0.0) continue;
        mass += weights[i];
        if (mass > target) return candidates[i].id;
        last_possible = i;
    }
    return candidates[last_possible].id; // rounding left the target just past the end
}

int32_t hearth_sampler_sample(hearth_sampler *sampler, const float *logits, int n_vocab) {
    if (!sampler || !logits || n_vocab <= 0) return -1;
    int32_t token;
    if (!reserve_vocab(sampler, n_vocab)) {
        token = argmax(logits, n_vocab); // out of memory: still give an answer, the likeliest
    } else {
        const float *penalized = apply_penalties(sampler, logits, n_vocab);
        if (!(sampler->params.temperature > 0.0f))
            token = argmax(penalized, n_vocab);
        else
            token = sample_distribution(sampler, penalized, n_vocab);
    }
    hearth_sampler_accept(sampler, token);
    return token;
}
