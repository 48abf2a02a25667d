// Dropping root after the privileged ports are bound.
#pragma once

#include <optional>
#include <string>

namespace ringboot::io {

bool running_as_root();
// PR_SET_NO_NEW_PRIVS: set before threads start, since it is per thread.
void forbid_new_privileges();
// Switches every thread of the process to `user` (its uid, gid and no
// supplementary groups) and forbids regaining privileges. False with *error.
bool drop_privileges(const std::string& user, std::string* error);

struct UserIds {
  unsigned uid = 0;
  unsigned gid = 0;
};
// The uid and primary gid of `user`; nullopt with *error when there is none.
std::optional<UserIds> lookup_user(const std::string& user, std::string* error);

}  // namespace ringboot::io
