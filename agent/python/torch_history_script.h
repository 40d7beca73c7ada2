#pragma once
// agent/python/torch_history.py, compiled into the agent as text (the build
// generates its definition; agent/CMakeLists.txt).

namespace leakspy::agent::python {

extern const char kTorchHistoryScript[];

}  // namespace leakspy::agent::python
