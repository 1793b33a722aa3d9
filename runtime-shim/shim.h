/* mvrun's verbs: one file per verb, dispatched from mvrun.c. */
#ifndef MVRUN_SHIM_H
#define MVRUN_SHIM_H

/* A verb's handler gets the arguments after the verb name (argv[0] is the
 * verb) and returns mvrun's exit status. Errors are printed as
 * "mvrun: VERB: ..." on stderr, once. */
struct shim_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* mvrun box: run CMD from a host rootfs in a microVM (box.c). */
int shim_box(int argc, char **argv);

/* Find a file installed beside mvrun (build/ in a checkout): `name` in the
 * directory of /proc/self/exe. Writes the path to out (cap bytes); returns 0,
 * or -1 if it does not exist. */
int shim_sibling(const char *name, char *out, unsigned cap);

#endif
