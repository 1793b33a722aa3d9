/* The one version string of mvrun, mvm and mvinit. */
#ifndef MVRUN_PROTO_VERSION_H
#define MVRUN_PROTO_VERSION_H
#define MVRUN_VERSION "0.1.0-dev"
#endif
