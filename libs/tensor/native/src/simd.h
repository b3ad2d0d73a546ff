// Runtime dispatch of the vectorised kernels to one of three instruction-set paths.
//
// ops.cc, quantize.cc and own_gemm.cc are compiled three times (binding.gyp), each time with LP_ISA_NS naming the
// namespace the objects live in and with that path's -m flags: lp::avx512 (AVX-512 F/BW/VL/DQ, FMA, F16C),
// lp::avx2 (AVX2, FMA, F16C) and lp::portable (the architecture's baseline; the only one off x86-64). Each
// defines one KernelTable; simd.cc chooses a table once, when the addon loads (the best the CPU supports, or
// LOWPREC_SIMD), and the public functions of ops.h / quantize.h / gemm.h call through it. Every path gives the
// same bits: the kernels are elementwise, maxima and integer hashing, with sums in the same order everywhere and
// -ffp-contract=off (no FMA contraction) on every path.
#pragma once
#include <string>

#include "gemm.h"
#include "ops.h"
#include "quantize.h"

namespace lp {

enum SimdPath { SIMD_PORTABLE = 0, SIMD_AVX2 = 1, SIMD_AVX512 = 2 };
constexpr int SIMD_PATHS = 3;

// One path's kernels (the signatures of the public functions they stand behind).
struct KernelTable {
  SimdPath path;
  decltype(&lp::bias_add) bias_add;
  decltype(&lp::bias_grad) bias_grad;
  decltype(&lp::maxout_forward) maxout_forward;
  decltype(&lp::maxout_backward) maxout_backward;
  decltype(&lp::maxpool_forward) maxpool_forward;
  decltype(&lp::maxpool_backward) maxpool_backward;
  decltype(&lp::softmax_xent_forward) softmax_xent_forward;
  decltype(&lp::softmax_xent_backward) softmax_xent_backward;
  decltype(&lp::dropout_mask) dropout_mask;
  decltype(&lp::apply_mask) apply_mask;
  decltype(&lp::gelu_values) gelu_values;
  decltype(&lp::gelu_grad_values) gelu_grad_values;
  decltype(&lp::batched_matmul_values) batched_matmul_values;
  decltype(&lp::column_norms) column_norms;
  decltype(&lp::scale_columns) scale_columns;
  decltype(&lp::axpby) axpby;
  decltype(&lp::scale) scale;
  decltype(&lp::add) add;
  decltype(&lp::quantize_range) quantize_range;
  decltype(&lp::quantize) quantize;
  decltype(&lp::quantize_mx) quantize_mx;
  decltype(&lp::own_sgemm) own_sgemm;
};

// "avx512", "avx2" or "portable".
const char* simd_name(SimdPath p);
// Parses a path name; false for anything else.
bool simd_parse(const std::string& name, SimdPath* p);
// Whether this build has the path and the CPU (and OS) can run it.
bool simd_supported(SimdPath p);
// The supported paths, best first, comma separated ("avx512, avx2, portable").
std::string simd_supported_list();

// Chooses the path once (idempotent): LOWPREC_SIMD when set and non-empty, else the best supported. Returns false
// with a one-line *error for an unknown value or a path the CPU lacks (the table then stays unset).
bool simd_init(std::string* error);
// The active path (simd_init must have succeeded).
SimdPath simd_path();
// Switches the active table (tests and benchmarks compare the paths in one process); the path must be supported.
void simd_use(SimdPath p);

}  // namespace lp
