/* Text from the guest made safe to print on the host: no byte of it can
 * end a log line, move the cursor or start a terminal escape. Shared by mvm
 * and mvrun, which print the guest's error messages. */
#ifndef MVRUN_PROTO_ESCAPE_H
#define MVRUN_PROTO_ESCAPE_H

#include <stddef.h>

/* Copy src to dst (cap bytes, cap > 0, always NUL-terminated) with every
 * C0 control, DEL, C1 control (U+0080..U+009F) and byte that is not valid
 * UTF-8 written as \n, \r, \t or \xNN; other UTF-8 is kept. A backslash is
 * kept as is, so escaping twice changes nothing. Output that does not fit
 * is cut before a whole escape or character. Returns dst. */
char *proto_escape(char *dst, size_t cap, const char *src);

#endif
