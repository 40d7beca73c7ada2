// ElfSymbols reads a mapped file's symbols, and never waits on or acts
// through what a target may have put at that path since it mapped it.
#include "attach/elf_symbols.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>

#include "common/error.h"
#include "tests/support/process.h"

namespace leakspy::attach {
namespace {

TEST(ElfSymbols, ReadsTheFunctionsOfAnElfFile) {
  ElfSymbols self("/proc/self/exe");
  EXPECT_TRUE(self.find("main").has_value());
}

TEST(ElfSymbols, AFifoOrADeviceIsRefusedWithoutBeingOpened) {
  std::string directory = leakspy::test::make_temp_dir();
  std::string fifo = directory + "/libc.so.6";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto started = std::chrono::steady_clock::now();
  for (const auto& [path, why] : {std::pair<std::string, std::string>{fifo, "a FIFO, not a regular file"},
                                  {"/dev/zero", "a character device, not a regular file"}}) {
    try {
      ElfSymbols symbols(path);
      ADD_FAILURE() << path << " was read";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::UnsupportedTarget);
      EXPECT_EQ(std::string(error.what()), "cannot open " + path + ": " + why);
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  std::system(("rm -rf " + directory).c_str());
}

}  // namespace
}  // namespace leakspy::attach
