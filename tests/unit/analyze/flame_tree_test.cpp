// Flame trees: frames expanded into inline chains, merged by location, totals
// that add up, forward and reversed.
#include "analyze/flame_tree.h"

#include "capture/capture_writer.h"
#include "tests/unit/analyze/report_model_fixture.h"

namespace leakspy::analyze {
namespace {

std::vector<std::string> paths(const CaptureModel& model, const FlameTree& tree) {
  std::vector<std::string> out;
  tree.for_each_leaf_path([&](const std::vector<uint32_t>& path, uint64_t value) {
    std::string line;
    for (uint32_t node : path)
      line += (line.empty() ? "" : ";") + model.symbols.location(tree.nodes()[node].location).function;
    out.push_back(line + " " + std::to_string(value));
  });
  return out;
}

TEST_F(ReportModelTest, ForwardTreeExpandsInlineChainsRootFirst) {
  CaptureModel model = fixture_model("host");
  FlameTree tree = FlameTree::build(model, Metric::Live, false);
  EXPECT_EQ(tree.total(), model.totals.live_bytes);
  EXPECT_EQ(paths(model, tree), (std::vector<std::string>{
                                    " 64",  // [no stack] has no function name
                                    "main;handle_request(Request const&);cache::Store<std::string>::put(std::string "
                                    "const&);operator new(unsigned long) 1200",
                                    "main;parse_json(char const*, int&) 2000",
                                    "main;parse_json(char const*, int&); 100",
                                }));
  EXPECT_EQ(tree.max_depth(), 4u);
  for (const FlameNode& node : tree.nodes()) {
    uint64_t children = 0;
    for (uint32_t child : node.children) children += tree.nodes()[child].total;
    EXPECT_EQ(node.total, node.self + children);
  }
}

TEST_F(ReportModelTest, ReversedTreeStartsAtTheAllocatingFrame) {
  CaptureModel model = fixture_model("host");
  FlameTree tree = FlameTree::build(model, Metric::Allocated, true);
  EXPECT_EQ(tree.total(), model.totals.allocated_bytes);
  std::vector<std::string> lines = paths(model, tree);
  EXPECT_NE(std::find(lines.begin(), lines.end(),
                      "operator new(unsigned long);cache::Store<std::string>::put(std::string const&);handle_request("
                      "Request const&);main 1300"),
            lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "load_model;main 4096"), lines.end());
}

TEST_F(ReportModelTest, SiblingsWithOneLocationMerge) {
  std::string file = path("merge.lspy");
  {
    capture::CaptureWriter writer(file, capture::CaptureHeader{});
    writer.records().string("f");
    writer.records().string("f.c");
    // Two return addresses on one line of f, each with its own child.
    writer.records().symbol({0x100, ModuleId(0), {{StringId(1), StringId(2), 7}}});
    writer.records().symbol({0x104, ModuleId(0), {{StringId(1), StringId(2), 7}}});
    writer.records().node({StackId(1), StackId(0), 0x100});
    writer.records().node({StackId(2), StackId(0), 0x104});
    writer.records().event({capture::EventKind::Alloc, HeapId(0), StackId(1), 10, 0x1000});
    writer.records().event({capture::EventKind::Alloc, HeapId(0), StackId(2), 5, 0x2000});
    writer.finish({});
  }
  CaptureModel model = read_capture_model(file, HeapSelection::parse("host"));
  FlameTree tree = FlameTree::build(model, Metric::Live, false);
  ASSERT_EQ(tree.root().children.size(), 1u);
  EXPECT_EQ(tree.nodes()[tree.root().children[0]].self, 15u);
  EXPECT_EQ(model.symbols.label(tree.nodes()[tree.root().children[0]].location), "f (f.c:7)");
}

TEST_F(ReportModelTest, EmptyMetricGivesAnEmptyTree) {
  CaptureModel model = fixture_model("cuda");
  FlameTree tree = FlameTree::build(model, Metric::Live, false);
  EXPECT_EQ(tree.total(), 0u);
  EXPECT_TRUE(paths(model, tree).empty());
}

}  // namespace
}  // namespace leakspy::analyze
