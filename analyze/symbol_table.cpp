#include "analyze/symbol_table.h"

#include <algorithm>
#include <cstdio>

namespace leakspy::analyze {

namespace {

std::string_view base_name(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Native frames and symbol addresses of different processes (program images)
// may be equal and mean different code: keyed with the process above the
// 48 bits of a user-space address. Python frames mean the same everywhere.
uint64_t native_key(uint32_t process, uint64_t address) { return address | (static_cast<uint64_t>(process) << 48); }

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

std::string location_label(const Location& location) {
  switch (location.kind) {
    case LocationKind::NoStack:
      return "[no stack]";
    case LocationKind::Unresolved:
      if (location.module.empty()) return hex(location.offset);
      return std::string(base_name(location.module)) + "+" + hex(location.offset);
    case LocationKind::Native:
    case LocationKind::Python:
      break;
  }
  std::string label = location.function.empty() ? "[unknown]" : location.function;
  if (!location.file.empty()) {
    label += " (" + location.file;
    if (location.line != 0) label += ":" + std::to_string(location.line);
    label += ")";
  } else if (!location.module.empty()) {
    label += " (" + std::string(base_name(location.module)) + ")";
  }
  return label;
}

SymbolTable::SymbolTable() : strings_(1) { intern({LocationKind::NoStack, "", "", 0, "", 0}); }

void SymbolTable::add_string(StringId id, std::string_view text) {
  if (id.value() >= strings_.size()) strings_.resize(id.value() + 1);
  strings_[id.value()] = std::string(text);
}

const std::string& SymbolTable::text(StringId id) const {
  static const std::string kEmpty;
  return id.value() < strings_.size() ? strings_[id.value()] : kEmpty;
}

void SymbolTable::add_module(const capture::ModuleRecord& module, uint32_t process) {
  modules_[module.id.value()] = {text(module.path), module.load_bias};
  module_records_.push_back({process, module});
  ranges_built_ = false;
}

void SymbolTable::add_symbol(const capture::SymbolRecord& symbol, uint32_t process) {
  symbols_[native_key(process, symbol.address)] = symbol;
}

void SymbolTable::add_python_code(const capture::PythonCodeRecord& code) { python_codes_[code.id] = code; }

LocationId SymbolTable::intern(Location location) {
  std::string key;
  key.reserve(location.function.size() + location.file.size() + location.module.size() + 32);
  key += static_cast<char>('0' + static_cast<int>(location.kind));
  key += location.function;
  key += '\x1f';
  key += location.file;
  key += '\x1f';
  key += std::to_string(location.line);
  key += '\x1f';
  key += location.module;
  key += '\x1f';
  key += std::to_string(location.offset);
  auto [it, inserted] = location_ids_.try_emplace(std::move(key), LocationId(static_cast<uint32_t>(locations_.size())));
  if (inserted) {
    labels_.push_back(location_label(location));
    locations_.push_back(std::move(location));
  }
  return it->second;
}

uint32_t SymbolTable::module_containing(uint32_t process, uint64_t address) {
  if (!ranges_built_) {
    ranges_.clear();
    for (const auto& [owner, module] : module_records_) {
      for (const capture::Segment& segment : module.segments) {
        uint64_t start = native_key(owner, module.load_bias + segment.vaddr);
        ranges_.push_back({start, start + segment.memsz, module.id.value()});
      }
    }
    // Later modules first among equal starts: a module loaded over an
    // unloaded one's addresses is the likelier owner.
    std::stable_sort(ranges_.begin(), ranges_.end(),
                     [](const ModuleRange& a, const ModuleRange& b) { return a.start < b.start; });
    ranges_built_ = true;
  }
  uint64_t key = native_key(process, address);
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), key,
                             [](uint64_t value, const ModuleRange& range) { return value < range.start; });
  if (it == ranges_.begin()) return 0;
  --it;
  return key < it->end ? it->module : 0;
}

void SymbolTable::resolve(uint32_t process, uint64_t frame, std::vector<LocationId>* out) {
  if (capture::is_python_frame(frame)) {
    Location location{LocationKind::Python, "", "", capture::python_line(frame), "", 0};
    auto code = python_codes_.find(capture::python_code_id(frame));
    if (code != python_codes_.end()) {
      location.function = text(code->second.name);
      location.file = text(code->second.filename);
    } else {
      location.function = "[python code #" + std::to_string(capture::python_code_id(frame)) + "]";
    }
    out->push_back(intern(std::move(location)));
    return;
  }
  uint32_t module = 0;
  auto symbol = symbols_.find(native_key(process, frame));
  if (symbol != symbols_.end()) {
    module = symbol->second.module.value();
  } else if (frame != 0) {
    module = module_containing(process, frame - 1);
  }
  auto module_info = modules_.find(module);
  std::string module_path = module_info != modules_.end() ? module_info->second.path : "";
  if (symbol != symbols_.end()) {
    for (const capture::SymbolFrame& source : symbol->second.frames) {
      if (source.function.value() == 0 && source.file.value() == 0) continue;
      out->push_back(intern({LocationKind::Native, text(source.function), text(source.file), source.line,
                             source.file.value() == 0 ? module_path : "", 0}));
    }
    if (!out->empty()) return;
  }
  uint64_t offset = module_info != modules_.end() ? frame - module_info->second.load_bias : frame;
  out->push_back(intern({LocationKind::Unresolved, "", "", 0, module_path, offset}));
}

std::span<const LocationId> SymbolTable::frame_locations(uint64_t frame, uint32_t process) {
  uint64_t key = capture::is_python_frame(frame) ? frame : native_key(process, frame);
  auto found = chains_.find(key);
  if (found == chains_.end()) {
    std::vector<LocationId> resolved;
    resolve(process, frame, &resolved);
    Chain chain{static_cast<uint32_t>(chain_locations_.size()), static_cast<uint32_t>(resolved.size())};
    chain_locations_.insert(chain_locations_.end(), resolved.begin(), resolved.end());
    found = chains_.emplace(key, chain).first;
  }
  return {chain_locations_.data() + found->second.begin, found->second.count};
}

}  // namespace leakspy::analyze
