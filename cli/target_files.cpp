#include "cli/target_files.h"

#include <iostream>
#include <memory>

#include "attach/target_view.h"
#include "common/error.h"

namespace leakspy::cli {

symbolize::OpenAsTarget open_files_as_target(pid_t pid) {
  std::shared_ptr<attach::TargetFileOpener> opener;
  try {
    opener = attach::TargetFileOpener::start(pid);
  } catch (const Error& error) {
    std::cerr << "leakspy: warning: cannot open the files of process " << pid << " with its rights ("
              << error.what()
              << "): only modules with a build-id will have symbols, read from files with the same build-id\n";
    return {};
  }
  return [opener](const std::string& path, std::string* why) { return opener->open(path, why); };
}

}  // namespace leakspy::cli
