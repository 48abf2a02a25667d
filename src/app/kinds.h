// Which owner handles a completion: the `kind` byte of every io::Tag.
#pragma once

#include <cstdint>

namespace ringboot {

enum Kind : std::uint8_t {
  kIgnore = 0,  // cancellations and other fire-and-forget operations
  kTftpListen,
  kTftpSession,
  kTftpSend,
  kHttpAccept,
  kHttpReceive,
  kHttpSend,
  kHttpPoll,  // socket writable again
  kDhcpReceive,
  kDhcpSend,
  kDhcp6Receive,
  kDhcp6Send,
};

}  // namespace ringboot
