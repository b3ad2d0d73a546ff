// The SIMD dispatch (simd.h): which path's table runs, and the public kernel functions calling through it.
#include "simd.h"

#include <cstdlib>

namespace lp {

namespace portable {
extern const KernelTable table;
}
#if defined(LP_SIMD_X86)
namespace avx2 {
extern const KernelTable table;
}
namespace avx512 {
extern const KernelTable table;
}
#endif

namespace {

const KernelTable* g_table = nullptr;
// LOWPREC_SIMD_CAP: the best path the CPU is taken to have (tests of the message for a path the CPU lacks)
SimdPath g_cap = SIMD_AVX512;

const char* const NAMES[SIMD_PATHS] = {"portable", "avx2", "avx512"};

const KernelTable* table_of(SimdPath p) {
  switch (p) {
#if defined(LP_SIMD_X86)
    case SIMD_AVX512: return &avx512::table;
    case SIMD_AVX2: return &avx2::table;
#endif
    case SIMD_PORTABLE: return &portable::table;
    default: return nullptr;
  }
}

// What each path needs of the CPU, as __builtin_cpu_supports names (which also checks that the OS saves the
// registers).
const char* needs(SimdPath p) {
  return p == SIMD_AVX512 ? "avx512f, avx512bw, avx512vl, avx512dq, avx2, fma, f16c"
         : p == SIMD_AVX2 ? "avx2, fma, f16c"
                          : "nothing";
}

// The features path p needs that the CPU lacks ("" when it runs p). Features of the paths above LOWPREC_SIMD_CAP
// count as absent, so that the message for a CPU without them can be tested on any machine.
std::string missing(SimdPath p) {
  std::string m;
#if defined(LP_SIMD_X86)
  __builtin_cpu_init();
  const auto need = [&](bool has, SimdPath level, const char* name) {
    if (!has || level > g_cap) m += (m.empty() ? "" : ", ") + std::string(name);
  };
  if (p == SIMD_AVX512) {
    need(__builtin_cpu_supports("avx512f"), SIMD_AVX512, "avx512f");
    need(__builtin_cpu_supports("avx512bw"), SIMD_AVX512, "avx512bw");
    need(__builtin_cpu_supports("avx512vl"), SIMD_AVX512, "avx512vl");
    need(__builtin_cpu_supports("avx512dq"), SIMD_AVX512, "avx512dq");
  }
  if (p >= SIMD_AVX2) {
    need(__builtin_cpu_supports("avx2"), SIMD_AVX2, "avx2");
    need(__builtin_cpu_supports("fma"), SIMD_AVX2, "fma");
    need(__builtin_cpu_supports("f16c"), SIMD_AVX2, "f16c");
  }
#endif
  return m;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && v[0] != '\0' ? v : nullptr;
}

}  // namespace

const char* simd_name(SimdPath p) { return p >= 0 && p < SIMD_PATHS ? NAMES[p] : "?"; }

bool simd_parse(const std::string& name, SimdPath* p) {
  for (int i = 0; i < SIMD_PATHS; i++)
    if (name == NAMES[i]) {
      *p = (SimdPath)i;
      return true;
    }
  return false;
}

bool simd_supported(SimdPath p) { return table_of(p) != nullptr && missing(p).empty(); }

std::string simd_supported_list() {
  std::string s;
  for (int i = SIMD_PATHS - 1; i >= 0; i--)
    if (simd_supported((SimdPath)i)) s += (s.empty() ? "" : ", ") + std::string(NAMES[i]);
  return s;
}

bool simd_init(std::string* error) {
  if (g_table != nullptr) return true;
  const std::string valid = "must be \"avx512\", \"avx2\" or \"portable\"";
  if (const char* cap = env("LOWPREC_SIMD_CAP")) {
    if (!simd_parse(cap, &g_cap)) {
      *error = "LOWPREC_SIMD_CAP " + valid + ", got \"" + cap + "\"";
      return false;
    }
  }
  const char* asked = env("LOWPREC_SIMD");
  if (asked == nullptr) {
    for (int i = SIMD_PATHS - 1; i >= 0 && g_table == nullptr; i--)
      if (simd_supported((SimdPath)i)) g_table = table_of((SimdPath)i);
    return true;  // portable is always supported
  }
  SimdPath p;
  if (!simd_parse(asked, &p)) {
    *error = "LOWPREC_SIMD " + valid + ", got \"" + asked + "\"";
    return false;
  }
  if (!simd_supported(p)) {
    std::string why;
    if (table_of(p) == nullptr) {
      why = "this build has no " + std::string(asked) + " kernels (they are built for x86-64 only)";
    } else {
      why = "this CPU lacks " + missing(p);
      if (p > g_cap) why += " (LOWPREC_SIMD_CAP=" + std::string(NAMES[g_cap]) + " hides them)";
      why += ", which the " + std::string(asked) + " kernels need (" + needs(p) + ")";
    }
    *error = "LOWPREC_SIMD=" + std::string(asked) + ": " + why + "; the paths that run here: " + simd_supported_list();
    return false;
  }
  g_table = table_of(p);
  return true;
}

SimdPath simd_path() { return g_table->path; }

void simd_use(SimdPath p) {
  if (simd_supported(p)) g_table = table_of(p);
}

// ** the public kernels (ops.h, quantize.h, gemm.h): the active path's **

QStats bias_add(int64_t batch, int64_t channels, int64_t spatial, const float* x, const float* bias, float* y,
                const QParams& q) {
  return g_table->bias_add(batch, channels, spatial, x, bias, y, q);
}
QStats bias_grad(int64_t batch, int64_t channels, int64_t spatial, const float* dy, float* db, const QParams& q) {
  return g_table->bias_grad(batch, channels, spatial, dy, db, q);
}
QStats maxout_forward(int64_t batch, int64_t units, int64_t pieces, int64_t spatial, const float* x, float* y,
                      int32_t* argmax, const QParams& q) {
  return g_table->maxout_forward(batch, units, pieces, spatial, x, y, argmax, q);
}
bool maxout_backward(int64_t batch, int64_t units, int64_t pieces, int64_t spatial, const float* x,
                     const int32_t* argmax, const float* dy, float* dx, bool all_ties, const QParams& q, QStats& st) {
  return g_table->maxout_backward(batch, units, pieces, spatial, x, argmax, dy, dx, all_ties, q, st);
}
QStats maxpool_forward(int64_t planes, int64_t h, int64_t w, int64_t size, int64_t stride, int64_t oh, int64_t ow,
                       const float* x, float* y, int32_t* argmax, const QParams& q) {
  return g_table->maxpool_forward(planes, h, w, size, stride, oh, ow, x, y, argmax, q);
}
bool maxpool_backward(int64_t planes, int64_t h, int64_t w, int64_t size, int64_t stride, int64_t oh, int64_t ow,
                      const float* x, const int32_t* argmax, const float* dy, float* dx, bool all_ties,
                      const QParams& q, QStats& st) {
  return g_table->maxpool_backward(planes, h, w, size, stride, oh, ow, x, argmax, dy, dx, all_ties, q, st);
}
double softmax_xent_forward(int64_t batch, int64_t classes, const float* logits, const int32_t* labels, float* probs,
                            int64_t* errors) {
  return g_table->softmax_xent_forward(batch, classes, logits, labels, probs, errors);
}
QStats softmax_xent_backward(int64_t batch, int64_t classes, const float* probs, const int32_t* labels, float* dlogits,
                             double scale, const QParams& q) {
  return g_table->softmax_xent_backward(batch, classes, probs, labels, dlogits, scale, q);
}
void dropout_mask(uint8_t* mask, int64_t n, double keep_prob, uint32_t seed, uint64_t counter) {
  g_table->dropout_mask(mask, n, keep_prob, seed, counter);
}
void apply_mask(const float* x, const uint8_t* mask, float* y, int64_t n) { g_table->apply_mask(x, mask, y, n); }
void gelu_values(int64_t n, const float* x, float* y) { g_table->gelu_values(n, x, y); }
void gelu_grad_values(int64_t n, const float* x, const float* dy, float* dx) {
  g_table->gelu_grad_values(n, x, dy, dx);
}
void batched_matmul_values(int64_t batch, int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b, double alpha,
                           const float* a, const float* b, float* c) {
  g_table->batched_matmul_values(batch, m, n, k, trans_a, trans_b, alpha, a, b, c);
}
void column_norms(int64_t rows, int64_t cols, const float* w, float* norms) {
  g_table->column_norms(rows, cols, w, norms);
}
QStats scale_columns(int64_t rows, int64_t cols, const float* w, const float* factors, float* y, const QParams& q) {
  return g_table->scale_columns(rows, cols, w, factors, y, q);
}
QStats axpby(int64_t n, double alpha, const float* x, double beta, float* y, const QParams& q) {
  return g_table->axpby(n, alpha, x, beta, y, q);
}
QStats scale(int64_t n, double alpha, const float* x, float* y, const QParams& q) {
  return g_table->scale(n, alpha, x, y, q);
}
QStats add(int64_t n, const float* a, const float* b, float* y, const QParams& q) {
  return g_table->add(n, a, b, y, q);
}
void quantize_range(const QParams& q, const float* x, float* y, int64_t lo, int64_t hi, QStats& st) {
  g_table->quantize_range(q, x, y, lo, hi, st);
}
QStats quantize(const QParams& q, const float* x, float* y, int64_t n) { return g_table->quantize(q, x, y, n); }
MxStats quantize_mx(const MxParams& p, const float* x, float* y, uint8_t* scales, int64_t n) {
  return g_table->quantize_mx(p, x, y, scales, n);
}
void own_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A, const float* B,
               float beta, float* C) {
  g_table->own_sgemm(ta, tb, m, n, k, alpha, A, B, beta, C);
}

}  // namespace lp
