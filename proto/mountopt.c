/* The options of the guest's own filesystems (mountopt.h). */
#include "proto/mountopt.h"

#include <string.h>
#include <sys/mount.h>

static const struct {
	const char *type, *keys[6], *value_chars;
} types[] = {
	{ "tmpfs", { "size=", "mode=", "nr_inodes=", "nr_blocks=", "uid=", "gid=" },
	  "0123456789kmgKMG%" },
	{ "devpts", { "newinstance", "ptmxmode=", "mode=", "gid=", "uid=", "max=" },
	  "0123456789abcdefghijklmnopqrstuvwxyz" },
	{ "proc", { "hidepid=", "subset=" }, "0123456789abcdefghijklmnopqrstuvwxyz" },
	{ "sysfs", { NULL }, "" },
	{ "mqueue", { NULL }, "" },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static int type_index(const char *type)
{
	for (size_t t = 0; t < NTYPES; t++)
		if (!strcmp(types[t].type, type))
			return (int)t;
	return -1;
}

bool mountopt_type_ok(const char *type)
{
	return type_index(type) >= 0;
}

bool mountopt_is_data(const char *type, const char *o)
{
	int t = type_index(type);
	if (t < 0)
		return false;
	for (size_t k = 0; k < 6 && types[t].keys[k]; k++) {
		const char *key = types[t].keys[k];
		size_t l = strlen(key);
		if (key[l - 1] != '=' ? !strcmp(o, key)
				      : !strncmp(o, key, l) && o[l] &&
					strspn(o + l, types[t].value_chars) == strlen(o + l))
			return true;
	}
	return false;
}

bool mountopt_flag(const char *o, unsigned long *flags)
{
	static const struct {
		const char *word;
		unsigned long bit;
	} words[] = {
		{ "ro", MS_RDONLY }, { "rw", 0 },	     { "nosuid", MS_NOSUID },
		{ "nodev", MS_NODEV }, { "noexec", MS_NOEXEC }, { "exec", 0 },
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(o, words[i].word)) {
			*flags |= words[i].bit;
			return true;
		}
	return false;
}
