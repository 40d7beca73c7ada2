#include "common/error.h"

#include <cerrno>
#include <cstring>

namespace leakspy {

std::string errno_message(const std::string& what, int errno_value) {
  return what + ": " + std::strerror(errno_value);
}

void throw_errno(ErrorKind kind, const std::string& what) {
  throw Error(kind, errno_message(what, errno));
}

}  // namespace leakspy
