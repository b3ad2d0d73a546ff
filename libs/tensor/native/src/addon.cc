// N-API glue only: argument checks and marshalling. The arithmetic lives in gemm.cc, conv.cc, ops.cc,
// quantize.cc. Every array length is checked here against the dims, so no kernel reads or writes out of
// bounds whatever JavaScript passes (src/backends/native.ts checks the same with friendlier messages).
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <memory>

#include "attention.h"
#include "conv.h"
#include "dnnl_conv.h"
#include "gemm.h"
#include "linalg64.h"
#include "ops.h"
#include "quantize.h"
#include "simd.h"
#include "threads.h"

namespace {

using namespace lp;

struct Args {
  napi_env env;
  const char* fn;
  napi_value argv[16];
  size_t argc = 16;
  bool failed = false;

  Args(napi_env e, napi_callback_info info, const char* name, size_t want) : env(e), fn(name) {
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < want) fail("expected " + std::to_string(want) + " arguments, got " + std::to_string(argc));
  }

  void fail(const std::string& msg) {
    if (failed) return;
    failed = true;
    napi_throw_range_error(env, nullptr, ("invalid argument. " + std::string(fn) + ": " + msg).c_str());
  }

  double num(size_t i, const char* name) {
    double v = 0;
    if (failed) return 0;
    if (napi_get_value_double(env, argv[i], &v) != napi_ok) fail(std::string(name) + " must be a number");
    return v;
  }

  int64_t dim(size_t i, const char* name) {
    double v = num(i, name);
    if (failed) return 0;
    if (!(v >= 0 && v < 2147483648.0 && v == std::floor(v))) {
      fail(std::string(name) + " must be an integer in [0, 2^31)");
      return 0;
    }
    return (int64_t)v;
  }

  bool boolean(size_t i, const char* name) {
    bool v = false;
    if (failed) return false;
    if (napi_get_value_bool(env, argv[i], &v) != napi_ok) fail(std::string(name) + " must be a boolean");
    return v;
  }

  void* typed(size_t i, const char* name, napi_typedarray_type want, const char* type, int64_t length,
              bool nullable = false) {
    if (failed) return nullptr;
    napi_valuetype vt;
    napi_typeof(env, argv[i], &vt);
    if (nullable && (vt == napi_null || vt == napi_undefined)) return nullptr;
    bool is = false;
    napi_is_typedarray(env, argv[i], &is);
    if (!is) { fail(std::string(name) + " must be a " + type); return nullptr; }
    napi_typedarray_type t;
    size_t len = 0;
    void* data = nullptr;
    napi_get_typedarray_info(env, argv[i], &t, &len, &data, nullptr, nullptr);
    if (t != want) { fail(std::string(name) + " must be a " + type); return nullptr; }
    if (length >= 0 && (int64_t)len != length) {
      fail(std::string(name) + " has length " + std::to_string(len) + ", expected " + std::to_string(length));
      return nullptr;
    }
    return data;
  }
  float* f32(size_t i, const char* name, int64_t length) {
    return (float*)typed(i, name, napi_float32_array, "Float32Array", length);
  }
  int32_t* i32(size_t i, const char* name, int64_t length) {
    return (int32_t*)typed(i, name, napi_int32_array, "Int32Array", length);
  }
  uint8_t* u8(size_t i, const char* name, int64_t length) {
    return (uint8_t*)typed(i, name, napi_uint8_array, "Uint8Array", length);
  }
  int64_t length_of(size_t i) {
    if (failed) return 0;
    size_t len = 0;
    napi_typedarray_type t;
    bool is = false;
    napi_is_typedarray(env, argv[i], &is);
    if (!is) return -1;
    napi_get_typedarray_info(env, argv[i], &t, &len, nullptr, nullptr, nullptr);
    return (int64_t)len;
  }

  // product of dims with an overflow check (the result must stay below 2^40 elements)
  int64_t product(std::initializer_list<int64_t> dims) {
    int64_t p = 1;
    for (int64_t d : dims) {
      if (__builtin_mul_overflow(p, d, &p) || p > (int64_t(1) << 40)) { fail("dims too large"); return 0; }
    }
    return p;
  }

  // quantize params: Float64Array [kind, mode, seed, counter, bits, frac, t, emin, max, flush, saturate, ieee] or null
  QParams qparams(size_t i) {
    QParams q;
    const double* p = (const double*)typed(i, "quantize params", napi_float64_array, "Float64Array", 12, true);
    if (p == nullptr) return q;
    q.kind = (int)p[0];
    q.mode = (int)p[1];
    q.seed = (uint32_t)p[2];
    q.counter = (uint64_t)p[3];
    q.bits = (int)p[4]; q.frac = (int)p[5]; q.t = (int)p[6]; q.emin = (int)p[7]; q.max = p[8];
    q.flush = p[9] != 0; q.saturate = p[10] != 0; q.ieee = p[11] != 0;
    if (q.kind < Q_NONE || q.kind > Q_FLOAT || q.mode < 0 || q.mode > 3 || !(p[3] >= 0 && p[3] <= 9007199254740991.0))
      fail("bad quantize params");
    return q;
  }

  // writes stats to the Float64Array(7) at i (or nothing if null): [count, overflow, half, nan, amax, flushed, zeros]
  void stats(size_t i, const QStats& st) {
    double* s = (double*)typed(i, "quantize stats", napi_float64_array, "Float64Array", 7, true);
    if (s == nullptr) return;
    s[0] = (double)st.count; s[1] = (double)st.overflow; s[2] = (double)st.half; s[3] = (double)st.nan; s[4] = st.amax;
    s[5] = (double)st.flushed; s[6] = (double)st.zeros;
  }
};

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_get_boolean(env, gemm_has_blas(), &v);
  napi_set_named_property(env, obj, "blas", v);
  napi_get_boolean(env, gemm_uses_blas(), &v);
  napi_set_named_property(env, obj, "usesBlas", v);
  napi_create_int32(env, num_threads(), &v);
  napi_set_named_property(env, obj, "threads", v);
  napi_get_boolean(env, dnnl_built(), &v);
  napi_set_named_property(env, obj, "dnnl", v);
  napi_get_boolean(env, dnnl_in_use(), &v);
  napi_set_named_property(env, obj, "usesDnnl", v);
  napi_create_double(env, (double)dnnl_conv_runs(), &v);
  napi_set_named_property(env, obj, "dnnlConvs", v);
  napi_create_string_utf8(env, simd_name(simd_path()), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "simd", v);
  napi_value list;
  napi_create_array(env, &list);
  uint32_t n = 0;
  for (int p = SIMD_PATHS - 1; p >= 0; p--) {
    if (!simd_supported((SimdPath)p)) continue;
    napi_create_string_utf8(env, simd_name((SimdPath)p), NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, list, n++, v);
  }
  napi_set_named_property(env, obj, "simdSupported", list);
  return obj;
}

// useSimd(path): the kernels run on that SIMD path from now on; returns the previous one. For tests and benchmarks
// comparing the paths in one process (a run takes its path from LOWPREC_SIMD when the addon loads).
napi_value UseSimd(napi_env env, napi_callback_info info) {
  Args a(env, info, "useSimd", 1);
  if (a.failed) return nullptr;
  char name[32] = {0};
  size_t len = 0;
  SimdPath p = SIMD_PORTABLE;
  if (napi_get_value_string_utf8(env, a.argv[0], name, sizeof name, &len) != napi_ok ||
      !simd_parse(std::string(name, len), &p)) {
    a.fail("path must be \"avx512\", \"avx2\" or \"portable\"");
    return nullptr;
  }
  if (!simd_supported(p)) {
    a.fail(std::string(name) + " does not run here (the paths that run here: " + simd_supported_list() + ")");
    return nullptr;
  }
  napi_value prev;
  napi_create_string_utf8(env, simd_name(simd_path()), NAPI_AUTO_LENGTH, &prev);
  simd_use(p);
  return prev;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info, "setThreads", 1);
  int64_t n = a.dim(0, "threads");
  if (a.failed) return nullptr;
  set_num_threads((int)std::max<int64_t>(1, n));
  return undefined(env);
}

napi_value UseBlas(napi_env env, napi_callback_info info) {
  Args a(env, info, "useBlas", 1);
  bool on = a.boolean(0, "on");
  if (a.failed) return nullptr;
  gemm_use_blas(on);
  return undefined(env);
}

napi_value UseDnnl(napi_env env, napi_callback_info info) {
  Args a(env, info, "useDnnl", 1);
  bool on = a.boolean(0, "on");
  if (a.failed) return nullptr;
  dnnl_use(on);
  return undefined(env);
}

napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a(env, info, "gemm", 12);
  bool ta = a.boolean(0, "transA"), tb = a.boolean(1, "transB");
  int64_t m = a.dim(2, "m"), n = a.dim(3, "n"), k = a.dim(4, "k");
  double alpha = a.num(5, "alpha"), beta = a.num(8, "beta");
  const float* A = a.f32(6, "a", a.product({m, k}));
  const float* B = a.f32(7, "b", a.product({k, n}));
  float* C = a.f32(9, "c", a.product({m, n}));
  QParams q = a.qparams(10);
  if (a.failed) return nullptr;
  sgemm(ta, tb, m, n, k, (float)alpha, A, B, (float)beta, C);
  if (q.kind != Q_NONE) a.stats(11, quantize(q, C, C, m * n));
  return undefined(env);
}

bool conv_shape(Args& a, ConvShape* s) {
  const int32_t* d = a.i32(0, "conv dims", 13);
  if (a.failed) return false;
  for (int i = 0; i < 13; i++) if (d[i] < 0) { a.fail("conv dims must be >= 0"); return false; }
  *s = ConvShape{d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12]};
  if (s->in_channels < 1 || s->height < 1 || s->width < 1 || s->out_channels < 1 || s->kernel_h < 1 ||
      s->kernel_w < 1 || s->stride_h < 1 || s->stride_w < 1) {
    a.fail("conv dims must be >= 1 (except batch and padding)");
    return false;
  }
  const int64_t oh = (s->height + 2 * s->pad_h - s->kernel_h) / s->stride_h + 1;
  const int64_t ow = (s->width + 2 * s->pad_w - s->kernel_w) / s->stride_w + 1;
  if (s->height + 2 * s->pad_h < s->kernel_h || s->width + 2 * s->pad_w < s->kernel_w || oh != s->out_h ||
      ow != s->out_w) {
    a.fail("conv output size does not match the geometry");
    return false;
  }
  return true;
}

napi_value Conv2dForward(napi_env env, napi_callback_info info) {
  Args a(env, info, "conv2dForward", 6);
  ConvShape s;
  if (!conv_shape(a, &s)) return nullptr;
  const float* x = a.f32(1, "x", a.product({s.batch, s.in_channels, s.height, s.width}));
  const float* w = a.f32(2, "w", a.product({s.out_channels, s.in_channels, s.kernel_h, s.kernel_w}));
  float* y = a.f32(3, "y", a.product({s.batch, s.out_channels, s.out_h, s.out_w}));
  QParams q = a.qparams(4);
  if (a.failed) return nullptr;
  QStats st = conv2d_forward(s, x, w, y, q);
  if (q.kind != Q_NONE) a.stats(5, st);
  return undefined(env);
}

napi_value Conv2dBackwardData(napi_env env, napi_callback_info info) {
  Args a(env, info, "conv2dBackwardData", 6);
  ConvShape s;
  if (!conv_shape(a, &s)) return nullptr;
  const float* dy = a.f32(1, "dy", a.product({s.batch, s.out_channels, s.out_h, s.out_w}));
  const float* w = a.f32(2, "w", a.product({s.out_channels, s.in_channels, s.kernel_h, s.kernel_w}));
  float* dx = a.f32(3, "dx", a.product({s.batch, s.in_channels, s.height, s.width}));
  QParams q = a.qparams(4);
  if (a.failed) return nullptr;
  QStats st = conv2d_backward_data(s, dy, w, dx, q);
  if (q.kind != Q_NONE) a.stats(5, st);
  return undefined(env);
}

napi_value Conv2dBackwardFilter(napi_env env, napi_callback_info info) {
  Args a(env, info, "conv2dBackwardFilter", 7);
  ConvShape s;
  if (!conv_shape(a, &s)) return nullptr;
  const float* x = a.f32(1, "x", a.product({s.batch, s.in_channels, s.height, s.width}));
  const float* dy = a.f32(2, "dy", a.product({s.batch, s.out_channels, s.out_h, s.out_w}));
  float* dw = a.f32(3, "dw", a.product({s.out_channels, s.in_channels, s.kernel_h, s.kernel_w}));
  double beta = a.num(4, "beta");
  QParams q = a.qparams(5);
  if (a.failed) return nullptr;
  QStats st = conv2d_backward_filter(s, x, dy, dw, (float)beta, q);
  if (q.kind != Q_NONE) a.stats(6, st);
  return undefined(env);
}

napi_value BiasAdd(napi_env env, napi_callback_info info) {
  Args a(env, info, "biasAdd", 8);
  int64_t n = a.dim(0, "batch"), c = a.dim(1, "channels"), s = a.dim(2, "spatial");
  const float* x = a.f32(3, "x", a.product({n, c, s}));
  const float* b = a.f32(4, "bias", c);
  float* y = a.f32(5, "y", a.product({n, c, s}));
  QParams q = a.qparams(6);
  if (a.failed) return nullptr;
  a.stats(7, bias_add(n, c, s, x, b, y, q));
  return undefined(env);
}

napi_value BiasGrad(napi_env env, napi_callback_info info) {
  Args a(env, info, "biasGrad", 7);
  int64_t n = a.dim(0, "batch"), c = a.dim(1, "channels"), s = a.dim(2, "spatial");
  const float* dy = a.f32(3, "dy", a.product({n, c, s}));
  float* db = a.f32(4, "db", c);
  QParams q = a.qparams(5);
  if (a.failed) return nullptr;
  a.stats(6, bias_grad(n, c, s, dy, db, q));
  return undefined(env);
}

napi_value MaxoutForward(napi_env env, napi_callback_info info) {
  Args a(env, info, "maxoutForward", 9);
  int64_t n = a.dim(0, "batch"), u = a.dim(1, "units"), k = a.dim(2, "pieces"), s = a.dim(3, "spatial");
  if (k < 1) a.fail("pieces must be >= 1");
  const float* x = a.f32(4, "x", a.product({n, u, k, s}));
  float* y = a.f32(5, "y", a.product({n, u, s}));
  int32_t* arg = a.i32(6, "argmax", a.product({n, u, s}));
  QParams q = a.qparams(7);
  if (a.failed) return nullptr;
  a.stats(8, maxout_forward(n, u, k, s, x, y, arg, q));
  return undefined(env);
}

napi_value MaxoutBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "maxoutBackward", 11);
  int64_t n = a.dim(0, "batch"), u = a.dim(1, "units"), k = a.dim(2, "pieces"), s = a.dim(3, "spatial");
  if (k < 1) a.fail("pieces must be >= 1");
  const float* x = a.f32(4, "x", a.product({n, u, k, s}));
  const int32_t* arg = a.i32(5, "argmax", a.product({n, u, s}));
  const float* dy = a.f32(6, "dy", a.product({n, u, s}));
  float* dx = a.f32(7, "dx", a.product({n, u, k, s}));
  bool all = a.boolean(8, "allTies");
  QParams q = a.qparams(9);
  if (a.failed) return nullptr;
  QStats st;
  if (!maxout_backward(n, u, k, s, x, arg, dy, dx, all, q, st)) {
    a.fail("an argmax is outside [0, pieces)");
    return nullptr;
  }
  a.stats(10, st);
  return undefined(env);
}

// pool dims: batch, channels, h, w, size, stride; returns out size via oh/ow (cuda-convnet ceil mode)
bool pool_dims(Args& a, int64_t* planes, int64_t* h, int64_t* w, int64_t* size, int64_t* stride, int64_t* oh,
               int64_t* ow) {
  int64_t n = a.dim(0, "batch"), c = a.dim(1, "channels");
  *h = a.dim(2, "height"); *w = a.dim(3, "width"); *size = a.dim(4, "size"); *stride = a.dim(5, "stride");
  if (a.failed) return false;
  if (*h < 1 || *w < 1 || *size < 1 || *stride < 1) {
    a.fail("height, width, size and stride must be >= 1");
    return false;
  }
  auto out = [&](int64_t len) {
    if (len <= *size) return int64_t(1);
    int64_t o = (len - *size + *stride - 1) / *stride + 1;
    if ((o - 1) * *stride >= len) o -= 1;
    return o;
  };
  *oh = out(*h); *ow = out(*w);
  *planes = a.product({n, c});
  return !a.failed;
}

napi_value MaxPoolForward(napi_env env, napi_callback_info info) {
  Args a(env, info, "maxPoolForward", 11);
  int64_t p, h, w, size, stride, oh, ow;
  if (!pool_dims(a, &p, &h, &w, &size, &stride, &oh, &ow)) return nullptr;
  const float* x = a.f32(6, "x", a.product({p, h, w}));
  float* y = a.f32(7, "y", a.product({p, oh, ow}));
  int32_t* arg = a.i32(8, "argmax", a.product({p, oh, ow}));
  QParams q = a.qparams(9);
  if (a.failed) return nullptr;
  a.stats(10, maxpool_forward(p, h, w, size, stride, oh, ow, x, y, arg, q));
  return undefined(env);
}

napi_value MaxPoolBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "maxPoolBackward", 13);
  int64_t p, h, w, size, stride, oh, ow;
  if (!pool_dims(a, &p, &h, &w, &size, &stride, &oh, &ow)) return nullptr;
  const float* x = a.f32(6, "x", a.product({p, h, w}));
  const int32_t* arg = a.i32(7, "argmax", a.product({p, oh, ow}));
  const float* dy = a.f32(8, "dy", a.product({p, oh, ow}));
  float* dx = a.f32(9, "dx", a.product({p, h, w}));
  bool all = a.boolean(10, "allTies");
  QParams q = a.qparams(11);
  if (a.failed) return nullptr;
  QStats st;
  if (!maxpool_backward(p, h, w, size, stride, oh, ow, x, arg, dy, dx, all, q, st)) {
    a.fail("an argmax is outside its window");
    return nullptr;
  }
  a.stats(12, st);
  return undefined(env);
}

bool check_labels(Args& a, const int32_t* labels, int64_t n, int64_t classes) {
  if (a.failed) return false;
  for (int64_t i = 0; i < n; i++)
    if (labels[i] < 0 || labels[i] >= classes) {
      a.fail("labels[" + std::to_string(i) + "] is outside [0, classes)");
      return false;
    }
  return true;
}

napi_value SoftmaxForward(napi_env env, napi_callback_info info) {
  Args a(env, info, "softmaxCrossEntropyForward", 6);
  int64_t n = a.dim(0, "batch"), c = a.dim(1, "classes");
  if (c < 1) a.fail("classes must be >= 1");
  const float* logits = a.f32(2, "logits", a.product({n, c}));
  const int32_t* labels = a.i32(3, "labels", n);
  float* probs = a.f32(4, "probs", a.product({n, c}));
  double* out = (double*)a.typed(5, "result", napi_float64_array, "Float64Array", 2);
  if (!check_labels(a, labels, n, c)) return nullptr;
  int64_t errors = 0;
  out[0] = softmax_xent_forward(n, c, logits, labels, probs, &errors);
  out[1] = (double)errors;
  return undefined(env);
}

napi_value SoftmaxBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "softmaxCrossEntropyBackward", 8);
  int64_t n = a.dim(0, "batch"), c = a.dim(1, "classes");
  if (c < 1) a.fail("classes must be >= 1");
  const float* probs = a.f32(2, "probs", a.product({n, c}));
  const int32_t* labels = a.i32(3, "labels", n);
  float* dl = a.f32(4, "dlogits", a.product({n, c}));
  double scale = a.num(5, "scale");
  QParams q = a.qparams(6);
  if (!check_labels(a, labels, n, c)) return nullptr;
  a.stats(7, softmax_xent_backward(n, c, probs, labels, dl, scale, q));
  return undefined(env);
}

napi_value DropoutMask(napi_env env, napi_callback_info info) {
  Args a(env, info, "dropoutMask", 4);
  uint8_t* mask = a.u8(0, "mask", -1);
  int64_t n = a.length_of(0);
  double keep = a.num(1, "keepProb"), seed = a.num(2, "seed"), counter = a.num(3, "counter");
  if (!(keep >= 0 && keep <= 1)) a.fail("keepProb must be in [0, 1]");
  if (!(counter >= 0 && counter <= 9007199254740991.0)) a.fail("counter must be in [0, 2^53)");
  if (a.failed) return nullptr;
  dropout_mask(mask, n, keep, (uint32_t)(int64_t)seed, (uint64_t)counter);
  return undefined(env);
}

napi_value ApplyMask(napi_env env, napi_callback_info info) {
  Args a(env, info, "applyMask", 3);
  const float* x = a.f32(0, "x", -1);
  int64_t n = a.length_of(0);
  const uint8_t* mask = a.u8(1, "mask", n);
  float* y = a.f32(2, "y", n);
  if (a.failed) return nullptr;
  apply_mask(x, mask, y, n);
  return undefined(env);
}

napi_value ColumnNorms(napi_env env, napi_callback_info info) {
  Args a(env, info, "columnNorms", 4);
  int64_t r = a.dim(0, "rows"), c = a.dim(1, "cols");
  const float* w = a.f32(2, "w", a.product({r, c}));
  float* norms = a.f32(3, "norms", c);
  if (a.failed) return nullptr;
  column_norms(r, c, w, norms);
  return undefined(env);
}

napi_value ScaleColumns(napi_env env, napi_callback_info info) {
  Args a(env, info, "scaleColumns", 7);
  int64_t r = a.dim(0, "rows"), c = a.dim(1, "cols");
  const float* w = a.f32(2, "w", a.product({r, c}));
  const float* f = a.f32(3, "factors", c);
  float* y = a.f32(4, "y", a.product({r, c}));
  QParams q = a.qparams(5);
  if (a.failed) return nullptr;
  a.stats(6, scale_columns(r, c, w, f, y, q));
  return undefined(env);
}

napi_value Axpby(napi_env env, napi_callback_info info) {
  Args a(env, info, "axpby", 6);
  double alpha = a.num(0, "alpha"), beta = a.num(2, "beta");
  const float* x = a.f32(1, "x", -1);
  int64_t n = a.length_of(1);
  float* y = a.f32(3, "y", n);
  QParams q = a.qparams(4);
  if (a.failed) return nullptr;
  a.stats(5, axpby(n, alpha, x, beta, y, q));
  return undefined(env);
}

napi_value Scale(napi_env env, napi_callback_info info) {
  Args a(env, info, "scale", 5);
  double alpha = a.num(0, "alpha");
  const float* x = a.f32(1, "x", -1);
  int64_t n = a.length_of(1);
  float* y = a.f32(2, "y", n);
  QParams q = a.qparams(3);
  if (a.failed) return nullptr;
  a.stats(4, scale(n, alpha, x, y, q));
  return undefined(env);
}

napi_value Add(napi_env env, napi_callback_info info) {
  Args a(env, info, "add", 5);
  const float* x = a.f32(0, "a", -1);
  int64_t n = a.length_of(0);
  const float* b = a.f32(1, "b", n);
  float* y = a.f32(2, "y", n);
  QParams q = a.qparams(3);
  if (a.failed) return nullptr;
  a.stats(4, add(n, x, b, y, q));
  return undefined(env);
}

napi_value Quantize(napi_env env, napi_callback_info info) {
  Args a(env, info, "quantize", 4);
  const float* x = a.f32(0, "x", -1);
  int64_t n = a.length_of(0);
  float* y = a.f32(1, "y", n);
  QParams q = a.qparams(2);
  if (!a.failed && q.kind == Q_NONE) a.fail("quantize params are required");
  if (a.failed) return nullptr;
  a.stats(3, quantize(q, x, y, n));
  return undefined(env);
}

// out (cols × rows) = xᵀ of a row-major rows × cols matrix: 16 × 16 tiles, bands of rows on the thread pool (each
// thread writes its own rows' columns of out).
static void transpose_into(const float* __restrict x, int64_t rows, int64_t cols, float* __restrict out) {
  const int64_t T = 16;
  parallel_for((rows + T - 1) / T, 8, [&](int, int64_t lo, int64_t hi) {
    for (int64_t r0 = lo * T; r0 < std::min(rows, hi * T); r0 += T) {
      const int64_t r1 = std::min(rows, r0 + T);
      for (int64_t c0 = 0; c0 < cols; c0 += T) {
        const int64_t c1 = std::min(cols, c0 + T);
        for (int64_t c = c0; c < c1; c++) {
          float* o = out + c * rows;
          for (int64_t r = r0; r < r1; r++) o[r] = x[r * cols + c];
        }
      }
    }
  });
}

// Scratch for the column mode's transposes: kept between calls (uninitialised; grown when a call needs more).
static float* mx_scratch(size_t n) {
  thread_local std::unique_ptr<float[]> buf;  // NOTE: per thread: Node's worker threads may load the addon too
  thread_local size_t size = 0;
  if (n > size) {
    buf.reset(new float[n]);
    size = n;
  }
  return buf.get();
}

// quantizeMx(x, y, q, block, emax, scales, st, rows, cols, along): y = x rounded to an MX format whose element is the
// quantize params q (fixed or float), in blocks of `block`; scales (Uint8Array of one code per block, or null) gets
// the E8M0 codes; st (Float64Array(8)) gets [count, blocks, nanBlocks, nan, overflow, flushed, zeros, amax]. along
// 0: the flat array; 1: rows × cols, blocks along each row; 2: blocks down each column, as the transpose along its
// rows (element (r, c) draws at counter + c·rows + r).
napi_value QuantizeMx(napi_env env, napi_callback_info info) {
  Args a(env, info, "quantizeMx", 10);
  const float* x = a.f32(0, "x", -1);
  int64_t n = a.length_of(0);
  float* y = a.f32(1, "y", n);
  MxParams p;
  p.elem = a.qparams(2);
  p.block = a.dim(3, "block");
  const double emax = a.num(4, "emax");
  const int64_t rows = a.dim(7, "rows"), cols = a.dim(8, "cols");
  const double along = a.num(9, "along");
  if (!a.failed && p.elem.kind != Q_FIXED && p.elem.kind != Q_FLOAT) a.fail("the element must be fixed or float");
  if (!a.failed && !(p.block >= 1 && p.block <= (1 << 20))) a.fail("block must be an integer in [1, 2^20]");
  if (!a.failed && !(emax >= 0 && emax <= 127 && emax == std::floor(emax)))
    a.fail("emax must be an integer in [0, 127]");
  if (!a.failed && !(along == 0 || along == 1 || along == 2)) a.fail("along must be 0, 1 or 2");
  if (!a.failed && along != 0 && rows * cols != n) a.fail("rows · cols must be the length of x");
  p.emax = (int)emax;
  const int64_t line = along == 1 ? cols : along == 2 ? rows : 0;
  if (line > 0) p.row = line;
  const int64_t blocks = p.block < 1 ? 0 : line > 0 ? (n / line) * ((line + p.block - 1) / p.block)
                                                   : (n + p.block - 1) / p.block;
  uint8_t* scales = (uint8_t*)a.typed(5, "scales", napi_uint8_array, "Uint8Array", blocks, true);
  double* s = (double*)a.typed(6, "stats", napi_float64_array, "Float64Array", 8);
  if (a.failed) return nullptr;
  MxStats st;
  if (along == 2 && n > 0 && p.elem.mode != STOCHASTIC) {
    // blocks down the columns in place (quantize.cc: a vector lane per column)
    p.row = rows;
    p.cols = cols;
    st = quantize_mx(p, x, y, scales, n);
  } else if (along == 2 && n > 0) {
    // NOTE: stochastic draws run down the columns (counter + c·rows + r): in one scratch, the transpose, rounded there
    // along its rows, transposed back into y (x may be y).
    float* t = mx_scratch(static_cast<size_t>(n));
    transpose_into(x, rows, cols, t);
    st = quantize_mx(p, t, t, scales, n);
    transpose_into(t, cols, rows, y);
  } else {
    // NOTE: a matrix with a zero-length line is empty (rows · cols = n): p.row stays 0 and the flat pass sees n = 0.
    st = quantize_mx(p, x, y, scales, n);
  }
  s[0] = (double)st.count; s[1] = (double)st.blocks; s[2] = (double)st.nan_blocks; s[3] = (double)st.nan;
  s[4] = (double)st.overflow; s[5] = (double)st.flushed; s[6] = (double)st.zeros; s[7] = st.amax;
  return undefined(env);
}

// ** attention and normalisation (attention.cc) **

napi_value BatchedMatmul(napi_env env, napi_callback_info info) {
  Args a(env, info, "batchedMatmul", 7);
  const int32_t* d = (const int32_t*)a.typed(0, "dims", napi_int32_array, "Int32Array", 6);
  if (a.failed) return nullptr;
  const int64_t batch = d[0], m = d[1], n = d[2], k = d[3];
  if (batch < 0 || m < 0 || n < 0 || k < 0) a.fail("dims must be ≥ 0");
  const double alpha = a.num(1, "alpha");
  const float* A = a.f32(2, "a", a.product({batch, m, k}));
  const float* B = a.f32(3, "b", a.product({batch, k, n}));
  float* C = a.f32(4, "c", a.product({batch, m, n}));
  QParams q = a.qparams(5);
  if (a.failed) return nullptr;
  a.stats(6, batched_matmul(batch, m, n, k, d[4] != 0, d[5] != 0, alpha, A, B, C, q));
  return undefined(env);
}

napi_value SoftmaxRows(napi_env env, napi_callback_info info) {
  Args a(env, info, "softmaxRows", 6);
  int64_t r = a.dim(0, "rows"), c = a.dim(1, "cols");
  const float* x = a.f32(2, "x", a.product({r, c}));
  float* y = a.f32(3, "y", a.product({r, c}));
  QParams q = a.qparams(4);
  if (a.failed) return nullptr;
  a.stats(5, softmax_rows(r, c, x, y, q));
  return undefined(env);
}

napi_value SoftmaxRowsBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "softmaxRowsBackward", 7);
  int64_t r = a.dim(0, "rows"), c = a.dim(1, "cols");
  const float* y = a.f32(2, "y", a.product({r, c}));
  const float* dy = a.f32(3, "dy", a.product({r, c}));
  float* dx = a.f32(4, "dx", a.product({r, c}));
  QParams q = a.qparams(5);
  if (a.failed) return nullptr;
  a.stats(6, softmax_rows_backward(r, c, y, dy, dx, q));
  return undefined(env);
}

napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Args a(env, info, "layerNorm", 11);
  int64_t r = a.dim(0, "rows"), c = a.dim(1, "cols");
  const float* x = a.f32(2, "x", a.product({r, c}));
  const float* gamma = a.f32(3, "gamma", c);
  const float* beta = a.f32(4, "beta", c);
  const double eps = a.num(5, "eps");
  float* y = a.f32(6, "y", a.product({r, c}));
  float* mean = a.f32(7, "mean", r);
  float* rstd = a.f32(8, "rstd", r);
  QParams q = a.qparams(9);
  if (!a.failed && !(eps > 0 && std::isfinite(eps))) a.fail("eps must be a finite number > 0");
  if (a.failed) return nullptr;
  a.stats(10, layer_norm(r, c, x, gamma, beta, eps, y, mean, rstd, q));
  return undefined(env);
}

napi_value LayerNormBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "layerNormBackward", 12);
  int64_t r = a.dim(0, "rows"), c = a.dim(1, "cols");
  const float* x = a.f32(2, "x", a.product({r, c}));
  const float* gamma = a.f32(3, "gamma", c);
  const float* mean = a.f32(4, "mean", r);
  const float* rstd = a.f32(5, "rstd", r);
  const float* dy = a.f32(6, "dy", a.product({r, c}));
  float* dx = a.f32(7, "dx", a.product({r, c}));
  float* dgamma = a.f32(8, "dgamma", c);
  float* dbeta = a.f32(9, "dbeta", c);
  QParams q = a.qparams(10);
  if (a.failed) return nullptr;
  a.stats(11, layer_norm_backward(r, c, x, gamma, mean, rstd, dy, dx, dgamma, dbeta, q));
  return undefined(env);
}

napi_value SwapAxes(napi_env env, napi_callback_info info) {
  Args a(env, info, "swapAxes", 6);
  int64_t o = a.dim(0, "outer"), r = a.dim(1, "rows"), c = a.dim(2, "cols"), i = a.dim(3, "inner");
  const float* x = a.f32(4, "x", a.product({o, r, c, i}));
  float* y = a.f32(5, "y", a.product({o, c, r, i}));
  if (a.failed) return nullptr;
  const size_t bytes = (size_t)a.product({o, r, c, i}) * sizeof(float);
  const char *xb = (const char*)x, *yb = (char*)y;
  if (bytes > 0 && xb < yb + bytes && yb < xb + bytes) {
    a.fail("y must not overlap x");
    return nullptr;
  }
  swap_axes(o, r, c, i, x, y);
  return undefined(env);
}

napi_value Gelu(napi_env env, napi_callback_info info) {
  Args a(env, info, "gelu", 4);
  const float* x = a.f32(0, "x", -1);
  int64_t n = a.length_of(0);
  float* y = a.f32(1, "y", n);
  QParams q = a.qparams(2);
  if (a.failed) return nullptr;
  a.stats(3, gelu(n, x, y, q));
  return undefined(env);
}

napi_value GeluBackward(napi_env env, napi_callback_info info) {
  Args a(env, info, "geluBackward", 5);
  const float* x = a.f32(0, "x", -1);
  int64_t n = a.length_of(0);
  const float* dy = a.f32(1, "dy", n);
  float* dx = a.f32(2, "dx", n);
  QParams q = a.qparams(3);
  if (a.failed) return nullptr;
  a.stats(4, gelu_backward(n, x, dy, dx, q));
  return undefined(env);
}

// ** float64 preprocessing kernels (linalg64.cc): not part of the trainer's kernels **

napi_value Float64Info(napi_env env, napi_callback_info) {
  const char* reason = "";
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_get_boolean(env, linalg64_available(&reason), &v);
  napi_set_named_property(env, obj, "available", v);
  napi_create_string_utf8(env, reason, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, "reason", v);
  return obj;
}

// A Float64Array argument of at least `need` elements (the MatMulNT contract allows longer buffers).
double* f64_at_least(Args& a, size_t i, const char* name, int64_t need, const char* what) {
  double* p = (double*)a.typed(i, name, napi_float64_array, "Float64Array", -1);
  const int64_t len = a.length_of(i);
  if (!a.failed && len < need) {
    a.fail(std::string(name) + " has length " + std::to_string(len) + ", expected at least " + what + " = " +
           std::to_string(need));
    return nullptr;
  }
  return p;
}

bool linalg64_ready(Args& a) {
  const char* reason = "";
  if (!a.failed && !linalg64_available(&reason)) a.fail(std::string("not available: ") + reason);
  return !a.failed;
}

// matMulNT64(a, b, c, m, n, k, upper): C (m×n) += A (m×k)·Bᵀ (B n×k), row-major float64.
napi_value MatMulNT64(napi_env env, napi_callback_info info) {
  Args a(env, info, "matMulNT64", 7);
  int64_t m = a.dim(3, "m"), n = a.dim(4, "n"), k = a.dim(5, "k");
  bool upper = a.boolean(6, "upper");
  const std::string mk = "m×k = " + std::to_string(m) + "×" + std::to_string(k);
  const std::string nk = "n×k = " + std::to_string(n) + "×" + std::to_string(k);
  const std::string mn = "m×n = " + std::to_string(m) + "×" + std::to_string(n);
  const double* A = f64_at_least(a, 0, "a", a.product({m, k}), mk.c_str());
  const double* B = f64_at_least(a, 1, "b", a.product({n, k}), nk.c_str());
  double* C = f64_at_least(a, 2, "c", a.product({m, n}), mn.c_str());
  if (!linalg64_ready(a)) return nullptr;
  // C must not overlap A or B (BLAS reads them while writing C)
  const auto overlaps = [](const double* x, int64_t nx, const double* y, int64_t ny) {
    return nx > 0 && ny > 0 && x < y + ny && y < x + nx;
  };
  if (overlaps(C, m * n, A, m * k) || overlaps(C, m * n, B, n * k)) { a.fail("c overlaps a or b"); return nullptr; }
  dgemm_nt_acc(m, n, k, A, B, C, upper);
  return undefined(env);
}

// eigh64(n, a, vectors, values): eigen-decomposes the symmetric n×n `a` (lower triangle read, not modified);
// row j of `vectors` (n×n) is the unit eigenvector of values[j], values ascending.
napi_value Eigh64(napi_env env, napi_callback_info info) {
  Args a(env, info, "eigh64", 4);
  int64_t n = a.dim(0, "n");
  if (!a.failed && n > 32000)
    a.fail("n = " + std::to_string(n) +
           " is too large (at most 32000: LAPACK's workspace 1 + 6n + 2n² is indexed by 32-bit integers)");
  const int64_t nn = a.product({n, n});
  const double* A = (const double*)a.typed(1, "a", napi_float64_array, "Float64Array", nn);
  double* V = (double*)a.typed(2, "vectors", napi_float64_array, "Float64Array", nn);
  double* W = (double*)a.typed(3, "values", napi_float64_array, "Float64Array", n);
  if (!linalg64_ready(a)) return nullptr;
  for (int64_t i = 0; i < n; i++) {
    for (int64_t j = 0; j <= i; j++) {
      if (!std::isfinite(A[i * n + j])) {
        a.fail("a[" + std::to_string(i) + "][" + std::to_string(j) + "] is not finite");
        return nullptr;
      }
    }
  }
  if (V != A) std::copy(A, A + nn, V);
  const int info_code = dsyevd_rowmajor(n, V, W);
  if (info_code != 0) {
    const std::string msg = "eigh64: LAPACK dsyevd failed for n = " + std::to_string(n) + " (info " +
                            std::to_string(info_code) +
                            (info_code > 0 ? ": the divide and conquer did not converge)" : ": bad argument)");
    napi_throw_error(env, nullptr, msg.c_str());
    return nullptr;
  }
  return undefined(env);
}

napi_value Init(napi_env env, napi_value exports) {
  // The SIMD path is chosen here, once: LOWPREC_SIMD, else the best the CPU runs. A bad value fails the load with
  // one line (error code LOWPREC_SIMD, so that src/registry.ts reports it instead of falling back to TypeScript).
  std::string simd_error;
  if (!simd_init(&simd_error)) {
    napi_throw_range_error(env, "LOWPREC_SIMD", simd_error.c_str());
    return nullptr;
  }
  struct Fn { const char* name; napi_callback cb; };
  const Fn fns[] = {
      {"info", Info}, {"setThreads", SetThreads}, {"useBlas", UseBlas}, {"useDnnl", UseDnnl}, {"useSimd", UseSimd},
      {"gemm", Gemm},
      {"conv2dForward", Conv2dForward}, {"conv2dBackwardData", Conv2dBackwardData},
      {"conv2dBackwardFilter", Conv2dBackwardFilter}, {"biasAdd", BiasAdd}, {"biasGrad", BiasGrad},
      {"maxoutForward", MaxoutForward}, {"maxoutBackward", MaxoutBackward}, {"maxPoolForward", MaxPoolForward},
      {"maxPoolBackward", MaxPoolBackward}, {"softmaxCrossEntropyForward", SoftmaxForward},
      {"softmaxCrossEntropyBackward", SoftmaxBackward}, {"dropoutMask", DropoutMask}, {"applyMask", ApplyMask},
      {"columnNorms", ColumnNorms}, {"scaleColumns", ScaleColumns}, {"axpby", Axpby}, {"scale", Scale},
      {"add", Add}, {"quantize", Quantize}, {"quantizeMx", QuantizeMx},
      {"batchedMatmul", BatchedMatmul}, {"softmaxRows", SoftmaxRows}, {"softmaxRowsBackward", SoftmaxRowsBackward},
      {"layerNorm", LayerNorm}, {"layerNormBackward", LayerNormBackward}, {"gelu", Gelu},
      {"geluBackward", GeluBackward}, {"swapAxes", SwapAxes},
      {"float64Info", Float64Info}, {"matMulNT64", MatMulNT64}, {"eigh64", Eigh64},
  };
  for (const Fn& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
