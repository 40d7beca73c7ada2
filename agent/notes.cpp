#include "agent/notes.h"

#include <atomic>
#include <cstring>

#include "capture/wire.h"

namespace leakspy::agent {

namespace {

struct Note {
  uint32_t severity;
  uint32_t length;
  char text[wire::kMaxNoteBytes];
};

constexpr uint32_t kMaxNotes = 16;
constinit Note notes[kMaxNotes] = {};
constinit std::atomic<uint32_t> posted{0};   // notes [0, posted) are filled
constinit std::atomic_flag posting = ATOMIC_FLAG_INIT;
constinit uint32_t reported = 0;  // writer thread only

}  // namespace

void post_note(capture::NoteSeverity severity, const char* text) {
  while (posting.test_and_set(std::memory_order_acquire)) {
  }
  uint32_t index = posted.load(std::memory_order_relaxed);
  if (index < kMaxNotes) {
    Note& note = notes[index];
    note.severity = static_cast<uint32_t>(severity);
    note.length = static_cast<uint32_t>(strnlen(text, sizeof(note.text)));
    std::memcpy(note.text, text, note.length);
    posted.store(index + 1, std::memory_order_release);  // pairs with the acquire in report_notes
  }
  posting.clear(std::memory_order_release);
}

bool report_notes(Transport& transport) {
  uint32_t count = posted.load(std::memory_order_acquire);
  for (; reported < count; ++reported) {
    const Note& note = notes[reported];
    uint8_t message[sizeof(wire::WireNote) + sizeof(note.text)];
    wire::WireNote header{note.severity, note.length};
    std::memcpy(message, &header, sizeof(header));
    std::memcpy(message + sizeof(header), note.text, note.length);
    if (!transport.add_copy(wire::MessageType::Note, message, static_cast<uint32_t>(sizeof(header) + note.length))) {
      return false;
    }
  }
  return true;
}

void release_note_lock_after_fork() { posting.clear(std::memory_order_release); }

void forget_notes() {
  while (posting.test_and_set(std::memory_order_acquire)) {
  }
  posted.store(0, std::memory_order_relaxed);
  reported = 0;
  posting.clear(std::memory_order_release);
}

}  // namespace leakspy::agent
