#include "io/upload_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringboot::io {

std::string_view to_string(CreateError e) {
  switch (e) {
    case CreateError::none:
      return "none";
    case CreateError::exists:
      return "exists";
    case CreateError::not_found:
      return "not_found";
    case CreateError::access:
      return "access";
    case CreateError::too_many:
      return "too_many";
    case CreateError::other:
      return "other";
  }
  return "other";
}

std::unique_ptr<UploadDir> UploadDir::open(const std::string& path, std::string* error) {
  const int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    *error = "upload dir " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<UploadDir> dir(new UploadDir());
  dir->dir_fd_ = fd;
  return dir;
}

UploadDir::~UploadDir() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

int UploadDir::create(std::string_view relative, CreateError* error) {
  *error = CreateError::none;
  const std::string path(relative);
  if (path.empty() || path.find('\0') != std::string::npos) {
    *error = CreateError::access;
    return -1;
  }
  open_how how{};
  how.flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
  how.mode = 0640;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const long rc = syscall(SYS_openat2, dir_fd_, path.c_str(), &how, sizeof how);
  if (rc >= 0) return static_cast<int>(rc);
  switch (errno) {
    case EEXIST:
      *error = CreateError::exists;
      break;
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
      *error = CreateError::not_found;
      break;
    case EXDEV:
    case ELOOP:
    case EACCES:
    case EPERM:
    case EROFS:
    case EISDIR:
      *error = CreateError::access;
      break;
    case EMFILE:
    case ENFILE:
      *error = CreateError::too_many;
      break;
    default:
      *error = CreateError::other;
      break;
  }
  return -1;
}

bool UploadDir::write(int fd, std::uint64_t offset, Bytes data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void UploadDir::close(int fd, std::string_view relative, bool keep) {
  if (fd >= 0) ::close(fd);
  if (keep) return;
  // The parent is resolved beneath the directory too, so a symlink swapped
  // into the path meanwhile cannot make this unlink anything outside it.
  const std::string path(relative);
  const auto slash = path.rfind('/');
  int parent = dir_fd_;
  if (slash != std::string::npos) {
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
    const long rc = syscall(SYS_openat2, dir_fd_, path.substr(0, slash).c_str(), &how, sizeof how);
    if (rc < 0) return;
    parent = static_cast<int>(rc);
  }
  unlinkat(parent, path.c_str() + (slash == std::string::npos ? 0 : slash + 1), 0);
  if (parent != dir_fd_) ::close(parent);
}

}  // namespace ringboot::io
