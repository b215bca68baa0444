#include "tincay/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16

struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

struct deferred {
    struct deferred *next;
    void (*fn)(void *);
    void *ptr;
};

struct tc_arena {
    struct chunk *chunks; /* newest first; allocation happens in the head */
    struct deferred *deferred;
    size_t chunk_size;
    size_t used;
};

struct tc_arena *
tc_arena_create(size_t chunk_size)
{
    struct tc_arena *arena = calloc(1, sizeof(*arena));

    if (arena == NULL)
        return NULL;
    arena->chunk_size = chunk_size < 256 ? 256 : chunk_size;
    return arena;
}

void *
tc_arena_alloc(struct tc_arena *arena, size_t size)
{
    struct chunk *c = arena->chunks;
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);

    if (need < size)
        return NULL; /* overflow */
    if (need == 0)
        need = ARENA_ALIGN;
    if (c == NULL || c->size - c->used < need) {
        size_t cap = need > arena->chunk_size ? need : arena->chunk_size;

        if (cap > SIZE_MAX - sizeof(*c) || (c = malloc(sizeof(*c) + cap)) == NULL)
            return NULL;
        c->size = cap;
        c->used = 0;
        /* A chunk made for one big request goes behind the head, so the head's free
         * space is not abandoned. */
        if (cap > arena->chunk_size && arena->chunks != NULL) {
            c->next = arena->chunks->next;
            arena->chunks->next = c;
        } else {
            c->next = arena->chunks;
            arena->chunks = c;
        }
    }
    c->used += need;
    arena->used += need;
    return c->data + c->used - need;
}

void *
tc_arena_calloc(struct tc_arena *arena, size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    if ((p = tc_arena_alloc(arena, n * size)) != NULL)
        memset(p, 0, n * size);
    return p;
}

char *
tc_arena_strndup(struct tc_arena *arena, const char *s, size_t len)
{
    char *copy;

    if (len == SIZE_MAX || (copy = tc_arena_alloc(arena, len + 1)) == NULL)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *
tc_arena_strdup(struct tc_arena *arena, const char *s)
{
    return s == NULL ? NULL : tc_arena_strndup(arena, s, strlen(s));
}

char *
tc_arena_printf(struct tc_arena *arena, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *out;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (out = tc_arena_alloc(arena, (size_t)n + 1)) == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return out;
}

int
tc_arena_defer(struct tc_arena *arena, void (*fn)(void *), void *ptr)
{
    struct deferred *d = tc_arena_alloc(arena, sizeof(*d));

    if (d == NULL) {
        fn(ptr);
        return -1;
    }
    d->fn = fn;
    d->ptr = ptr;
    d->next = arena->deferred;
    arena->deferred = d;
    return 0;
}

size_t
tc_arena_used(const struct tc_arena *arena)
{
    return arena->used;
}

void
tc_arena_destroy(struct tc_arena *arena)
{
    if (arena == NULL)
        return;
    for (struct deferred *d = arena->deferred; d != NULL; d = d->next)
        d->fn(d->ptr); /* newest first: results cleared before their connection returns */
    for (struct chunk *c = arena->chunks, *next; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    free(arena);
}
