#pragma once
// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick),
// for a test's server; 0 if none could be had.

namespace leakspy::test {

int free_port();

}  // namespace leakspy::test
