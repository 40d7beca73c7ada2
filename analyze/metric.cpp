#include "analyze/metric.h"

#include "common/error.h"

namespace leakspy::analyze {

const char* metric_name(Metric metric) {
  switch (metric) {
    case Metric::Live:
      return "live";
    case Metric::Peak:
      return "peak";
    case Metric::Allocated:
      return "allocated";
    case Metric::Count:
      return "count";
  }
  return "?";
}

Metric parse_metric(const std::string& text) {
  for (Metric metric : {Metric::Live, Metric::Peak, Metric::Allocated, Metric::Count}) {
    if (text == metric_name(metric)) return metric;
  }
  throw Error(ErrorKind::Usage, "unknown metric '" + text + "': use live, peak, allocated or count");
}

}  // namespace leakspy::analyze
