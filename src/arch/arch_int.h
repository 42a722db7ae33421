/* arch_int.h: declarations shared inside the arch layer. */
#ifndef SEEDCHIP_ARCH_INT_H
#define SEEDCHIP_ARCH_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "seedchip/util.h"

struct cJSON;

/* A built-in preset: the bytes of examples/arch/<name>.json, embedded at build
 * time by src/arch/CMakeLists.txt (arch_presets.c in the build directory), so the
 * shipped files and the built-ins cannot drift apart. text is NUL-terminated. */
typedef struct arch_preset {
  const char *name;
  const char *text;
  size_t len;
} arch_preset;

extern const arch_preset arch_presets[];
extern const size_t arch_preset_count;
/* The names of arch_presets, NULL-terminated. */
extern const char *const arch_preset_names[];

/* ---- the JSON files of the layer (arch.c; system_json.c uses them) -------- */

/* The messages of one parse or validation: lines "source: path: problem" in
 * errors (may be NULL), at most ARCH_MAX_ERRORS of them, then one line that
 * says it stopped (a runaway input, a million unknown keys, must not produce
 * a million lines). n_errors counts every problem, written or not. */
#define ARCH_MAX_ERRORS 100
typedef struct arch_msgs {
  const char *source;
  sc_strbuf *errors;
  size_t n_errors;
} arch_msgs;

/* One problem; path (a key path) may be NULL. */
SC_PRINTF(3, 4) void arch_report(arch_msgs *m, const char *path, const char *fmt, ...);

/* Parses len bytes of text (source names it in messages) as one JSON value
 * followed only by whitespace. SC_STATUS_OVERFLOW when len exceeds max_bytes,
 * SC_STATUS_PARSE ("source:line:col: JSON syntax error") on malformed JSON,
 * each with its line appended to errors (may be NULL). The caller deletes
 * *root. */
sc_status arch_json_parse(const char *text, size_t len, size_t max_bytes, const char *source,
                          struct cJSON **root, sc_strbuf *errors);

/* "an object", "a string", ... for messages. */
const char *arch_json_type(const struct cJSON *j);

/* j as a number into *v: a JSON number, and a whole one when integer. False,
 * reported at path, when it is not. */
bool arch_json_number(arch_msgs *m, const char *path, const struct cJSON *j, bool integer,
                      double *v);

/* v finite and in [min, max] ((min, max] when min_excl); false, reported at
 * path, when it is not. */
bool arch_check_range(arch_msgs *m, const char *path, double v, double min, double max,
                      bool min_excl);

/* j as [rows, cols] of two integers in [min, max] into d; false, reported at
 * path (or path[i]), when it is not. */
bool arch_json_pair(arch_msgs *m, const char *path, const struct cJSON *j, double min, double max,
                    double d[2]);

/* The shortest %.Ng (N = 15..17) that reads back as the same double, so "0.3"
 * stays "0.3" and every value still round-trips exactly. */
void arch_fmt_num(char *buf, size_t size, double v);

/* A JSON string of at most n bytes of s (it stops at a NUL). */
void arch_append_json_string(sc_strbuf *sb, const char *s, size_t n);

/* A key from the input, for messages: control bytes escaped, long keys cut. */
void arch_append_key(sc_strbuf *sb, const char *key);

#endif
