#include "threads.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "dnnl_conv.h"

#ifdef LOWPREC_HAVE_DNNL
#include <omp.h>
#endif

namespace lp {
namespace {

#ifndef LOWPREC_HAVE_DNNL
struct Pool {
  std::mutex mu;
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  const std::function<void(int, int64_t, int64_t)>* job = nullptr;
  int64_t n = 0;
  int parts = 0;
  int pending = 0;
  uint64_t generation = 0;
  bool stop = false;

  void range(int t, int64_t* lo, int64_t* hi) const {
    *lo = n * t / parts;
    *hi = n * (t + 1) / parts;
  }

  void loop(int id) {
    uint64_t seen = 0;
    for (;;) {
      std::unique_lock<std::mutex> lock(mu);
      wake.wait(lock, [&] { return stop || generation != seen; });
      if (stop) return;
      seen = generation;
      if (id >= parts) continue;
      lock.unlock();
      int64_t lo, hi;
      range(id, &lo, &hi);
      (*job)(id, lo, hi);
      lock.lock();
      if (--pending == 0) done.notify_one();
    }
  }

  void resize(int threads) {
    shutdown();
    stop = false;
    for (int i = 1; i < threads; i++) workers.emplace_back([this, i] { loop(i); });
  }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    wake.notify_all();
    for (auto& w : workers) w.join();
    workers.clear();
  }

  ~Pool() { shutdown(); }
};

Pool* g_pool = nullptr;
#endif

std::mutex call_mu;
int g_threads = 0;

#ifdef LOWPREC_HAVE_DNNL
// NOTE: with oneDNN (built on OpenMP) our kernels run on the same OpenMP team instead of the pool above: one
// set of worker threads for everything, so a oneDNN conv and the pooling that follows it never compete for the
// cores, and a team that is still spinning after oneDNN is simply reused.
void ensure_threads() {
  if (g_threads == 0) {
    g_threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 64u));
    dnnl_set_threads(g_threads);
  }
}
#else
Pool& pool() {
  if (g_pool == nullptr) {
    g_pool = new Pool();
    if (g_threads == 0) g_threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 64u));
    g_pool->resize(g_threads);
  }
  return *g_pool;
}
#endif

}  // namespace

#ifdef LOWPREC_HAVE_DNNL

int num_threads() {
  std::lock_guard<std::mutex> lock(call_mu);
  ensure_threads();
  return g_threads;
}

void set_num_threads(int n) {
  std::lock_guard<std::mutex> lock(call_mu);
  g_threads = std::max(1, std::min(n, 64));
  dnnl_set_threads(g_threads);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int, int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  std::lock_guard<std::mutex> call(call_mu);
  ensure_threads();
  int64_t want = (n + std::max<int64_t>(grain, 1) - 1) / std::max<int64_t>(grain, 1);
  int parts = (int)std::min<int64_t>(g_threads, want);
  if (parts <= 1) {
    fn(0, 0, n);
    return;
  }
  // Range t always goes to the same [lo, hi) whatever team OpenMP hands out (a smaller team loops over ranges).
#pragma omp parallel num_threads(parts)
  {
    const int team = omp_get_num_threads();
    for (int t = omp_get_thread_num(); t < parts; t += team) fn(t, n * t / parts, n * (t + 1) / parts);
  }
}

#else

int num_threads() {
  pool();
  return g_threads;
}

void set_num_threads(int n) {
  std::lock_guard<std::mutex> lock(call_mu);
  g_threads = std::max(1, std::min(n, 64));
  pool().resize(g_threads);
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int, int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  std::lock_guard<std::mutex> call(call_mu);
  Pool& p = pool();
  int64_t want = (n + std::max<int64_t>(grain, 1) - 1) / std::max<int64_t>(grain, 1);
  int parts = (int)std::min<int64_t>(g_threads, want);
  if (parts <= 1) {
    fn(0, 0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(p.mu);
    p.job = &fn;
    p.n = n;
    p.parts = parts;
    p.pending = parts - 1;
    p.generation++;
  }
  p.wake.notify_all();
  int64_t lo, hi;
  p.range(0, &lo, &hi);
  fn(0, lo, hi);
  std::unique_lock<std::mutex> lock(p.mu);
  p.done.wait(lock, [&] { return p.pending == 0; });
}

#endif

void parallel_for_fn(int64_t n, int64_t grain, void (*fn)(void*, int, int64_t, int64_t), void* ctx) {
  parallel_for(n, grain, [&](int t, int64_t lo, int64_t hi) { fn(ctx, t, lo, hi); });
}

}  // namespace lp
