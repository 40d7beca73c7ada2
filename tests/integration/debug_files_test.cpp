// Issue 17: a stripped program's frames are named from its separate debug
// file, found as GDB finds it: through the program's .gnu_debuglink (beside
// it), by build-id in a debug directory given with --debug-dir, or from a
// debuginfod server (a real one, on this machine) named by DEBUGINFOD_URLS. Each case
// strips a copy of leak_known_line as distributions do (objcopy
// --only-keep-debug, then strip), and `top` row 1 is leak_page at its line;
// without one, the report says which module lacks symbols.
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/free_port.h"
#include "tests/support/process.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

using nlohmann::json;

class DebugFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = test::make_temp_dir();
    program_ = directory_ + "/leak_known_line";
    ASSERT_EQ(shell("cp '" + test::target_path("leak_known_line") + "' '" + program_ + "' && objcopy --only-keep-debug '" +
                    program_ + "' '" + program_ + ".debug' && strip --strip-all '" + program_ + "'"),
              0);
  }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }
  static int shell(const std::string& command) { return test::run_process({"sh", "-c", command}).exit_code; }

  // `run [options] -- program`, then top's row 1.
  json first_site(const std::vector<std::string>& options) {
    std::string capture = directory_ + "/run.lspy";
    std::vector<std::string> argv = {"run", "-o", capture};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {"--", program_});
    test::ProcessResult run = test::run_leakspy(argv);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    test::ProcessResult top = test::run_leakspy({"top", capture, "--json", "-n", "1"});
    EXPECT_EQ(top.exit_code, 0) << top.err;
    json sites = json::parse(top.out)["sites"];
    return sites.empty() ? json() : sites[0];
  }
  void expect_leak_page(const json& site) {
    std::string source = std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/leak_known_line.c";
    EXPECT_EQ(site["function"], "leak_page") << site.dump(1);
    EXPECT_EQ(site["file"], source) << site.dump(1);
    EXPECT_EQ(site["line"], test::line_marked(source, "malloc(4096);")) << site.dump(1);
    EXPECT_EQ(site["live_bytes"], 1000u * 4096);
  }

  std::string build_id() const {
    std::string id =
        test::run_process({"sh", "-c", "readelf -n '" + program_ + "' | sed -n 's/.*Build ID: *//p'"}).out;
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id;
  }

  std::string directory_;
  std::string program_;
};

TEST_F(DebugFilesTest, StrippedWithoutADebugFileIsNotNamed) {
  ASSERT_EQ(shell("rm '" + program_ + ".debug'"), 0);
  json site = first_site({});
  EXPECT_NE(site["function"], "leak_page") << "the test's premise: strip removed the names";
  // The report says whose frames lack symbols, and how to get them.
  std::string text = test::run_leakspy({"top", directory_ + "/run.lspy", "-n", "1"}).out;
  EXPECT_NE(text.find("WARNING    frames of leak_known_line are addresses only (no symbols): install their debug "
                      "symbols"),
            std::string::npos)
      << text;
}

TEST_F(DebugFilesTest, TheDebuglinkBesideTheProgramIsFollowed) {
  ASSERT_EQ(shell("cd '" + directory_ + "' && objcopy --add-gnu-debuglink=leak_known_line.debug leak_known_line"), 0);
  expect_leak_page(first_site({}));
}

TEST_F(DebugFilesTest, ABuildIdDebugFileInADebugDirIsFound) {
  // DIR/.build-id/xx/rest.debug, from the build-id the program carries.
  std::string id = build_id();
  ASSERT_GE(id.size(), 4u);
  std::string folder = directory_ + "/debug/.build-id/" + id.substr(0, 2);
  ASSERT_EQ(shell("mkdir -p '" + folder + "' && mv '" + program_ + ".debug' '" + folder + "/" + id.substr(2) + ".debug'"),
            0);
  expect_leak_page(first_site({"--debug-dir", directory_ + "/debug"}));
}

TEST_F(DebugFilesTest, ADebuginfodServerSendsTheDebugFile) {
  if (test::run_process({"sh", "-c", "command -v debuginfod"}).exit_code != 0) {
    GTEST_SKIP() << "debuginfod is not installed (scripts/setup.sh installs it)";
  }
  std::string id = build_id();
  ASSERT_GE(id.size(), 4u);
  std::string served = directory_ + "/served";
  ASSERT_EQ(shell("mkdir -p '" + served + "' && mv '" + program_ + ".debug' '" + served + "/'"), 0);
  int port = test::free_port();
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  test::BackgroundProcess server({"debuginfod", "-F", "-p", std::to_string(port), "-d", directory_ + "/index.sqlite",
                                  served});
  // Until its first scan has indexed the file. Each look has a cache of its
  // own: libdebuginfod remembers a miss for ten minutes.
  bool indexed = false;
  for (int attempt = 0; attempt < 150 && !indexed; ++attempt) {
    indexed = shell("DEBUGINFOD_URLS=" + url + " DEBUGINFOD_CACHE_PATH='" + directory_ + "/probe" +
                    std::to_string(attempt) + "' debuginfod-find debuginfo " + id + " >/dev/null 2>&1") == 0;
    if (!indexed) usleep(200'000);
  }
  ASSERT_TRUE(indexed) << server.output();
  ASSERT_EQ(setenv("DEBUGINFOD_URLS", url.c_str(), 1), 0);
  ASSERT_EQ(setenv("DEBUGINFOD_CACHE_PATH", (directory_ + "/cache").c_str(), 1), 0);
  json site = first_site({});
  unsetenv("DEBUGINFOD_URLS");
  unsetenv("DEBUGINFOD_CACHE_PATH");
  expect_leak_page(site);
}

}  // namespace
}  // namespace leakspy
