// Writes seed inputs for the fuzz targets (scripts/fuzz.sh runs it):
//   fuzz_seeds OUT [--capture FILE.lspy]... [--elf FILE]...
// OUT/wire_messages and OUT/torch_batch get streams built here as the agent
// builds them; OUT/record_stream gets the decompressed chunks of each
// capture and OUT/capture_file the capture itself; OUT/eh_frame gets, for
// some functions of each ELF file, its .eh_frame_hdr and .eh_frame laid out
// as the module maps them, with the function's pc (eh_frame_harness.cpp).
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "capture/format.h"
#include "capture/wire.h"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

void write_file(const fs::path& path, const Bytes& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

Bytes read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

template <typename T>
void put(Bytes& out, const T& value) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(&value);
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

void put_text(Bytes& out, const std::string& text) { out.insert(out.end(), text.begin(), text.end()); }

uint32_t get_u32(const uint8_t* in) {
  uint32_t value;
  std::memcpy(&value, in, 4);
  return value;
}

// One message: header, then the payload.
void message(Bytes& out, leakspy::wire::MessageType type, const Bytes& payload) {
  put(out, leakspy::wire::MessageHeader{static_cast<uint32_t>(type), static_cast<uint32_t>(payload.size())});
  out.insert(out.end(), payload.begin(), payload.end());
}

// A session as the agent starts one: hello, a heap, a thread, a module, the
// trace tree, events between epoch marks, a seal, drops, Python code, a
// note and goodbye.
void wire_seeds(const fs::path& out) {
  using namespace leakspy::wire;
  Bytes stream;
  Bytes p;
  put(p, Hello{kWireVersion, 4242, 1000000, 0, 4096});
  message(stream, MessageType::Hello, p);
  p.clear();
  put(p, WireHeap{kFirstDeclaredHeap, 6, 0});
  put_text(p, "cuda:0");
  message(stream, MessageType::Heap, p);
  p.clear();
  WireThread thread{1, 4242, {}};
  std::memcpy(thread.name, "main", 5);
  put(p, thread);
  message(stream, MessageType::Thread, p);
  p.clear();
  std::string path = "/usr/lib/libfake.so";
  std::string build_id = "\x12\x34\x56\x78";
  put(p, WireModule{1, static_cast<uint32_t>(path.size()), static_cast<uint32_t>(build_id.size()), 2, 0x7f0000000000});
  put_text(p, path);
  put_text(p, build_id);
  put(p, WireSegment{0, 0x1000, 5, 0});
  put(p, WireSegment{0x2000, 0x800, 6, 0});
  message(stream, MessageType::Module, p);
  p.clear();
  put(p, NodesHeader{3, 0});
  put(p, WireNode{0x7f0000000100, 1, 0});
  put(p, WireNode{0x7f0000000200, 2, 1});
  put(p, WireNode{0x8000000100000010, 3, 2});
  message(stream, MessageType::Nodes, p);
  p.clear();
  put(p, WireEpoch{1, 1000500});
  message(stream, MessageType::Epoch, p);
  p.clear();
  put(p, EventsHeader{1, 5});
  put(p, RawEvent{1, 0, UINT32_MAX, kEpochMark, 0xFF, 0xFFFF});
  put(p, RawEvent{0x5000, 64, 2, 0, 0, 0});
  put(p, RawEvent{0x6000, 4096, 3, 0, 1, 0});
  put(p, RawEvent{0x5000, 0, 2, 1, 0, 0});
  put(p, RawEvent{0x9000, 512, 1, 0, kFirstDeclaredHeap, 0});
  message(stream, MessageType::Events, p);
  p.clear();
  put(p, WireSeal{1});
  message(stream, MessageType::Seal, p);
  p.clear();
  put(p, WireDrops{1, 0, 7});
  message(stream, MessageType::Drops, p);
  p.clear();
  std::string filename = "serve.py";
  std::string name = "handle";
  put(p, WirePythonCode{1, 10, static_cast<uint16_t>(filename.size()), static_cast<uint16_t>(name.size()), 0});
  put_text(p, filename);
  put_text(p, name);
  message(stream, MessageType::PythonCode, p);
  p.clear();
  std::string note = "torch memory history is on";
  put(p, WireNote{0, static_cast<uint32_t>(note.size())});
  put_text(p, note);
  message(stream, MessageType::Note, p);
  p.clear();
  put(p, WireThreadEnd{1, 0});
  message(stream, MessageType::ThreadEnd, p);
  p.clear();
  put(p, WireModuleUnload{1, 0});
  message(stream, MessageType::ModuleUnload, p);
  p.clear();
  put(p, WireGoodbye{static_cast<uint32_t>(GoodbyeReason::ProcessExit), 0, 0});
  message(stream, MessageType::Goodbye, p);
  write_file(out / "seed-session", stream);
}

// A batch as agent/python/torch_history.py writes it (its header comment).
void torch_seeds(const fs::path& out) {
  Bytes batch;
  put_text(batch, "LSTB");
  put<uint8_t>(batch, 1);
  put<uint8_t>(batch, 0);
  put<uint16_t>(batch, 0);
  put<uint32_t>(batch, 0);
  std::string note = "recording tensors";
  put<uint32_t>(batch, static_cast<uint32_t>(note.size()));
  put_text(batch, note);
  put<uint32_t>(batch, 2);
  for (const auto& [id, file, name] : {std::tuple{1u, "model.py", "forward"}, std::tuple{2u, "serve.py", "handle"}}) {
    put<uint32_t>(batch, id);
    put<uint16_t>(batch, static_cast<uint16_t>(std::strlen(file)));
    put<uint16_t>(batch, static_cast<uint16_t>(std::strlen(name)));
    put_text(batch, file);
    put_text(batch, name);
  }
  put<uint32_t>(batch, 3);
  for (uint8_t action : {1, 1, 2}) {
    put<uint8_t>(batch, action);
    put<uint8_t>(batch, 0);
    put<uint16_t>(batch, 0);
    put<uint16_t>(batch, 2);
    put<uint16_t>(batch, 0);
    put<uint64_t>(batch, 0x7f0000000000 + action * 0x1000);
    put<uint64_t>(batch, 1u << 20);
    put<uint32_t>(batch, 1);
    put<uint32_t>(batch, 12);
    put<uint32_t>(batch, 2);
    put<uint32_t>(batch, 40);
  }
  write_file(out / "seed-batch", batch);
}

// The chunks of a capture, decompressed: each a record stream. Large ones
// are cut (a cut record is refused at the end, after the rest decoded).
void capture_seeds(const fs::path& record_out, const fs::path& file_out, const fs::path& capture) {
  Bytes file = read_file(capture);
  std::string stem = capture.stem().string();
  write_file(file_out / ("seed-" + stem), file);
  if (file.size() < leakspy::capture::kFileHeaderSize) throw std::runtime_error(capture.string() + " is too short");
  size_t offset = leakspy::capture::kFileHeaderSize + get_u32(file.data() + 12);
  for (int chunk = 0; offset + leakspy::capture::kFrameHeaderSize <= file.size(); ++chunk) {
    uint32_t kind = get_u32(file.data() + offset);
    uint32_t compressed = get_u32(file.data() + offset + 4);
    uint32_t raw = get_u32(file.data() + offset + 8);
    offset += leakspy::capture::kFrameHeaderSize;
    if (kind != leakspy::capture::kChunkFrame || compressed > file.size() - offset) break;
    Bytes records(raw);
    size_t n = ZSTD_decompress(records.data(), records.size(), file.data() + offset, compressed);
    offset += compressed;
    if (ZSTD_isError(n)) throw std::runtime_error(capture.string() + ": " + ZSTD_getErrorName(n));
    records.resize(std::min<size_t>(n, 16 << 10));
    write_file(record_out / ("seed-" + stem + "-chunk" + std::to_string(chunk)), records);
  }
}

// .eh_frame_hdr through the end of .eh_frame, as mapped (the linker puts
// them in this order in one segment), behind the pc offset of a few of the
// functions its table lists.
void eh_frame_seeds(const fs::path& out, const fs::path& elf_path) {
  int fd = open(elf_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + elf_path.string());
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  size_t names = 0;
  GElf_Shdr hdr{};
  GElf_Shdr eh_frame{};
  bool found_hdr = false;
  bool found_eh_frame = false;
  if (elf != nullptr && elf_getshdrstrndx(elf, &names) == 0) {
    for (Elf_Scn* section = elf_nextscn(elf, nullptr); section != nullptr; section = elf_nextscn(elf, section)) {
      GElf_Shdr header;
      if (gelf_getshdr(section, &header) == nullptr) continue;
      const char* name = elf_strptr(elf, names, header.sh_name);
      if (name == nullptr) continue;
      if (std::strcmp(name, ".eh_frame_hdr") == 0) found_hdr = (hdr = header, true);
      if (std::strcmp(name, ".eh_frame") == 0) found_eh_frame = (eh_frame = header, true);
    }
  }
  if (elf != nullptr) elf_end(elf);
  close(fd);
  if (!found_hdr || !found_eh_frame || eh_frame.sh_addr < hdr.sh_addr ||
      eh_frame.sh_offset - hdr.sh_offset != eh_frame.sh_addr - hdr.sh_addr) {
    throw std::runtime_error(elf_path.string() + " has no .eh_frame after its .eh_frame_hdr");
  }
  Bytes file = read_file(elf_path);
  uint64_t image_size = eh_frame.sh_addr + eh_frame.sh_size - hdr.sh_addr;
  if (hdr.sh_offset + image_size > file.size()) throw std::runtime_error(elf_path.string() + " is cut short");
  Bytes image(file.begin() + static_cast<ptrdiff_t>(hdr.sh_offset),
              file.begin() + static_cast<ptrdiff_t>(hdr.sh_offset + image_size));
  // The table (datarel sdata4 pairs) follows a 4-byte eh_frame_ptr and a
  // 4-byte count in the encodings every linker writes.
  if (image.size() < 12 || image[0] != 1 || image[2] != 0x03 || image[3] != 0x3b) {
    throw std::runtime_error(elf_path.string() + ": an .eh_frame_hdr in an unexpected encoding");
  }
  uint32_t count = get_u32(image.data() + 8);
  std::string stem = elf_path.filename().string();
  for (uint32_t i = 0; i < count && i < 16 && 12 + 8 * (i + 1) <= image.size(); ++i) {
    int32_t function = static_cast<int32_t>(get_u32(image.data() + 12 + 8 * i));
    for (int32_t into : {1, 5}) {
      Bytes seed;
      put<int32_t>(seed, function + into);
      seed.insert(seed.end(), image.begin(), image.end());
      write_file(out / ("seed-" + stem + "-" + std::to_string(i) + "-" + std::to_string(into)), seed);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT [--capture FILE.lspy]... [--elf FILE]...\n");
    return 2;
  }
  try {
    fs::path out = argv[1];
    wire_seeds(out / "wire_messages");
    torch_seeds(out / "torch_batch");
    for (int i = 2; i + 1 < argc; i += 2) {
      std::string option = argv[i];
      if (option == "--capture") {
        capture_seeds(out / "record_stream", out / "capture_file", argv[i + 1]);
      } else if (option == "--elf") {
        eh_frame_seeds(out / "eh_frame", argv[i + 1]);
      } else {
        throw std::runtime_error("unknown option " + option);
      }
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "fuzz_seeds: %s\n", error.what());
    return 1;
  }
  return 0;
}
