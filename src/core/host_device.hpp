// NABLA_HOST_DEVICE marks the inline math that both backends run: a host function for the CPU and,
// compiled by nvcc, a device function for the CUDA kernels too, so the formulas exist once.
#pragma once

#ifdef __CUDACC__
#define NABLA_HOST_DEVICE __host__ __device__
#else
#define NABLA_HOST_DEVICE
#endif
