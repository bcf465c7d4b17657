#include "daemon/http_server.h"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "config/values.h"
#include "daemon/version.h"

namespace netstat::daemon {
namespace {

std::atomic<HttpServer*> g_server{nullptr};  // CivetWeb callbacks carry no user pointer

void Send(mg_connection* conn, int status, const char* reason, const char* type,
          const std::string& body, const char* extra_header = "") {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
            "Connection: close\r\n\r\n",
            status, reason, type, body.size(), extra_header);
  mg_write(conn, body.data(), body.size());
}

}  // namespace

HttpServer::HttpServer(const config::WebConfig& web, std::shared_ptr<Runner> runner)
    : web_(web), runner_(std::move(runner)), auth_(web.basic_auth_users) {
  const auto addr = config::ParseListenAddress(web.listen_address);
  static CivetCallbacks callbacks;
  callbacks.begin_request = &HttpServer::BeginRequest;
  callbacks.log_message = [](const mg_connection*, const char* message) {
    spdlog::warn("http: {}", message);
    return 1;
  };
  g_server = this;
  // CivetWeb only ever sees whole requests from the front, over loopback, one per
  // connection: its threads are never held by a slow client, and its timeout is a
  // safety net.
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", "127.0.0.1:0", "num_threads", "8",
                                 "request_timeout_ms", "5000"},
        &callbacks);
  } catch (const std::exception& e) {
    g_server = nullptr;
    throw BindError(std::string("cannot start the HTTP server on 127.0.0.1: ") + e.what());
  }
  exposer_->RegisterCollectable(runner_, web.telemetry_path);
  const auto ports = exposer_->GetListeningPorts();
  civet_port_ = ports.empty() ? 0 : ports.front();

  HttpFront::Options options;
  options.upstream_port = civet_port_;
  options.tls_cert_file = web.tls_cert_file;
  options.tls_key_file = web.tls_key_file;
  try {
    front_ = std::make_unique<HttpFront>(options);
  } catch (const std::exception& e) {  // the TLS files: the message names them
    StopCivetWeb();
    g_server = nullptr;
    throw BindError(e.what());
  }
  try {
    port_ = front_->Listen(addr.host.empty() ? "0.0.0.0" : addr.host, addr.port);
  } catch (const std::exception& e) {
    front_.reset();
    StopCivetWeb();
    g_server = nullptr;
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
  spdlog::debug("http: front accepts up to {} connections; CivetWeb on 127.0.0.1:{}",
                front_->max_connections(), civet_port_);
}

HttpServer::~HttpServer() {
  front_.reset();  // no new connections; requests already with CivetWeb finish
  StopCivetWeb();
  g_server = nullptr;
}

// CivetWeb's stop waits for its accept thread, which only looks at the stop flag between
// polls of its listening socket. Knocking on that (loopback, private) port wakes it at
// once instead of at the end of its poll.
void HttpServer::StopCivetWeb() {
  std::atomic<bool> stopped{false};
  std::thread knock([&] {
    for (int i = 0; i < 100 && !stopped; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(civet_port_));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      (void)!::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
      ::close(fd);
    }
  });
  exposer_.reset();
  stopped = true;
  knock.join();
}

int HttpServer::BeginRequest(mg_connection* conn) {
  Runner::MarkRequestArrival();
  HttpServer* self = g_server.load();
  return self ? self->Handle(conn) : 0;
}

int HttpServer::Handle(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  const std::string uri = ri->local_uri ? ri->local_uri : "";
  switch (auth_.Check(mg_get_header(conn, "Authorization"))) {
    case BasicAuth::Result::kAllowed:
      break;
    case BasicAuth::Result::kDenied:
      Send(conn, 401, "Unauthorized", "text/plain; charset=utf-8", "Unauthorized\n",
           "WWW-Authenticate: Basic realm=\"netstat_exporter\"\r\n");
      return 401;
    case BasicAuth::Result::kBusy:
      Send(conn, 429, "Too Many Requests", "text/plain; charset=utf-8",
           "Too Many Requests: another login is being checked\n", "Retry-After: 1\r\n");
      return 429;
  }
  if (uri == web_.telemetry_path) return 0;  // the Exposer's handler
  if (std::strcmp(ri->request_method, "GET") != 0 && std::strcmp(ri->request_method, "HEAD") != 0) {
    Send(conn, 405, "Method Not Allowed", "text/plain; charset=utf-8", "Method Not Allowed\n");
    return 405;
  }
  if (uri == "/") {
    Send(conn, 200, "OK", "text/html; charset=utf-8", LandingPage());
    return 200;
  }
  if (uri == "/-/healthy") {
    Send(conn, 200, "OK", "text/plain; charset=utf-8", "Healthy.\n");
    return 200;
  }
  if (uri == "/-/ready") {
    Send(conn, 200, "OK", "text/plain; charset=utf-8", "Ready.\n");
    return 200;
  }
  Send(conn, 404, "Not Found", "text/plain; charset=utf-8", "Not Found\n");
  return 404;
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
