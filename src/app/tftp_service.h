// TFTP on one worker's ring: the listening socket, a fixed pool of session
// slots (each with its own socket, as RFC 1350 transfer IDs require), the
// session timers and the shared file cache. Protocol decisions are the pure
// engine's (src/tftp); this file only moves bytes and owns resources.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/config.h"
#include "app/fleet_service.h"
#include "base/log.h"
#include "base/rate_limit.h"
#include "base/time.h"
#include "base/timer_heap.h"
#include "io/file.h"
#include "io/ring.h"
#include "io/udp.h"
#include "io/upload_file.h"
#include "tftp/admission.h"
#include "tftp/counters.h"
#include "tftp/session.h"
#include "tftp/upload.h"

namespace ringboot {

class TftpService {
 public:
  // `fleet`: told of each admitted read's peer (the machine last seen at
  // that address), and asked for GRUB's config names no file answers.
  // `http_port`: the HTTP listener's port (0: none), for the URLs of a
  // GRUB config served over TFTP.
  TftpService(io::Ring& ring, const Tick& tick, io::BufferRing& buffers, io::FileCache& files,
              const TftpSettings& settings, std::uint32_t sessions_max, tftp::TftpCounters& counters,
              SharedFleet* fleet, std::uint16_t http_port = 0);
  ~TftpService();
  bool start(std::string* error);
  void on_completion(const io::Completion& c, Instant now);
  Instant next_deadline() const { return timers_.next(); }
  void on_timers(Instant now);
  // SIGHUP: new tunables for new work; listeners and bounds stay as started.
  void reload(const TftpSettings& settings);
  std::size_t active() const { return slots_.size() - free_.size(); }
  // Shutdown: no new transfers; those in flight go on.
  void stop_accepting();

 private:
  struct Slot {
    std::optional<tftp::Session> session;
    std::optional<tftp::Upload> upload;  // a write transfer instead (upload_dir set)
    int upload_fd = -1;                  // the file being written beneath the upload dir
    int fd = -1;
    std::uint32_t generation = 0;
    io::OpenFile* file = nullptr;
    // The bytes sent when not the file's: a netascii translation, or a
    // rendered GRUB config (then file is nullptr).
    std::vector<std::uint8_t> netascii;
    Endpoint peer;
    std::string filename;
    bool busy() const { return session.has_value() || upload.has_value(); }
  };
  class Sink;
  class UploadSink;

  void on_listen(const io::Completion& c, Instant now);
  void on_session(const io::Completion& c, Instant now);
  void on_send(const io::Completion& c);
  void handle_request(const io::Datagram& d, Instant now);
  void handle_upload(const io::Datagram& d, const tftp::Request& request, Instant now);
  void end_upload(std::uint32_t index, Instant now);
  void refuse(const io::Datagram& d, tftp::ErrorCode code, std::string_view message);
  void finish_if_done(std::uint32_t index, Instant now);
  void end_session(std::uint32_t index, Instant now);
  std::optional<std::string> admit(const io::Datagram& d, const tftp::Request& request, std::string_view direction,
                                   Instant now);
  int open_transfer_socket(const io::Datagram& d, const std::string& path, std::string_view direction, Instant now);
  std::uint32_t claim_slot(const io::Datagram& d, int fd, const std::string& path);
  void count_options(const tftp::Negotiated& n);
  void count_result(tftp::Result result, double elapsed_seconds, std::uint64_t bytes, std::uint64_t retransmits,
                    std::uint64_t timer_resends, std::uint64_t ignored);
  void close_transfer(std::uint32_t index);
  void release_slot(std::uint32_t index);
  std::uint32_t take_slot();
  void free_slot(std::uint32_t index);
  tftp::SessionConfig session_config(int ifindex, bool v6);
  const std::uint8_t* content(const Slot& slot) const;

  io::Ring& ring_;
  const Tick& tick_;
  SharedFleet* fleet_;
  std::uint16_t http_port_;
  io::BufferRing& buffers_;
  io::FileCache& files_;
  std::unique_ptr<io::UploadDir> upload_dir_;  // null: uploads off
  TftpSettings settings_;
  tftp::TftpCounters& counters_;
  io::UdpSendPool sends_;
  tftp::Admission admission_;
  RateLimiter rate_limiter_;
  TimerHeap timers_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::unordered_map<int, int> mtu_by_interface_;
  std::vector<int> listen_fds_;  // one per [tftp] listen address; a completion's Tag index is the position
  int request_fd_ = -1;          // the listener of the request being handled: refusals go out of it
  LogThrottle refusals_;         // a request flood must not become a log flood
};

}  // namespace ringboot
