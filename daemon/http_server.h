// The exporter's HTTP endpoints on the HttpFront (http_front.h): basic auth on every
// path, the telemetry path (one shared serialisation per run, gzip when asked), the
// landing page and the health checks. There is no other listener: the front's sockets
// are the only ones the exporter owns.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "config/config.h"
#include "daemon/basic_auth.h"
#include "daemon/http_front.h"
#include "daemon/runner.h"

namespace netstat::daemon {

class BindError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpServer {
 public:
  // Binds now; throws BindError with a clear message when it cannot.
  HttpServer(const config::WebConfig& web, std::shared_ptr<Runner> runner);
  ~HttpServer();  // lets requests already whole finish

  int port() const { return port_; }

  // What the server answers to one request; public for the tests.
  HttpFront::Response Handle(const HttpFront::Request& request);

 private:
  std::string LandingPage() const;

  config::WebConfig web_;
  std::shared_ptr<Runner> runner_;
  BasicAuth auth_;
  std::unique_ptr<HttpFront> front_;
  int port_ = 0;
};

}  // namespace netstat::daemon
