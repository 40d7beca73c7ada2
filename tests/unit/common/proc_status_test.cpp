#include "common/proc_status.h"

#include <gtest/gtest.h>

namespace leakspy {
namespace {

using Arguments = std::vector<std::string>;

TEST(CommandLineTest, ArgumentsAreSplitAtNuls) {
  EXPECT_EQ(split_command_line(std::string("python3\0app.py\0--port\0" "80\0", 25)),
            (Arguments{"python3", "app.py", "--port", "80"}));
}

TEST(CommandLineTest, ARewrittenTitleIsOneArgumentWithoutTheOldArgumentsNuls) {
  std::string redis = "redis-server 127.0.0.1:6379";
  redis += std::string(140, '\0');
  EXPECT_EQ(split_command_line(redis), (Arguments{"redis-server 127.0.0.1:6379"}));
}

TEST(CommandLineTest, AnEmptyArgumentInsideIsKept) {
  EXPECT_EQ(split_command_line(std::string("prog\0\0last\0", 11)), (Arguments{"prog", "", "last"}));
}

TEST(CommandLineTest, NothingButNulsIsNoArgument) { EXPECT_TRUE(split_command_line(std::string(8, '\0')).empty()); }

}  // namespace
}  // namespace leakspy
