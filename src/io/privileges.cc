#include "io/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace ringboot::io {

bool running_as_root() { return geteuid() == 0; }

void forbid_new_privileges() { prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }

std::optional<UserIds> lookup_user(const std::string& user, std::string* error) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    *error = "--user " + user + ": no such user";
    return std::nullopt;
  }
  return UserIds{pw.pw_uid, pw.pw_gid};
}

bool drop_privileges(const std::string& user, std::string* error) {
  const std::optional<UserIds> ids = lookup_user(user, error);
  if (!ids) return false;
  // glibc applies set*id to every thread of the process, workers included.
  if (setgroups(0, nullptr) < 0 || setgid(ids->gid) < 0 || setuid(ids->uid) < 0) {
    *error = "--user " + user + ": cannot switch user: " + std::strerror(errno);
    return false;
  }
  if (setuid(0) == 0) {
    *error = "--user " + user + ": root could be regained after the switch";
    return false;
  }
  return true;
}

}  // namespace ringboot::io
