# Warnings are errors everywhere. leakspy_warnings is an interface target every
# leakspy target links, so third-party code found by find_package is unaffected.
add_library(leakspy_warnings INTERFACE)
target_compile_options(leakspy_warnings INTERFACE
  -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wformat=2 -Wimplicit-fallthrough
  $<$<COMPILE_LANGUAGE:CXX>:-Wold-style-cast -Wsuggest-override>)

# ASan/UBSan for everything but the agent (LEAKSPY_SANITIZE=ON). The agent runs
# inside other processes and must not drag a sanitizer runtime into them.
option(LEAKSPY_SANITIZE "Build non-agent code with ASan and UBSan" OFF)
add_library(leakspy_sanitize INTERFACE)
# UBSan stops at its first report (-fno-sanitize-recover), as ASan does, so a
# finding fails the test that hit it whatever UBSAN_OPTIONS says; libstdc++
# checks indexes and preconditions ASan cannot see (_GLIBCXX_ASSERTIONS). The
# sanitized code gets its own optimization level (after the build type's, so
# it wins; the agent and the test targets keep theirs): with both sanitizers
# GCC 12 compiles -O2 several times slower than -O0 (scripts/sanitize.sh).
set(LEAKSPY_SANITIZE_OPTIMIZATION "" CACHE STRING "Optimization flag of sanitized code (empty: the build type's)")
if(LEAKSPY_SANITIZE)
  target_compile_options(leakspy_sanitize INTERFACE -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer ${LEAKSPY_SANITIZE_OPTIMIZATION})
  target_compile_definitions(leakspy_sanitize INTERFACE _GLIBCXX_ASSERTIONS)
  target_link_options(leakspy_sanitize INTERFACE -fsanitize=address,undefined)
endif()

# The offline half of leakspy: warnings plus sanitizers when asked for.
add_library(leakspy_offline_flags INTERFACE)
target_link_libraries(leakspy_offline_flags INTERFACE leakspy_warnings leakspy_sanitize)
