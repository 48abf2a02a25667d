// Packets a client sends on a session socket (DATA, ACK, ERROR, or junk).
#include <cstdint>
#include <variant>

#include "tftp/options.h"
#include "tftp/packet.h"

using namespace ringboot;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const tftp::SessionPacket packet = tftp::parse_packet(Bytes(data, size));
  if (const auto* d = std::get_if<tftp::Data>(&packet)) {
    if (d->payload.data() + d->payload.size() > data + size) __builtin_trap();  // must view into the datagram
  } else if (const auto* e = std::get_if<tftp::ErrorPacket>(&packet)) {
    if (!e->message.empty() && (e->message.data() < reinterpret_cast<const char*>(data) ||
                                e->message.data() + e->message.size() > reinterpret_cast<const char*>(data) + size))
      __builtin_trap();
  }
  (void)tftp::parse_decimal(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
