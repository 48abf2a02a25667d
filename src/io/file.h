// Files beneath the boot root. Every open goes through openat2 with
// RESOLVE_BENEATH: `..`, absolute paths, symlinks and magic links that would
// leave the root are refused by the kernel, whatever the path text says.
// Opened files are shared: all sessions reading one file use one read-only
// mapping and one descriptor (refcounted), so timers and descriptors scale
// with sessions, not with files.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/bytes.h"

namespace ringboot::io {

enum class OpenError { none, not_found, access, not_regular, too_many, other };
std::string_view to_string(OpenError e);

struct FileStat {
  std::uint64_t size = 0;
  std::int64_t mtime_sec = 0;
  std::int64_t mtime_nsec = 0;
  std::uint64_t inode = 0;
  std::uint64_t device = 0;
};

class FileCache;

// A shared open file. Stays valid while referenced.
struct OpenFile {
  int fd = -1;
  FileStat stat;
  Bytes data;  // whole-file read-only mapping (empty for size 0)
  std::uint32_t references = 0;
  std::list<OpenFile*>::iterator idle_position;  // in the idle list when unreferenced
  bool idle = false;
};

class FileCache {
 public:
  // root: the boot root directory. idle_max: unreferenced files kept open.
  static std::unique_ptr<FileCache> create(const std::string& root, std::size_t open_max, std::size_t idle_max,
                                           std::string* error);
  ~FileCache();
  FileCache(const FileCache&) = delete;
  FileCache& operator=(const FileCache&) = delete;

  // Opens `relative` beneath the root (already normalised by the protocol)
  // and returns a referenced file, or nullptr with *error set.
  OpenFile* open(std::string_view relative, OpenError* error, bool map = true);
  void retain(OpenFile* file) { ++file->references; }
  void release(OpenFile* file);
  // Reads bytes [offset, offset+length) with pread (for copies that must not
  // fault on a truncated mapping, e.g. netascii translation).
  bool read(const OpenFile& file, std::uint64_t offset, MutableBytes out) const;
  std::size_t open_count() const { return files_.size(); }
  int root_fd() const { return root_fd_; }

 private:
  FileCache() = default;
  struct Key {
    std::uint64_t device, inode, size;
    std::int64_t mtime_sec, mtime_nsec;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<std::uint64_t>{}(k.inode * 31 + k.device) ^
             std::hash<std::int64_t>{}(k.mtime_nsec + k.mtime_sec);
    }
  };
  void destroy(OpenFile* file);

  int root_fd_ = -1;
  std::size_t open_max_ = 0;
  std::size_t idle_max_ = 0;
  std::unordered_map<Key, std::unique_ptr<OpenFile>, KeyHash> files_;
  std::list<OpenFile*> idle_;  // least recently released first
};

}  // namespace ringboot::io
