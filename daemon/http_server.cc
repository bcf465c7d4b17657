#include "daemon/http_server.h"

#include <spdlog/spdlog.h>

#include <sstream>

#include "config/values.h"
#include "daemon/version.h"

namespace netstat::daemon {
namespace {

using Response = HttpFront::Response;

}  // namespace

HttpServer::HttpServer(const config::WebConfig& web, std::shared_ptr<Runner> runner)
    : web_(web), runner_(std::move(runner)), auth_(web.basic_auth_users) {
  const auto addr = config::ParseListenAddress(web.listen_address);
  HttpFront::Options options;
  options.handler = [this](const HttpFront::Request& r) { return Handle(r); };
  options.tls_cert_file = web.tls_cert_file;
  options.tls_key_file = web.tls_key_file;
  try {
    front_ = std::make_unique<HttpFront>(options);
  } catch (const std::exception& e) {  // the TLS files: the message names them
    throw BindError(e.what());
  }
  try {
    port_ = front_->Listen(addr.host.empty() ? "0.0.0.0" : addr.host, addr.port);
  } catch (const std::exception& e) {
    front_.reset();
    throw BindError("cannot listen on " + web.listen_address +
                    ": the address is in use, not local, or needs privileges (" + e.what() + ")");
  }
  if (addr.host.empty()) {
    // ":PORT" means every address: IPv6 too, where the host has it.
    try {
      front_->Listen("::", port_);
    } catch (const std::exception& e) {
      spdlog::warn("not listening on [::]:{} (IPv6): {}", port_, e.what());
    }
  }
  front_->Start();
  spdlog::debug("http: accepting up to {} connections", front_->max_connections());
}

HttpServer::~HttpServer() { front_.reset(); }

Response HttpServer::Handle(const HttpFront::Request& request) {
  const RequestHead& head = request.head;
  switch (auth_.Check(head.has_authorization ? head.authorization.c_str() : nullptr)) {
    case BasicAuth::Result::kAllowed:
      break;
    case BasicAuth::Result::kDenied:
      return Response::Text(401, "Unauthorized", "Unauthorized\n",
                            "WWW-Authenticate: Basic realm=\"netstat_exporter\"\r\n");
    case BasicAuth::Result::kBusy:
      return Response::Text(429, "Too Many Requests",
                            "Too Many Requests: another login is being checked\n",
                            "Retry-After: 1\r\n");
  }
  const bool known = head.path == web_.telemetry_path || head.path == "/" ||
                     head.path == "/-/healthy" || head.path == "/-/ready";
  if (!known) return Response::Text(404, "Not Found", "Not Found\n");
  if (head.method != "GET" && head.method != "HEAD") {
    return Response::Text(405, "Method Not Allowed", "Method Not Allowed\n",
                          "Allow: GET, HEAD\r\n");
  }
  if (head.path == web_.telemetry_path) {
    const auto exposition = runner_->Expose(request.arrival);
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.headers = "Vary: Accept-Encoding\r\n";
    r.body = exposition->text();
    if (AcceptsGzip(head.accept_encoding)) {
      if (auto gz = exposition->Gzipped()) {
        r.body = std::move(gz);
        r.headers += "Content-Encoding: gzip\r\n";
      }
    }
    return r;
  }
  if (head.path == "/") {
    Response r = Response::Text(200, "OK", LandingPage());
    r.content_type = "text/html; charset=utf-8";
    return r;
  }
  return Response::Text(200, "OK", head.path == "/-/healthy" ? "Healthy.\n" : "Ready.\n");
}

std::string HttpServer::LandingPage() const {
  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html><head><title>netstat_exporter</title></head><body>\n"
     << "<h1>netstat_exporter</h1>\n<p>Version " << kVersion << " (revision " << kRevision
     << ")</p>\n<p><a href=\"" << web_.telemetry_path << "\">Metrics</a></p>\n"
     << "<h2>Enabled collectors</h2>\n<ul>\n";
  if (auto set = runner_->Current()) {
    for (const auto& name : set->Names()) os << "<li>" << name << "</li>\n";
  }
  os << "</ul>\n</body></html>\n";
  return os.str();
}

}  // namespace netstat::daemon
