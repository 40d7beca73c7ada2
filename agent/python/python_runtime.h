#pragma once
// The CPython in the target, if there is one: its version, layout and the
// few C API functions the agent calls. Resolved once per session.
// Thread-safe after resolve_python(); never allocates through the hooks.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "agent/python/python_layout.h"

namespace leakspy::agent::python {

struct MemoryAllocator {  // PyMemAllocatorEx, the same in 3.9-3.13
  void* context;
  void* (*malloc)(void* context, size_t size);
  void* (*calloc)(void* context, size_t count, size_t size);
  void* (*realloc)(void* context, void* pointer, size_t size);
  void (*free)(void* context, void* pointer);
};

// PyRun_StringFlags' start symbols (Include/compile.h, the same in 3.9-3.13).
inline constexpr int kPythonFileInput = 257;
inline constexpr int kPythonEvalInput = 258;

// PyMethodDef, the same in 3.9-3.13; METH_O: one argument.
struct PythonMethodDef {
  const char* name;
  void* (*function)(void* self, void* argument);
  int flags;
  const char* doc;
};
inline constexpr int kPythonMethodOneArgument = 0x0008;

struct PythonRuntime {
  int major = 0;
  int minor = 0;
  const PythonLayout* layout = nullptr;  // null: no Python, or a version leakspy does not read
  void* (*this_thread_state)() = nullptr;  // PyGILState_GetThisThreadState
  int (*is_initialized)() = nullptr;       // Py_IsInitialized
  int (*is_finalizing)() = nullptr;        // Py_IsFinalizing / _Py_IsFinalizing
  int (*gil_ensure)() = nullptr;           // PyGILState_Ensure
  void (*gil_release)(int) = nullptr;      // PyGILState_Release
  void (*get_allocator)(int domain, MemoryAllocator*) = nullptr;
  void (*set_allocator)(int domain, MemoryAllocator*) = nullptr;
  // Running Python code in the target (the PyTorch tensor level), GIL held.
  void* (*run_string)(const char* code, int start, void* globals, void* locals, void* flags) = nullptr;  // PyRun_StringFlags
  void* (*dict_new)() = nullptr;                                               // PyDict_New
  int (*bytes_data)(void* bytes, char** data, ptrdiff_t* size) = nullptr;      // PyBytes_AsStringAndSize
  void (*dec_ref)(void* object) = nullptr;                                     // Py_DecRef
  void (*error_clear)() = nullptr;                                             // PyErr_Clear
  void* (*function_new)(void* method_def, void* self, void* module) = nullptr;  // PyCFunction_NewEx
  int (*dict_set_item)(void* dict, const char* key, void* value) = nullptr;    // PyDict_SetItemString
  void* (*long_from_long)(long value) = nullptr;                               // PyLong_FromLong
  uintptr_t eval_begin = 0;  // _PyEval_EvalFrameDefault's code
  uintptr_t eval_end = 0;
  uintptr_t interpreter_begin = 0;  // the code of the module holding it (libpython or the python binary)
  uintptr_t interpreter_end = 0;
};

enum class PythonStatus { Absent, Unsupported, Waiting, Ready };

// Looks for libpython (or a python binary exporting its API) in the process.
PythonStatus resolve_python();
const PythonRuntime& runtime();

// Set once the interpreter is initialized and frames can be read; cleared at
// stop. Read on every event.
extern std::atomic<bool> frames_enabled;
// Keep every native frame between Python frames (record --native). By
// default only the native frames below the innermost Python frame that are
// not the interpreter's own are kept (C extensions, libtorch): the
// interpreter's frames repeat under every Python path and would multiply the
// stacks (and the unwinding) for nothing most users read.
extern std::atomic<bool> native_frames;
// Called by the writer each cycle while Waiting: enables frames once
// Py_IsInitialized() says so. Returns the new status.
PythonStatus poll_python_ready();

// Whether the agent can run Python code now: the functions it needs were
// found, and the interpreter runs and is not finalizing.
bool python_runnable(const PythonRuntime& rt);
// Runs `source` (a module's text) in a new namespace, with `function` in it
// first when given; the namespace (a dict: the caller's reference), or
// nullptr when the code failed. GIL held.
void* load_python_script(const PythonRuntime& rt, const char* source, PythonMethodDef* function = nullptr);

}  // namespace leakspy::agent::python
