#include "tests/support/trend_capture.h"

#include <cmath>

namespace leakspy::test {

namespace {

capture::CaptureHeader trend_header(bool attached) {
  capture::CaptureHeader header;
  header.pid = 777;
  header.time_unit_ns = 1000;
  header.flags = attached ? capture::kFlagAttachedMidRun : 0;
  header.command_line = {"/srv/server"};
  header.executable = "/srv/server";
  header.hostname = "test-host";
  header.leakspy_version = "trend";
  return header;
}

}  // namespace

TrendCapture::TrendCapture(const std::string& path, const Options& options)
    : writer_(path, trend_header(options.attached_mid_run)), options_(options) {
  auto& records = writer_.records();
  records.heap({HeapId(0), text("malloc"), 0});
  records.heap({HeapId(1), text("mmap"), capture::kHeapFlagRanges});
  records.heap({HeapId(2), text("python"), 0});
  records.module({ModuleId(1), text("/srv/server"), "", options.module_bias, {{0x1000, 0x100000, 5}}});
  records.thread({ThreadIndex(1), 777, text("server")});
  records.node({StackId(1), StackId(0), options.module_bias + 0x1010});
  functions_.push_back({options.module_bias + 0x1010, "main"});
  lines_.push_back(1);
  records.switch_thread(ThreadIndex(1));
  records.time(0);
}

StringId TrendCapture::text(const std::string& value) {
  writer_.records().string(value);
  return StringId(next_string_++);
}

uint32_t TrendCapture::stack(const std::string& function, uint32_t line) {
  uint32_t id = next_stack_++;
  uint64_t frame = options_.module_bias + 0x2000 + 0x100 * id;
  writer_.records().node({StackId(id), StackId(1), frame});
  functions_.push_back({frame, function});
  lines_.push_back(line);
  return id;
}

void TrendCapture::at(double seconds) {
  auto units = static_cast<uint64_t>(std::llround(seconds * 1e6));
  if (units != now_) {
    now_ = units;
    writer_.records().time(units);
  }
}

uint64_t TrendCapture::alloc(double seconds, uint32_t stack, uint64_t size, uint32_t heap) {
  at(seconds);
  uint64_t address = next_address_;
  next_address_ += (size + 0xFFF) & ~uint64_t{0xFFF};
  writer_.records().event({capture::EventKind::Alloc, HeapId(heap), StackId(stack), size, address});
  writer_.maybe_flush();
  return address;
}

void TrendCapture::free(double seconds, uint64_t address, uint32_t heap) {
  at(seconds);
  writer_.records().event({capture::EventKind::Free, HeapId(heap), StackId(0), 0, address});
  writer_.maybe_flush();
}

void TrendCapture::rss(double seconds, uint64_t bytes) {
  at(seconds);
  writer_.records().counters({bytes, {}});
}

void TrendCapture::memory(double seconds, uint64_t rss_bytes, uint64_t malloc_live_bytes,
                          const capture::AllocatorRecord* allocator) {
  at(seconds);
  if (allocator != nullptr) writer_.records().allocator(*allocator);
  writer_.records().counters({rss_bytes, {{HeapId(capture::kHeapMalloc), malloc_live_bytes}}});
}

void TrendCapture::python_types(double seconds, const std::vector<std::pair<std::string, uint64_t>>& counts) {
  capture::PythonTypesRecord census;
  for (const auto& [name, count] : counts) census.types.emplace_back(text(name), count);
  at(seconds);
  writer_.records().python_types(census);
}

void TrendCapture::finish(double seconds) {
  at(seconds);
  for (size_t i = 0; i < functions_.size(); ++i) {
    writer_.records().symbol(
        {functions_[i].first, ModuleId(1), {{text(functions_[i].second), text("/src/server.c"), lines_[i]}}});
  }
  capture::Trailer trailer;
  trailer.end_time = now_;
  trailer.target_end = capture::TargetEnd::Exited;
  writer_.finish(trailer);
}

void write_service_trend(const std::string& path, const TrendCapture::Options& options, const ServiceTrend& trend) {
  TrendCapture capture(path, options);
  uint32_t leaky = capture.stack("remember", 10);
  uint32_t churn = trend.churn ? capture.stack("scratch", 20) : 0;
  uint32_t cache = capture.stack("warm_cache", 30);
  uint32_t mapping = trend.mapping ? capture.stack("map_file", 50) : 0;
  for (int step = 0; step < 200; ++step) {
    double t = step * 0.1;
    if (step < 20) {
      for (int k = 0; k < 10; ++k) capture.alloc(t, cache, 10'486, trend.cache_heap);
    }
    for (uint32_t k = 0; k < trend.leak_blocks; ++k) capture.alloc(t + 0.01, leaky, trend.leak_bytes / trend.leak_blocks);
    if (trend.churn) {
      uint64_t block = capture.alloc(t + 0.02, churn, 60'000);
      capture.free(t + 0.07, block);
    }
    if (trend.mapping && step % 50 == 0) {
      uint64_t region = capture.alloc(t + 0.02, mapping, 1 << 20, 1);
      capture.free(t + 2, region, 1);
    }
    capture.rss(t + 0.08, trend.rss_base + static_cast<uint64_t>(step) * trend.rss_step);
    if (trend.frees_from_before && step % 10 == 0) {
      capture.free(t + 0.09, 0x7f0000000000 + static_cast<uint64_t>(step));  // allocated before the attach
    }
  }
  capture.finish(20.0);
}

}  // namespace leakspy::test
