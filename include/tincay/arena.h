#ifndef TC_ARENA_H
#define TC_ARENA_H

#include <stddef.h>

/*
 * Bump allocator with one lifetime: everything allocated from an arena, and every
 * cleanup registered on it, goes away in tc_arena_destroy(). One arena per HTTP
 * request or CLI command; nothing inside it is freed individually.
 */
struct tc_arena;

/* A new arena whose chunks hold at least `chunk_size` bytes; NULL if malloc fails. */
struct tc_arena *tc_arena_create(size_t chunk_size);

/* Run the deferred cleanups (newest first), then free every chunk. Accepts NULL. */
void tc_arena_destroy(struct tc_arena *arena);

/* `size` bytes aligned to 16; NULL only if malloc fails or the size overflows. */
void *tc_arena_alloc(struct tc_arena *arena, size_t size);

/* As tc_arena_alloc, zero-filled, for `n` elements of `size` bytes (overflow-checked). */
void *tc_arena_calloc(struct tc_arena *arena, size_t n, size_t size);

/* A NUL-terminated copy of the first `len` bytes of `s`; NULL on failure. */
char *tc_arena_strndup(struct tc_arena *arena, const char *s, size_t len);

/* A NUL-terminated copy of `s`, or NULL if `s` is NULL or on failure. */
char *tc_arena_strdup(struct tc_arena *arena, const char *s);

/* printf into the arena; NULL on failure. */
char *tc_arena_printf(struct tc_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Run `fn(ptr)` when the arena is destroyed, newest first. Ties foreign resources
 * (PGresult, xmlDoc, pool connections) to the arena's lifetime. Returns 0, or -1
 * if the record could not be allocated (`fn(ptr)` is then run at once).
 */
int tc_arena_defer(struct tc_arena *arena, void (*fn)(void *), void *ptr);

/* Bytes handed out so far (for tests and memory accounting). */
size_t tc_arena_used(const struct tc_arena *arena);

#endif /* TC_ARENA_H */
