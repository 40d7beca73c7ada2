# libFuzzer targets (tests/fuzz/, docs/fuzzing.md), with LEAKSPY_FUZZ=ON and
# clang: scripts/fuzz.sh configures build-fuzz/ so. Every offline library is
# then compiled with coverage instrumentation, ASan and UBSan (UBSan aborts,
# so that the fuzzer sees each report as a crash); the fuzz binaries add
# libFuzzer's main. The agent stays as it is: it is built without sanitizers,
# and the harnesses compile its parsers themselves (tests/fuzz/CMakeLists.txt).
option(LEAKSPY_FUZZ "Build the libFuzzer targets (clang only)" OFF)
add_library(leakspy_fuzzer_link INTERFACE)
if(LEAKSPY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LEAKSPY_FUZZ=ON needs clang for libFuzzer, not ${CMAKE_CXX_COMPILER_ID}: "
                        "configure a fresh build folder with -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "
                        "(scripts/fuzz.sh does)")
  endif()
  target_compile_options(leakspy_sanitize INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(leakspy_sanitize INTERFACE -fsanitize=address,undefined)
  target_link_options(leakspy_fuzzer_link INTERFACE -fsanitize=fuzzer)
endif()
