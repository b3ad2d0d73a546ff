// A tiny persistent thread pool: parallel_for splits [0, n) into one contiguous range per thread.
// The calling thread takes range 0; workers take the rest. Calls are serialised (one at a time).
// Built with oneDNN (LOWPREC_HAVE_DNNL), the ranges run on oneDNN's OpenMP team instead, with the same split;
// set_num_threads then also sets OpenMP's thread count.
#pragma once
#include <cstdint>
#include <functional>

namespace lp {

int num_threads();
void set_num_threads(int n);

// fn(t, lo, hi) for t in [0, T), ranges covering [0, n) in order; T = min(threads, ceil(n / grain)).
void parallel_for(int64_t n, int64_t grain, const std::function<void(int, int64_t, int64_t)>& fn);
// The same with a plain function and its context: the kernels compiled once per SIMD path use this one (through
// pfor in isa.h), so that they instantiate no std::function of their own.
void parallel_for_fn(int64_t n, int64_t grain, void (*fn)(void* ctx, int t, int64_t lo, int64_t hi), void* ctx);

}  // namespace lp
