#include "daemon/http_server.h"

#include <CivetServer.h>
#include <civetweb.h>
#include <crypt.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <sstream>

#include "config/values.h"
#include "daemon/tcp_relay.h"
#include "daemon/version.h"

namespace netstat::daemon {
namespace {

std::atomic<HttpServer*> g_server{nullptr};  // CivetWeb callbacks carry no user pointer

std::string Base64Decode(const std::string& in) {
  std::string out;
  int bits = 0;
  unsigned value = 0;
  for (char c : in) {
    int d;
    if (c >= 'A' && c <= 'Z')
      d = c - 'A';
    else if (c >= 'a' && c <= 'z')
      d = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      d = c - '0' + 52;
    else if (c == '+')
      d = 62;
    else if (c == '/')
      d = 63;
    else if (c == '=')
      break;
    else
      return "";
    value = (value << 6) | static_cast<unsigned>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((value >> bits) & 0xff));
    }
  }
  return out;
}

bool SameString(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

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
    : web_(web), runner_(std::move(runner)) {
  const auto addr = config::ParseListenAddress(web.listen_address);
  const bool tls = !web.tls_cert_file.empty();
  // CivetWeb serves IPv4 plain HTTP itself; IPv6 and TLS go through TcpRelay to a
  // CivetWeb port on 127.0.0.1 (see tcp_relay.h for why).
  const bool behind_relay = tls || addr.host.find(':') != std::string::npos;
  const std::string civet_ports =
      behind_relay ? "127.0.0.1:0"
                   : (addr.host.empty() ? "" : addr.host + ":") + std::to_string(addr.port);
  static CivetCallbacks callbacks;
  callbacks.begin_request = &HttpServer::BeginRequest;
  callbacks.log_message = [](const mg_connection*, const char* message) {
    spdlog::warn("http: {}", message);
    return 1;
  };
  g_server = this;
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", civet_ports, "num_threads", "4",
                                 "request_timeout_ms", "30000"},
        &callbacks);
  } catch (const std::exception& e) {
    g_server = nullptr;
    throw BindError("cannot listen on " + web.listen_address +
                    ": the address is in use, not local, or needs privileges (" + e.what() + ")");
  }
  exposer_->RegisterCollectable(runner_, web.telemetry_path);
  const auto ports = exposer_->GetListeningPorts();
  const int civet_port = ports.empty() ? 0 : ports.front();
  port_ = civet_port;

  const TcpRelay::Tls tls_files{web.tls_cert_file, web.tls_key_file};
  try {
    if (behind_relay) {
      const std::string first = addr.host.empty() ? "0.0.0.0" : addr.host;
      relays_.push_back(
          std::make_unique<TcpRelay>(first, addr.port, civet_port, tls ? &tls_files : nullptr));
      port_ = relays_.front()->port();
    }
  } catch (const std::exception& e) {
    exposer_.reset();
    g_server = nullptr;
    throw BindError("cannot listen on " + web.listen_address + ": " + e.what());
  }
  if (addr.host.empty()) {
    // ":PORT" means every address: IPv6 too, where the host has it.
    try {
      relays_.push_back(
          std::make_unique<TcpRelay>("::", port_, civet_port, tls ? &tls_files : nullptr));
    } catch (const std::exception& e) {
      spdlog::warn("not listening on [::]:{} (IPv6): {}", port_, e.what());
    }
  }
}

HttpServer::~HttpServer() {
  relays_.clear();   // no new connections; open ones end
  exposer_.reset();  // stops CivetWeb, letting in-flight requests finish
  g_server = nullptr;
}

int HttpServer::BeginRequest(mg_connection* conn) {
  Runner::MarkRequestArrival();
  HttpServer* self = g_server.load();
  return self ? self->Handle(conn) : 0;
}

int HttpServer::Handle(mg_connection* conn) {
  const mg_request_info* ri = mg_get_request_info(conn);
  const std::string uri = ri->local_uri ? ri->local_uri : "";
  if (!Authorized(conn)) {
    Send(conn, 401, "Unauthorized", "text/plain; charset=utf-8", "Unauthorized\n",
         "WWW-Authenticate: Basic realm=\"netstat_exporter\"\r\n");
    return 401;
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

bool HttpServer::Authorized(mg_connection* conn) {
  if (web_.basic_auth_users.empty()) return true;
  const char* header = mg_get_header(conn, "Authorization");
  if (!header || std::strncmp(header, "Basic ", 6) != 0) return false;
  const std::string pair = Base64Decode(header + 6);
  const auto colon = pair.find(':');
  if (colon == std::string::npos) return false;
  const std::string user = pair.substr(0, colon), password = pair.substr(colon + 1);
  auto hash = web_.basic_auth_users.find(user);
  if (hash == web_.basic_auth_users.end()) return false;
  std::lock_guard lk(auth_mu_);
  // bcrypt is slow on purpose; remember the password that matched so that a scrape
  // every few seconds does not pay for it each time.
  if (auto v = verified_.find(user); v != verified_.end()) return SameString(v->second, password);
  crypt_data data{};
  const char* out = crypt_r(password.c_str(), hash->second.c_str(), &data);
  if (!out || !SameString(out, hash->second)) return false;
  verified_[user] = password;
  return true;
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
