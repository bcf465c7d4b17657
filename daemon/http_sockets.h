// The sockets under the HTTP front: its listening sockets, its TLS context, and how many
// connections the open-file limit leaves room for.
#pragma once

#include <cstddef>
#include <string>

namespace netstat::daemon {

struct ListeningSocket {
  int fd = -1;  // non-blocking, close-on-exec, listening
  int port = 0;
};

// Binds host:port ("::" and other IPv6 addresses bind IPv6 only) and listens. Throws
// std::runtime_error with the reason.
ListeningSocket BindListeningSocket(const std::string& host, int port);

// An SSL_CTX* (TLS 1.2 and later) with the certificate chain and key, opaque so that the
// front's header needs no OpenSSL. Throws std::runtime_error naming the files.
void* MakeTlsContext(const std::string& cert, const std::string& key);

// A connection holds one fd; a quarter of the limit stays for the collectors (netlink
// sockets, /proc files, namespace handles, BPF objects). At most 16,384.
size_t ConnectionsForFileLimit();

}  // namespace netstat::daemon
