#pragma once
// Strong index types: a StackId cannot be passed where a StringId is expected.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace leakspy {

template <typename Tag, typename Value = uint32_t>
class StrongId {
 public:
  using value_type = Value;
  constexpr StrongId() noexcept = default;
  constexpr explicit StrongId(Value value) noexcept : value_(value) {}
  constexpr Value value() const noexcept { return value_; }
  constexpr auto operator<=>(const StrongId&) const noexcept = default;

 private:
  Value value_ = 0;
};

struct StringIdTag {};
struct StackIdTag {};
struct ModuleIdTag {};
struct ThreadIndexTag {};
struct HeapIdTag {};

using StringId = StrongId<StringIdTag>;
using StackId = StrongId<StackIdTag>;  // a node of the trace tree; 0 is the empty stack
using ModuleId = StrongId<ModuleIdTag>;
using ThreadIndex = StrongId<ThreadIndexTag>;
using HeapId = StrongId<HeapIdTag>;

}  // namespace leakspy

template <typename Tag, typename Value>
struct std::hash<leakspy::StrongId<Tag, Value>> {
  size_t operator()(const leakspy::StrongId<Tag, Value>& id) const noexcept {
    return std::hash<Value>{}(id.value());
  }
};
