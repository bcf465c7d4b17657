// netstat_bench_fdwalk: the baseline the listeners benchmark compares against — one bare
// pass over /proc/*/fd reading every link, as `ss -p` does, and nothing else. Prints
// "seconds pids fds sockets".
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

int main() {
  auto start = std::chrono::steady_clock::now();
  long pids = 0, fds = 0, sockets = 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 1;
  char buf[64];
  while (dirent* p = readdir(proc)) {
    if (p->d_name[0] < '1' || p->d_name[0] > '9') continue;
    std::string path = std::string("/proc/") + p->d_name + "/fd";
    int dfd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) continue;
    DIR* d = fdopendir(dfd);
    if (d == nullptr) {
      close(dfd);
      continue;
    }
    ++pids;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      ssize_t n = readlinkat(dfd, e->d_name, buf, sizeof buf);
      ++fds;
      if (n > 7 && std::memcmp(buf, "socket:", 7) == 0) ++sockets;
    }
    closedir(d);
  }
  closedir(proc);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.6f %ld %ld %ld\n", s, pids, fds, sockets);
  return 0;
}
