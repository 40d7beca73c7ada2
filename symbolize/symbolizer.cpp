#include "symbolize/symbolizer.h"

#include "symbolize/module_file_finder.h"

namespace leakspy::symbolize {

Symbolizer::Symbolizer(SymbolizeOptions options) : options_(std::move(options)) {}

Symbolizer::~Symbolizer() = default;

ModuleDebugInfo& Symbolizer::debug_info(const ModuleFile& module) {
  std::string key = module.build_id.empty() ? "path:" + module.path : "build-id:" + build_id_hex(module.build_id);
  auto found = cache_.find(key);
  if (found != cache_.end()) return *found->second;
  std::unique_ptr<ModuleDebugInfo> info = ModuleDebugInfo::open(module, open_module_files(module, options_));
  if (info->usable()) ++files_opened_;
  return *cache_.emplace(key, std::move(info)).first->second;
}

std::string Symbolizer::why_unresolved(const ModuleFile& module) {
  ModuleDebugInfo& info = debug_info(module);
  return info.usable() ? "" : info.why_unusable();
}

std::vector<SourceFrame> Symbolizer::resolve(const ModuleFile& module, uint64_t return_address) {
  return resolve_many(module, {return_address}).front();
}

std::vector<std::vector<SourceFrame>> Symbolizer::resolve_many(const ModuleFile& module,
                                                               const std::vector<uint64_t>& return_addresses) {
  // Looked up at the call instruction (return address - 1), in the file's
  // own addresses (minus the load bias); addresses below the bias are not in it.
  std::vector<uint64_t> file_addresses;
  std::vector<size_t> positions;
  for (size_t i = 0; i < return_addresses.size(); ++i) {
    uint64_t address = return_addresses[i];
    if (address == 0 || address - 1 < module.load_bias) continue;
    file_addresses.push_back(address - 1 - module.load_bias);
    positions.push_back(i);
  }
  std::vector<std::vector<SourceFrame>> frames(return_addresses.size());
  if (file_addresses.empty()) return frames;
  std::vector<std::vector<SourceFrame>> resolved = debug_info(module).resolve_many(file_addresses);
  for (size_t k = 0; k < positions.size(); ++k) frames[positions[k]] = std::move(resolved[k]);
  return frames;
}

}  // namespace leakspy::symbolize
