// SentencePiece ("llama") tokenization as llama.cpp does it: spaces become U+2581, the text
// is split into UTF-8 characters, and adjacent symbols whose concatenation is a token are
// merged, highest token score first (ties: leftmost). A final symbol that is not a token is
// written as byte tokens <0xXX>.
#include <stdlib.h>
#include <string.h>

#include "tokenizer_internal.h"
#include "unicode.h"

typedef struct {
    int prev, next; // neighbours in the list of live symbols, -1 at the ends
    size_t off, n;  // bytes of the escaped text; n = 0 once merged into the left neighbour
} symbol;

typedef struct {
    int left, right;
    float score;
    size_t size; // bytes of the pair when it was queued; a stale entry no longer adds up
} bigram;

typedef struct {
    bigram *v;
    size_t n, cap;
    bool oom;
} queue;

// a is served before b
static bool before(const bigram *a, const bigram *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static void queue_push(queue *q, bigram b) {
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        bigram *v = realloc(q->v, cap * sizeof *v);
        if (!v) {
            q->oom = true;
            return;
        }
        q->v = v;
        q->cap = cap;
    }
    size_t i = q->n++;
    while (i > 0 && before(&b, &q->v[(i - 1) / 2])) {
        q->v[i] = q->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->v[i] = b;
}

static bigram queue_pop(queue *q) {
    bigram top = q->v[0], last = q->v[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n) break;
        if (c + 1 < q->n && before(&q->v[c + 1], &q->v[c])) c++;
        if (!before(&q->v[c], &last)) break;
        q->v[i] = q->v[c];
        i = c;
    }
    if (q->n) q->v[i] = last;
    return top;
}

typedef struct {
    const hs_tokenizer *tok;
    const char *text;
    symbol *sym;
    queue q;
} session;

static void try_add(session *s, int left, int right) {
    if (left < 0 || right < 0) return;
    size_t size = s->sym[left].n + s->sym[right].n;
    int32_t id = hs_vocab_find(s->tok, s->text + s->sym[left].off, size);
    if (id < 0) return;
    queue_push(&s->q, (bigram){left, right, s->tok->scores[id], size});
}

void hs_spm_encode(const hs_tokenizer *tok, const char *src, size_t len, bool prefix_space,
                   hs_ids *out) {
    static const char ESCAPED[3] = {'\xE2', '\x96', '\x81'}; // U+2581
    size_t spaces = 0;
    for (size_t i = 0; i < len; i++) spaces += src[i] == ' ';
    size_t tlen = (prefix_space ? 3 : 0) + len + 2 * spaces; // ' ' -> 3 bytes
    if (tlen == 0) return;
    char *text = malloc(tlen);
    symbol *sym = malloc(tlen * sizeof *sym);
    if (!text || !sym) {
        out->oom = true;
        goto done;
    }
    size_t w = 0;
    if (prefix_space) {
        memcpy(text, ESCAPED, 3);
        w = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (src[i] == ' ') {
            memcpy(text + w, ESCAPED, 3);
            w += 3;
        } else {
            text[w++] = src[i];
        }
    }

    int n_sym = 0;
    for (size_t off = 0; off < tlen;) {
        size_t n = hs_utf8_len((uint8_t)text[off]);
        if (n > tlen - off) n = tlen - off;
        sym[n_sym] = (symbol){n_sym - 1, off + n == tlen ? -1 : n_sym + 1, off, n};
        n_sym++;
        off += n;
    }

    session s = {tok, text, sym, {0}};
    for (int i = 1; i < n_sym; i++) try_add(&s, i - 1, i);
    while (s.q.n && !s.q.oom) {
        bigram b = queue_pop(&s.q);
        symbol *l = &sym[b.left], *r = &sym[b.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != b.size) continue;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0) sym[r->next].prev = b.left;
        try_add(&s, l->prev, b.left);
        try_add(&s, b.left, l->next);
    }
    if (s.q.oom) out->oom = true;
    free(s.q.v);

    for (int i = 0; i != -1; i = sym[i].next) {
        int32_t id = hs_vocab_find(tok, text + sym[i].off, sym[i].n);
        if (id >= 0) {
            hs_ids_push(out, id);
            continue;
        }
        // byte fallback
        for (size_t k = 0; k < sym[i].n; k++) {
            int32_t b = tok->byte_token[(uint8_t)text[sym[i].off + k]];
            if (b < 0) b = tok->unk; // llama.cpp fails here; the unknown token is kinder
            if (b >= 0) hs_ids_push(out, b);
        }
    }
done:
    free(text);
    free(sym);
}
