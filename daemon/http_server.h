// HTTP on prometheus-cpp's Exposer (CivetWeb): the telemetry path is the Exposer's own
// handler (text format, gzip when asked); a CivetWeb begin_request callback answers the
// landing page and health checks, applies basic auth to every path, and marks when each
// request arrived so concurrent scrapes can share one run. CivetWeb listens only on
// 127.0.0.1; every public address (IPv4, IPv6, TLS) is the HttpFront's, which passes it
// whole requests only (see http_front.h).
#pragma once

#include <prometheus/exposer.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/basic_auth.h"
#include "daemon/http_front.h"
#include "daemon/runner.h"

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
  ~HttpServer();  // lets requests already passed to CivetWeb finish

  int port() const { return port_; }

 private:
  static int BeginRequest(mg_connection* conn);
  int Handle(mg_connection* conn);
  std::string LandingPage() const;
  void StopCivetWeb();

  config::WebConfig web_;
  std::shared_ptr<Runner> runner_;
  BasicAuth auth_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int civet_port_ = 0;
  std::unique_ptr<HttpFront> front_;
  int port_ = 0;
};

}  // namespace netstat::daemon
