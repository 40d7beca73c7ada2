#include "agent/python/python_runtime.h"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <cstring>

namespace leakspy::agent::python {

constinit std::atomic<bool> frames_enabled{false};
constinit std::atomic<bool> native_frames{false};

namespace {

constinit PythonRuntime python_runtime{};
constinit PythonStatus status = PythonStatus::Absent;

// A libpython loaded with RTLD_LOCAL (an application embedding Python) is not
// in the global scope: find it by name and look inside it.
int find_libpython(dl_phdr_info* info, size_t, void* data) {
  if (info->dlpi_name == nullptr || std::strstr(info->dlpi_name, "libpython3.") == nullptr) return 0;
  *static_cast<void**>(data) = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
  return 1;
}

void* symbol(void* handle, const char* name) { return dlsym(handle, name); }

struct TextQuery {
  uintptr_t address;
  uintptr_t begin;
  uintptr_t end;
};

// The executable segment of the module holding `address`.
int find_text(dl_phdr_info* info, size_t, void* data) {
  auto* query = static_cast<TextQuery*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + phdr.p_vaddr;
    if (phdr.p_type == PT_LOAD && (phdr.p_flags & PF_X) && query->address >= start &&
        query->address < start + phdr.p_memsz) {
      query->begin = start;
      query->end = start + phdr.p_memsz;
      return 1;
    }
  }
  return 0;
}

template <typename Function>
void bind(Function** out, void* handle, const char* name) {
  *out = reinterpret_cast<Function*>(symbol(handle, name));
}

bool read_version(void* handle, int* major, int* minor) {
  if (auto* hex = static_cast<const unsigned long*>(symbol(handle, "Py_Version"))) {  // 3.11+
    *major = static_cast<int>((*hex >> 24) & 0xff);
    *minor = static_cast<int>((*hex >> 16) & 0xff);
    return true;
  }
  auto get_version = reinterpret_cast<const char* (*)()>(symbol(handle, "Py_GetVersion"));
  if (get_version == nullptr) return false;
  const char* text = get_version();  // "3.10.13 (main, ...": a static string
  char* end = nullptr;
  *major = static_cast<int>(std::strtol(text, &end, 10));
  if (end == nullptr || *end != '.') return false;
  *minor = static_cast<int>(std::strtol(end + 1, nullptr, 10));
  return true;
}

}  // namespace

const PythonRuntime& runtime() { return python_runtime; }

PythonStatus resolve_python() {
  python_runtime = PythonRuntime{};
  frames_enabled.store(false, std::memory_order_relaxed);
  void* handle = RTLD_DEFAULT;
  if (symbol(handle, "PyGILState_GetThisThreadState") == nullptr) {
    handle = nullptr;
    dl_iterate_phdr(find_libpython, &handle);
    if (handle == nullptr || symbol(handle, "PyGILState_GetThisThreadState") == nullptr) {
      return status = PythonStatus::Absent;
    }
  }
  PythonRuntime& rt = python_runtime;
  if (!read_version(handle, &rt.major, &rt.minor)) return status = PythonStatus::Unsupported;
  bind(&rt.this_thread_state, handle, "PyGILState_GetThisThreadState");
  bind(&rt.is_initialized, handle, "Py_IsInitialized");
  bind(&rt.is_finalizing, handle, rt.minor >= 13 ? "Py_IsFinalizing" : "_Py_IsFinalizing");
  bind(&rt.gil_ensure, handle, "PyGILState_Ensure");
  bind(&rt.gil_release, handle, "PyGILState_Release");
  bind(&rt.get_allocator, handle, "PyMem_GetAllocator");
  bind(&rt.set_allocator, handle, "PyMem_SetAllocator");
  bind(&rt.run_string, handle, "PyRun_StringFlags");
  bind(&rt.dict_new, handle, "PyDict_New");
  bind(&rt.bytes_data, handle, "PyBytes_AsStringAndSize");
  bind(&rt.dec_ref, handle, "Py_DecRef");
  bind(&rt.error_clear, handle, "PyErr_Clear");
  bind(&rt.function_new, handle, "PyCFunction_NewEx");
  bind(&rt.dict_set_item, handle, "PyDict_SetItemString");
  bind(&rt.long_from_long, handle, "PyLong_FromLong");
  void* eval = symbol(handle, "_PyEval_EvalFrameDefault");
  Dl_info info{};
  void* entry_pointer = nullptr;
  if (eval != nullptr && dladdr1(eval, &info, &entry_pointer, RTLD_DL_SYMENT) != 0 && entry_pointer != nullptr) {
    const auto* entry = static_cast<const ElfW(Sym)*>(entry_pointer);
    rt.eval_begin = reinterpret_cast<uintptr_t>(eval);
    rt.eval_end = rt.eval_begin + entry->st_size;
    TextQuery query{reinterpret_cast<uintptr_t>(eval), 0, 0};
    dl_iterate_phdr(find_text, &query);
    rt.interpreter_begin = query.begin;
    rt.interpreter_end = query.end;
  }
  rt.layout = layout_for(rt.major, rt.minor);
  if (rt.layout == nullptr || rt.this_thread_state == nullptr || rt.is_initialized == nullptr ||
      rt.is_finalizing == nullptr) {
    rt.layout = nullptr;
    return status = PythonStatus::Unsupported;
  }
  return status = PythonStatus::Waiting;
}

PythonStatus poll_python_ready() {
  if (status == PythonStatus::Waiting && python_runtime.is_initialized() && !python_runtime.is_finalizing()) {
    status = PythonStatus::Ready;
    frames_enabled.store(true, std::memory_order_release);
  }
  return status;
}

bool python_runnable(const PythonRuntime& rt) {
  return rt.gil_ensure != nullptr && rt.run_string != nullptr && rt.dict_new != nullptr &&
         rt.bytes_data != nullptr && rt.dec_ref != nullptr && rt.error_clear != nullptr &&
         rt.function_new != nullptr && rt.dict_set_item != nullptr && rt.long_from_long != nullptr &&
         rt.is_initialized() && !rt.is_finalizing();
}

void* load_python_script(const PythonRuntime& rt, const char* source, PythonMethodDef* function) {
  void* globals = rt.dict_new();
  if (globals == nullptr) {
    rt.error_clear();
    return nullptr;
  }
  bool ok = true;
  if (function != nullptr) {
    void* callable = rt.function_new(function, nullptr, nullptr);
    ok = callable != nullptr && rt.dict_set_item(globals, function->name, callable) == 0;
    if (callable != nullptr) rt.dec_ref(callable);
  }
  void* defined = ok ? rt.run_string(source, kPythonFileInput, globals, globals, nullptr) : nullptr;
  if (defined != nullptr) {
    rt.dec_ref(defined);
    return globals;
  }
  rt.error_clear();
  rt.dec_ref(globals);
  return nullptr;
}

}  // namespace leakspy::agent::python
