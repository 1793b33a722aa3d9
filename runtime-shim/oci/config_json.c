/* Typed getters over jansson for the config.json parser.
 *
 * Numbers: jansson refuses integers beyond int64 ("too big integer"), but
 * engines write RLIM_INFINITY as 18446744073709551615. So every number is
 * decoded as a double (JSON_DECODE_INT_AS_REAL) and checked to be integral
 * and in range; 2^64 and 2^63 (what UINT64_MAX and INT64_MAX round to) read
 * back as those maxima. Values below 2^53 are exact.
 */
#include "runtime-shim/oci/config_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cj_bad(struct err *err, const char *field, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(err, CFG_EXIT, "config.json: %s: %s", field, msg);
}

json_t *cj_get(json_t *o, const char *key)
{
	json_t *v = o ? json_object_get(o, key) : NULL;
	return json_is_null(v) ? NULL : v;
}

void *cj_alloc(size_t n, size_t size, struct err *err)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		err_set(err, CFG_EXIT, "config.json: out of memory");
	return p;
}

int cj_obj(json_t *o, const char *key, const char *field, bool required, json_t **out,
	   struct err *err)
{
	json_t *v = cj_get(o, key);
	*out = NULL;
	if (!v)
		return required ? cj_bad(err, field, "missing (required)") : 0;
	if (!json_is_object(v))
		return cj_bad(err, field, "must be an object");
	*out = v;
	return 0;
}

int cj_str_value(json_t *v, const char *field, const char **out, struct err *err)
{
	if (!json_is_string(v))
		return cj_bad(err, field, "must be a string");
	*out = json_string_value(v);
	return 0;
}

int cj_str(json_t *o, const char *key, const char *field, bool required, const char **out,
	   struct err *err)
{
	json_t *v = cj_get(o, key);
	*out = NULL;
	if (!v)
		return required ? cj_bad(err, field, "missing (required)") : 0;
	return cj_str_value(v, field, out, err);
}

int cj_bool(json_t *o, const char *key, const char *field, bool *out, struct err *err)
{
	json_t *v = cj_get(o, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return cj_bad(err, field, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

#define TWO53 9007199254740992.0
#define TWO63 9223372036854775808.0
#define TWO64 18446744073709551616.0

/* An integral number within [lo, hi] (doubles), or -1. */
static int integral(json_t *v, double lo, double hi, double *out)
{
	if (!json_is_number(v))
		return -1;
	double d = json_number_value(v);
	if (!(d >= lo && d <= hi))
		return -1; /* also NaN */
	if (d > -TWO53 && d < TWO53 && d != (double)(int64_t)d)
		return -1; /* beyond 2^53 every double is an integer */
	*out = d;
	return 0;
}

int cj_u64(json_t *o, const char *key, const char *field, bool required, bool *present,
	   uint64_t *out, struct err *err)
{
	json_t *v = cj_get(o, key);
	double d;
	if (present)
		*present = v != NULL;
	if (!v)
		return required ? cj_bad(err, field, "missing (required)") : 0;
	if (integral(v, 0, TWO64, &d) < 0)
		return cj_bad(err, field, "must be an integer from 0 to 18446744073709551615");
	*out = d >= TWO64 ? UINT64_MAX : (uint64_t)d;
	return 0;
}

int cj_u32_value(json_t *v, const char *field, uint32_t *out, struct err *err)
{
	double d;
	if (integral(v, 0, 4294967295.0, &d) < 0)
		return cj_bad(err, field, "must be an integer from 0 to 4294967295");
	*out = (uint32_t)d;
	return 0;
}

int cj_u32(json_t *o, const char *key, const char *field, bool required, bool *present,
	   uint32_t *out, struct err *err)
{
	json_t *v = cj_get(o, key);
	if (present)
		*present = v != NULL;
	if (!v)
		return required ? cj_bad(err, field, "missing (required)") : 0;
	return cj_u32_value(v, field, out, err);
}

int cj_i64(json_t *o, const char *key, const char *field, bool *present, int64_t *out,
	   struct err *err)
{
	json_t *v = cj_get(o, key);
	double d;
	if (present)
		*present = v != NULL;
	if (!v)
		return 0;
	if (integral(v, -TWO63, TWO63, &d) < 0)
		return cj_bad(err, field, "must be an integer that fits in 64 bits");
	*out = d >= TWO63 ? INT64_MAX : (int64_t)d;
	return 0;
}

int cj_strs(json_t *o, const char *key, const char *field, const char ***out, int *n,
	    struct err *err)
{
	json_t *v = cj_get(o, key);
	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return cj_bad(err, field, "must be an array of strings");
	size_t len = json_array_size(v);
	const char **a = cj_alloc(len + 1, sizeof(*a), err);
	if (!a)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char f[96];
		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		if (cj_str_value(json_array_get(v, i), f, &a[i], err) < 0) {
			free(a);
			return -1;
		}
	}
	*out = a;
	*n = (int)len;
	return 0;
}

int cj_kvs(json_t *o, const char *key, const char *field, struct cfg_kv **out, int *n,
	   struct err *err)
{
	json_t *v = cj_get(o, key), *val;
	const char *k;
	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (!json_is_object(v))
		return cj_bad(err, field, "must be an object of strings");
	struct cfg_kv *a = cj_alloc(json_object_size(v), sizeof(*a), err);
	if (!a)
		return -1;
	int i = 0;
	json_object_foreach(v, k, val)
	{
		char f[320];
		snprintf(f, sizeof(f), "%s[\"%.200s\"]", field, k);
		a[i].key = k;
		if (cj_str_value(val, f, &a[i].value, err) < 0) {
			free(a);
			return -1;
		}
		i++;
	}
	*out = a;
	*n = i;
	return 0;
}

/* An array that must be present (or absent when !required); *out NULL and
 * *len 0 when absent. */
int cj_arr(json_t *o, const char *key, const char *field, bool required, json_t **out,
	   size_t *len, struct err *err)
{
	json_t *v = cj_get(o, key);
	*out = NULL;
	*len = 0;
	if (!v)
		return required ? cj_bad(err, field, "missing (required)") : 0;
	if (!json_is_array(v))
		return cj_bad(err, field, "must be an array");
	*out = v;
	*len = json_array_size(v);
	return 0;
}
