#include "dhcp/engine.h"

#include <fmt/format.h>

#include "base/log.h"

namespace ringboot::dhcp {

namespace {

std::string_view pxe_vendor_class(bool http) { return http ? "HTTPClient" : "PXEClient"; }

// The PXE boot item (43.71) from a request's option 43, if any.
std::optional<Bytes> boot_item(Bytes vendor) {
  ByteReader r(vendor);
  while (!r.empty()) {
    const std::uint8_t code = *r.u8();
    if (code == 0) continue;
    if (code == 255) break;
    auto len = r.u8();
    if (!len) break;
    auto value = r.take(*len);
    if (!value) break;
    if (code == 71) return value;
  }
  return std::nullopt;
}
}  // namespace

// One string, appended in place: it is made for every answered request
// (the log line at info, the fleet's timeline at any level), so no format
// string is parsed and no temporary is built for a field.
std::string format_decision(const Decision& d) {
  std::string out;
  out.reserve(160);
  format_decision_to(out, d);
  return out;
}

void format_decision_to(std::string& out, const Decision& d) {
  out.clear();
  const auto field = [&out](std::string_view name, std::string_view value) {
    out += ' ';
    out += name;
    out += '=';
    append_escaped(out, value);
  };
  const auto quoted = [&out](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    out += ' ';
    out += name;
    out += "=\"";
    append_escaped(out, value);
    out += '"';
  };
  out += to_string(d.received);
  out += "->";
  out += to_string(d.sent);
  out += " mac=";
  d.mac.append_to(out);
  out += " arch=";
  if (d.arch)
    fmt::format_to(std::back_inserter(out), "{}", *d.arch);
  else
    out += '-';
  out += d.ipxe ? " client=ipxe" : " client=firmware";
  field("rule", d.rule != nullptr ? std::string_view(d.rule->name) : std::string_view("-"));
  field("file", d.file.empty() ? std::string_view("-") : d.file);
  if (d.address.value != 0) {
    out += " address=";
    d.address.append_to(out);
  }
  if (d.probing) out += " held=conflict-check";
  quoted("dropped", d.drop_reason);
  quoted("hostname", d.hostname);
  quoted("vendor_class", d.vendor_class);
  quoted("user_class", d.user_class);
}

Engine::Engine(const DhcpConfig& config)
    : config_(config),
      rules_(config.boot),
      leases_(config_.subnets, config_.hosts, config_.leases_max, config_.offer_hold_seconds,
              config_.decline_hold_seconds) {
  if (rules_.empty() && config_.server_address) rules_ = default_boot_rules(*config_.server_address);
  for (std::size_t i = 0; i < config_.hosts.size(); ++i) host_by_mac_[config_.hosts[i].mac.key()] = i;
}

std::nullopt_t Engine::drop(std::string_view reason) {
  decision_.drop_reason = reason;
  counters_.dropped.inc();
  return std::nullopt;
}

void Engine::tick(std::int64_t now_unix) {
  counters_.leases_in_use.set(static_cast<std::int64_t>(leases_.sweep(now_unix)));
}

void Engine::record(JournalSink& sink, const Lease& lease) {
  sink.append(to_journal_line(lease));
  counters_.journal_lines.inc();
}

const BootRule* Engine::match(Ipv4 client_address) {
  const ClientFacts facts = facts_of(packet_, client_address);
  const BootRule* rule = match_boot_rule(rules_, facts);
  decision_.rule = rule;
  if (rule != nullptr) decision_.file = rule->file;
  return rule;
}

bool Engine::conflict(Ipv4 address, std::int64_t now_unix, JournalSink& journal) {
  counters_.conflicts.inc();
  counters_.probes_conflict.inc();
  auto lease = leases_.mark_conflict(address, now_unix);
  if (!lease) return false;
  record(journal, *lease);
  return true;
}

void Engine::count_probe(ProbeOutcome outcome) {
  switch (outcome) {
    case ProbeOutcome::clear:
      counters_.probes_clear.inc();
      break;
    case ProbeOutcome::conflict:
      return;  // conflict() counts it; the OFFER is not sent
    case ProbeOutcome::skipped:
      counters_.probes_skipped.inc();
      break;
    case ProbeOutcome::failed:
      counters_.probes_failed.inc();
      break;
  }
  counters_.offer.inc();  // the held OFFER goes out
}

std::optional<Reply> Engine::handle(Bytes datagram, const Received& rx, std::int64_t now_unix, JournalSink& journal,
                                    bool retry) {
  decision_ = Decision{};
  if (config_.mode == Mode::off) {
    decision_.drop_reason = "dhcp is off";
    return std::nullopt;
  }
  const ParseResult parsed = parse_packet(datagram, packet_);
  if (!parsed.ok()) {
    counters_.malformed_by_reason[static_cast<std::size_t>(parsed.error)].inc();
    decision_.drop_reason = to_string(parsed.error);
    return std::nullopt;
  }
  const Ipv4 server_ip = config_.server_address.value_or(rx.interface_address);
  // Defaults need a server address; without one in the config it is the interface's.
  if (rules_.empty() && config_.boot.empty() && server_ip.value != 0) rules_ = default_boot_rules(server_ip);
  decision_.mac = packet_.mac();
  decision_.arch = packet_.client_arch();
  decision_.ipxe = packet_.is_ipxe();
  decision_.hostname = packet_.hostname();
  decision_.vendor_class = packet_.vendor_class();
  decision_.user_class = packet_.user_class();
  decision_.uuid = packet_.uuid_text();
  decision_.relay = packet_.giaddr;
  if (!rx.from.ip.is_unspecified() && (rx.from.ip == server_ip || rx.from.ip == rx.interface_address)) {
    counters_.from_self.inc();
    return drop("from ourselves");
  }
  const auto type = packet_.message_type();
  if (!type) return drop("BOOTP without DHCP message type");
  decision_.received = *type;
  switch (*type) {
    case MessageType::discover:
      if (!retry) counters_.discover.inc();
      break;
    case MessageType::request:
      if (!retry) counters_.request.inc();
      break;
    case MessageType::release:
      if (!retry) counters_.release.inc();
      break;
    case MessageType::decline:
      if (!retry) counters_.decline.inc();
      break;
    case MessageType::inform:
      if (!retry) counters_.inform.inc();
      break;
    default:
      return drop("not a client message");
  }
  const ClientFacts facts = facts_of(packet_, packet_.ciaddr);
  decision_.arch_class = classify(facts);
  if (!retry && (*type == MessageType::discover || *type == MessageType::request || *type == MessageType::inform))
    counters_.arch_of(decision_.arch_class).inc();
  std::optional<Reply> reply =
      config_.mode == Mode::proxy ? proxy(rx, server_ip, *type) : server(rx, server_ip, *type, now_unix, journal);
  if (reply) {
    decision_.sent = reply->type;
    switch (reply->type) {
      case MessageType::offer:
        if (reply->probe.value == 0) counters_.offer.inc();  // a held OFFER counts when count_probe() lets it go
        break;
      case MessageType::ack:
        counters_.ack.inc();
        break;
      case MessageType::nak:
        counters_.nak.inc();
        break;
      default:
        break;
    }
  }
  return reply;
}

std::optional<Reply> Engine::finish(PacketBuilder& builder, Reply& reply, MessageType type) {
  auto bytes = builder.finish();
  if (!bytes) return drop("reply larger than the client accepts");
  reply.size = bytes->size();
  reply.type = type;
  return std::move(reply);
}

// PXE 2.1 proxyDHCP: boot information only, never an address.
std::optional<Reply> Engine::proxy(const Received& rx, Ipv4 server_ip, MessageType type) {
  const std::string_view vendor = packet_.vendor_class();
  if (!vendor.starts_with("PXEClient") && !vendor.starts_with("HTTPClient")) return drop("not a PXE client");
  const bool boot_server_port = rx.local_port == kPxePort;
  if (boot_server_port ? type != MessageType::request : type != MessageType::discover)
    return drop(type == MessageType::request ? "REQUEST for the address server" : "not for the proxy");
  const BootRule* rule = match(packet_.ciaddr);
  if (rule == nullptr) return drop("no boot rule matched");
  const ClientFacts facts = facts_of(packet_, packet_.ciaddr);
  const bool http = is_http_boot(facts);
  const bool bios = facts.arch.value_or(0) == 0 && !http;
  const Ipv4 next_server = rule->next_server.value_or(server_ip);
  const MessageType reply_type = boot_server_port ? MessageType::ack : MessageType::offer;

  auto reply = std::make_optional<Reply>();
  PacketBuilder b(reply->buffer, reply_size_max(packet_, reply->buffer.size()));
  b.header(kBootReply, packet_, boot_server_port ? packet_.ciaddr : Ipv4{}, Ipv4{}, next_server, {}, rule->file,
           packet_.flags);
  b.option_u8(option::kMessageType, static_cast<std::uint8_t>(reply_type));
  b.option_ip(option::kServerId, server_ip);
  b.option_text(option::kVendorClass, pxe_vendor_class(http));
  if (packet_.has(option::kClientUuid)) b.option(option::kClientUuid, packet_.uuid());
  // Legacy BIOS ROMs want 43.6 = 8 (skip discovery, use the file); some UEFI
  // firmware ignores offers carrying it, so UEFI asks again on 4011 (as dnsmasq).
  std::array<std::uint8_t, 3 + 2 + 255 + 1> vendor_options{};
  std::size_t n = 0;
  if (bios) {
    vendor_options[n++] = 6;
    vendor_options[n++] = 1;
    vendor_options[n++] = 8;
  }
  if (auto item = boot_item(packet_.vendor_specific()); item && boot_server_port) {
    vendor_options[n++] = 71;
    vendor_options[n++] = static_cast<std::uint8_t>(item->size());
    for (std::uint8_t byte : *item) vendor_options[n++] = byte;
  }
  if (n > 0) {
    vendor_options[n++] = 255;
    b.option(option::kVendorSpecific, Bytes(vendor_options.data(), n));
  }
  if (!http) b.option_text(option::kTftpServerName, next_server.to_string());
  b.option_text(option::kBootfileName, rule->file);
  if (boot_server_port) {
    reply->to = rx.from;  // ACK to the sender's address and port
    // The client holds its address by now (the address server's ACK, which the proxy never sees): its
    // ciaddr, when the request came from it, is the machine's address for the fleet's TFTP and HTTP fetches.
    if (packet_.ciaddr.value != 0 && rx.from.ip.if_v4() == packet_.ciaddr) decision_.address = packet_.ciaddr;
  } else if (packet_.giaddr.value != 0) {
    reply->to = Endpoint{packet_.giaddr, kServerPort};
  } else {
    reply->to = Endpoint{kBroadcast, kClientPort};
    reply->broadcast = true;
  }
  return finish(b, *reply, reply_type);
}

std::optional<Reply> Engine::server(const Received& rx, Ipv4 server_ip, MessageType type, std::int64_t now,
                                    JournalSink& journal) {
  if (packet_.htype != 1 || packet_.hlen != 6) return drop("not an Ethernet client");
  std::optional<std::size_t> subnet;
  if (packet_.giaddr.value != 0) {
    subnet = leases_.subnet_of(packet_.giaddr);  // relayed: the relay's subnet
  } else {
    subnet = leases_.subnet_of(rx.interface_address);
    if (!subnet && packet_.ciaddr.value != 0) subnet = leases_.subnet_of(packet_.ciaddr);
  }
  if (!subnet) return drop("no subnet for this client");
  const Mac mac = packet_.mac();
  const auto server_id = packet_.server_id();
  const bool for_us = !server_id || *server_id == server_ip;

  switch (type) {
    case MessageType::discover: {
      bool fresh = false;
      auto address = leases_.offer(mac, *subnet, packet_.requested_ip(), now, &fresh);
      if (!address) {
        counters_.pool_exhausted.inc();
        return drop("no free address");
      }
      auto reply = server_reply(MessageType::offer, server_ip, *subnet, *address);
      if (reply && fresh && config_.conflict_check == ConflictCheck::icmp) {
        reply->probe = *address;
        decision_.probing = true;
      }
      return reply;
    }
    case MessageType::request: {
      if (!for_us) {
        leases_.drop_offer(mac);  // the client took another server's offer
        return drop("client chose another server");
      }
      Ipv4 address;
      if (server_id) {  // SELECTING
        auto requested = packet_.requested_ip();
        if (!requested) return drop("SELECTING REQUEST without option 50");
        address = *requested;
      } else if (auto requested = packet_.requested_ip()) {  // INIT-REBOOT
        address = *requested;
      } else if (packet_.ciaddr.value != 0) {  // RENEWING / REBINDING
        address = packet_.ciaddr;
      } else {
        return drop("REQUEST without an address");
      }
      decision_.address = address;
      auto lease = leases_.bind(mac, address, *subnet, now);
      if (!lease) return nak(server_ip);
      record(journal, *lease);
      return server_reply(MessageType::ack, server_ip, *subnet, address);
    }
    case MessageType::release: {
      if (!for_us) return drop("RELEASE for another server");
      decision_.address = packet_.ciaddr;
      if (auto lease = leases_.release(mac, packet_.ciaddr, now)) {
        record(journal, *lease);
        return std::nullopt;
      }
      return drop("RELEASE of an address the client does not hold");
    }
    case MessageType::decline: {
      if (!for_us) return drop("DECLINE for another server");
      auto address = packet_.requested_ip();
      if (!address) return drop("DECLINE without option 50");
      decision_.address = *address;
      if (auto lease = leases_.decline(mac, *address, now)) {
        record(journal, *lease);
        return std::nullopt;
      }
      return drop("DECLINE of an address the client does not hold");
    }
    case MessageType::inform:
      return server_reply(MessageType::ack, server_ip, *subnet, Ipv4{});
    default:
      return drop("not a client message");
  }
}

std::optional<Reply> Engine::nak(Ipv4 server_ip) {
  auto reply = std::make_optional<Reply>();
  PacketBuilder b(reply->buffer, reply_size_max(packet_, reply->buffer.size()));
  const bool relayed = packet_.giaddr.value != 0;
  // A relay must broadcast the NAK: the client's address is not valid (RFC 2131 4.3.2).
  b.header(kBootReply, packet_, Ipv4{}, Ipv4{}, Ipv4{}, {}, {},
           relayed ? static_cast<std::uint16_t>(packet_.flags | kFlagBroadcast) : packet_.flags);
  b.option_u8(option::kMessageType, static_cast<std::uint8_t>(MessageType::nak));
  b.option_ip(option::kServerId, server_ip);
  b.option_text(option::kMessage, "address not valid for this client");
  if (relayed) {
    reply->to = Endpoint{packet_.giaddr, kServerPort};
  } else {
    reply->to = Endpoint{kBroadcast, kClientPort};
    reply->broadcast = true;
  }
  return finish(b, *reply, MessageType::nak);
}

// OFFER, ACK, or (yiaddr 0) the ACK to an INFORM.
std::optional<Reply> Engine::server_reply(MessageType type, Ipv4 server_ip, std::size_t subnet, Ipv4 yiaddr) {
  const SubnetConfig& s = config_.subnets[subnet];
  const bool inform = yiaddr.value == 0;
  decision_.address = yiaddr;
  const BootRule* rule = match(inform ? packet_.ciaddr : yiaddr);
  const ClientFacts facts = facts_of(packet_, yiaddr);
  const bool http = is_http_boot(facts);
  const Ipv4 next_server = rule == nullptr ? Ipv4{} : rule->next_server.value_or(s.next_server.value_or(server_ip));

  auto reply = std::make_optional<Reply>();
  PacketBuilder b(reply->buffer, reply_size_max(packet_, reply->buffer.size()));
  b.header(kBootReply, packet_, packet_.ciaddr, yiaddr, next_server, {},
           rule == nullptr ? std::string_view{} : std::string_view(rule->file), packet_.flags);
  b.option_u8(option::kMessageType, static_cast<std::uint8_t>(type));
  b.option_ip(option::kServerId, server_ip);
  if (!inform) {
    b.option_u32(option::kLeaseTime, s.lease_seconds);
    b.option_u32(option::kRenewalTime, s.lease_seconds / 2);
    b.option_u32(option::kRebindingTime, static_cast<std::uint32_t>(std::uint64_t{s.lease_seconds} * 7 / 8));
  }
  b.option_ip(option::kSubnetMask, Ipv4{s.cidr.mask()});
  if (s.router) b.option_ip(option::kRouter, *s.router);
  if (!s.dns.empty()) {
    std::array<std::uint8_t, 4 * 8> dns{};
    ByteWriter w(dns);
    for (std::size_t i = 0; i < s.dns.size() && i < 8; ++i) w.u32(s.dns[i].value);
    b.option(option::kDns, w.written());
  }
  if (auto host = host_by_mac_.find(packet_.mac().key());
      host != host_by_mac_.end() && !config_.hosts[host->second].hostname.empty())
    b.option_text(option::kHostname, config_.hosts[host->second].hostname);
  if (!s.domain.empty()) b.option_text(option::kDomainName, s.domain);
  if (rule != nullptr) {
    if (http) b.option_text(option::kVendorClass, "HTTPClient");  // UEFI HTTP boot only takes offers with this
    if (!http) b.option_text(option::kTftpServerName, next_server.to_string());
    b.option_text(option::kBootfileName, rule->file);
  }
  if (facts.ipxe) {
    // 175.176 no-pxedhcp = 1: iPXE skips its 2 s wait for proxyDHCP offers.
    const std::array<std::uint8_t, 3> ipxe{option::kIpxeNoPxeDhcp, 1, 1};
    b.option(option::kIpxeEncapsulated, Bytes(ipxe));
  }
  // RFC 2131 4.1. Without a giaddr or ciaddr we always broadcast: unicasting
  // to yiaddr needs an ARP entry the pure engine cannot add.
  if (packet_.giaddr.value != 0) {
    reply->to = Endpoint{packet_.giaddr, kServerPort};
  } else if (packet_.ciaddr.value != 0) {
    reply->to = Endpoint{packet_.ciaddr, kClientPort};
  } else {
    reply->to = Endpoint{kBroadcast, kClientPort};
    reply->broadcast = true;
  }
  return finish(b, *reply, type);
}

}  // namespace ringboot::dhcp
