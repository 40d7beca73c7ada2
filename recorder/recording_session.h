#pragma once
// Turns the agents' streams into one capture: one agent per recorded program
// image (agent_stream.h), their records written through one CaptureWriter.

#include <sys/types.h>

#include <bitset>
#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "capture/capture_writer.h"
#include "capture/wire.h"
#include "capture/wire_decoder.h"
#include "common/error.h"
#include "recorder/agent_stream.h"
#include "symbolize/symbol_types.h"

namespace leakspy::recorder {

struct SessionOptions {
  std::string output_path;
  // Made early, so that an unwritable path fails before anything starts;
  // when not, made from output_path. Replaces the file at the path in finish().
  capture::CaptureFile output_file;
  pid_t pid = 0;
  bool attached = false;
  std::vector<std::string> command_line;
  std::string executable;
  uint64_t counter_interval_ns = 100'000'000;
  // Opens an attached target's files with its rights, for the symbols at
  // finish() (empty: only modules with a build-id are symbolized, from files
  // opened inside the target's root; symbolize/module_file_finder.h). A
  // target that is not `attached` was started by leakspy with its rights.
  symbolize::OpenAsTarget open_as_target;
  // More directories of debug files (DIR/.build-id/xx/rest.debug), searched
  // before /usr/lib/debug (--debug-dir).
  std::vector<std::string> debug_directories;
  // Told about each note from the agent as it arrives (leakspy prints them).
  std::function<void(const capture::NoteRecord&)> on_note;
};

struct SessionStats {
  uint64_t events = 0;
  uint64_t dropped = 0;
  uint64_t live_blocks = 0;
  uint64_t live_bytes = 0;  // all heaps, every process
  std::map<std::string, uint64_t> live_bytes_by_heap;  // by heap name
  bool teardown_recorded = false;  // a program exited: its teardown's frees are in the numbers
  uint32_t processes = 0;   // program images recorded (an exec makes one more)
};

// The capture as a whole: its header, strings, heaps (one id per name for all
// processes), the recorded processes and their streams (agent_stream.h), the
// trailer. Not thread-safe. Throws Error on an unwritable file,
// Error(AgentProtocol) on a broken protocol (from a stream's message, before
// it changed anything: everything before it stays whole, and finish() still
// writes it).
class RecordingSession {
 public:
  explicit RecordingSession(SessionOptions options);
  ~RecordingSession();

  // A new agent connection, of process `pid`: a new recorded process, with
  // its Process record. The first is the process of SessionOptions (origin
  // Started); a later one with the pid of an earlier is that process after
  // an exec; any other is a child of the latest image of `parent` (a
  // recorded ancestor). Returns its index.
  uint32_t add_process(pid_t pid, pid_t parent = 0);
  // A descendant that is not recorded said so (its agent's hello): the
  // capture says how many were missed.
  void note_unrecorded_child(pid_t pid, bool forked);
  // What the note says to do about them (the command's option).
  void set_unrecorded_advice(std::string advice) { unrecorded_advice_ = std::move(advice); }
  size_t unrecorded_children() const { return unrecorded_children_.size(); }
  // One message of process `process`'s agent.
  void on_message(uint32_t process, const wire::MessageHeader& header, const uint8_t* payload);
  // Its agent's stream ended: emits every event it still held (its end is
  // told later, by an exec or finish()).
  void flush_process(uint32_t process);
  StreamStats stream_stats(uint32_t process) const;
  // The KeptByQuery for the process's stream (AgentStream::kept_by_query);
  // none when it has nothing to ask.
  std::vector<wire::WireKeptBySample> kept_by_query(uint32_t process);
  bool kept_by_answered(uint32_t process) const;
  // Emits what it still held and its ProcessEnd record.
  void end_process(uint32_t process, capture::ProcessEndKind how, int status);
  // The recording ends at a message that broke the protocol: says so in the
  // capture (a warning note), before finish().
  void note_protocol_error(const std::string& what);
  // Something the recorder saw that reports must say (a warning note), told as notes are.
  void note_warning(const std::string& text);
  // Ends every process still open with `end`, then writes the symbols, the
  // trailer and the end mark.
  void finish(capture::TargetEnd end, int exit_status);

  SessionStats stats() const;
  bool process_open(uint32_t process) const;
  const std::string& path() const { return writer_.path(); }

  // The capture could not be written (a full disk, an I/O error): the error,
  // else "". From then on nothing more is written and agents' messages are
  // dropped; the recording loop stops the agents, and finish() leaves what
  // was written in partial_path(), cut at its last whole chunk.
  const std::string& output_failure() const { return output_failure_; }
  // Whether output_failure() leaves an incomplete capture there: some chunks
  // were written before it (finish() keeps them).
  bool kept_incomplete() const { return !output_failure_.empty() && writer_.chunks_written() > 0; }
  const std::string& partial_path() const { return writer_.partial_path(); }

  // What AgentStream writes through: the encoder in `process`'s scope, with
  // the chunk's time and thread said before an event.
  capture::RecordEncoder& records_of(uint32_t process);
  capture::RecordEncoder& event_records_of(uint32_t process, uint32_t thread, uint64_t monotonic_ns);
  void maybe_flush() {
    write_guarded([&] { writer_.maybe_flush(); });
  }
  // What a killed recorder may lose at most: records older than this are
  // written out (the recording loop asks several times a second).
  static constexpr uint64_t kMaxUnwrittenNs = 500'000'000;
  void flush_old_records() {
    write_guarded([&] { writer_.flush_if_older(kMaxUnwrittenNs); });
  }
  StringId intern(const std::string& text);
  uint32_t heap_named(const std::string& name, uint64_t flags);
  uint32_t new_thread() { return next_thread_++; }
  uint32_t new_node() { return next_node_++; }
  uint32_t new_module() { return next_module_++; }
  uint32_t new_code() { return next_code_++; }
  uint64_t counter_interval_ns() const { return options_.counter_interval_ns; }
  void tell_note(const capture::NoteRecord& note) const {
    if (options_.on_note) options_.on_note(note);
  }

 private:
  struct Process {
    pid_t pid = 0;
    std::unique_ptr<AgentStream> stream;  // null once ended
    bool replaced = false;                // by an exec: nothing of it is live any more
    std::string name;                     // its command name when it joined
  };
  static capture::CaptureHeader make_header(const SessionOptions& options);
  uint64_t to_units(uint64_t monotonic_ns);
  void sync_chunk_state();
  void write_symbols(const AgentStream& stream);
  void note_silent_processes();
  // Runs `write`; a failure to write the capture is kept in output_failure_.
  template <typename Write>
  void write_guarded(Write&& write) {
    if (!output_failure_.empty()) return;
    try {
      write();
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::OutputUnwritable) throw;
      output_failure_ = error.what();
    }
  }
  void describe_process(capture::ProcessRecord& record, pid_t pid);

  SessionOptions options_;
  // The target's root, held open from the start: its files stay reachable
  // for the symbols after it exits, in a container or chroot too.
  UniqueFd target_root_;
  capture::CaptureHeader header_;
  capture::CaptureWriter writer_;
  capture::Trailer trailer_;
  std::vector<Process> processes_;
  std::string output_failure_;
  std::vector<std::unique_ptr<AgentStream>> ended_;  // kept for their symbols and totals
  std::unordered_map<std::string, StringId> strings_;
  std::map<std::string, uint32_t> heaps_;  // name -> the capture's id
  uint32_t next_string_ = 1;
  uint32_t next_heap_ = wire::kFirstDeclaredHeap;
  uint32_t next_thread_ = 1;
  uint32_t next_node_ = 1;
  uint32_t next_module_ = 1;
  uint32_t next_code_ = 1;
  std::set<pid_t> unrecorded_children_;
  std::set<pid_t> unrecorded_forks_;  // of them: forks that never exec'd (as far as seen)
  std::string unrecorded_advice_;
  uint32_t current_scope_ = 0;
  uint64_t current_time_ = UINT64_MAX;
  uint32_t current_thread_ = UINT32_MAX;
  uint64_t last_converted_ns_ = UINT64_MAX;
  uint64_t last_converted_units_ = 0;
};

}  // namespace leakspy::recorder
