/* Typed getters over jansson for config.c and config_linux.c (private to the
 * config parser). `field` is the JSON path used in error messages, such as
 * "process.user.uid"; every getter returns 0 or -1 with err set to
 * "config.json: FIELD: problem". Absent and null are the same. */
#ifndef MVRUN_SHIM_CONFIG_JSON_H
#define MVRUN_SHIM_CONFIG_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "runtime-shim/oci/config.h"

/* Set err to "config.json: FIELD: message" with the config exit status;
 * returns -1, so a checker can `return cj_bad(...)`. */
int cj_bad(struct err *err, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* o[key], or NULL if absent or null (o may be NULL). */
json_t *cj_get(json_t *o, const char *key);
/* calloc(n, size) (at least one element), or NULL with err. */
void *cj_alloc(size_t n, size_t size, struct err *err);
int cj_obj(json_t *o, const char *key, const char *field, bool required, json_t **out,
	   struct err *err);
int cj_arr(json_t *o, const char *key, const char *field, bool required, json_t **out,
	   size_t *len, struct err *err);
int cj_str_value(json_t *v, const char *field, const char **out, struct err *err);
int cj_str(json_t *o, const char *key, const char *field, bool required, const char **out,
	   struct err *err);
int cj_bool(json_t *o, const char *key, const char *field, bool *out, struct err *err);
int cj_u64(json_t *o, const char *key, const char *field, bool required, bool *present,
	   uint64_t *out, struct err *err);
/* One value (not a member). */
int cj_u32_value(json_t *v, const char *field, uint32_t *out, struct err *err);
int cj_u32(json_t *o, const char *key, const char *field, bool required, bool *present,
	   uint32_t *out, struct err *err);
int cj_i64(json_t *o, const char *key, const char *field, bool *present, int64_t *out,
	   struct err *err);
/* An array of strings: *out is malloc'd and NULL-terminated (NULL, 0 when absent). */
int cj_strs(json_t *o, const char *key, const char *field, const char ***out, int *n,
	    struct err *err);
/* An object whose values are strings: *out is malloc'd (NULL, 0 when absent). */
int cj_kvs(json_t *o, const char *key, const char *field, struct cfg_kv **out, int *n,
	   struct err *err);

/* The "linux" section (config_linux.c). */
int cfg_parse_linux(json_t *doc, struct cfg *c, struct err *err);

#endif
