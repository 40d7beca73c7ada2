#include "cli/site_options.h"

namespace leakspy::cli {

void add_site_options(CLI::App* command, SiteOptions& options) {
  command->add_flag("--native", options.native_sites,
                    "Python: name each site by its innermost native frame (an extension's allocator, say) "
                    "instead of the Python line that made the call");
  command->add_option("--alloc-fn", options.allocation_functions,
                      "A function that allocates for its callers, so that they are the sites (repeatable; like "
                      "pprof's drop_frames). Wrappers the stacks show as such are found without it");
}

}  // namespace leakspy::cli
