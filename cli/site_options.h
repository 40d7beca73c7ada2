#pragma once
// The options that say how call sites are chosen, shared by the reports that
// rank sites (top, diff, growth, timeline, check): --native and --alloc-fn.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "analyze/call_sites.h"

namespace leakspy::cli {

struct SiteOptions {
  bool native_sites = false;
  std::vector<std::string> allocation_functions;

  analyze::SiteRules rules() const {
    return {native_sites ? analyze::SiteRule::Native : analyze::SiteRule::PythonLine, allocation_functions};
  }
};

// Adds --native and --alloc-fn to `command`, writing into `options` (which must outlive it).
void add_site_options(CLI::App* command, SiteOptions& options);

}  // namespace leakspy::cli
