/*
 * Validations per second of a realistic submission (tests/fixtures/form: a livelihood-group
 * survey with a repeat of members) against its loaded form model, and form loads per second.
 * Usage: bench_form [seconds]   (fixtures are found next to this source file)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tincay/arena.h"
#include "tincay/form.h"

static char *
read_fixture(const char *name, size_t *len)
{
    char path[2048];
    const char *self = __FILE__, *cut = strstr(self, "bench/bench_form.c");
    FILE *f;
    char *buf = NULL;
    long size;

    snprintf(path, sizeof(path), "%.*stests/fixtures/form/%s", cut ? (int)(cut - self) : 0, self,
             name);
    if ((f = fopen(path, "rb")) == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)size + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)size, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

static double
now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Validate the fixture `name` for `seconds` and print the rate. */
static int
bench_submission(const struct tc_form_model *model, const char *name, double seconds)
{
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    size_t len = 0, runs = 0, findings = 0, members = 0;
    char *xml = read_fixture(name, &len);
    double start = now_seconds(), elapsed;

    if (xml == NULL) {
        fprintf(stderr, "bench_form: %s not found\n", name);
        return -1;
    }
    for (const char *p = strstr(xml, "<member>"); p != NULL; p = strstr(p + 1, "<member>"))
        members++;
    do {
        struct tc_arena *arena = tc_arena_create(16 * 1024);
        struct tc_submission *sub = NULL;

        if (arena == NULL ||
            tc_submission_parse(xml, len, model, TC_LANG_VI, arena, &sub, &err) != TC_OK) {
            fprintf(stderr, "bench_form: %s\n", err.msg);
            free(xml);
            return -1;
        }
        findings += sub->n_findings;
        tc_arena_destroy(arena);
        runs++;
    } while ((elapsed = now_seconds() - start) < seconds);
    printf("validation of %s: %zu bytes, %zu repeat entries, %.0f validations/s on one thread "
           "(%zu findings)\n",
           name, len, members, (double)runs / elapsed, findings);
    free(xml);
    return 0;
}

int
main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    static const char *const submissions[] = {"livelihood-survey--good.xml",
                                              "livelihood-survey--twelve.xml"};
    size_t form_len = 0, loads = 0;
    char *form = read_fixture("livelihood-survey.xml", &form_len);
    struct tc_error err = TC_ERROR_INIT(TC_LANG_EN);
    struct tc_form_model *model = NULL;
    double start, elapsed;

    if (form == NULL) {
        fprintf(stderr, "bench_form: fixtures not found\n");
        return 1;
    }
    tc_xml_init();
    start = now_seconds();
    do {
        tc_form_model_free(model);
        if (tc_form_load(form, form_len, &model, &err) != TC_OK) {
            fprintf(stderr, "bench_form: %s\n", err.msg);
            return 1;
        }
        loads++;
    } while ((elapsed = now_seconds() - start) < seconds / 4);
    printf("form load: %zu bytes, %zu fields, %.0f loads/s\n", form_len, tc_form_field_count(model),
           (double)loads / elapsed);

    for (size_t i = 0; i < sizeof(submissions) / sizeof(submissions[0]); i++)
        if (bench_submission(model, submissions[i], seconds) != 0)
            return 1;
    tc_form_model_free(model);
    free(form);
    return 0;
}
