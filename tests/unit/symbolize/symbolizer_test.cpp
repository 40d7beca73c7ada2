// Resolving this test binary's own code: inline chains and lines from DWARF,
// stripped copies with and without a separate debug file (found by build-id
// inside a root, as /proc/PID/root is used for containers), files that were
// replaced, and files that are not ELF at all. And the files a hostile
// target names: without a build-id, with another file's build-id, a FIFO,
// a file only root may read, a symlink out of its root.
#include "symbolize/symbolizer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <linux/openat2.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/regular_file.h"
#include "symbolize/module_file_finder.h"
#include "tests/support/process.h"
#include "tests/unit/symbolize/self_module.h"

namespace leakspy::symbolize {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A root directory held open, as the recorder holds /proc/PID/root.
UniqueFd open_root(const std::string& path) { return UniqueFd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)); }

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

  // Options that resolve the target's paths inside `root`, opened by leakspy.
  SymbolizeOptions inside(const std::string& root) {
    roots_.push_back(open_root(root));
    SymbolizeOptions options;
    options.root_fd = roots_.back().get();
    return options;
  }

  std::string directory_;
  ModuleFile module_;
  std::vector<UniqueFd> roots_;
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
  Symbolizer symbolizer(inside(root));
  expect_probe_chain(symbolizer.resolve(moved, test::outer_probe()));
}

TEST_F(SymbolizerTest, StrippedWithoutDebugFileDoesNotCrash) {
  if (!have_binutils()) GTEST_SKIP() << "objcopy is not installed";
  std::string root = make_root("stripped", false);
  ModuleFile moved = module_;
  moved.path = "/bin/probe";
  SymbolizeOptions options = inside(root);
  options.debug_directories = {"/nothing-here"};
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
  SymbolizeOptions options = inside(root);
  Symbolizer with_debug(options);
  expect_probe_chain(with_debug.resolve(moved, test::outer_probe()));

  run({"rm", "-rf", root + "/usr"});
  Symbolizer without_debug(options);
  EXPECT_TRUE(without_debug.resolve(moved, test::outer_probe()).empty());
  // Rejected for its build-id, before any symbol of it was read.
  std::string why = without_debug.why_unresolved(moved);
  EXPECT_TRUE(contains(why, "/bin/probe: its build-id ")) << why;
  EXPECT_TRUE(contains(why, ", the module's is " + build_id_hex(module_.build_id))) << why;
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
      std::string why = symbolizer.why_unresolved(module);
      if (!with_build_id) {
        EXPECT_TRUE(contains(why, "not opened: the module has no build-id")) << name << ": " << why;
      } else if (std::string(name) == "a-fifo" || std::string(name) == "link-to-fifo") {
        EXPECT_TRUE(contains(why, "a FIFO, not a regular file")) << why;
      } else if (std::string(name) == "a-directory") {
        EXPECT_TRUE(contains(why, "a directory, not a regular file")) << why;
      }
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

// The finding of issue 14: a module message named /etc/shadow with an empty
// build-id, and root opened it. Without the target's own rights (no
// open_as_target) such a module is never opened, whatever the file: here a
// good ELF file (this binary), a file only root may read, and a device.
TEST_F(SymbolizerTest, AModuleWithoutBuildIdIsNotOpenedWithLeakspysRights) {
  std::string secret = directory_ + "/secret-elf";
  run({"cp", module_.path, secret});
  ASSERT_EQ(::chown(secret.c_str(), 12345, 12345), 0);  // another owner, 0600
  ASSERT_EQ(::chmod(secret.c_str(), 0600), 0);
  for (const std::string& path : {module_.path, secret, std::string("/etc/shadow"), std::string("/dev/zero")}) {
    ModuleFile named = module_;
    named.path = path;
    named.build_id.clear();
    ModuleFiles files = open_module_files(named, SymbolizeOptions{});
    EXPECT_TRUE(files.module_files.empty()) << path;
    Symbolizer symbolizer;
    EXPECT_TRUE(symbolizer.resolve(named, test::outer_probe()).empty()) << path;
    EXPECT_EQ(symbolizer.files_opened(), 0u) << path;
    EXPECT_EQ(symbolizer.why_unresolved(named),
              path + ": not opened: the module has no build-id, and leakspy opens such a file only with the "
                     "target's own rights");
  }
}

// A build-id names the file's contents: with one, a root-only file is
// opened, and used only when it is the module's; /etc/shadow is not an ELF
// file, another ELF file has another build-id. Nothing of it is read.
TEST_F(SymbolizerTest, AFileWithAnotherBuildIdIsRejected) {
  std::string secret = directory_ + "/secret-elf";
  run({"cp", "/bin/true", secret});
  ASSERT_EQ(::chown(secret.c_str(), 12345, 12345), 0);
  ASSERT_EQ(::chmod(secret.c_str(), 0600), 0);
  SymbolizeOptions options;
  options.debug_directories = {};
  for (const std::string& path : {secret, std::string("/etc/shadow")}) {
    ModuleFile named = module_;  // this binary's build-id
    named.path = path;
    Symbolizer symbolizer(options);
    EXPECT_TRUE(symbolizer.resolve(named, test::outer_probe()).empty()) << path;
    std::string why = symbolizer.why_unresolved(named);
    if (path == secret) {
      EXPECT_TRUE(contains(why, secret + ": its build-id ")) << why;
    } else {
      EXPECT_EQ(why, "/etc/shadow: not an ELF file");
    }
  }
}

// A symlink inside the target's root to an absolute path resolves inside
// that root (as the target's own open would), never against leakspy's: here
// the root holds another program at the path the link names, and the host's
// file there (this binary, with the module's build-id) is never reached.
TEST_F(SymbolizerTest, AnAbsoluteSymlinkResolvesInsideTheRoot) {
  std::string root = directory_ + "/linked";
  run({"mkdir", "-p", root + "/bin", root + std::filesystem::path(module_.path).parent_path().string()});
  run({"cp", "/bin/true", root + module_.path});
  ASSERT_EQ(::symlink(module_.path.c_str(), (root + "/bin/probe").c_str()), 0);
  ModuleFile linked = module_;
  linked.path = "/bin/probe";
  Symbolizer symbolizer(inside(root));
  EXPECT_TRUE(symbolizer.resolve(linked, test::outer_probe()).empty());
  std::string why = symbolizer.why_unresolved(linked);
  EXPECT_TRUE(contains(why, "/bin/probe: its build-id ")) << why;  // the root's /bin/true, not this binary

  // A link that leaves the root through ".." stays at the root too.
  ASSERT_EQ(::unlink((root + "/bin/probe").c_str()), 0);
  ASSERT_EQ(::symlink(("../../../../../../../../.." + module_.path).c_str(), (root + "/bin/probe").c_str()), 0);
  Symbolizer again(inside(root));
  EXPECT_TRUE(again.resolve(linked, test::outer_probe()).empty());
}

// With the target's rights at hand, the target's files are opened that way
// only, a module without a build-id too (the target could read it anyway);
// and a debug file with another build-id is not used.
TEST_F(SymbolizerTest, TheTargetsFilesAreOpenedWithItsRights) {
  if (!have_binutils()) GTEST_SKIP() << "objcopy is not installed";
  std::string root = make_root("as-target", true);
  std::vector<std::string> asked;
  SymbolizeOptions options = inside(root);
  UniqueFd root_fd = open_root(root);
  options.open_as_target = [&](const std::string& path, std::string* why) {
    asked.push_back(path);
    RegularFileOpen how;
    how.directory = root_fd.get();
    how.resolve = RESOLVE_IN_ROOT;
    return open_regular_file(path, how, why);
  };
  ModuleFile moved = module_;
  moved.path = "/bin/probe";
  Symbolizer symbolizer(options);
  expect_probe_chain(symbolizer.resolve(moved, test::outer_probe()));
  std::string hex = build_id_hex(module_.build_id);
  std::string debug_path = "/usr/lib/debug/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug";
  EXPECT_EQ(asked, (std::vector<std::string>{"/bin/probe", debug_path}));

  // No build-id: opened all the same (stripped: no lines, no debug file).
  ModuleFile unnamed = module_;
  unnamed.path = "/bin/probe";
  unnamed.build_id.clear();
  Symbolizer without_id(options);
  without_id.resolve(unnamed, test::outer_probe());
  EXPECT_EQ(without_id.files_opened(), 1u) << without_id.why_unresolved(unnamed);

  // The debug file replaced by another file: not used.
  run({"cp", "/bin/true", root + debug_path});
  run({"cp", "/bin/true", root + "/bin/probe"});
  Symbolizer replaced(options);
  EXPECT_TRUE(replaced.resolve(moved, test::outer_probe()).empty());
  std::string why = replaced.why_unresolved(moved);
  EXPECT_TRUE(contains(why, debug_path + ": its build-id ")) << why;
}

// libdwfl owns a descriptor once its file is reported, and closes it; the
// refused ones leakspy closes. None is left open, none closed twice.
// `run`'s target has leakspy's rights: a module without a build-id is read
// by leakspy, inside the target's root.
TEST_F(SymbolizerTest, ATargetWithLeakspysRightsIsSymbolizedWithoutBuildId) {
  ModuleFile unnamed = module_;
  unnamed.build_id.clear();
  SymbolizeOptions options = inside("/");
  options.target_has_leakspys_rights = true;
  Symbolizer symbolizer(options);
  expect_probe_chain(symbolizer.resolve(unnamed, test::outer_probe()));
}

TEST_F(SymbolizerTest, EveryDescriptorIsClosedOnce) {
  auto open_descriptors = [] {
    size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
    return count;
  };
  size_t before = open_descriptors();
  {
    ModuleFile replaced = module_;
    replaced.path = "/bin/true";
    replaced.build_id = std::string("\x01\x02\x03\x04", 4);  // not /bin/true's: refused
    Symbolizer symbolizer;
    expect_probe_chain(symbolizer.resolve(module_, test::outer_probe()));
    EXPECT_TRUE(symbolizer.resolve(replaced, test::outer_probe()).empty());
    UniqueFd witness(::open("/dev/null", O_RDONLY | O_CLOEXEC));  // a double close would take this one
    Symbolizer again;
    expect_probe_chain(again.resolve(module_, test::outer_probe()));
    EXPECT_EQ(::fcntl(witness.get(), F_GETFD), FD_CLOEXEC);
  }
  EXPECT_EQ(open_descriptors(), before);
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
