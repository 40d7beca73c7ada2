#include "symbolize/native_frame_set.h"

#include <algorithm>

#include "capture/format.h"
#include "symbolize/symbolizer.h"

namespace leakspy::symbolize {

void NativeFrameSet::module_loaded(ModuleFile module) {
  for (const capture::Segment& segment : module.segments) {
    uint64_t start = module.load_bias + segment.vaddr;
    uint64_t end = start + segment.memsz;
    if (end <= start) continue;
    // Whatever overlapped is gone: the loader only maps over unmapped ranges.
    auto it = loaded_.lower_bound(start);
    if (it != loaded_.begin() && std::prev(it)->second.end > start) --it;
    while (it != loaded_.end() && it->first < end) it = loaded_.erase(it);
    loaded_[start] = {end, module.id};
    // Frames seen at these addresses before the module came (see the header).
    // Return addresses: the call is at frame - 1, so (start, end] holds them.
    for (auto frame = homeless_.upper_bound(start); frame != homeless_.end() && *frame <= end;) {
      frames_[*frame] = module.id;
      frame = homeless_.erase(frame);
    }
  }
  uint32_t id = module.id;
  modules_[id] = std::move(module);
}

void NativeFrameSet::module_unloaded(uint32_t id) {
  std::erase_if(loaded_, [id](const auto& entry) { return entry.second.module == id; });
}

uint32_t NativeFrameSet::module_at(uint64_t address) const {
  auto it = loaded_.upper_bound(address);
  if (it == loaded_.begin()) return 0;
  --it;
  return address < it->second.end ? it->second.module : 0;
}

void NativeFrameSet::frame_seen(uint64_t frame) {
  if (capture::is_python_frame(frame) || frame == 0) return;
  auto [it, inserted] = frames_.try_emplace(frame, 0);
  // A return address may be one past the module's last byte (a call as the
  // last instruction): the call itself is at frame - 1.
  if (!inserted) return;
  it->second = module_at(frame - 1);
  if (it->second == 0) homeless_.insert(frame);
}

std::vector<FrameSymbol> NativeFrameSet::symbolize(const SymbolizeOptions& options) const {
  std::vector<FrameSymbol> symbols;
  symbols.reserve(frames_.size());
  for (const auto& [address, module] : frames_) symbols.push_back({address, module, {}});
  std::sort(symbols.begin(), symbols.end(),
            [](const FrameSymbol& a, const FrameSymbol& b) { return a.address < b.address; });
  // One batch per module: the symbolizer walks each compilation unit once.
  std::map<uint32_t, std::vector<size_t>> by_module;
  for (size_t i = 0; i < symbols.size(); ++i) by_module[symbols[i].module_id].push_back(i);
  Symbolizer symbolizer(options);
  for (const auto& [module_id, indices] : by_module) {
    auto module = modules_.find(module_id);
    if (module == modules_.end()) continue;
    std::vector<uint64_t> addresses;
    for (size_t index : indices) addresses.push_back(symbols[index].address);
    std::vector<std::vector<SourceFrame>> frames = symbolizer.resolve_many(module->second, addresses);
    for (size_t k = 0; k < indices.size(); ++k) symbols[indices[k]].frames = std::move(frames[k]);
  }
  return symbols;
}

}  // namespace leakspy::symbolize
