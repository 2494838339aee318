# The CUDA backend (src/cuda). NABLA_CUDA: ON builds it (nvcc required), OFF never does, AUTO
# builds it only where nvcc is found. Sets NABLA_HAVE_CUDA for src/cuda/CMakeLists.txt.
set(NABLA_CUDA AUTO CACHE STRING "CUDA backend (src/cuda): AUTO (when nvcc is found), ON or OFF")
set_property(CACHE NABLA_CUDA PROPERTY STRINGS AUTO ON OFF)
set(NABLA_HAVE_CUDA OFF)
set(NABLA_CUDA_COMPONENT "")  # what the CMake package lists among its components (nablaConfig.cmake)

if(NABLA_CUDA STREQUAL "AUTO")
  include(CheckLanguage)
  check_language(CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    message(STATUS "nabla: CUDA backend off (no nvcc found)")
    return()
  endif()
elseif(NOT NABLA_CUDA STREQUAL "ON")
  message(STATUS "nabla: CUDA backend off (NABLA_CUDA=${NABLA_CUDA})")
  return()
endif()

# Hopper (H100, H200): sm_90 code, and its PTX, which newer GPUs compile for themselves.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES 90)
endif()
enable_language(CUDA)
# CMake 3.25 does not know nvcc's C++20 flag yet (the kernels include the C++20 headers).
if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
  set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
  set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
endif()
find_package(CUDAToolkit REQUIRED)
set(NABLA_HAVE_CUDA ON)
set(NABLA_CUDA_COMPONENT cuda)
message(STATUS "nabla: CUDA backend on (CUDA ${CUDAToolkit_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
