#include "dnnl_conv.h"

#ifdef LOWPREC_HAVE_DNNL

#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <dnnl.hpp>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "threads.h"

namespace lp {
namespace {

using dnnl::algorithm;
using dnnl::engine;
using dnnl::memory;
using dnnl::primitive;
using dnnl::prop_kind;
using dnnl::reorder;
using dnnl::stream;
using tag = memory::format_tag;
using dt = memory::data_type;

bool g_on = true;
int64_t g_runs = 0;
std::mutex g_mu;  // the plan cache, its buffers and the stream are shared: one conv at a time

engine& cpu() {
  static engine e(engine::kind::cpu, 0);
  return e;
}

stream& cpu_stream() {
  static stream s(cpu());
  return s;
}

enum Kind { FWD = 0, BWD_DATA = 1, BWD_WEIGHTS = 2 };

// Buffers for the operands in oneDNN's layouts, one per operand slot, shared by all plans (calls are serialised)
// and grown to the largest geometry seen, so the cached plans hold no tensor-sized memory of their own.
struct Scratch {
  float* data = nullptr;
  size_t bytes = 0;
  float* get(size_t need) {
    if (need > bytes) {
      std::free(data);
      bytes = (need + 4095) / 4096 * 4096;
      data = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (data == nullptr) {
        bytes = 0;
        throw std::bad_alloc();
      }
    }
    return data;
  }
};
Scratch g_scratch[3];

// One operand of a primitive: our plain layout, the primitive's layout, and a reorder when they differ.
struct Operand {
  int arg = 0;
  memory::desc user, prim;
  bool reordered = false;
  primitive to_prim, from_prim;

  void init(int a, const memory::desc& u, const memory::desc& p, bool is_output) {
    arg = a;
    user = u;
    prim = p;
    reordered = u != p;
    if (!reordered) return;
    if (is_output) from_prim = reorder(reorder::primitive_desc(cpu(), p, cpu(), u));
    else to_prim = reorder(reorder::primitive_desc(cpu(), u, cpu(), p));
  }

  // our array as a oneDNN memory, and the memory the primitive reads or writes (a scratch slot if reordered)
  memory plain(void* data) const { return memory(user, cpu(), data); }
  memory blocked(int slot, const memory& plain_mem) const {
    return reordered ? memory(prim, cpu(), g_scratch[slot].get(prim.get_size())) : plain_mem;
  }
};

// A ready-to-run convolution for one geometry, direction and thread count: two inputs, one output.
struct Plan {
  Kind kind;
  int64_t dims[13];
  int threads;
  primitive prim;
  Operand in0, in1, out;
};

std::vector<std::unique_ptr<Plan>> g_plans;

memory::dims dims_of(std::initializer_list<int64_t> d) { return memory::dims(d.begin(), d.end()); }

std::unique_ptr<Plan> make_plan(Kind kind, const ConvShape& s, int threads) {
  auto p = std::make_unique<Plan>();
  p->kind = kind;
  const int64_t d[13] = {s.batch,  s.in_channels, s.height,   s.width,    s.out_channels, s.kernel_h, s.kernel_w,
                         s.pad_h,  s.pad_w,       s.stride_h, s.stride_w, s.out_h,        s.out_w};
  std::memcpy(p->dims, d, sizeof d);
  p->threads = threads;
  const memory::dims src_d = dims_of({s.batch, s.in_channels, s.height, s.width});
  const memory::dims w_d = dims_of({s.out_channels, s.in_channels, s.kernel_h, s.kernel_w});
  const memory::dims dst_d = dims_of({s.batch, s.out_channels, s.out_h, s.out_w});
  const memory::dims strides = dims_of({s.stride_h, s.stride_w});
  const memory::dims pad_l = dims_of({s.pad_h, s.pad_w});
  // NOTE: the right padding only has to give the same (floor) output size; oneDNN checks that.
  const memory::dims pad_r = pad_l;
  const memory::desc src_any(src_d, dt::f32, tag::any), w_any(w_d, dt::f32, tag::any),
      dst_any(dst_d, dt::f32, tag::any);
  const memory::desc src_user(src_d, dt::f32, tag::nchw), w_user(w_d, dt::f32, tag::oihw),
      dst_user(dst_d, dt::f32, tag::nchw);
  // NOTE: convolution_direct only: no Winograd (different rounding), no implicit algorithm change.
  const dnnl::convolution_forward::desc fwd_desc(prop_kind::forward_training, algorithm::convolution_direct,
                                                 src_any, w_any, dst_any, strides, pad_l, pad_r);
  const dnnl::convolution_forward::primitive_desc fwd_pd(fwd_desc, cpu());
  if (kind == FWD) {
    p->prim = dnnl::convolution_forward(fwd_pd);
    p->in0.init(DNNL_ARG_SRC, src_user, fwd_pd.src_desc(), false);
    p->in1.init(DNNL_ARG_WEIGHTS, w_user, fwd_pd.weights_desc(), false);
    p->out.init(DNNL_ARG_DST, dst_user, fwd_pd.dst_desc(), true);
  } else if (kind == BWD_DATA) {
    const dnnl::convolution_backward_data::desc desc(algorithm::convolution_direct, src_any, w_any, dst_any,
                                                     strides, pad_l, pad_r);
    const dnnl::convolution_backward_data::primitive_desc pd(desc, cpu(), fwd_pd);
    p->prim = dnnl::convolution_backward_data(pd);
    p->in0.init(DNNL_ARG_DIFF_DST, dst_user, pd.diff_dst_desc(), false);
    p->in1.init(DNNL_ARG_WEIGHTS, w_user, pd.weights_desc(), false);
    p->out.init(DNNL_ARG_DIFF_SRC, src_user, pd.diff_src_desc(), true);
  } else {
    const dnnl::convolution_backward_weights::desc desc(algorithm::convolution_direct, src_any, w_any, dst_any,
                                                        strides, pad_l, pad_r);
    const dnnl::convolution_backward_weights::primitive_desc pd(desc, cpu(), fwd_pd);
    p->prim = dnnl::convolution_backward_weights(pd);
    p->in0.init(DNNL_ARG_SRC, src_user, pd.src_desc(), false);
    p->in1.init(DNNL_ARG_DIFF_DST, dst_user, pd.diff_dst_desc(), false);
    p->out.init(DNNL_ARG_DIFF_WEIGHTS, w_user, pd.diff_weights_desc(), true);
  }
  return p;
}

// The cached plan for this call, built on first use; nullptr when oneDNN cannot build one.
Plan* plan_for(Kind kind, const ConvShape& s) {
  const int threads = num_threads();
  // NOTE: OpenMP keeps the thread count per calling thread; setting it here makes oneDNN use ours whichever
  // thread calls (e.g. a Node worker), not OMP_NUM_THREADS or all cores.
  dnnl_set_threads(threads);
  const int64_t d[13] = {s.batch,  s.in_channels, s.height,   s.width,    s.out_channels, s.kernel_h, s.kernel_w,
                         s.pad_h,  s.pad_w,       s.stride_h, s.stride_w, s.out_h,        s.out_w};
  for (auto& p : g_plans)
    if (p->kind == kind && p->threads == threads && std::memcmp(p->dims, d, sizeof d) == 0) return p.get();
  // NOTE: a training run uses a handful of geometries (train batch, last batch, test batch per layer);
  // the cache is simply emptied when it grows past that, so odd shapes in tests cannot pile up memory.
  if (g_plans.size() >= 48) g_plans.clear();
  try {
    g_plans.push_back(make_plan(kind, s, threads));
  } catch (const std::exception&) {
    return nullptr;
  }
  return g_plans.back().get();
}

bool run(Kind kind, const ConvShape& s, const float* a, const float* b, float* c) {
  if (!g_on || s.batch < 1) return false;
  std::lock_guard<std::mutex> lock(g_mu);
  Plan* p = plan_for(kind, s);
  if (p == nullptr) return false;
  try {
    stream& st = cpu_stream();
    // NOTE: the user memories wrap our arrays; oneDNN only reads the inputs (const_cast for its API).
    const memory ua = p->in0.plain(const_cast<float*>(a)), ub = p->in1.plain(const_cast<float*>(b)),
                 uc = p->out.plain(c);
    const memory ba = p->in0.blocked(0, ua), bb = p->in1.blocked(1, ub), bc = p->out.blocked(2, uc);
    if (p->in0.reordered) p->in0.to_prim.execute(st, {{DNNL_ARG_FROM, ua}, {DNNL_ARG_TO, ba}});
    if (p->in1.reordered) p->in1.to_prim.execute(st, {{DNNL_ARG_FROM, ub}, {DNNL_ARG_TO, bb}});
    p->prim.execute(st, {{p->in0.arg, ba}, {p->in1.arg, bb}, {p->out.arg, bc}});
    if (p->out.reordered) p->out.from_prim.execute(st, {{DNNL_ARG_FROM, bc}, {DNNL_ARG_TO, uc}});
    st.wait();
  } catch (const std::exception&) {
    return false;  // the caller recomputes the whole output on the im2col path
  }
  g_runs++;
  return true;
}

}  // namespace

bool dnnl_built() { return true; }
int64_t dnnl_conv_runs() { return g_runs; }
bool dnnl_in_use() { return g_on; }
void dnnl_use(bool on) { g_on = on; }

void dnnl_set_threads(int n) {
  // NOTE: a fixed team size (no dynamic adjustment) keeps oneDNN's work split, hence its sums, the same
  // from run to run for a given thread count.
  omp_set_dynamic(0);
  omp_set_num_threads(n);
}

bool dnnl_conv_forward(const ConvShape& s, const float* x, const float* w, float* y) { return run(FWD, s, x, w, y); }
bool dnnl_conv_backward_data(const ConvShape& s, const float* dy, const float* w, float* dx) {
  // NOTE: with few input channels oneDNN pads them to a block of 16 and its backward data was 3-10x slower than
  // im2col + gemm here (1 and 3 channels, the first layers); those go the im2col way.
  if (s.in_channels < 16) return false;
  return run(BWD_DATA, s, dy, w, dx);
}
bool dnnl_conv_backward_weights(const ConvShape& s, const float* x, const float* dy, float* dw) {
  return run(BWD_WEIGHTS, s, x, dy, dw);
}

}  // namespace lp

#else  // built without oneDNN: every call declines and conv.cc uses im2col + gemm

namespace lp {

bool dnnl_built() { return false; }
int64_t dnnl_conv_runs() { return 0; }
bool dnnl_in_use() { return false; }
void dnnl_use(bool) {}
void dnnl_set_threads(int) {}
bool dnnl_conv_forward(const ConvShape&, const float*, const float*, float*) { return false; }
bool dnnl_conv_backward_data(const ConvShape&, const float*, const float*, float*) { return false; }
bool dnnl_conv_backward_weights(const ConvShape&, const float*, const float*, float*) { return false; }

}  // namespace lp

#endif
