// HTTP on prometheus-cpp's Exposer (CivetWeb): the telemetry path is the Exposer's own
// handler (text format, gzip when asked); a CivetWeb begin_request callback answers the
// landing page and health checks, applies basic auth to every path, and marks when each
// request arrived so concurrent scrapes can share one run. IPv6 and TLS listeners are
// TcpRelays in front of CivetWeb.
#pragma once

#include <prometheus/exposer.h>

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/runner.h"
#include "daemon/tcp_relay.h"

struct mg_connection;

namespace netstat::daemon {

class BindError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpServer {
 public:
  // Binds now; throws BindError with a clear message when it cannot.
  HttpServer(const config::WebConfig& web, std::shared_ptr<Runner> runner);
  ~HttpServer();

  int port() const { return port_; }

 private:
  static int BeginRequest(mg_connection* conn);
  int Handle(mg_connection* conn);
  bool Authorized(mg_connection* conn);
  std::string LandingPage() const;

  config::WebConfig web_;
  std::shared_ptr<Runner> runner_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::vector<std::unique_ptr<TcpRelay>> relays_;
  int port_ = 0;
  std::mutex auth_mu_;
  std::map<std::string, std::string> verified_;  // user -> password that matched its hash
};

}  // namespace netstat::daemon
