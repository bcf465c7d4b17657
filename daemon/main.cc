// netstat_exporter: parses flags and config, starts the HTTP server, then waits for
// signals on the main thread (SIGHUP reloads, SIGTERM/SIGINT stop after in-flight scrapes).
// With --once it collects one time instead (daemon/once.h) and exits.
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "config/config_loader.h"
#include "daemon/flags.h"
#include "daemon/http_server.h"
#include "daemon/logging.h"
#include "daemon/once.h"
#include "daemon/privileges.h"
#include "daemon/runner.h"
#include "daemon/settings.h"

namespace netstat::daemon {
namespace {

constexpr int kExitUsage = 2;

// As Go programs do: the soft open-file limit goes up to the hard one, so that the HTTP
// front (which sizes its connection limit from it) and big fd walks have room.
void RaiseFileLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

void Reload(const Flags& flags, Runner* runner) {
  try {
    config::Config c = LoadSettings(flags);
    SetupLogging(c.log.level, c.log.format);
    auto set = BuildCollectors(c, flags, runner->Current().get());  // adopts what lasts
    set->StartBackground();
    runner->Install(std::move(set));
    runner->SetReloadStatus(true);
    spdlog::info("configuration reloaded; collectors={} (web settings apply at restart)",
                 Join(EnabledCollectors(c, flags)));
  } catch (const std::exception& e) {
    runner->SetReloadStatus(false);
    spdlog::error("reload failed, keeping the running configuration: {}", e.what());
  }
}

int Run(int argc, char** argv) {
  // One malloc arena for every thread. glibc gives each thread that allocates its own
  // (up to 8 per core), and each HTTP worker that serialised a scrape kept ~1 MB of it:
  // 20 MB resident after a few dozen scrapes instead of 13 MB, for no speed gained,
  // since scrapes run one at a time.
  mallopt(M_ARENA_MAX, 1);
  Flags flags;
  config::Config config;
  try {
    flags = ParseFlags(std::vector<std::string>(argv + 1, argv + argc));
    if (flags.help) {
      // The base name: the same text wherever the binary is (help2man's man page).
      const std::string program = argv[0];
      std::cout << HelpText(program.substr(program.rfind('/') + 1));
      return 0;
    }
    if (flags.version) {
      std::cout << VersionText();
      return 0;
    }
    config = LoadSettings(flags);
  } catch (const UsageError& e) {
    std::cerr << "netstat_exporter: " << e.what() << "\n";
    return kExitUsage;
  } catch (const config::ConfigError& e) {
    std::cerr << "netstat_exporter: " << e.what() << "\n";
    return kExitUsage;
  }
  if (flags.config_check) {
    std::cout << "netstat_exporter: configuration "
              << (config.source.empty() ? "(built-in defaults)" : config.source)
              << " is valid; collectors: " << Join(EnabledCollectors(config, flags)) << "\n";
    return 0;
  }

  SetupLogging(config.log.level, config.log.format);
  if (flags.once) return CollectOnce(config, flags);
  // Block the signals before any thread starts, so that only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit();

  auto runner = std::make_shared<Runner>();
  auto set = BuildCollectors(config, flags);
  set->StartBackground();
  runner->Install(set);
  runner->SetReloadStatus(true);

  std::unique_ptr<HttpServer> server;
  try {
    server = std::make_unique<HttpServer>(config.web, runner);
  } catch (const BindError& e) {
    spdlog::error("{}", e.what());
    std::cerr << "netstat_exporter: " << e.what() << "\n";
    return 1;
  }
  spdlog::info("listening address={} port={} telemetry_path={} collectors={}",
               config.web.listen_address, server->port(), config.web.telemetry_path,
               Join(set->Names()));
  // Kept for the whole run: a reload that turns namespaces.mode to all later reads the
  // other namespaces from /proc/PID/net when setns is no longer allowed.
  DropUnneededCapabilities(set->Names(),
                           config.namespaces.mode == config::NamespacesConfig::Mode::kAll);
  set.reset();

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", flags.config_file.value_or("(no config file)"));
      Reload(flags, runner.get());
      continue;
    }
    spdlog::info("signal {}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  server.reset();  // waits for in-flight requests
  runner->Install(nullptr);
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace netstat::daemon

int main(int argc, char** argv) { return netstat::daemon::Run(argc, argv); }
