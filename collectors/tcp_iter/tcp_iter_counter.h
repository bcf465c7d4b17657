// The BPF side of `sockets: {source: bpf|auto}`: tcp_count.bpf.c loaded once per process
// and run once per reading through an iterator fd (a read() of it walks the sockets of
// the namespace of the thread that opened it, and returns no data: the result is in the
// program's global variables, which libbpf maps into this process).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "collectors/tcp_iter/tcp_counts.h"

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

  struct Impl;  // the skeleton and the iterator link; empty when BPF is not built in

 private:
  explicit TcpIterCounter(std::unique_ptr<Impl> impl);

  std::mutex mu_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace netstat::tcp_iter
