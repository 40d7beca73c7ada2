#include "analyze/address_map.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace leakspy::analyze {
namespace {

TEST(AddressMap, AgreesWithUnorderedMapUnderHeavyChurn) {
  AddressMap<uint64_t> map(16);
  std::unordered_map<uint64_t, uint64_t> reference;
  std::mt19937_64 random(42);
  for (int i = 0; i < 200000; ++i) {
    uint64_t key = 1 + random() % 5000;  // few keys: long probe runs and many erasures
    if (random() % 3 == 0) {
      EXPECT_EQ(map.erase(key), reference.erase(key) == 1);
    } else {
      uint64_t value = random();
      EXPECT_EQ(map.insert(key, value), reference.find(key) == reference.end());
      reference[key] = value;
    }
  }
  EXPECT_EQ(map.size(), reference.size());
  for (const auto& [key, value] : reference) {
    const uint64_t* found = map.find(key);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(*found, value);
  }
  size_t visited = 0;
  map.for_each([&](uint64_t key, uint64_t value) {
    EXPECT_EQ(reference.at(key), value);
    ++visited;
  });
  EXPECT_EQ(visited, reference.size());
}

TEST(AddressMap, ReturnsWhatItReplacedAndRemoved) {
  AddressMap<int> map;
  int previous = 0;
  EXPECT_TRUE(map.insert(7, 1));
  EXPECT_FALSE(map.insert(7, 2, &previous));
  EXPECT_EQ(previous, 1);
  int removed = 0;
  EXPECT_TRUE(map.erase(7, &removed));
  EXPECT_EQ(removed, 2);
  EXPECT_FALSE(map.erase(7));
  EXPECT_EQ(map.find(7), nullptr);
}

// Key 0 was the table's "empty" marker: inserting it looked new every time,
// erasing it shrank the count below zero, and the table doubled every few
// events (issue 14, finding 4). Now it is a key like any other.
TEST(AddressMap, KeyZeroIsAnOrdinaryKey) {
  AddressMap<int> map(16);
  EXPECT_EQ(map.find(0), nullptr);
  EXPECT_FALSE(map.erase(0));
  EXPECT_TRUE(map.insert(0, 1));
  int previous = 0;
  EXPECT_FALSE(map.insert(0, 2, &previous));
  EXPECT_EQ(previous, 1);
  EXPECT_TRUE(map.insert(5, 5));
  EXPECT_EQ(map.size(), 2u);
  ASSERT_NE(map.find(0), nullptr);
  EXPECT_EQ(*map.find(0), 2);
  int visited = 0;
  map.for_each([&](uint64_t key, int value) {
    EXPECT_EQ(key == 0 ? 2 : 5, value);
    ++visited;
  });
  EXPECT_EQ(visited, 2);
  int removed = 0;
  EXPECT_TRUE(map.erase(0, &removed));
  EXPECT_EQ(removed, 2);
  EXPECT_EQ(map.find(0), nullptr);
  EXPECT_EQ(map.size(), 1u);
  for (int i = 0; i < 10000; ++i) {
    map.insert(0, i);
    map.erase(0);
  }
  EXPECT_EQ(map.size(), 1u);
  map.clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.find(0), nullptr);
}

}  // namespace
}  // namespace leakspy::analyze
