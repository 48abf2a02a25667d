#include "io/file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringboot::io {

std::string_view to_string(OpenError e) {
  switch (e) {
    case OpenError::none:
      return "none";
    case OpenError::not_found:
      return "not_found";
    case OpenError::access:
      return "access";
    case OpenError::not_regular:
      return "not_regular";
    case OpenError::too_many:
      return "too_many";
    case OpenError::other:
      return "other";
  }
  return "other";
}

std::unique_ptr<FileCache> FileCache::create(const std::string& root, std::size_t open_max, std::size_t idle_max,
                                             std::string* error) {
  const int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    *error = "boot root " + root + ": " + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<FileCache> cache(new FileCache());
  cache->root_fd_ = fd;
  cache->open_max_ = open_max;
  cache->idle_max_ = idle_max;
  // Probe openat2 once so an old kernel or a seccomp filter is reported at start.
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_DIRECTORY;
  how.resolve = RESOLVE_BENEATH;
  const long probe = syscall(SYS_openat2, fd, ".", &how, sizeof how);
  if (probe < 0) {
    *error = std::string("openat2 is unavailable (") + std::strerror(errno) +
             "): ringboot needs Linux 5.6+ to confine requests to the boot root";
    return nullptr;
  }
  ::close(static_cast<int>(probe));
  return cache;
}

FileCache::~FileCache() {
  for (auto& [key, file] : files_) {
    if (!file->data.empty()) munmap(const_cast<std::uint8_t*>(file->data.data()), file->data.size());
    ::close(file->fd);
  }
  if (root_fd_ >= 0) ::close(root_fd_);
}

OpenFile* FileCache::open(std::string_view relative, OpenError* error, bool map) {
  *error = OpenError::none;
  const std::string path(relative);
  if (path.empty() || path.find('\0') != std::string::npos) {
    *error = OpenError::access;
    return nullptr;
  }
  open_how how{};
  // O_NONBLOCK: a FIFO planted in the root must not stall the event loop.
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const long rc = syscall(SYS_openat2, root_fd_, path.c_str(), &how, sizeof how);
  if (rc < 0) {
    switch (errno) {
      case ENOENT:
      case ENOTDIR:
      case ENAMETOOLONG:
        *error = OpenError::not_found;
        break;
      case EXDEV:  // RESOLVE_BENEATH: the path leaves the root
      case ELOOP:
      case EACCES:
      case EPERM:
        *error = OpenError::access;
        break;
      case EMFILE:
      case ENFILE:
        *error = OpenError::too_many;
        break;
      default:
        *error = OpenError::other;
        break;
    }
    return nullptr;
  }
  const int fd = static_cast<int>(rc);
  struct stat st {};
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    *error = S_ISDIR(st.st_mode) ? OpenError::not_found : OpenError::not_regular;
    return nullptr;
  }
  const Key key{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
  if (auto it = files_.find(key); it != files_.end()) {
    ::close(fd);
    OpenFile* file = it->second.get();
    if (file->idle) {
      idle_.erase(file->idle_position);
      file->idle = false;
    }
    if (map && file->data.empty() && file->stat.size > 0) {
      void* m = mmap(nullptr, file->stat.size, PROT_READ, MAP_SHARED, file->fd, 0);
      if (m != MAP_FAILED) file->data = Bytes(static_cast<const std::uint8_t*>(m), file->stat.size);
    }
    ++file->references;
    return file;
  }
  if (files_.size() >= open_max_) {
    // Make room from the idle list; if every open file is in use, refuse.
    if (idle_.empty()) {
      ::close(fd);
      *error = OpenError::too_many;
      return nullptr;
    }
    destroy(idle_.front());
  }
  auto file = std::make_unique<OpenFile>();
  file->fd = fd;
  file->stat = FileStat{key.size, key.mtime_sec, key.mtime_nsec, key.inode, key.device};
  if (map && key.size > 0) {
    void* m = mmap(nullptr, key.size, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      *error = OpenError::other;
      return nullptr;
    }
    madvise(m, key.size, MADV_SEQUENTIAL);
    file->data = Bytes(static_cast<const std::uint8_t*>(m), key.size);
  }
  file->references = 1;
  OpenFile* raw = file.get();
  files_.emplace(key, std::move(file));
  return raw;
}

void FileCache::release(OpenFile* file) {
  if (--file->references > 0) return;
  file->idle = true;
  file->idle_position = idle_.insert(idle_.end(), file);
  while (idle_.size() > idle_max_) destroy(idle_.front());
}

void FileCache::destroy(OpenFile* file) {
  if (file->idle) idle_.erase(file->idle_position);
  if (!file->data.empty()) munmap(const_cast<std::uint8_t*>(file->data.data()), file->data.size());
  ::close(file->fd);
  const FileStat& s = file->stat;
  files_.erase(Key{s.device, s.inode, s.size, s.mtime_sec, s.mtime_nsec});
}

bool FileCache::read(const OpenFile& file, std::uint64_t offset, MutableBytes out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = pread(file.fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace ringboot::io
