// Resolving this test binary's own code: inline chains and lines from DWARF,
// stripped copies with and without a separate debug file (found by build-id
// inside a root, as /proc/PID/root is used for containers), files that were
// replaced, and files that are not ELF at all.
#include "symbolize/symbolizer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "symbolize/module_file_finder.h"
#include "tests/support/process.h"
#include "tests/unit/symbolize/self_module.h"

namespace leakspy::symbolize {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void expect_probe_chain(const std::vector<SourceFrame>& frames) {
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].function, "leakspy::symbolize::test::probe::inlined_probe()");
  EXPECT_TRUE(ends_with(frames[0].file, "tests/unit/symbolize/self_module.cpp")) << frames[0].file;
  EXPECT_EQ(frames[0].line, test::kInlinedProbeLine);
  EXPECT_EQ(frames[1].function, "leakspy::symbolize::test::probe::outer_probe()");
  EXPECT_EQ(frames[1].file, frames[0].file);
  EXPECT_EQ(frames[1].line, test::kOuterProbeLine);
}

class SymbolizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = leakspy::test::make_temp_dir();
    module_ = test::self_module();
    ASSERT_FALSE(module_.build_id.empty()) << "the test binary has no build-id";
  }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }

  void run(const std::vector<std::string>& argv) {
    leakspy::test::ProcessResult result = leakspy::test::run_process(argv, 60);
    ASSERT_EQ(result.exit_code, 0) << argv[0] << ": " << result.err;
  }
  bool have_binutils() const { return ::access("/usr/bin/objcopy", X_OK) == 0; }

  // ROOT/bin/probe: this binary without symbols; with `debug_file`, its
  // debug information at ROOT/usr/lib/debug/.build-id/xx/rest.debug.
  std::string make_root(const std::string& name, bool debug_file) {
    std::string root = directory_ + "/" + name;
    run({"mkdir", "-p", root + "/bin"});
    if (debug_file) {
      std::string hex = build_id_hex(module_.build_id);
      std::string debug_dir = root + "/usr/lib/debug/.build-id/" + hex.substr(0, 2);
      run({"mkdir", "-p", debug_dir});
      run({"/usr/bin/objcopy", "--only-keep-debug", module_.path, debug_dir + "/" + hex.substr(2) + ".debug"});
    }
    run({"/usr/bin/objcopy", "--strip-all", module_.path, root + "/bin/probe"});
    return root;
  }

  std::string directory_;
  ModuleFile module_;
};

TEST_F(SymbolizerTest, ResolvesInlineChainsWithLines) {
  Symbolizer symbolizer;
  expect_probe_chain(symbolizer.resolve(module_, test::outer_probe()));
  EXPECT_EQ(symbolizer.files_opened(), 1u);
}

TEST_F(SymbolizerTest, SeparateDebugFileInsideTheRoot) {
  if (!have_binutils()) GTEST_SKIP() << "objcopy is not installed";
  std::string root = make_root("container", true);
  ModuleFile moved = module_;
  moved.path = "/bin/probe";  // the path inside the "container"
  SymbolizeOptions options;
  options.root = root;
  Symbolizer symbolizer(options);
  expect_probe_chain(symbolizer.resolve(moved, test::outer_probe()));
}

TEST_F(SymbolizerTest, StrippedWithoutDebugFileDoesNotCrash) {
  if (!have_binutils()) GTEST_SKIP() << "objcopy is not installed";
  std::string root = make_root("stripped", false);
  ModuleFile moved = module_;
  moved.path = "/bin/probe";
  SymbolizeOptions options;
  options.root = root;
  options.debug_directories = {root + "/nothing-here"};
  Symbolizer symbolizer(options);
  std::vector<SourceFrame> frames = symbolizer.resolve(moved, test::outer_probe());
  // No DWARF and no .symtab: at most a .dynsym name, never lines.
  ASSERT_LE(frames.size(), 1u);
  if (!frames.empty()) {
    EXPECT_TRUE(frames[0].file.empty());
  }
}

TEST_F(SymbolizerTest, AReplacedFileIsNotUsedButItsDebugFileIs) {
  if (!have_binutils()) GTEST_SKIP() << "objcopy is not installed";
  std::string root = make_root("replaced", true);
  run({"cp", "/bin/true", root + "/bin/probe"});  // another build-id at the same path
  ModuleFile moved = module_;
  moved.path = "/bin/probe";
  SymbolizeOptions options;
  options.root = root;
  Symbolizer with_debug(options);
  expect_probe_chain(with_debug.resolve(moved, test::outer_probe()));

  run({"rm", "-rf", root + "/usr"});
  Symbolizer without_debug(options);
  EXPECT_TRUE(without_debug.resolve(moved, test::outer_probe()).empty());
}

TEST_F(SymbolizerTest, OddFilesResolveNothingAndNeverHang) {
  std::string odd = directory_ + "/odd";
  run({"mkdir", "-p", odd + "/a-directory"});
  std::ofstream(odd + "/empty").close();
  std::ofstream(odd + "/garbage") << std::string(10000, '\x7f') << "ELF garbage";
  {
    std::ifstream self(module_.path, std::ios::binary);
    std::string head(200, '\0');
    self.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream(odd + "/truncated-elf", std::ios::binary) << head;
  }
  ASSERT_EQ(::mkfifo((odd + "/a-fifo").c_str(), 0600), 0);
  ASSERT_EQ(::symlink((odd + "/a-fifo").c_str(), (odd + "/link-to-fifo").c_str()), 0);
  auto started = std::chrono::steady_clock::now();
  for (const char* name : {"empty", "garbage", "truncated-elf", "a-directory", "a-fifo", "link-to-fifo", "missing"}) {
    for (bool with_build_id : {true, false}) {
      ModuleFile module = module_;
      module.path = odd + "/" + name;
      if (!with_build_id) module.build_id.clear();
      SymbolizeOptions options;
      options.debug_directories = {odd};
      Symbolizer symbolizer(options);
      EXPECT_TRUE(symbolizer.resolve(module, test::outer_probe()).empty()) << name;
      EXPECT_TRUE(symbolizer.resolve(module, 0).empty()) << name;
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(SymbolizerTest, PseudoModulesAndAddressesBelowTheBiasResolveNothing) {
  Symbolizer symbolizer;
  ModuleFile vdso = module_;
  vdso.path = "linux-vdso.so.1";
  vdso.build_id.clear();
  EXPECT_TRUE(symbolizer.resolve(vdso, test::outer_probe()).empty());
  EXPECT_TRUE(symbolizer.resolve(module_, module_.load_bias).empty());
}

TEST_F(SymbolizerTest, OneFileReadPerBuildId) {
  Symbolizer symbolizer;
  ModuleFile again = module_;
  again.id = 77;
  again.path = "/proc/self/exe";  // another path, the same build-id
  expect_probe_chain(symbolizer.resolve(module_, test::outer_probe()));
  expect_probe_chain(symbolizer.resolve(again, test::outer_probe()));
  EXPECT_EQ(symbolizer.files_opened(), 1u);
}

}  // namespace
}  // namespace leakspy::symbolize
