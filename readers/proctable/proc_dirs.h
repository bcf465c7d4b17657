// The two directory reads every /proc/*/fd walk needs: the pids of a procfs tree, and
// the socket inode an fd link leads to.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace netstat::proctable {

// The numeric entries of `procfs`, ascending; empty when it cannot be read.
std::vector<int32_t> ListPids(const std::string& procfs);

// The socket inode the fd link `name` in the directory `dirfd` leads to, or 0 for
// anything else (or an fd closed meanwhile).
uint64_t SocketInodeAt(int dirfd, const char* name);

// A decimal pid or fd number; false for anything else.
bool ParseDecimal(const char* s, int32_t* out);

}  // namespace netstat::proctable
