// Files created beneath the TFTP upload directory (opt-in, [tftp] upload_dir).
// The directory is opened once (O_PATH) at start; every file is created with
// openat2(RESOLVE_BENEATH) and O_CREAT|O_EXCL|O_NOFOLLOW, so a name can
// neither leave the directory nor replace or follow anything that exists.
// Writes are blocking pwrite calls on the worker thread: uploads are an
// opt-in, low-volume feature, and one block (at most 64 KiB) to the page
// cache is short; a slow disk does stall that worker's other transfers.
// A file that is not completed is removed (unlinkat) on abort.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace ringboot::io {

enum class CreateError { none, exists, not_found, access, too_many, other };
std::string_view to_string(CreateError e);

class UploadDir {
 public:
  // Opens `path` (a directory); nullptr with *error set on failure.
  static std::unique_ptr<UploadDir> open(const std::string& path, std::string* error);
  ~UploadDir();
  UploadDir(const UploadDir&) = delete;
  UploadDir& operator=(const UploadDir&) = delete;

  // Creates `relative` (already normalised) for writing, mode 0640; the fd,
  // or -1 with *error set. An existing file is CreateError::exists.
  int create(std::string_view relative, CreateError* error);
  // pwrite all of `data` at `offset`; false on any error.
  static bool write(int fd, std::uint64_t offset, Bytes data);
  // Closes `fd`; removes the file unless `keep`.
  void close(int fd, std::string_view relative, bool keep);

 private:
  UploadDir() = default;
  int dir_fd_ = -1;
};

}  // namespace ringboot::io
