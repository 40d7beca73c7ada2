#pragma once
// Turns the agent's messages into a capture: interns strings, merges the
// per-thread event batches (EpochMerger), keeps the live set for the counters
// and the trailer, and writes everything through CaptureWriter. It sees the
// agent's messages only as WireDecoder's checked values, and checks what
// depends on the order of messages (hello first, nothing after goodbye, a heap
// declared once). A message that breaks the protocol throws before it changes
// anything: everything before it stays whole, and finish() still writes it.
// Not thread-safe. Throws Error on an unwritable file, Error(AgentProtocol)
// on a broken protocol.

#include <sys/types.h>

#include <bitset>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyze/live_set.h"
#include "capture/capture_writer.h"
#include "capture/wire.h"
#include "capture/wire_decoder.h"
#include "recorder/epoch_merger.h"
#include "symbolize/native_frame_set.h"
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
  // Told about each note from the agent as it arrives (leakspy prints them).
  std::function<void(const capture::NoteRecord&)> on_note;
};

struct SessionStats {
  uint64_t events = 0;
  uint64_t dropped = 0;
  uint64_t live_blocks = 0;
  uint64_t live_bytes = 0;  // all heaps
  bool agent_said_goodbye = false;
  wire::GoodbyeReason goodbye_reason = wire::GoodbyeReason::StopRequested;
};

class RecordingSession final : public MergedEventSink {
 public:
  explicit RecordingSession(SessionOptions options);

  // One message from the agent: `payload` holds header.length bytes, and
  // wire::check_header(header) has passed.
  void on_message(const wire::MessageHeader& header, const uint8_t* payload);
  // The recording ends at a message that broke the protocol: says so in the
  // capture (a warning note), before finish().
  void note_protocol_error(const std::string& what);
  // Emits everything still held, then the trailer and the end mark.
  void finish(capture::TargetEnd end, int exit_status);

  SessionStats stats() const;
  const std::string& path() const { return writer_.path(); }

  // MergedEventSink
  void on_merged_event(uint32_t thread, const wire::RawEvent& event, uint64_t monotonic_ns) override;
  bool is_live(uint8_t heap, uint64_t address) const override;
  bool is_range_heap(uint8_t heap) const override { return live_.is_range_heap(HeapId(heap)); }

 private:
  static capture::CaptureHeader make_header(const SessionOptions& options);
  StringId intern(const std::string& text);
  uint64_t to_units(uint64_t monotonic_ns);
  void handle(const wire::HelloMessage& hello);
  void handle(const wire::EventsMessage& events);
  void handle(const wire::NodesMessage& nodes);
  void handle(const wire::ThreadMessage& thread);
  void handle(const wire::ThreadEndMessage& end);
  void handle(const wire::ModuleMessage& module);
  void handle(const wire::ModuleUnloadMessage& unload);
  void handle(const wire::EpochMessage& epoch);
  void handle(const wire::SealMessage& seal);
  void handle(const wire::DropsMessage& drops);
  void handle(const wire::GoodbyeMessage& goodbye);
  void handle(const wire::HeapMessage& heap);
  void handle(const wire::PythonCodeMessage& code);
  void handle(const wire::NoteMessage& note);
  void write_counters();
  void write_symbols();
  void end_finished_threads();

  SessionOptions options_;
  // The target's root, held open from the start: its files stay reachable
  // for the symbols after it exits, in a container or chroot too.
  UniqueFd target_root_;
  capture::CaptureHeader header_;
  capture::CaptureWriter writer_;
  wire::WireDecoder decoder_;
  EpochMerger merger_;
  analyze::LiveSet live_;
  capture::Trailer trailer_;
  std::unordered_map<std::string, StringId> strings_;
  uint32_t next_string_ = 1;
  std::map<uint32_t, uint64_t> drops_by_thread_;  // of threads not yet ended
  std::bitset<capture::kMaxHeaps> declared_heaps_;
  std::set<uint32_t> ending_threads_;  // ThreadEnd received, events still held
  symbolize::NativeFrameSet native_frames_;  // every frame of the trace tree, symbolized at finish()
  uint64_t current_time_ = UINT64_MAX;
  uint32_t current_thread_ = UINT32_MAX;
  uint64_t last_counters_ns_ = 0;
  uint64_t last_event_ns_ = 0;
  uint64_t last_converted_ns_ = UINT64_MAX;
  uint64_t last_converted_units_ = 0;
  bool said_hello_ = false;
  bool said_goodbye_ = false;
  bool exit_marked_ = false;
  wire::GoodbyeReason goodbye_reason_ = wire::GoodbyeReason::StopRequested;
};

}  // namespace leakspy::recorder
