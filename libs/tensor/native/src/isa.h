// Included first by the sources compiled once per SIMD path (ops.cc, quantize.cc, own_gemm.cc; see simd.h).
// binding.gyp sets LP_ISA (2 = avx512, 1 = avx2, 0 = portable) and that path's -m flags; this header names the
// namespace the objects live in and refuses flags that do not match the name (the dispatch trusts the name).
//
// NOTE: the three compilations link into one library, so a function with external linkage emitted by two of them
// under one name (an out-of-line inline function, a template instantiated on a shared type) is kept once, from
// whichever object the linker picks: an AVX-512 copy could then run on the portable path. So the code compiled
// here keeps every symbol inside lp::LP_ISA_NS or local (test/simd.test.ts checks the objects' symbols): no
// std::vector, std::function or other library templates over shared types; Buffer below instead.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "quantize.h"
#include "threads.h"

#if !defined(LP_ISA)
#error "LP_ISA must be set (binding.gyp): 2 = avx512, 1 = avx2, 0 = portable"
#elif LP_ISA == 2
#define LP_ISA_NS avx512
#if !(defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__) && \
      defined(__AVX2__) && defined(__FMA__) && defined(__F16C__))
#error "the avx512 path needs -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma -mf16c"
#endif
#elif LP_ISA == 1
#define LP_ISA_NS avx2
#if !(defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)) || defined(__AVX512F__)
#error "the avx2 path needs -mavx2 -mfma -mf16c and no AVX-512"
#endif
#elif LP_ISA == 0
#define LP_ISA_NS portable
#if defined(__x86_64__) && (defined(__AVX__) || defined(__SSE3__))
#error "the portable path is plain x86-64 (SSE2): no -march beyond x86-64"
#endif
#else
#error "LP_ISA must be 0, 1 or 2"
#endif

namespace lp {
namespace LP_ISA_NS {
namespace {

// parallel_for (threads.h) over a lambda, through a plain function pointer: no std::function instantiated here.
template <class F>
void pfor(int64_t n, int64_t grain, F&& f) {
  using Fn = typename std::remove_reference<F>::type;
  parallel_for_fn(
      n, grain, [](void* ctx, int t, int64_t lo, int64_t hi) { (*static_cast<Fn*>(ctx))(t, lo, hi); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

// A zero-initialised array of n T (T trivially copyable), local to this path's objects (see the NOTE above).
template <class T>
class Buffer {
 public:
  explicit Buffer(size_t n) : p_(new T[n]()), n_(n) {}
  ~Buffer() { delete[] p_; }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  T* data() { return p_; }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return p_[i]; }

 private:
  T* p_;
  size_t n_;
};

}  // namespace

// Defined in quantize.cc for this path; ops.cc fuses them into its kernels. NOTE: call them qualified
// (LP_ISA_NS::quantize): quantize.h declares lp::quantize and lp::quantize_range, the dispatched entry points, which
// argument-dependent lookup would also find.
void quantize_range(const QParams& q, const float* x, float* y, int64_t lo, int64_t hi, QStats& st);
QStats quantize(const QParams& q, const float* x, float* y, int64_t n);
MxStats quantize_mx(const MxParams& p, const float* x, float* y, uint8_t* scales, int64_t n);
// out[j] = the draw randomBits(seed, first + j) of @lowprec/formats, for j < n (vectorised).
void random_bits_fill(uint32_t seed, uint64_t first, uint32_t* out, int64_t n);
// own_gemm.cc
void own_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A, const float* B,
               float beta, float* C);
// merged stats (QStats::merge, written here so that no shared inline function is emitted by this object)
inline void merge_stats(QStats& into, const QStats& o) {
  into.count += o.count; into.overflow += o.overflow; into.half += o.half; into.nan += o.nan;
  into.flushed += o.flushed; into.zeros += o.zeros;
  if (o.amax > into.amax) into.amax = o.amax;
}

}  // namespace LP_ISA_NS
}  // namespace lp
