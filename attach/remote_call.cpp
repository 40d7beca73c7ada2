#include "attach/remote_call.h"

#include <signal.h>

#include <cstring>

#include "common/error.h"
#include "common/hex_text.h"

namespace leakspy::attach {

namespace {

constexpr uintptr_t kRedZone = 128;         // System V: the callee-free area below rsp
constexpr uintptr_t kSafetyMargin = 256;    // in case the thread was between push and call
constexpr uint64_t kDirectionFlag = 0x400;  // must be clear at a call (System V)
constexpr int kArgumentRegisters = 6;

void set_argument(user_regs_struct& registers, int index, uint64_t value) {
  unsigned long long* slots[kArgumentRegisters] = {&registers.rdi, &registers.rsi, &registers.rdx,
                                                   &registers.rcx, &registers.r8,  &registers.r9};
  *slots[index] = value;
}

}  // namespace

uint64_t call_in_target(ProcessTracer& tracer, pid_t tid, uintptr_t function,
                        const std::vector<RemoteArgument>& arguments, std::chrono::milliseconds patience,
                        const std::function<void()>& overdue) {
  if (arguments.size() > kArgumentRegisters) throw Error(ErrorKind::Internal, "a remote call takes 6 arguments at most");
  const user_regs_struct saved = tracer.registers(tid);
  const std::vector<uint8_t> saved_extended = tracer.extended_state(tid);

  // Lay out: [return address 0][strings...] ending below the red zone, with
  // rsp + 8 16-byte aligned at the function's entry, as after a call.
  std::vector<uint8_t> strings;
  std::vector<size_t> string_offsets;
  for (const RemoteArgument& argument : arguments) {
    if (const std::string* text = std::get_if<std::string>(&argument)) {
      string_offsets.push_back(strings.size());
      strings.insert(strings.end(), text->begin(), text->end());
      strings.push_back(0);
    }
  }
  uintptr_t top = saved.rsp - kRedZone - kSafetyMargin;
  uintptr_t data = (top - strings.size()) & ~uintptr_t{15};
  uintptr_t stack_pointer = data - 8;
  std::vector<uint8_t> saved_stack(top - stack_pointer);
  tracer.read_memory(stack_pointer, saved_stack.data(), saved_stack.size());

  std::vector<uint8_t> frame(top - stack_pointer, 0);  // return address 0, then the strings
  std::memcpy(frame.data() + 8, strings.data(), strings.size());
  tracer.write_memory(stack_pointer, frame.data(), frame.size());

  user_regs_struct call = saved;
  call.rip = function;
  call.rsp = stack_pointer;
  call.rax = 0;  // no vector registers used by a variadic callee
  call.orig_rax = static_cast<unsigned long long>(-1);  // not in a system call: no restart
  call.eflags &= ~kDirectionFlag;
  size_t next_string = 0;
  for (size_t i = 0; i < arguments.size(); ++i) {
    uint64_t value = std::holds_alternative<uint64_t>(arguments[i])
                         ? std::get<uint64_t>(arguments[i])
                         : data + string_offsets[next_string++];
    set_argument(call, static_cast<int>(i), value);
  }
  tracer.set_registers(tid, call);

  tracer.continue_until_signal(tid, SIGSEGV, patience, overdue);
  user_regs_struct after = tracer.registers(tid);

  tracer.write_memory(stack_pointer, saved_stack.data(), saved_stack.size());
  tracer.set_extended_state(tid, saved_extended);
  tracer.set_registers(tid, saved);
  if (after.rip != 0) {
    throw Error(ErrorKind::UnsupportedTarget, "a call leakspy made into thread " + std::to_string(tid) +
                                                  " crashed at " + hex_text(after.rip) +
                                                  "; the thread was put back as it was");
  }
  return after.rax;
}

std::string read_target_string(const ProcessTracer& tracer, uintptr_t address, size_t limit) {
  constexpr uintptr_t kPage = 4096;
  std::string text;
  while (text.size() < limit) {
    size_t chunk = std::min<size_t>(limit - text.size(), kPage - address % kPage);
    std::vector<char> bytes(chunk);
    tracer.read_memory(address, bytes.data(), chunk);
    for (char byte : bytes) {
      if (byte == '\0') return text;
      text.push_back(byte);
    }
    address += chunk;
  }
  return text;
}

}  // namespace leakspy::attach
