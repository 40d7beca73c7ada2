// The reader on input it did not expect: cut short, damaged, or from elsewhere.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "tests/unit/capture/capture_fixture.h"

namespace leakspy::capture {
namespace {

class DamagedCapture : public CaptureFileTest {
 protected:
  // A capture with `chunks` chunks of events and a trailer; returns its bytes.
  std::string write_capture(const std::string& name, int chunks) {
    {
      CaptureWriter writer(path(name), sample_header());
      for (int c = 0; c < chunks; ++c) {
        for (uint32_t i = 0; i < 1000; ++i) {
          writer.records().event({EventKind::Alloc, HeapId(0), StackId(1), 64, 0x1000 + 64ull * (c * 1000 + i)});
        }
        writer.flush();
      }
      writer.finish(Trailer{});
    }
    return read_file(path(name));
  }
  std::string read_file(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void write_file(const std::string& file, const std::string& bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  static ReadSummary read_into(const std::string& file, RecordLog& log) {
    CaptureReader reader(file);
    return reader.read(log);
  }
  std::string error_of(const std::string& file) {
    try {
      CaptureReader reader(file);
      RecordLog log;
      reader.read(log);
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::CaptureUnreadable);
      return error.what();
    }
    return "";
  }
};

TEST_F(DamagedCapture, TruncatedInsideAChunkReadsTheWholeChunksBefore) {
  std::string bytes = write_capture("full.lspy", 3);
  // Find where the third chunk starts: read the frame sizes.
  CaptureReader full(path("full.lspy"));
  RecordLog all;
  full.read(all);
  ASSERT_EQ(all.events.size(), 3000u);
  size_t header_end = kFileHeaderSize + static_cast<uint8_t>(bytes[12]) + (static_cast<uint8_t>(bytes[13]) << 8);
  for (size_t cut = bytes.size() - 1; cut > header_end; cut -= 97) {
    write_file(path("cut.lspy"), bytes.substr(0, cut));
    CaptureReader reader(path("cut.lspy"));
    RecordLog log;
    ReadSummary summary = reader.read(log);
    EXPECT_TRUE(summary.truncated) << "cut at " << cut;
    EXPECT_FALSE(summary.truncation.empty());
    EXPECT_EQ(log.events.size() % 1000, 0u) << "only whole chunks are read";
    if (cut < bytes.size() - kFrameHeaderSize) {
      EXPECT_FALSE(log.has_trailer);
    }
  }
}

TEST_F(DamagedCapture, MissingEndMarkIsTruncation) {
  std::string bytes = write_capture("full.lspy", 2);
  write_file(path("noend.lspy"), bytes.substr(0, bytes.size() - kFrameHeaderSize));
  CaptureReader reader(path("noend.lspy"));
  RecordLog log;
  ReadSummary summary = reader.read(log);
  EXPECT_TRUE(summary.truncated);
  EXPECT_NE(summary.truncation.find("without its end mark"), std::string::npos);
  EXPECT_EQ(log.events.size(), 2000u);
  EXPECT_TRUE(log.has_trailer);
}

// Where each frame of a capture begins (chunks and the end mark), from its bytes.
std::vector<size_t> frame_offsets(const std::string& bytes, size_t frame_header_size = kFrameHeaderSize) {
  auto u32 = [&](size_t at) {
    uint32_t value = 0;
    std::memcpy(&value, bytes.data() + at, 4);
    return value;
  };
  std::vector<size_t> frames;
  for (size_t at = kFileHeaderSize + u32(12); at + frame_header_size <= bytes.size();
       at += frame_header_size + u32(at + 4)) {
    frames.push_back(at);
  }
  return frames;
}

// The same capture as an older version wrote it: frames without the string base.
std::string as_version(std::string bytes, uint32_t version) {
  std::vector<size_t> frames = frame_offsets(bytes);
  std::string old = bytes.substr(0, frames.front());
  old[8] = static_cast<char>(version);
  for (size_t i = 0; i < frames.size(); ++i) {
    size_t end = i + 1 < frames.size() ? frames[i + 1] : bytes.size();
    old += bytes.substr(frames[i], kFrameHeaderSizeBeforeV3);
    old += bytes.substr(frames[i] + kFrameHeaderSize, end - frames[i] - kFrameHeaderSize);
  }
  return old;
}

// A flipped byte inside a chunk fails its checksum: that chunk is skipped and
// counted, and every event of the others is read.
TEST_F(DamagedCapture, AFlippedByteInAMiddleChunkCostsThatChunkOnly) {
  std::string bytes = write_capture("full.lspy", 3);
  std::vector<size_t> frames = frame_offsets(bytes);
  ASSERT_EQ(frames.size(), 5u);  // three chunks of events, the trailer's, the end mark
  size_t middle = (frames[1] + kFrameHeaderSize + frames[2]) / 2;
  bytes[middle] = static_cast<char>(bytes[middle] ^ 0x5A);
  write_file(path("flipped.lspy"), bytes);
  RecordLog log;
  ReadSummary summary = read_into(path("flipped.lspy"), log);
  EXPECT_EQ(log.events.size(), 2000u);
  EXPECT_EQ(summary.damaged_chunks, 1u);
  EXPECT_EQ(summary.damaged_bytes, frames[2] - frames[1]);
  EXPECT_FALSE(summary.truncated);
  EXPECT_TRUE(log.has_trailer);
}

// A garbled frame header (its kind and sizes): the reader finds the next
// frame again by its shape, and reads on.
TEST_F(DamagedCapture, AGarbledFrameHeaderIsSkippedToTheNextFrame) {
  std::string bytes = write_capture("full.lspy", 3);
  std::vector<size_t> frames = frame_offsets(bytes);
  for (size_t i = 0; i < 12; ++i) bytes[frames[1] + i] = static_cast<char>(0xEE);
  write_file(path("garbled.lspy"), bytes);
  RecordLog log;
  ReadSummary summary = read_into(path("garbled.lspy"), log);
  EXPECT_EQ(log.events.size(), 2000u);
  EXPECT_EQ(summary.damaged_chunks, 1u);
  EXPECT_TRUE(log.has_trailer);
}

// Strings are numbered per chunk (format 3): the names after a lost chunk
// keep their ids.
TEST_F(DamagedCapture, StringsAfterALostChunkKeepTheirIds) {
  {
    CaptureWriter writer(path("strings.lspy"), sample_header());
    for (int c = 0; c < 3; ++c) {
      writer.records().string("name-" + std::to_string(c) + "-a");
      writer.records().string("name-" + std::to_string(c) + "-b");
      writer.flush();
    }
    writer.finish(Trailer{});
  }
  std::string bytes = read_file(path("strings.lspy"));
  std::vector<size_t> frames = frame_offsets(bytes);
  bytes[frames[1] + kFrameHeaderSize + 6] ^= 0x11;
  write_file(path("lost.lspy"), bytes);
  RecordLog log;
  ReadSummary summary = read_into(path("lost.lspy"), log);
  EXPECT_EQ(summary.damaged_chunks, 1u);
  std::vector<std::string> strings;
  for (const std::string& line : log.lines) {
    if (line.rfind("string ", 0) == 0) strings.push_back(line);
  }
  EXPECT_EQ(strings, (std::vector<std::string>{"string 1 name-0-a", "string 2 name-0-b", "string 5 name-2-a",
                                               "string 6 name-2-b"}));
}

// Before format 3 a lost chunk would renumber the strings after it: a
// damaged chunk is an error there, as it always was.
TEST_F(DamagedCapture, AFlippedByteInAVersion2CaptureIsCorruption) {
  std::string bytes = as_version(write_capture("full.lspy", 2), 2);
  std::vector<size_t> frames = frame_offsets(bytes, kFrameHeaderSizeBeforeV3);
  size_t middle = (frames[0] + kFrameHeaderSizeBeforeV3 + frames[1]) / 2;
  bytes[middle] = static_cast<char>(bytes[middle] ^ 0x5A);
  write_file(path("flipped.lspy"), bytes);
  std::string message = error_of(path("flipped.lspy"));
  EXPECT_NE(message.find("corrupt capture"), std::string::npos) << message;
}

TEST_F(DamagedCapture, EveryTruncationAndEveryFlipIsHandledWithoutCrashing) {
  std::string bytes = write_capture("small.lspy", 1);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ (1 << (i % 8)));
    write_file(path("d.lspy"), damaged);
    try {
      CaptureReader reader(path("d.lspy"));
      RecordLog log;
      reader.read(log);
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::CaptureUnreadable);
    }
  }
}

TEST_F(DamagedCapture, NotACaptureSaysSo) {
  write_file(path("text.lspy"), "hello, this is some text that is long enough");
  EXPECT_NE(error_of(path("text.lspy")).find("not a leakspy capture"), std::string::npos);
  write_file(path("empty.lspy"), "");
  EXPECT_NE(error_of(path("empty.lspy")).find("shorter than a capture header"), std::string::npos);
  EXPECT_NE(error_of(path("does-not-exist.lspy")).find("No such file"), std::string::npos);
  EXPECT_NE(error_of(directory_).find("is a directory"), std::string::npos);
  std::string header_only = write_capture("h.lspy", 0).substr(0, kFileHeaderSize + 5);
  write_file(path("header-cut.lspy"), header_only);
  EXPECT_NE(error_of(path("header-cut.lspy")).find("cut short inside its header"), std::string::npos);
}

TEST_F(DamagedCapture, NewerVersionIsRefusedNamingBothVersions) {
  std::string bytes = write_capture("v.lspy", 1);
  bytes[8] = static_cast<char>(kFormatVersion + 1);
  write_file(path("newer.lspy"), bytes);
  std::string message = error_of(path("newer.lspy"));
  EXPECT_NE(message.find("version " + std::to_string(kFormatVersion + 1)), std::string::npos) << message;
  EXPECT_NE(message.find("version " + std::to_string(kFormatVersion) + " this leakspy reads"), std::string::npos)
      << message;
  EXPECT_NE(message.find("upgrade leakspy"), std::string::npos);
}

// Version 1 has no Exit record (format.h): its files read as they are.
TEST_F(DamagedCapture, AVersion1CaptureIsRead) {
  std::string bytes = as_version(write_capture("v1.lspy", 3), 1);
  write_file(path("old.lspy"), bytes);
  CaptureReader reader(path("old.lspy"));
  EXPECT_EQ(reader.header().version, 1u);
  RecordVisitor ignore;
  EXPECT_FALSE(reader.read(ignore).truncated);
}

}  // namespace
}  // namespace leakspy::capture
