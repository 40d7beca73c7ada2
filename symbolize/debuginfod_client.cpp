#include "symbolize/debuginfod_client.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace leakspy::symbolize {

namespace {

// libdebuginfod's C API (elfutils/debuginfod.h), resolved at run time.
struct Debuginfod {
  void* (*begin)() = nullptr;
  int (*find_debuginfo)(void* client, const unsigned char* build_id, int length, char** path) = nullptr;
  void (*end)(void* client) = nullptr;
  void* client = nullptr;
  std::string unavailable;  // why it cannot be used; "" when it can
};

std::mutex lock;

Debuginfod& library() {
  static Debuginfod debuginfod = [] {
    Debuginfod loaded;
    void* handle = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      loaded.unavailable = "libdebuginfod.so.1 is not installed (Debian: libdebuginfod1)";
      return loaded;
    }
    loaded.begin = reinterpret_cast<void* (*)()>(dlsym(handle, "debuginfod_begin"));
    loaded.find_debuginfo = reinterpret_cast<int (*)(void*, const unsigned char*, int, char**)>(
        dlsym(handle, "debuginfod_find_debuginfo"));
    loaded.end = reinterpret_cast<void (*)(void*)>(dlsym(handle, "debuginfod_end"));
    loaded.client = loaded.begin != nullptr ? loaded.begin() : nullptr;
    if (loaded.find_debuginfo == nullptr || loaded.client == nullptr) {
      loaded.unavailable = "libdebuginfod.so.1 could not start a client";
    }
    return loaded;
  }();
  return debuginfod;
}

}  // namespace

bool debuginfod_enabled() {
  const char* urls = std::getenv("DEBUGINFOD_URLS");
  return urls != nullptr && urls[0] != '\0';
}

UniqueFd fetch_debug_file(const std::string& build_id, std::string* path, std::string* why) {
  if (!debuginfod_enabled() || build_id.empty()) {
    *why = "no debuginfod server (DEBUGINFOD_URLS is not set)";
    return UniqueFd();
  }
  std::lock_guard<std::mutex> guard(lock);  // one client, one download at a time
  Debuginfod& debuginfod = library();
  if (!debuginfod.unavailable.empty()) {
    *why = debuginfod.unavailable;
    return UniqueFd();
  }
  char* found = nullptr;
  int fd = debuginfod.find_debuginfo(debuginfod.client, reinterpret_cast<const unsigned char*>(build_id.data()),
                                     static_cast<int>(build_id.size()), &found);
  if (fd < 0) {
    *why = std::string("the debuginfod servers do not have it: ") + std::strerror(-fd);
    return UniqueFd();
  }
  *path = found != nullptr ? found : "debuginfod";
  std::free(found);
  return UniqueFd(fd);
}

}  // namespace leakspy::symbolize
