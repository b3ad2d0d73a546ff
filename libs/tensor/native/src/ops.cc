#include "ops.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "threads.h"

namespace lp {
namespace {

constexpr int64_t BLOCK = 4096;  // elements produced then quantized while still in L1

// Runs op(lo, hi) over row ranges [0, rows) on the pool; after each block of rows, quantizes the output
// elements [lo * row_len, hi * row_len) of y in place. Returns the merged stats.
template <class Op>
QStats fused_rows(int64_t rows, int64_t row_len, float* y, const QParams& q, Op op) {
  std::vector<QStats> parts((size_t)num_threads());
  const int64_t rows_per_block = std::max<int64_t>(1, BLOCK / std::max<int64_t>(row_len, 1));
  parallel_for(rows, std::max<int64_t>(rows_per_block, 1 + (1 << 14) / std::max<int64_t>(row_len, 1)),
               [&](int t, int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r += rows_per_block) {
      const int64_t r1 = std::min(hi, r + rows_per_block);
      op(r, r1);
      if (q.kind != Q_NONE) quantize_range(q, y, y, r * row_len, r1 * row_len, parts[(size_t)t]);
    }
  });
  QStats total;
  for (auto& p : parts) total.merge(p);
  total.count = q.kind == Q_NONE ? 0 : rows * row_len;
  return total;
}

}  // namespace

QStats bias_add(int64_t batch, int64_t channels, int64_t spatial, const float* x, const float* bias, float* y,
                const QParams& q) {
  return fused_rows(batch * channels, spatial, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const float b = bias[r % channels];
      const float* xr = x + r * spatial;
      float* yr = y + r * spatial;
      for (int64_t s = 0; s < spatial; s++) yr[s] = xr[s] + b;
    }
  });
}

QStats bias_grad(int64_t batch, int64_t channels, int64_t spatial, const float* dy, float* db, const QParams& q) {
  parallel_for(channels, 1, [&](int, int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; c++) {
      double sum = 0;
      for (int64_t n = 0; n < batch; n++) {
        const float* r = dy + (n * channels + c) * spatial;
        for (int64_t s = 0; s < spatial; s++) sum += r[s];
      }
      db[c] = (float)sum;
    }
  });
  if (q.kind == Q_NONE) return QStats();
  return quantize(q, db, db, channels);
}

QStats maxout_forward(int64_t batch, int64_t units, int64_t pieces, int64_t spatial, const float* x, float* y,
                      int32_t* argmax, const QParams& q) {
  return fused_rows(batch * units, spatial, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const float* xr = x + r * pieces * spatial;  // row r = (n, u): pieces consecutive channels
      for (int64_t s = 0; s < spatial; s++) {
        float best = xr[s];
        int32_t arg = 0;
        for (int64_t j = 1; j < pieces && best == best; j++) {
          const float v = xr[j * spatial + s];
          if (v > best || v != v) { best = v; arg = (int32_t)j; }
        }
        y[r * spatial + s] = best;
        argmax[r * spatial + s] = arg;
      }
    }
  });
}

bool maxout_backward(int64_t batch, int64_t units, int64_t pieces, int64_t spatial, const float* x,
                     const int32_t* argmax, const float* dy, float* dx, bool all_ties, const QParams& q, QStats& st) {
  std::atomic<bool> ok(true);
  st = fused_rows(batch * units, pieces * spatial, dx, q, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const float* xr = x + r * pieces * spatial;
      float* dr = dx + r * pieces * spatial;
      for (int64_t s = 0; s < spatial; s++) {
        const int32_t arg = argmax[r * spatial + s];
        if (arg < 0 || arg >= pieces) {
          ok = false;
          for (int64_t j = 0; j < pieces; j++) dr[j * spatial + s] = 0;
          continue;
        }
        const float max = xr[arg * spatial + s], g = dy[r * spatial + s];
        for (int64_t j = 0; j < pieces; j++) {
          const bool hit = all_ties ? xr[j * spatial + s] == max : j == arg;
          dr[j * spatial + s] = hit ? g : 0.0f;
        }
      }
    }
  });
  return ok;
}

QStats maxpool_forward(int64_t planes, int64_t h, int64_t w, int64_t size, int64_t stride, int64_t oh, int64_t ow,
                       const float* x, float* y, int32_t* argmax, const QParams& q) {
  return fused_rows(planes, oh * ow, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; p++) {
      const float* xp = x + p * h * w;
      for (int64_t i = 0; i < oh; i++)
        for (int64_t j = 0; j < ow; j++) {
          const int64_t h0 = i * stride, h1 = std::min(h0 + size, h), w0 = j * stride, w1 = std::min(w0 + size, w);
          float best = xp[h0 * w + w0];
          int64_t arg = h0 * w + w0;
          for (int64_t a = h0; a < h1 && best == best; a++)
            for (int64_t b = w0; b < w1; b++) {
              const float v = xp[a * w + b];
              if (v > best || v != v) { best = v; arg = a * w + b; if (v != v) break; }
            }
          y[(p * oh + i) * ow + j] = best;
          argmax[(p * oh + i) * ow + j] = (int32_t)arg;
        }
    }
  });
}

bool maxpool_backward(int64_t planes, int64_t h, int64_t w, int64_t size, int64_t stride, int64_t oh, int64_t ow,
                      const float* x, const int32_t* argmax, const float* dy, float* dx, bool all_ties,
                      const QParams& q, QStats& st) {
  std::atomic<bool> ok(true);
  st = fused_rows(planes, h * w, dx, q, [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; p++) {
      const float* xp = x + p * h * w;
      float* dp = dx + p * h * w;
      std::memset(dp, 0, sizeof(float) * (size_t)(h * w));
      for (int64_t i = 0; i < oh; i++)
        for (int64_t j = 0; j < ow; j++) {
          const int64_t o = (p * oh + i) * ow + j;
          const int64_t arg = argmax[o];
          const int64_t h0 = i * stride, h1 = std::min(h0 + size, h), w0 = j * stride, w1 = std::min(w0 + size, w);
          const int64_t ah = arg >= 0 ? arg / w : -1, aw = arg >= 0 ? arg % w : -1;
          if (ah < h0 || ah >= h1 || aw < w0 || aw >= w1) { ok = false; continue; }
          const float g = dy[o];
          if (!all_ties) { dp[arg] += g; continue; }
          const float max = xp[arg];
          for (int64_t a = h0; a < h1; a++)
            for (int64_t b = w0; b < w1; b++)
              if (xp[a * w + b] == max) dp[a * w + b] += g;
        }
    }
  });
  return ok;
}

double softmax_xent_forward(int64_t batch, int64_t classes, const float* logits, const int32_t* labels, float* probs,
                            int64_t* errors) {
  std::vector<double> losses((size_t)batch);
  std::vector<uint8_t> wrong((size_t)batch);
  parallel_for(batch, 64, [&](int, int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; n++) {
      const float* l = logits + n * classes;
      float* p = probs + n * classes;
      double max = l[0];
      int64_t arg = 0;
      for (int64_t c = 1; c < classes; c++) if (l[c] > max) { max = l[c]; arg = c; }
      double sum = 0;
      for (int64_t c = 0; c < classes; c++) sum += std::exp((double)l[c] - max);
      for (int64_t c = 0; c < classes; c++) p[c] = (float)(std::exp((double)l[c] - max) / sum);
      losses[(size_t)n] = std::log(sum) + max - (double)l[labels[n]];
      wrong[(size_t)n] = arg != labels[n];
    }
  });
  double loss = 0;
  int64_t errs = 0;
  for (int64_t n = 0; n < batch; n++) { loss += losses[(size_t)n]; errs += wrong[(size_t)n]; }
  *errors = errs;
  return loss;
}

QStats softmax_xent_backward(int64_t batch, int64_t classes, const float* probs, const int32_t* labels, float* dlogits,
                             double scale, const QParams& q) {
  return fused_rows(batch, classes, dlogits, q, [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; n++)
      for (int64_t c = 0; c < classes; c++) {
        const int64_t i = n * classes + c;
        dlogits[i] = (float)(((double)probs[i] - (c == labels[n] ? 1.0 : 0.0)) * scale);
      }
  });
}

void dropout_mask(uint8_t* mask, int64_t n, double keep_prob, uint32_t seed, uint64_t counter) {
  const double threshold = keep_prob * 4294967296.0;
  parallel_for(n, 1 << 14, [&](int, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) mask[i] = (double)random_bits(seed, counter + (uint64_t)i) < threshold ? 1 : 0;
  });
}

void apply_mask(const float* x, const uint8_t* mask, float* y, int64_t n) {
  parallel_for(n, 1 << 15, [&](int, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) y[i] = mask[i] != 0 ? x[i] : 0.0f;
  });
}

void column_norms(int64_t rows, int64_t cols, const float* w, float* norms) {
  parallel_for(cols, 64, [&](int, int64_t lo, int64_t hi) {
    std::vector<double> acc((size_t)(hi - lo), 0.0);
    for (int64_t i = 0; i < rows; i++) {
      const float* r = w + i * cols;
      for (int64_t j = lo; j < hi; j++) acc[(size_t)(j - lo)] += (double)r[j] * (double)r[j];
    }
    for (int64_t j = lo; j < hi; j++) norms[j] = (float)std::sqrt(acc[(size_t)(j - lo)]);
  });
}

QStats scale_columns(int64_t rows, int64_t cols, const float* w, const float* factors, float* y, const QParams& q) {
  return fused_rows(rows, cols, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++)
      for (int64_t j = 0; j < cols; j++) y[i * cols + j] = w[i * cols + j] * factors[j];
  });
}

QStats axpby(int64_t n, double alpha, const float* x, double beta, float* y, const QParams& q) {
  return fused_rows(n, 1, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) y[i] = (float)(alpha * (double)x[i] + beta * (double)y[i]);
  });
}

QStats scale(int64_t n, double alpha, const float* x, float* y, const QParams& q) {
  return fused_rows(n, 1, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) y[i] = (float)(alpha * (double)x[i]);
  });
}

QStats add(int64_t n, const float* a, const float* b, float* y, const QParams& q) {
  return fused_rows(n, 1, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) y[i] = a[i] + b[i];
  });
}

}  // namespace lp
