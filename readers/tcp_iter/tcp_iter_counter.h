// The BPF side of `sockets: {source: bpf|auto}`, loaded once per process. Two programs
// count the same figures, and write them to their global variables, which libbpf maps
// into this process:
//   - tcp_ehash.bpf.c walks the TCP established hash of the calling thread's namespace
//     directly, run through BPF_PROG_TEST_RUN (Linux 6.2+); used when it loads;
//   - tcp_count.bpf.c, an iter/tcp program run once per reading through an iterator fd
//     (a read() walks the sockets of the namespace of the thread that opened it), about
//     2.5x slower; used when the walk does not load, or reports an incomplete walk.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "readers/tcp_iter/tcp_counts.h"

namespace netstat::tcp_iter {

class TcpIterCounter : public TcpCounter {
 public:
  // The process's counter, loaded by the first call and kept until exit: loading needs
  // CAP_BPF and CAP_PERFMON (root has them), which the daemon drops after start, but
  // running a loaded iterator needs none, so a reload reuses what start loaded. nullptr,
  // with the reason in *error, when it cannot load (BPF not built in, no kernel BTF, no
  // privilege); a later call tries again. No bpf() call is made without the capabilities.
  static std::shared_ptr<TcpIterCounter> Shared(std::string* error);

  ~TcpIterCounter() override;
  // One walk; concurrent callers take turns (they share the program's memory).
  bool Count(const std::vector<uint16_t>& local_ports, const std::vector<uint16_t>& remote_ports,
             TcpCounts* out, std::string* error) override;

  uint64_t AutoCrossover() const override {
    return has_walk() ? kWalkCrossover : kIteratorCrossover;
  }

  // Whether the hash walk loaded; tests compare it with the iterator by forcing the latter.
  bool has_walk() const;
  void force_iterator(bool force) {
    std::lock_guard lock(mu_);
    force_iterator_ = force;
  }

  struct Impl;  // the skeletons and the iterator link; empty when BPF is not built in

 private:
  explicit TcpIterCounter(std::unique_ptr<Impl> impl);

  std::mutex mu_;
  std::unique_ptr<Impl> impl_;
  bool force_iterator_ = false;
  std::string walk_failure_;  // the last reason the walk was not used, logged once
};

}  // namespace netstat::tcp_iter
