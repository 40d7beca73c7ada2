#pragma once
// One agent's stream: the messages of one program image (a process from its
// start or attach, or from an exec), turned into records of the capture.
// Its agent numbers threads, trace tree nodes, modules, Python code objects
// and heaps on its own; the capture numbers them once for all processes, so
// the stream translates every id (RecordingSession hands out the capture's).
// It sees the agent's messages only as WireDecoder's checked values, and
// checks what depends on the order of messages (hello first, nothing after
// goodbye, a heap declared once). A message that breaks the protocol throws
// before it changes anything. Not thread-safe.

#include <sys/types.h>

#include <bitset>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "analyze/live_set.h"
#include "capture/records.h"
#include "capture/wire.h"
#include "capture/wire_decoder.h"
#include "recorder/epoch_merger.h"
#include "symbolize/native_frame_set.h"

namespace leakspy::recorder {

class RecordingSession;

struct StreamStats {
  uint64_t dropped = 0;
  uint64_t live_blocks = 0;
  uint64_t live_bytes = 0;  // all heaps
  std::map<uint32_t, uint64_t> live_bytes_by_heap;  // by the capture's heap id
  bool exit_marked = false;  // the program began to exit: what follows was its teardown
  bool said_goodbye = false;
  wire::GoodbyeReason goodbye_reason = wire::GoodbyeReason::StopRequested;
};

class AgentStream final : public MergedEventSink {
 public:
  AgentStream(RecordingSession& session, uint32_t process, pid_t pid);

  // One message: `payload` holds header.length bytes, and
  // wire::check_header(header) has passed.
  void on_message(const wire::MessageHeader& header, const uint8_t* payload);
  // Emits every event still held and the last counters; the stream is over.
  // Once; later calls do nothing.
  void finish();
  // The stream's share of the trailer, added to `trailer`.
  void add_totals(capture::Trailer& trailer) const;
  // Writes the Counters record of the process now.
  void write_counters();
  // As the recording ends: samples of the python heap's live blocks whose
  // stacks grew most in the recording's second half, to ask the agent what
  // keeps them (wire::KeptByQuery); none without a python heap.
  std::vector<wire::WireKeptBySample> kept_by_query();
  bool kept_by_answered() const { return kept_by_answered_; }
  // The symbols of the native frames this stream's nodes hold (finish first).
  const symbolize::NativeFrameSet& native_frames() const { return native_frames_; }

  uint32_t process() const { return process_; }
  pid_t pid() const { return pid_; }
  StreamStats stats() const;

  // MergedEventSink
  void on_merged_event(uint32_t thread, const wire::RawEvent& event, uint64_t monotonic_ns) override;
  bool is_live(uint8_t heap, uint64_t address) const override;
  bool is_range_heap(uint8_t heap) const override { return live_.is_range_heap(HeapId(heap)); }

 private:
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
  void handle(const wire::AllocatorStatsMessage& stats);
  void handle(const wire::PythonTypesMessage& census);
  void handle(const wire::KeptByMessage& kept);
  void end_finished_threads();

  // The capture's ids of the agent's.
  uint32_t capture_thread(uint32_t agent_thread);
  uint32_t capture_node(uint32_t agent_node) const;
  uint32_t capture_code(uint32_t agent_code);
  uint64_t capture_frame(uint64_t agent_frame);
  uint32_t capture_heap(uint8_t agent_heap);

  RecordingSession& session_;
  uint32_t process_;
  pid_t pid_;
  wire::WireDecoder decoder_;
  EpochMerger merger_;
  analyze::LiveSet live_;  // by the agent's heap ids
  std::map<uint32_t, uint64_t> drops_by_thread_;  // of threads not yet ended
  std::bitset<capture::kMaxHeaps> declared_heaps_;
  std::set<uint32_t> ending_threads_;  // ThreadEnd received, events still held
  symbolize::NativeFrameSet native_frames_;  // every frame of its nodes, by the capture's module ids

  std::unordered_map<uint32_t, uint32_t> threads_;  // agent thread index -> the capture's
  uint32_t last_agent_thread_ = UINT32_MAX;          // the last lookup, cached
  uint32_t last_capture_thread_ = 0;
  std::vector<uint32_t> nodes_;                     // agent node id -> the capture's (0: unknown)
  std::unordered_map<uint32_t, uint32_t> codes_;    // agent Python code id -> the capture's
  std::unordered_map<uint32_t, uint32_t> modules_;  // agent module id -> the capture's
  std::vector<uint32_t> heaps_ = std::vector<uint32_t>(capture::kMaxHeaps, UINT32_MAX);  // agent heap -> the capture's

  capture::Trailer totals_;  // this stream's counts
  std::optional<capture::AllocatorRecord> allocator_;
  uint32_t python_heap_ = UINT32_MAX;      // the agent's id of the heap named "python"
  uint64_t first_event_ns_ = 0;
  std::vector<uint32_t> kept_by_stacks_;   // by query tag: the capture's stack sampled
  bool kept_by_answered_ = false;  // the agent's latest sample: goes with each Counters record
  uint64_t last_counters_ns_ = 0;
  uint64_t last_event_ns_ = 0;
  bool said_hello_ = false;
  bool said_goodbye_ = false;
  bool exit_marked_ = false;
  bool finished_ = false;
  wire::GoodbyeReason goodbye_reason_ = wire::GoodbyeReason::StopRequested;
};

}  // namespace leakspy::recorder
