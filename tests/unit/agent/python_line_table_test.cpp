// The agent's line-table decoders against what each interpreter itself says.
#include "agent/python/line_table.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"

namespace leakspy::agent::python {
namespace {

class LineTables : public ::testing::TestWithParam<test::Interpreter> {};

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> bytes;
  if (hex == "-") return bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

TEST_P(LineTables, DecoderAgreesWithTheInterpreter) {
  const test::Interpreter& interpreter = GetParam();
  if (interpreter.path.empty()) GTEST_SKIP() << "python " << interpreter.minor << " is not installed";
  test::ProcessResult dump = test::run_process(
      {interpreter.path, std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/python/line_table_dump.py"}, 120);
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  std::istringstream lines(dump.out);
  std::string line;
  int code_objects = 0;
  size_t instructions = 0;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string format, hex;
    uint32_t first_line = 0;
    fields >> format >> first_line >> hex;
    LineTableFormat table_format = format == "lnotab"         ? LineTableFormat::Lnotab
                                   : format == "linetable310" ? LineTableFormat::Linetable310
                                                              : LineTableFormat::Locations;
    std::vector<uint8_t> table = from_hex(hex);
    ++code_objects;
    std::string pair;
    while (fields >> pair) {
      uint32_t offset = static_cast<uint32_t>(std::stoul(pair.substr(0, pair.find(':'))));
      uint32_t expected = static_cast<uint32_t>(std::stoul(pair.substr(pair.find(':') + 1)));
      ASSERT_EQ(line_for_offset(table_format, table.data(), table.size(), first_line, offset), expected)
          << format << " first line " << first_line << " offset " << offset;
      ++instructions;
    }
  }
  EXPECT_GT(code_objects, 5);
  EXPECT_GT(instructions, 200u);
}

INSTANTIATE_TEST_SUITE_P(Interpreters, LineTables, ::testing::ValuesIn(test::wanted_interpreters()),
                         [](const ::testing::TestParamInfo<test::Interpreter>& param) { return param.param.name; });

}  // namespace
}  // namespace leakspy::agent::python
