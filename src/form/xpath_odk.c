/*
 * The ODK XPath function library on top of libxml2's XPath 1.0 (ODK XForms spec,
 * "XPath functions"). Arguments come from submissions: every function checks its arity,
 * bounds and allocation results, and never trusts a string to be short or well-formed.
 */

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <libxml/xmlstring.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "form/form_internal.h"

#define ODK_MAX_ARGS 64

static struct tc_xpath_env *
env_of(xmlXPathParserContextPtr ctxt)
{
    return ctxt->context->funcLookupData;
}

/* Pop the `nargs` arguments into args[0..nargs) in call order; false on arity error. */
static bool
pop_args(xmlXPathParserContextPtr ctxt, int nargs, int min, int max, xmlXPathObjectPtr *args)
{
    if (nargs < min || (max >= 0 && nargs > max) || nargs > ODK_MAX_ARGS) {
        xmlXPathErr(ctxt, XPATH_INVALID_ARITY);
        return false;
    }
    if (nargs == 0 || args == NULL)
        return nargs == 0;
    for (int i = nargs - 1; i >= 0; i--)
        args[i] = valuePop(ctxt);
    for (int i = 0; i < nargs; i++)
        if (args[i] == NULL) {
            for (int j = 0; j < nargs; j++)
                xmlXPathFreeObject(args[j]);
            xmlXPathErr(ctxt, XPATH_STACK_ERROR);
            return false;
        }
    return true;
}

static void
free_args(xmlXPathObjectPtr *args, int nargs)
{
    for (int i = 0; i < nargs; i++)
        xmlXPathFreeObject(args[i]);
}

/* String value of an argument, malloc'ed by libxml2 (xmlFree); "" never NULL unless OOM. */
static xmlChar *
str_arg(xmlXPathObjectPtr obj)
{
    return xmlXPathCastToString(obj);
}

static double
num_arg(xmlXPathObjectPtr obj)
{
    return xmlXPathCastToNumber(obj);
}

static void
push_string(xmlXPathParserContextPtr ctxt, const char *s)
{
    valuePush(ctxt, xmlXPathNewString(X(s != NULL ? s : "")));
}

static void
push_owned_string(xmlXPathParserContextPtr ctxt, xmlChar *s)
{
    if (s == NULL) {
        xmlXPathErr(ctxt, XPATH_MEMORY_ERROR);
        return;
    }
    valuePush(ctxt, xmlXPathWrapString(s));
}

/* Is `token` one of the space-separated words of `list`? */
static bool
has_token(const char *list, const char *token)
{
    size_t n = strlen(token);

    while (*token == ' ')
        token++, n--;
    while (n > 0 && token[n - 1] == ' ')
        n--;
    if (n == 0)
        return false;
    for (const char *p = list; *p != '\0';) {
        size_t w;
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        w = strcspn(p, " \t\n");
        if (w == n && strncmp(p, token, n) == 0)
            return true;
        p += w;
    }
    return false;
}

/* The `index`-th (0-based) word of `list` as [start, start+len), or false. */
static bool
nth_token(const char *list, double index, const char **start, size_t *len)
{
    double i = 0;

    if (!(index >= 0))
        return false;
    for (const char *p = list; *p != '\0';) {
        size_t w;
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p == '\0')
            break;
        w = strcspn(p, " \t\n");
        if (i == index) {
            *start = p;
            *len = w;
            return true;
        }
        i++;
        p += w;
    }
    return false;
}

static void
fn_selected(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[2];
    xmlChar *list, *value;

    if (!pop_args(ctxt, nargs, 2, 2, args))
        return;
    list = str_arg(args[0]);
    value = str_arg(args[1]);
    valuePush(ctxt,
              xmlXPathNewBoolean(list != NULL && value != NULL && has_token(S(list), S(value))));
    xmlFree(list);
    xmlFree(value);
    free_args(args, nargs);
}

static void
fn_count_selected(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];
    xmlChar *list;
    double n = 0;
    const char *start;
    size_t len;

    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    list = str_arg(args[0]);
    while (list != NULL && nth_token(S(list), n, &start, &len))
        n++;
    valuePush(ctxt, xmlXPathNewFloat(n));
    xmlFree(list);
    free_args(args, nargs);
}

static void
fn_selected_at(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[2];
    xmlChar *list;
    const char *start = "";
    size_t len = 0;

    if (!pop_args(ctxt, nargs, 2, 2, args))
        return;
    list = str_arg(args[0]);
    if (list != NULL && nth_token(S(list), num_arg(args[1]), &start, &len))
        push_owned_string(ctxt, xmlStrndup(X(start), (int)len));
    else
        push_string(ctxt, "");
    xmlFree(list);
    free_args(args, nargs);
}

/* jr:choice-name(value, 'path'): the label of the choice in the current language. */
static void
fn_choice_name(xmlXPathParserContextPtr ctxt, int nargs)
{
    struct tc_xpath_env *env = env_of(ctxt);
    xmlXPathObjectPtr args[2];
    xmlChar *value, *path;
    const char *label = "";

    if (!pop_args(ctxt, nargs, 2, 2, args))
        return;
    value = str_arg(args[0]);
    path = str_arg(args[1]);
    if (value != NULL && path != NULL && env->model != NULL && env->arena != NULL) {
        char *norm = tc_form_normalize_path(env->arena, NULL, S(path));
        const struct tc_form_field *f = norm ? tc_form_field_find(env->model, norm) : NULL;

        for (size_t i = 0; f != NULL && i < f->n_choices; i++)
            if (strcmp(f->choices[i].value, S(value)) == 0) {
                label = f->choices[i].labels != NULL && env->lang_index < env->model->n_languages
                            ? f->choices[i].labels[env->lang_index]
                            : f->choices[i].label;
                break;
            }
    }
    push_string(ctxt, label);
    xmlFree(value);
    xmlFree(path);
    free_args(args, nargs);
}

#define CACHE_EXPRS   64
#define CACHE_REGEXES 16

struct cached_expr {
    char *text;
    xmlXPathCompExprPtr comp;
};

struct cached_regex {
    char *pattern; /* NULL: slot unused */
    regex_t re;
    bool compiled; /* false: the pattern does not compile (regex() is then false) */
};

struct tc_xpath_cache {
    size_t n_exprs, n_regexes;
    struct cached_expr exprs[CACHE_EXPRS];
    struct cached_regex regexes[CACHE_REGEXES];
};

struct tc_xpath_cache *
tc_xpath_cache_new(void)
{
    return calloc(1, sizeof(struct tc_xpath_cache));
}

void
tc_xpath_cache_free(struct tc_xpath_cache *cache)
{
    if (cache == NULL)
        return;
    for (size_t i = 0; i < cache->n_exprs; i++) {
        xmlXPathFreeCompExpr(cache->exprs[i].comp);
        free(cache->exprs[i].text);
    }
    for (size_t i = 0; i < cache->n_regexes; i++) {
        if (cache->regexes[i].compiled)
            regfree(&cache->regexes[i].re);
        free(cache->regexes[i].pattern);
    }
    free(cache);
}

/*
 * The compiled form of `pattern` from the cache, compiling it on first use; NULL when there
 * is no cache or no free slot (the caller compiles it itself) or when it does not compile.
 */
static regex_t *
cached_regex(struct tc_xpath_cache *cache, const char *pattern)
{
    struct cached_regex *slot;

    if (cache == NULL)
        return NULL;
    for (size_t i = 0; i < cache->n_regexes; i++)
        if (strcmp(cache->regexes[i].pattern, pattern) == 0)
            return cache->regexes[i].compiled ? &cache->regexes[i].re : NULL;
    if (cache->n_regexes == CACHE_REGEXES)
        return NULL;
    slot = &cache->regexes[cache->n_regexes];
    if ((slot->pattern = strdup(pattern)) == NULL)
        return NULL;
    cache->n_regexes++;
    slot->compiled = regcomp(&slot->re, pattern, REG_EXTENDED | REG_NOSUB) == 0;
    return slot->compiled ? &slot->re : NULL;
}

static void
fn_regex(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[2];
    xmlChar *value, *pattern;
    regex_t own, *re;
    bool match = false;

    if (!pop_args(ctxt, nargs, 2, 2, args))
        return;
    value = str_arg(args[0]);
    pattern = str_arg(args[1]);
    if (value != NULL && pattern != NULL) {
        if ((re = cached_regex(env_of(ctxt)->cache, S(pattern))) != NULL)
            match = regexec(re, S(value), 0, NULL, 0) == 0;
        else if (regcomp(&own, S(pattern), REG_EXTENDED | REG_NOSUB) == 0) {
            match = regexec(&own, S(value), 0, NULL, 0) == 0;
            regfree(&own);
        }
    }
    valuePush(ctxt, xmlXPathNewBoolean(match));
    xmlFree(value);
    xmlFree(pattern);
    free_args(args, nargs);
}

static void
fn_coalesce(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[2];
    xmlChar *a, *b;

    if (!pop_args(ctxt, nargs, 2, 2, args))
        return;
    a = str_arg(args[0]);
    b = str_arg(args[1]);
    push_string(ctxt, a != NULL && a[0] != '\0' ? S(a) : S(b));
    xmlFree(a);
    xmlFree(b);
    free_args(args, nargs);
}

/* if(cond, a, b): returns a or b unchanged (node-sets stay node-sets). */
static void
fn_if(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[3];
    int pick;

    if (!pop_args(ctxt, nargs, 3, 3, args))
        return;
    pick = xmlXPathCastToBoolean(args[0]) ? 1 : 2;
    valuePush(ctxt, args[pick]);
    args[pick] = NULL;
    free_args(args, nargs);
}

/* substr(s, start[, end]): characters [start, end), 0-based, clamped. */
static void
fn_substr(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[3];
    xmlChar *s;
    double start, end, len;

    if (!pop_args(ctxt, nargs, 2, 3, args))
        return;
    s = str_arg(args[0]);
    if (s == NULL || xmlCheckUTF8(s) == 0) {
        push_string(ctxt, "");
        goto out;
    }
    len = (double)xmlUTF8Strlen(s);
    start = floor(num_arg(args[1]));
    end = nargs == 3 ? floor(num_arg(args[2])) : len;
    if (isnan(start) || isnan(end)) {
        push_string(ctxt, "");
        goto out;
    }
    if (start < 0)
        start = 0;
    if (end > len)
        end = len;
    if (end <= start)
        push_string(ctxt, "");
    else
        push_owned_string(ctxt, xmlUTF8Strsub(s, (int)start, (int)(end - start)));
out:
    xmlFree(s);
    free_args(args, nargs);
}

static void
fn_ends_with(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[2];
    xmlChar *s, *suffix;
    bool hit = false;

    if (!pop_args(ctxt, nargs, 2, 2, args))
        return;
    s = str_arg(args[0]);
    suffix = str_arg(args[1]);
    if (s != NULL && suffix != NULL) {
        size_t n = strlen(S(s)), m = strlen(S(suffix));
        hit = m <= n && memcmp(s + n - m, suffix, m) == 0;
    }
    valuePush(ctxt, xmlXPathNewBoolean(hit));
    xmlFree(s);
    xmlFree(suffix);
    free_args(args, nargs);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant). */
static double
days_from_civil(long y, long m, long d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (double)(era * 146097 + doe - 719468);
}

static void
civil_from_days(long z, long *y, long *m, long *d)
{
    long era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static bool
read_digits(const char **p, int count, long *out)
{
    long v = 0;

    for (int i = 0; i < count; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return false;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return true;
}

bool
tc_form_parse_time(const char *p, double *seconds)
{
    long h, mi, s = 0, oh, om;
    double frac = 0, offset = 0;

    if (!read_digits(&p, 2, &h) || *p++ != ':' || !read_digits(&p, 2, &mi) || h > 24 || mi > 59)
        return false;
    if (*p == ':') {
        p++;
        if (!read_digits(&p, 2, &s) || s > 60)
            return false;
        if (*p == '.') {
            double scale = 0.1;
            if (!isdigit((unsigned char)*++p))
                return false;
            for (; isdigit((unsigned char)*p) && scale > 1e-9; p++, scale /= 10)
                frac += (*p - '0') * scale;
            while (isdigit((unsigned char)*p))
                p++;
        }
    }
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        if (!read_digits(&p, 2, &oh) || oh > 14)
            return false;
        om = 0;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)*p) && (!read_digits(&p, 2, &om) || om > 59))
            return false;
        offset = sign * (double)(oh * 3600 + om * 60);
    }
    if (*p != '\0')
        return false;
    *seconds = (double)(h * 3600 + mi * 60 + s) + frac - offset;
    return true;
}

bool
tc_form_parse_datetime(const char *p, double *days)
{
    long y, m, d;
    double secs = 0;

    while (*p == ' ')
        p++;
    if (!read_digits(&p, 4, &y) || *p++ != '-' || !read_digits(&p, 2, &m) || *p++ != '-' ||
        !read_digits(&p, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    if (d > 28) {
        long yy, mm, dd;
        civil_from_days((long)days_from_civil(y, m, d), &yy, &mm, &dd);
        if (mm != m)
            return false; /* 31 April, 30 February */
    }
    if (*p == 'T' && !tc_form_parse_time(p + 1, &secs))
        return false;
    if (*p != 'T' && *p != '\0')
        return false;
    *days = days_from_civil(y, m, d) + secs / 86400.0;
    return true;
}

/* A date-like argument as days since the epoch: a number is taken as days already. */
static double
days_arg(xmlXPathObjectPtr obj)
{
    xmlChar *s;
    double days = NAN;

    if (obj->type == XPATH_NUMBER)
        return obj->floatval;
    s = str_arg(obj);
    if (s != NULL && !tc_form_parse_datetime(S(s), &days)) {
        char *end;
        double v = strtod(S(s), &end);
        if (end != S(s) && *end == '\0')
            days = v;
    }
    xmlFree(s);
    return days;
}

static void
format_days(char *out, size_t size, double days, bool with_time)
{
    long y, m, d, whole = (long)floor(days);
    double secs = (days - (double)whole) * 86400.0;
    long s = (long)floor(secs + 0.5);
    char text[128]; /* wide enough for any long values: the copy below then cannot truncate */

    if (s >= 86400) {
        whole++;
        s -= 86400;
    }
    civil_from_days(whole, &y, &m, &d);
    if (with_time)
        snprintf(text, sizeof(text), "%04ld-%02ld-%02ldT%02ld:%02ld:%02ld.000Z", y, m, d, s / 3600,
                 s / 60 % 60, s % 60);
    else
        snprintf(text, sizeof(text), "%04ld-%02ld-%02ld", y, m, d);
    snprintf(out, size, "%s", text);
}

static bool
days_in_range(double days)
{
    return isfinite(days) && days > -1e7 && days < 1e7; /* about ±27,000 years */
}

static void
push_date(xmlXPathParserContextPtr ctxt, double days, bool with_time)
{
    char buf[128]; /* room for any long the compiler imagines */

    if (env_of(ctxt)->dates_as_numbers) { /* comparing dates: days since the epoch */
        valuePush(ctxt, xmlXPathNewFloat(days_in_range(days) ? days : NAN));
        return;
    }
    if (!days_in_range(days)) {
        push_string(ctxt, "");
        return;
    }
    format_days(buf, sizeof(buf), days, with_time);
    push_string(ctxt, buf);
}

static void
fn_date(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];

    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    push_date(ctxt, floor(days_arg(args[0])), false);
    free_args(args, nargs);
}

static void
fn_date_time(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];

    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    push_date(ctxt, days_arg(args[0]), true);
    free_args(args, nargs);
}

static void
fn_decimal_date_time(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];

    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    valuePush(ctxt, xmlXPathNewFloat(days_arg(args[0])));
    free_args(args, nargs);
}

static void
fn_decimal_time(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];
    xmlChar *s;
    double secs = NAN;

    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    s = str_arg(args[0]);
    if (s == NULL || !tc_form_parse_time(S(s), &secs))
        secs = NAN;
    else
        secs = fmod(fmod(secs, 86400.0) + 86400.0, 86400.0);
    valuePush(ctxt, xmlXPathNewFloat(secs / 86400.0));
    xmlFree(s);
    free_args(args, nargs);
}

static double
now_days(const struct tc_xpath_env *env)
{
    return (double)env->now / 86400.0;
}

static void
fn_today(xmlXPathParserContextPtr ctxt, int nargs)
{
    if (!pop_args(ctxt, nargs, 0, 0, NULL))
        return;
    push_date(ctxt, floor(now_days(env_of(ctxt))), false);
}

static void
fn_now(xmlXPathParserContextPtr ctxt, int nargs)
{
    if (!pop_args(ctxt, nargs, 0, 0, NULL))
        return;
    push_date(ctxt, now_days(env_of(ctxt)), true);
}

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};

/* format-date(date, format): %Y %y %m %n %b %d %e %a %H %h %M %S %3; others verbatim. */
static void
fn_format_date(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[2];
    xmlChar *fmt;
    char out[512];
    size_t len = 0;
    double days;
    long y, m, d, whole, secs;

    if (!pop_args(ctxt, nargs, 2, 2, args))
        return;
    days = days_arg(args[0]);
    fmt = str_arg(args[1]);
    if (fmt == NULL || !days_in_range(days)) {
        push_string(ctxt, "");
        goto out;
    }
    whole = (long)floor(days);
    secs = (long)floor((days - (double)whole) * 86400.0 + 0.5) % 86400;
    civil_from_days(whole, &y, &m, &d);
    for (const char *p = S(fmt); *p != '\0' && len < sizeof(out) - 16; p++) {
        int w = 0;
        if (*p != '%' || p[1] == '\0') {
            out[len++] = *p;
            continue;
        }
        switch (*++p) {
        case 'Y': w = snprintf(out + len, 16, "%04ld", y); break;
        case 'y': w = snprintf(out + len, 16, "%02ld", y % 100); break;
        case 'm': w = snprintf(out + len, 16, "%02ld", m); break;
        case 'n': w = snprintf(out + len, 16, "%ld", m); break;
        case 'b': w = snprintf(out + len, 16, "%s", month_names[m - 1]); break;
        case 'd': w = snprintf(out + len, 16, "%02ld", d); break;
        case 'e': w = snprintf(out + len, 16, "%ld", d); break;
        case 'a': w = snprintf(out + len, 16, "%s", day_names[((whole % 7) + 7) % 7]); break;
        case 'H': w = snprintf(out + len, 16, "%02ld", secs / 3600); break;
        case 'h': w = snprintf(out + len, 16, "%ld", secs / 3600); break;
        case 'M': w = snprintf(out + len, 16, "%02ld", secs / 60 % 60); break;
        case 'S': w = snprintf(out + len, 16, "%02ld", secs % 60); break;
        case '3': w = snprintf(out + len, 16, "000"); break;
        default: out[len++] = '%'; out[len++] = *p;
        }
        len += w > 0 ? (w < 16 ? (size_t)w : 15) : 0; /* snprintf may have truncated */
    }
    out[len] = '\0';
    push_string(ctxt, out);
out:
    xmlFree(fmt);
    free_args(args, nargs);
}

static void
fn_int(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];

    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    valuePush(ctxt, xmlXPathNewFloat(trunc(num_arg(args[0]))));
    free_args(args, nargs);
}

/* round(x[, digits]): half away from zero, as ODK Collect does. */
static void
fn_round(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[2];
    double x, digits = 0, scale;

    if (!pop_args(ctxt, nargs, 1, 2, args))
        return;
    x = num_arg(args[0]);
    if (nargs == 2)
        digits = trunc(num_arg(args[1]));
    if (isnan(digits) || digits > 15 || digits < -15) {
        valuePush(ctxt, xmlXPathNewFloat(isnan(digits) ? NAN : x));
    } else {
        scale = pow(10.0, digits);
        valuePush(ctxt, xmlXPathNewFloat(round(x * scale) / scale));
    }
    free_args(args, nargs);
}

static void
fn_pow(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[2];

    if (!pop_args(ctxt, nargs, 2, 2, args))
        return;
    valuePush(ctxt, xmlXPathNewFloat(pow(num_arg(args[0]), num_arg(args[1]))));
    free_args(args, nargs);
}

static void
fn_abs(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];

    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    valuePush(ctxt, xmlXPathNewFloat(fabs(num_arg(args[0]))));
    free_args(args, nargs);
}

/* One-argument math functions: log, log10, exp, exp10, sqrt, sin, cos, tan, ... */
static const struct {
    const char *name;
    double (*fn)(double);
} math1[] = {
    {"log", log}, {"log10", log10}, {"exp", exp},   {"sqrt", sqrt}, {"sin", sin},
    {"cos", cos}, {"tan", tan},     {"asin", asin}, {"acos", acos}, {"atan", atan},
};

static void
fn_math1(xmlXPathParserContextPtr ctxt, int nargs, double (*fn)(double))
{
    xmlXPathObjectPtr args[1];

    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    valuePush(ctxt, xmlXPathNewFloat(fn(num_arg(args[0]))));
    free_args(args, nargs);
}

#define MATH1(i)                                                                                   \
    static void fn_math1_##i(xmlXPathParserContextPtr ctxt, int nargs)                             \
    {                                                                                              \
        fn_math1(ctxt, nargs, math1[i].fn);                                                        \
    }
MATH1(0)
MATH1(1)
MATH1(2)
MATH1(3)
MATH1(4)
MATH1(5)
MATH1(6)
MATH1(7)
MATH1(8)
MATH1(9)

static void
fn_exp10(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];

    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    valuePush(ctxt, xmlXPathNewFloat(pow(10.0, num_arg(args[0]))));
    free_args(args, nargs);
}

static void
fn_atan2(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[2];

    if (!pop_args(ctxt, nargs, 2, 2, args))
        return;
    valuePush(ctxt, xmlXPathNewFloat(atan2(num_arg(args[0]), num_arg(args[1]))));
    free_args(args, nargs);
}

static void
fn_pi(xmlXPathParserContextPtr ctxt, int nargs)
{
    if (!pop_args(ctxt, nargs, 0, 0, NULL))
        return;
    valuePush(ctxt, xmlXPathNewFloat(M_PI));
}

/* position([node]): 1-based index of the node among its same-named siblings. */
static void
fn_position(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];
    xmlNodePtr node;
    double pos = 1;

    if (nargs == 0) {
        valuePush(ctxt, xmlXPathNewFloat((double)ctxt->context->proximityPosition));
        return;
    }
    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    if (args[0]->type != XPATH_NODESET || args[0]->nodesetval == NULL ||
        args[0]->nodesetval->nodeNr == 0) {
        valuePush(ctxt, xmlXPathNewFloat(NAN));
        free_args(args, nargs);
        return;
    }
    node = args[0]->nodesetval->nodeTab[0];
    for (xmlNodePtr s = node->prev; s != NULL; s = s->prev)
        if (s->type == XML_ELEMENT_NODE && xmlStrEqual(s->name, node->name))
            pos++;
    valuePush(ctxt, xmlXPathNewFloat(pos));
    free_args(args, nargs);
}

static void
fn_boolean_from_string(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];
    xmlChar *s;

    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    s = str_arg(args[0]);
    valuePush(ctxt, xmlXPathNewBoolean(s != NULL &&
                                       (xmlStrEqual(s, X("true")) || xmlStrEqual(s, X("1")))));
    xmlFree(s);
    free_args(args, nargs);
}

/* min/max over numbers and node-sets; NaN when empty or any value is not a number. */
static void
fn_minmax(xmlXPathParserContextPtr ctxt, int nargs, bool want_max)
{
    xmlXPathObjectPtr args[ODK_MAX_ARGS];
    double best = NAN;
    bool any = false, bad = false;

    if (!pop_args(ctxt, nargs, 1, -1, args))
        return;
    for (int i = 0; i < nargs; i++) {
        xmlNodeSetPtr set = args[i]->type == XPATH_NODESET ? args[i]->nodesetval : NULL;
        int n = args[i]->type == XPATH_NODESET ? (set != NULL ? set->nodeNr : 0) : 1;
        for (int j = 0; j < n; j++) {
            double v = set != NULL ? xmlXPathCastNodeToNumber(set->nodeTab[j]) : num_arg(args[i]);
            if (isnan(v))
                bad = true;
            else if (!any || (want_max ? v > best : v < best))
                best = v;
            any = true;
        }
    }
    valuePush(ctxt, xmlXPathNewFloat(bad || !any ? NAN : best));
    free_args(args, nargs);
}

static void
fn_min(xmlXPathParserContextPtr ctxt, int nargs)
{
    fn_minmax(ctxt, nargs, false);
}

static void
fn_max(xmlXPathParserContextPtr ctxt, int nargs)
{
    fn_minmax(ctxt, nargs, true);
}

static void
fn_uuid(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];
    unsigned char b[16];
    char out[37];

    if (!pop_args(ctxt, nargs, 0, 1, args))
        return;
    free_args(args, nargs);
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        xmlXPathErr(ctxt, XPATH_EXPR_ERROR);
        return;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, sizeof(out),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    push_string(ctxt, out);
}

/* once(x): the node's own value when it has one, else x. */
static void
fn_once(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];
    xmlNodePtr node = env_of(ctxt)->current;
    xmlChar *own;

    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    own = node != NULL ? xmlNodeGetContent(node) : NULL;
    if (own != NULL && own[0] != '\0') {
        push_owned_string(ctxt, own);
        own = NULL;
    } else {
        push_owned_string(ctxt, str_arg(args[0]));
    }
    xmlFree(own);
    free_args(args, nargs);
}

/* join(separator, values...): node-sets contribute every node. */
static void
fn_join(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[ODK_MAX_ARGS];
    xmlChar *sep, *out = xmlStrdup(X(""));
    bool first = true;

    if (!pop_args(ctxt, nargs, 1, -1, args)) {
        xmlFree(out);
        return;
    }
    sep = str_arg(args[0]);
    for (int i = 1; i < nargs && out != NULL && sep != NULL; i++) {
        xmlNodeSetPtr set = args[i]->type == XPATH_NODESET ? args[i]->nodesetval : NULL;
        int n = args[i]->type == XPATH_NODESET ? (set != NULL ? set->nodeNr : 0) : 1;
        for (int j = 0; j < n && out != NULL; j++) {
            xmlChar *v = set != NULL ? xmlXPathCastNodeToString(set->nodeTab[j]) : str_arg(args[i]);
            if (!first)
                out = xmlStrcat(out, sep);
            out = v != NULL ? xmlStrcat(out, v) : out;
            xmlFree(v);
            first = false;
        }
    }
    push_owned_string(ctxt, sep != NULL ? out : NULL);
    if (sep == NULL)
        xmlFree(out);
    xmlFree(sep);
    free_args(args, nargs);
}

/* Geo points "lat lon [alt acc]" separated by ';' from a string or node-set. */
static size_t
parse_points(const char *s, double (*pts)[2], size_t max)
{
    size_t n = 0;

    while (*s != '\0' && n < max) {
        char *end;
        double lat = strtod(s, &end), lon;
        if (end == s)
            break;
        lon = strtod(end, &end);
        if (!isfinite(lat) || !isfinite(lon) || fabs(lat) > 90 || fabs(lon) > 180)
            break;
        pts[n][0] = lat;
        pts[n][1] = lon;
        n++;
        s = strchr(end, ';');
        if (s == NULL)
            break;
        s++;
    }
    return n;
}

#define EARTH_RADIUS_M 6378100.0
#define MAX_POINTS     2048

static xmlChar *
geo_arg(xmlXPathObjectPtr obj)
{
    if (obj->type == XPATH_NODESET && obj->nodesetval != NULL && obj->nodesetval->nodeNr > 1) {
        xmlChar *out = xmlStrdup(X(""));
        for (int i = 0; i < obj->nodesetval->nodeNr && out != NULL; i++) {
            xmlChar *v = xmlXPathCastNodeToString(obj->nodesetval->nodeTab[i]);
            if (i > 0)
                out = xmlStrcat(out, X(";"));
            out = v != NULL ? xmlStrcat(out, v) : out;
            xmlFree(v);
        }
        return out;
    }
    return str_arg(obj);
}

/* distance(trace): metres along the points (haversine). */
static void
fn_distance(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];
    xmlChar *s;
    double(*pts)[2] = malloc(sizeof(*pts) * MAX_POINTS), total = 0;
    size_t n;

    if (pts == NULL || !pop_args(ctxt, nargs, 1, 1, args)) {
        free(pts);
        return;
    }
    s = geo_arg(args[0]);
    n = s != NULL ? parse_points(S(s), pts, MAX_POINTS) : 0;
    for (size_t i = 1; i < n; i++) {
        double p1 = pts[i - 1][0] * M_PI / 180, p2 = pts[i][0] * M_PI / 180;
        double dp = p2 - p1, dl = (pts[i][1] - pts[i - 1][1]) * M_PI / 180;
        double h = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
        total += 2 * EARTH_RADIUS_M * atan2(sqrt(h), sqrt(1 - h));
    }
    valuePush(ctxt, xmlXPathNewFloat(total));
    xmlFree(s);
    free(pts);
    free_args(args, nargs);
}

/* area(shape): square metres of the polygon, on a local equirectangular projection. */
static void
fn_area(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];
    xmlChar *s;
    double(*pts)[2] = malloc(sizeof(*pts) * MAX_POINTS), sum = 0, lat0 = 0;
    size_t n;

    if (pts == NULL || !pop_args(ctxt, nargs, 1, 1, args)) {
        free(pts);
        return;
    }
    s = geo_arg(args[0]);
    n = s != NULL ? parse_points(S(s), pts, MAX_POINTS) : 0;
    for (size_t i = 0; i < n; i++)
        lat0 += pts[i][0] / (double)n;
    for (size_t i = 0; n >= 3 && i < n; i++) {
        size_t j = (i + 1) % n;
        double xi = pts[i][1] * cos(lat0 * M_PI / 180), xj = pts[j][1] * cos(lat0 * M_PI / 180);
        sum += xi * pts[j][0] - xj * pts[i][0];
    }
    sum = fabs(sum) / 2 * pow(EARTH_RADIUS_M * M_PI / 180, 2);
    valuePush(ctxt, xmlXPathNewFloat(sum));
    xmlFree(s);
    free(pts);
    free_args(args, nargs);
}

/* The child of `parent` that is an <instance> with this id, or NULL. */
static xmlNodePtr
instance_named(xmlNodePtr parent, const xmlChar *id)
{
    for (xmlNodePtr i = parent != NULL ? parent->children : NULL; i != NULL && id != NULL;
         i = i->next) {
        xmlChar *iid = i->type == XML_ELEMENT_NODE ? xmlGetProp(i, X("id")) : NULL;
        bool hit = iid != NULL && xmlStrEqual(iid, id);

        xmlFree(iid);
        if (hit)
            return i;
    }
    return NULL;
}

/*
 * The secondary instance `id` for this evaluation: its copy in env->into (made on first
 * use; see struct tc_xpath_env), else the model's own. NULL when the form has none.
 */
static xmlNodePtr
secondary_for(struct tc_xpath_env *env, const xmlChar *id)
{
    xmlNodePtr hit = instance_named(env->copies, id), shared, copy, root;

    if (hit != NULL)
        return hit;
    shared = env->model != NULL && env->model->secondary != NULL
                 ? instance_named(xmlDocGetRootElement(env->model->secondary), id)
                 : NULL;
    if (shared == NULL || env->into == NULL || (root = xmlDocGetRootElement(env->into)) == NULL)
        return shared;
    if (env->copies == NULL) {
        xmlNodePtr holder = xmlNewDocNode(env->into, NULL, X("instances"), NULL);
        if (holder == NULL || xmlAddNextSibling(root, holder) == NULL) {
            xmlFreeNode(holder);
            return shared;
        }
        env->copies = holder;
    }
    if ((copy = xmlDocCopyNode(shared, env->into, 1)) == NULL)
        return shared;
    if (xmlAddChild(env->copies, copy) == NULL) {
        xmlFreeNode(copy);
        return shared;
    }
    return copy;
}

/* instance('id'): the secondary instance; its child is the instance's root element. */
static void
fn_instance(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[1];
    xmlChar *id;

    if (!pop_args(ctxt, nargs, 1, 1, args))
        return;
    id = str_arg(args[0]);
    valuePush(ctxt, xmlXPathNewNodeSet(id != NULL ? secondary_for(env_of(ctxt), id) : NULL));
    xmlFree(id);
    free_args(args, nargs);
}

static void
fn_current(xmlXPathParserContextPtr ctxt, int nargs)
{
    if (!pop_args(ctxt, nargs, 0, 0, NULL))
        return;
    valuePush(ctxt, xmlXPathNewNodeSet(env_of(ctxt)->current));
}

static void
fn_version(xmlXPathParserContextPtr ctxt, int nargs)
{
    struct tc_xpath_env *env = env_of(ctxt);

    if (!pop_args(ctxt, nargs, 0, 0, NULL))
        return;
    push_string(ctxt, env->model != NULL ? env->model->version : "");
}

/* checklist(min, max, v...): how many v are true lies in [min, max] (-1: unbounded). */
static void
fn_checklist(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[ODK_MAX_ARGS];
    double lo, hi, count = 0;

    if (!pop_args(ctxt, nargs, 2, -1, args))
        return;
    lo = num_arg(args[0]);
    hi = num_arg(args[1]);
    for (int i = 2; i < nargs; i++) {
        xmlNodeSetPtr set = args[i]->type == XPATH_NODESET ? args[i]->nodesetval : NULL;
        if (args[i]->type != XPATH_NODESET) {
            count += xmlXPathCastToBoolean(args[i]) ? 1 : 0;
            continue;
        }
        for (int j = 0; set != NULL && j < set->nodeNr; j++) {
            xmlChar *v = xmlXPathCastNodeToString(set->nodeTab[j]);
            count += v != NULL && (xmlStrEqual(v, X("true")) || xmlStrEqual(v, X("1")));
            xmlFree(v);
        }
    }
    valuePush(ctxt, xmlXPathNewBoolean((lo < 0 || count >= lo) && (hi < 0 || count <= hi)));
    free_args(args, nargs);
}

/* indexed-repeat(node, repeat, n): the node inside the n-th (1-based) repeat instance. */
static void
fn_indexed_repeat(xmlXPathParserContextPtr ctxt, int nargs)
{
    xmlXPathObjectPtr args[3];
    xmlNodeSetPtr targets, repeats;
    xmlNodePtr hit = NULL;
    double n;

    if (!pop_args(ctxt, nargs, 3, 3, args))
        return;
    targets = args[0]->type == XPATH_NODESET ? args[0]->nodesetval : NULL;
    repeats = args[1]->type == XPATH_NODESET ? args[1]->nodesetval : NULL;
    n = num_arg(args[2]);
    if (targets != NULL && repeats != NULL && n >= 1 && n <= repeats->nodeNr) {
        xmlNodePtr r = repeats->nodeTab[(int)n - 1];
        for (int i = 0; i < targets->nodeNr && hit == NULL; i++)
            for (xmlNodePtr a = targets->nodeTab[i]; a != NULL; a = a->parent)
                if (a == r) {
                    hit = targets->nodeTab[i];
                    break;
                }
    }
    valuePush(ctxt, xmlXPathNewNodeSet(hit));
    free_args(args, nargs);
}

static void
fn_random(xmlXPathParserContextPtr ctxt, int nargs)
{
    uint64_t r = 0;

    if (!pop_args(ctxt, nargs, 0, 0, NULL))
        return;
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        xmlXPathErr(ctxt, XPATH_EXPR_ERROR);
        return;
    }
    valuePush(ctxt, xmlXPathNewFloat((double)(r >> 11) / 9007199254740992.0));
}

static const struct {
    const char *name;
    xmlXPathFunction fn;
} odk_functions[] = {
    {"selected", fn_selected},
    {"is-selected", fn_selected},
    {"count-selected", fn_count_selected},
    {"selected-at", fn_selected_at},
    {"choice-name", fn_choice_name},
    {"regex", fn_regex},
    {"coalesce", fn_coalesce},
    {"if", fn_if},
    {"substr", fn_substr},
    {"ends-with", fn_ends_with},
    {"date", fn_date},
    {"date-time", fn_date_time},
    {"decimal-date-time", fn_decimal_date_time},
    {"decimal-date", fn_decimal_date_time},
    {"decimal-time", fn_decimal_time},
    {"today", fn_today},
    {"now", fn_now},
    {"format-date", fn_format_date},
    {"format-date-time", fn_format_date},
    {"int", fn_int},
    {"round", fn_round},
    {"pow", fn_pow},
    {"abs", fn_abs},
    {"exp10", fn_exp10},
    {"atan2", fn_atan2},
    {"pi", fn_pi},
    {"position", fn_position},
    {"boolean-from-string", fn_boolean_from_string},
    {"min", fn_min},
    {"max", fn_max},
    {"uuid", fn_uuid},
    {"once", fn_once},
    {"join", fn_join},
    {"distance", fn_distance},
    {"area", fn_area},
    {"instance", fn_instance},
    {"current", fn_current},
    {"version", fn_version},
    {"checklist", fn_checklist},
    {"indexed-repeat", fn_indexed_repeat},
    {"random", fn_random},
    {"log", fn_math1_0},
    {"log10", fn_math1_1},
    {"exp", fn_math1_2},
    {"sqrt", fn_math1_3},
    {"sin", fn_math1_4},
    {"cos", fn_math1_5},
    {"tan", fn_math1_6},
    {"asin", fn_math1_7},
    {"acos", fn_math1_8},
    {"atan", fn_math1_9},
};

/* Our functions answer in the default namespace and under any prefix (jr:, odk:, ...). */
static xmlXPathFunction
lookup_function(void *data, const xmlChar *name, const xmlChar *ns_uri)
{
    (void)data;
    (void)ns_uri;
    for (size_t i = 0; i < sizeof(odk_functions) / sizeof(odk_functions[0]); i++)
        if (strcmp(odk_functions[i].name, S(name)) == 0)
            return odk_functions[i].fn;
    return NULL; /* libxml2's own XPath 1.0 functions */
}

static void
drop_xpath_error(void *data, xmlErrorPtr error)
{
    (void)data;
    (void)error;
}

xmlXPathContextPtr
tc_xpath_context_new(xmlDocPtr doc, struct tc_xpath_env *env)
{
    xmlXPathContextPtr ctx;

    tc_xml_quiet_thread();
    if ((ctx = xmlXPathNewContext(doc)) == NULL)
        return NULL;
    ctx->error = drop_xpath_error;
    xmlXPathRegisterFuncLookup(ctx, lookup_function, env);
    for (size_t i = 0; env->model != NULL && i < env->model->n_ns; i++)
        if (xmlXPathRegisterNs(ctx, X(env->model->ns[i].prefix), X(env->model->ns[i].uri)) != 0) {
            xmlXPathFreeContext(ctx);
            return NULL;
        }
    return ctx;
}

/* `expr` compiled, from the cache when there is one; NULL when it does not compile. */
static xmlXPathCompExprPtr
compiled(xmlXPathContextPtr ctx, const char *expr, bool *owned)
{
    struct tc_xpath_cache *cache = ((struct tc_xpath_env *)ctx->funcLookupData)->cache;
    xmlXPathCompExprPtr comp;
    char *text;

    *owned = false;
    for (size_t i = 0; cache != NULL && i < cache->n_exprs; i++)
        if (strcmp(cache->exprs[i].text, expr) == 0)
            return cache->exprs[i].comp;
    if ((comp = xmlXPathCtxtCompile(ctx, X(expr))) == NULL)
        return NULL;
    if (cache != NULL && cache->n_exprs < CACHE_EXPRS && (text = strdup(expr)) != NULL)
        cache->exprs[cache->n_exprs++] = (struct cached_expr){text, comp};
    else
        *owned = true;
    return comp;
}

static xmlXPathObjectPtr
eval_at(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr)
{
    struct tc_xpath_env *env = ctx->funcLookupData;
    xmlXPathCompExprPtr comp;
    xmlXPathObjectPtr obj;
    bool owned;

    if ((comp = compiled(ctx, expr, &owned)) == NULL)
        return NULL;
    ctx->node = node;
    ctx->contextSize = 1;
    ctx->proximityPosition = 1;
    env->current = node;
    obj = xmlXPathCompiledEval(comp, ctx);
    if (owned)
        xmlXPathFreeCompExpr(comp);
    return obj;
}

int
tc_xpath_bool(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr)
{
    xmlXPathObjectPtr obj;
    int result;

    if (strcmp(expr, "true()") == 0) /* most `required` binds: skip the compiler */
        return 1;
    if (strcmp(expr, "false()") == 0)
        return 0;
    if ((obj = eval_at(ctx, node, expr)) == NULL)
        return -1;
    result = xmlXPathCastToBoolean(obj) ? 1 : 0;
    xmlXPathFreeObject(obj);
    return result;
}

char *
tc_xpath_string(xmlXPathContextPtr ctx, xmlNodePtr node, const char *expr, struct tc_arena *arena)
{
    xmlXPathObjectPtr obj = eval_at(ctx, node, expr);
    xmlChar *s;
    char *out;

    if (obj == NULL)
        return NULL;
    s = xmlXPathCastToString(obj);
    out = s != NULL ? tc_arena_strdup(arena, S(s)) : NULL;
    xmlFree(s);
    xmlXPathFreeObject(obj);
    return out;
}
