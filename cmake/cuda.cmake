# CUDA support in the agent needs the toolkit's headers only (cuda.h, cupti.h,
# generated_cuda_meta.h): the agent links neither libcuda nor libcupti, it
# loads CUPTI at run time in targets that use CUDA (agent/cuda/). Without the
# headers leakspy builds without CUDA support and says so here.
#
# Sets LEAKSPY_WITH_CUDA (global) and the interface target
# leakspy_cuda_headers (include directories as SYSTEM: NVIDIA's headers are
# not held to leakspy's warnings).
if(TARGET leakspy_cuda_headers)
  return()
endif()

set(LEAKSPY_CUDA "AUTO" CACHE STRING "CUDA (CUPTI) support in the agent: AUTO (when the headers are found), ON or OFF")
set_property(CACHE LEAKSPY_CUDA PROPERTY STRINGS AUTO ON OFF)

set(_leakspy_cuda_roots $ENV{CUDA_HOME} $ENV{CUDA_PATH} ${CUDAToolkit_ROOT} /usr/local/cuda)
find_path(LEAKSPY_CUDA_INCLUDE_DIR cuda.h HINTS ${_leakspy_cuda_roots} PATH_SUFFIXES include NO_DEFAULT_PATH)
find_path(LEAKSPY_CUPTI_INCLUDE_DIR cupti.h HINTS ${_leakspy_cuda_roots}
  PATH_SUFFIXES include extras/CUPTI/include NO_DEFAULT_PATH)

add_library(leakspy_cuda_headers INTERFACE)
set(LEAKSPY_WITH_CUDA OFF CACHE INTERNAL "")
if(LEAKSPY_CUDA STREQUAL "OFF")
  message(STATUS "leakspy: CUDA support off (LEAKSPY_CUDA=OFF): GPU memory will not be recorded")
elseif(LEAKSPY_CUDA_INCLUDE_DIR AND LEAKSPY_CUPTI_INCLUDE_DIR AND EXISTS "${LEAKSPY_CUPTI_INCLUDE_DIR}/generated_cuda_meta.h")
  set(LEAKSPY_WITH_CUDA ON CACHE INTERNAL "")
  target_include_directories(leakspy_cuda_headers SYSTEM INTERFACE ${LEAKSPY_CUDA_INCLUDE_DIR} ${LEAKSPY_CUPTI_INCLUDE_DIR})
  target_compile_definitions(leakspy_cuda_headers INTERFACE LEAKSPY_WITH_CUDA=1)
  message(STATUS "leakspy: CUDA support on: CUPTI headers in ${LEAKSPY_CUPTI_INCLUDE_DIR} (CUPTI is loaded at run time)")
elseif(LEAKSPY_CUDA STREQUAL "ON")
  message(FATAL_ERROR "leakspy: LEAKSPY_CUDA=ON but cuda.h, cupti.h and generated_cuda_meta.h were not all found "
                      "(looked under CUDA_HOME, CUDA_PATH, CUDAToolkit_ROOT and /usr/local/cuda)")
else()
  message(STATUS "leakspy: CUDA headers (cuda.h, cupti.h, generated_cuda_meta.h) not found: building WITHOUT CUDA "
                 "support, GPU memory will not be recorded (set CUDA_HOME or CUDAToolkit_ROOT to a CUDA toolkit)")
endif()
