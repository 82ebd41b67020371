// cmsg.h: the seam's one way to hand a message to Go: a malloc'd copy
// that the Go side frees (cErr, takeMsg). Shared by the C shims.
#ifndef FACEVEC_CMSG_H
#define FACEVEC_CMSG_H

#include <stdlib.h>
#include <string.h>

#include <string>

inline char *dup_msg(const std::string &s) {
	char *p = static_cast<char *>(malloc(s.size() + 1));
	if (p) memcpy(p, s.c_str(), s.size() + 1);
	return p;
}

#endif
