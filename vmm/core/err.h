/* mvm's exit statuses, which its errors carry (the error object is
 * common/err.h: every fallible VMM function takes it last, main() prints it
 * once). */
#ifndef MVM_ERR_H
#define MVM_ERR_H

#include "common/err.h"
#include "proto/launch.h" /* enum mvm_status */

#endif
