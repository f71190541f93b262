// Streaming text: token pieces are arbitrary byte strings (a byte-fallback token may hold a single
// byte of a multi-byte character), while a UI can only show whole characters. This decoder passes
// through complete characters, holds back a character that is still arriving, and turns bytes
// that can never become a character into U+FFFD.
//
// The decoding follows the WHATWG Encoding Standard's UTF-8 decoder, which replaces each "maximal
// subpart" of an ill-formed sequence by one U+FFFD (as Unicode recommends, and as browsers do):
// overlongs, surrogates and code points above U+10FFFF are rejected at their second byte through a
// narrowed range for that byte, and the byte that broke a sequence is decoded afresh.
#include "hearth.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

enum { CONTINUATION_LOW = 0x80, CONTINUATION_HIGH = 0xBF };

struct hearth_text_stream {
    // The character in progress: bits so far, continuation bytes still to come, and the range the
    // next byte must lie in.
    uint32_t code_point;
    int bytes_needed;
    uint8_t next_low, next_high;

    // Output of the latest call, NUL-terminated; kept and grown, never shrunk.
    char *out;
    size_t out_len, out_capacity;
};

static void reset_character(hearth_text_stream *stream) {
    stream->code_point = 0;
    stream->bytes_needed = 0;
    stream->next_low = CONTINUATION_LOW;
    stream->next_high = CONTINUATION_HIGH;
}

hearth_text_stream *hearth_text_stream_create(void) {
    hearth_text_stream *stream = calloc(1, sizeof *stream);
    if (!stream) return NULL;
    reset_character(stream);
    return stream;
}

void hearth_text_stream_free(hearth_text_stream *stream) {
    if (!stream) return;
    free(stream->out);
    free(stream);
}

// Room for `more` bytes plus the terminating NUL.
static bool reserve_output(hearth_text_stream *stream, size_t more) {
    size_t need = stream->out_len + more + 1;
    if (need <= stream->out_capacity) return true;
    size_t capacity = stream->out_capacity ? stream->out_capacity : 64;
    while (capacity < need) capacity *= 2;
    char *grown = realloc(stream->out, capacity);
    if (!grown) return false;
    stream->out = grown;
    stream->out_capacity = capacity;
    return true;
}

// Appends a code point the decoder has validated, so no range checks are needed here.
static void emit(hearth_text_stream *stream, uint32_t cp) {
    char *p = stream->out + stream->out_len;
    if (cp < 0x80) {
        p[0] = (char)cp;
        stream->out_len += 1;
    } else if (cp < 0x800) {
        p[0] = (char)(0xC0 | (cp >> 6));
        p[1] = (char)(0x80 | (cp & 0x3F));
        stream->out_len += 2;
    } else if (cp < 0x10000) {
        p[0] = (char)(0xE0 | (cp >> 12));
        p[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        p[2] = (char)(0x80 | (cp & 0x3F));
        stream->out_len += 3;
    } else {
        p[0] = (char)(0xF0 | (cp >> 18));
        p[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        p[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        p[3] = (char)(0x80 | (cp & 0x3F));
        stream->out_len += 4;
    }
}

#define REPLACEMENT_CHARACTER 0xFFFDu

// Starts a character at `byte` (no character in progress).
static void decode_lead_byte(hearth_text_stream *stream, uint8_t byte) {
    if (byte < 0x80) {
        // The result is a C string, so a NUL would silently cut off everything after it; a model
        // has no business producing one, so it is dropped.
        if (byte != 0) emit(stream, byte);
    } else if (byte >= 0xC2 && byte <= 0xDF) { // C0 and C1 could only start overlong forms
        stream->bytes_needed = 1;
        stream->code_point = byte & 0x1Fu;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
        if (byte == 0xE0) stream->next_low = 0xA0; // below: overlong (< U+0800)
        if (byte == 0xED) stream->next_high = 0x9F; // above: surrogates U+D800..U+DFFF
        stream->bytes_needed = 2;
        stream->code_point = byte & 0x0Fu;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
        if (byte == 0xF0) stream->next_low = 0x90; // below: overlong (< U+10000)
        if (byte == 0xF4) stream->next_high = 0x8F; // above: beyond U+10FFFF
        stream->bytes_needed = 3;
        stream->code_point = byte & 0x07u;
    } else {
        emit(stream, REPLACEMENT_CHARACTER); // stray continuation byte, C0, C1 or F5..FF
    }
}

static void decode_byte(hearth_text_stream *stream, uint8_t byte) {
    if (stream->bytes_needed == 0) {
        decode_lead_byte(stream, byte);
        return;
    }
    if (byte < stream->next_low || byte > stream->next_high) {
        // The bytes so far can never complete: one U+FFFD for them, and this byte may well start
        // the next character.
        reset_character(stream);
        emit(stream, REPLACEMENT_CHARACTER);
        decode_lead_byte(stream, byte);
        return;
    }
    stream->next_low = CONTINUATION_LOW;
    stream->next_high = CONTINUATION_HIGH;
    stream->code_point = (stream->code_point << 6) | (byte & 0x3Fu);
    if (--stream->bytes_needed == 0) {
        emit(stream, stream->code_point);
        reset_character(stream);
    }
}

const char *hearth_text_stream_push(hearth_text_stream *stream, const char *piece, size_t len) {
    if (!stream) return "";
    stream->out_len = 0;
    // Worst case every byte becomes a 3-byte U+FFFD, and the held-back character adds one more.
    if (len > (SIZE_MAX - 8) / 3 || !reserve_output(stream, 3 * len + 3)) return "";
    const uint8_t *bytes = (const uint8_t *)piece;
    for (size_t i = 0; i < len; i++) decode_byte(stream, bytes[i]);
    stream->out[stream->out_len] = 0;
    return stream->out;
}

const char *hearth_text_stream_flush(hearth_text_stream *stream) {
    if (!stream) return "";
    stream->out_len = 0;
    if (!reserve_output(stream, 3)) return "";
    if (stream->bytes_needed > 0) {
        reset_character(stream);
        emit(stream, REPLACEMENT_CHARACTER); // generation ended in the middle of a character
    }
    stream->out[stream->out_len] = 0;
    return stream->out;
}
