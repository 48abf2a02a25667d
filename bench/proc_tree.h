// bench/proc_tree.h: a server's CPU seconds and peak RSS over its process tree, from /proc (ringboot-bench's
// TFTP storm and its boot storm both report them).
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace bench {

struct ProcSample {
  double cpu_s = 0;  // utime+stime+cutime+cstime of the root, plus utime+stime of live descendants
  long hwm_kb = 0;   // sum of VmHWM over the tree
  long rss_kb = 0;   // sum of VmRSS over the tree
  int procs = 0;
};

inline bool read_stat(int pid, int* ppid, double* own, double* children) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = std::fopen(path, "r");
  if (!f) return false;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  char* p = std::strrchr(buf, ')');
  if (!p) return false;
  // fields after ")": 3 state, 4 ppid, ... 14 utime, 15 stime, 16 cutime, 17 cstime
  char state;
  int pp;
  unsigned long long v[14];
  if (std::sscanf(p + 2, "%c %d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &state, &pp, &v[0], &v[1],
                  &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]) != 14)
    return false;
  double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  *ppid = pp;
  // v[0]=pgrp(5) v[1]=session(6) v[2]=tty(7) v[3]=tpgid(8) v[4]=flags(9) v[5]=minflt(10) v[6]=cminflt(11)
  // v[7]=majflt(12) v[8]=cmajflt(13) v[9]=utime(14) v[10]=stime(15) v[11]=cutime(16)
  *own = static_cast<double>(v[9] + v[10]) / hz;
  // cstime is field 17: read it separately
  unsigned long long cstime = 0;
  {
    char* q = p + 2;
    int field = 3;
    while (*q && field < 17) {
      if (*q == ' ') ++field;
      ++q;
    }
    cstime = std::strtoull(q, nullptr, 10);
  }
  *children = static_cast<double>(v[11] + cstime) / hz;
  return true;
}

inline void read_status(int pid, long* hwm, long* rss) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE* f = std::fopen(path, "r");
  if (!f) return;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmHWM:", 6) == 0)
      *hwm += std::atol(line + 6);
    else if (std::strncmp(line, "VmRSS:", 6) == 0)
      *rss += std::atol(line + 6);
  }
  std::fclose(f);
}

inline ProcSample sample_tree(int root) {
  ProcSample s;
  if (root <= 0) return s;
  int ppid;
  double own, ch;
  if (!read_stat(root, &ppid, &own, &ch)) return s;
  s.cpu_s = own + ch;
  read_status(root, &s.hwm_kb, &s.rss_kb);
  s.procs = 1;
  // descendants: map ppid -> children over all processes
  std::multimap<int, int> kids;
  std::map<int, double> cpu;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      int pid = std::atoi(e->d_name);
      int pp;
      double o, c;
      if (pid == root || !read_stat(pid, &pp, &o, &c)) continue;
      kids.emplace(pp, pid);
      cpu[pid] = o;
    }
    closedir(d);
  }
  std::vector<int> stack{root};
  while (!stack.empty()) {
    int p = stack.back();
    stack.pop_back();
    auto [b, e] = kids.equal_range(p);
    for (auto it = b; it != e; ++it) {
      s.cpu_s += cpu[it->second];
      read_status(it->second, &s.hwm_kb, &s.rss_kb);
      ++s.procs;
      stack.push_back(it->second);
    }
  }
  return s;
}

// CPU seconds used by a cgroup so far (v1 cpuacct.usage in ns, or v2 cpu.stat usage_usec); < 0 if unreadable.
inline double cgroup_cpu(const std::string& dir) {
  if (dir.empty()) return -1;
  if (FILE* f = std::fopen((dir + "/cpuacct.usage").c_str(), "r")) {
    unsigned long long ns = 0;
    int n = std::fscanf(f, "%llu", &ns);
    std::fclose(f);
    if (n == 1) return static_cast<double>(ns) / 1e9;
  }
  if (FILE* f = std::fopen((dir + "/cpu.stat").c_str(), "r")) {
    char key[64];
    unsigned long long v = 0;
    while (std::fscanf(f, "%63s %llu", key, &v) == 2)
      if (std::strcmp(key, "usage_usec") == 0) {
        std::fclose(f);
        return static_cast<double>(v) / 1e6;
      }
    std::fclose(f);
  }
  return -1;
}

}  // namespace bench
