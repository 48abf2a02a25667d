#include "io/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ringboot::io {
namespace {

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string describe(const std::string& what, const std::string& path, int err) {
  if (err == ENOENT) return what + " " + path + ": directory " + directory_of(path) + " does not exist";
  return what + " " + path + ": " + std::strerror(err);
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

bool journal_directory_ensure(const std::string& path, const std::optional<UserIds>& owner, std::string* error,
                              std::string_view what, std::string_view key) {
  const std::string directory = directory_of(path);
  const std::string subject = std::string(what) + " " + path;
  struct stat st {};
  if (::stat(directory.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return true;
    *error = subject + ": " + directory + " is not a directory";
    return false;
  }
  if (::mkdir(directory.c_str(), 0750) < 0 && errno != EEXIST) {
    *error = subject + ": cannot create directory " + directory + ": " + std::strerror(errno) +
             (errno == ENOENT ? " (its parent does not exist: create it, or set " + std::string(key) + " elsewhere)"
                              : std::string());
    return false;
  }
  if (owner && ::chown(directory.c_str(), owner->uid, owner->gid) < 0) {
    *error = subject + ": cannot give " + directory + " to the --user: " + std::strerror(errno);
    return false;
  }
  // The new directory's entry survives a power cut with what is written in it.
  const int parent = ::open(directory_of(directory).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent >= 0) {
    (void)::fsync(parent);
    ::close(parent);
  }
  return true;
}

bool file_ensure_private(const std::string& path, std::string* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    *error = describe("file", path, errno);
    return false;
  }
  ::close(fd);
  return true;
}

int directory_lock(const std::string& directory, std::string* error) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    *error = "state_dir " + directory + ": " + std::strerror(errno);
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) < 0) {
    const int err = errno;
    *error = "state_dir " + directory +
             (err == EWOULDBLOCK ? std::string(" is in use by another ringboot (one ringboot per state_dir)")
                                 : ": cannot lock it: " + std::string(std::strerror(err)));
    ::close(fd);
    return -1;
  }
  return fd;
}

int journal_open(const std::string& path, std::string* error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) *error = describe("lease file", path, errno);
  return fd;
}

bool journal_append(int fd, std::string_view bytes, std::string* error) {
  if (!write_all(fd, bytes) || ::fdatasync(fd) < 0) {
    *error = std::string("lease file append: ") + std::strerror(errno);
    return false;
  }
  return true;
}

int journal_replace(const std::string& path, std::string_view content, std::string* error) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    *error = describe("lease file", temporary, errno);
    return -1;
  }
  if (!write_all(fd, content) || ::fsync(fd) < 0 || ::rename(temporary.c_str(), path.c_str()) < 0) {
    *error = describe("lease file compaction", temporary, errno);
    ::close(fd);
    (void)::unlink(temporary.c_str());
    return -1;
  }
  // The rename is durable only once the directory entry is.
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
  return fd;
}

bool read_file(const std::string& path, std::string* out, std::string* error) {
  out->clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return true;
    *error = describe("lease file", path, errno);
    return false;
  }
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = describe("lease file read", path, errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out->append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return true;
}

void journal_close(int fd) {
  if (fd >= 0) ::close(fd);
}

}  // namespace ringboot::io
