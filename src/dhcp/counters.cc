#include "dhcp/counters.h"

#include <string>

namespace ringboot::dhcp {

void DhcpCounters::write(MetricsWriter& out) const {
  out.family("ringboot_dhcp_messages_received_total", "counter", "DHCP messages received, by type");
  out.sample("ringboot_dhcp_messages_received_total", R"(type="discover")", discover.get());
  out.sample("ringboot_dhcp_messages_received_total", R"(type="request")", request.get());
  out.sample("ringboot_dhcp_messages_received_total", R"(type="release")", release.get());
  out.sample("ringboot_dhcp_messages_received_total", R"(type="decline")", decline.get());
  out.sample("ringboot_dhcp_messages_received_total", R"(type="inform")", inform.get());
  out.family("ringboot_dhcp_messages_sent_total", "counter", "DHCP messages sent, by type");
  out.sample("ringboot_dhcp_messages_sent_total", R"(type="offer")", offer.get());
  out.sample("ringboot_dhcp_messages_sent_total", R"(type="ack")", ack.get());
  out.sample("ringboot_dhcp_messages_sent_total", R"(type="nak")", nak.get());
  out.family("ringboot_dhcp_clients_total", "counter", "DHCP requests by client architecture class");
  for (std::size_t i = 0; i < kArchClassCount; ++i)
    out.sample("ringboot_dhcp_clients_total", "arch=\"" + std::string(to_string(static_cast<ArchClass>(i))) + "\"",
               arch[i].get());
  out.family("ringboot_dhcp_malformed_total", "counter", "DHCP datagrams dropped as malformed, by reason");
  for (std::size_t i = 1; i < kParseErrorCount; ++i)
    out.sample("ringboot_dhcp_malformed_total", "reason=\"" + std::string(to_string(static_cast<ParseError>(i))) + "\"",
               malformed_by_reason[i].get());
  out.family("ringboot_dhcp_dropped_total", "counter", "Valid DHCP messages not answered");
  out.sample("ringboot_dhcp_dropped_total", "", dropped.get());
  out.family("ringboot_dhcp_rate_limited_total", "counter", "DHCP datagrams dropped by the per-client rate limit");
  out.sample("ringboot_dhcp_rate_limited_total", "", rate_limited.get());
  out.family("ringboot_dhcp_pool_exhausted_total", "counter", "DISCOVERs with no free address");
  out.sample("ringboot_dhcp_pool_exhausted_total", "", pool_exhausted.get());
  out.family("ringboot_dhcp_conflicts_total", "counter",
             "Addresses that answered the conflict check before an OFFER, quarantined like a DECLINE");
  out.sample("ringboot_dhcp_conflicts_total", "", conflicts.get());
  out.family("ringboot_dhcp_conflict_checks_total", "counter",
             "Conflict checks before an OFFER, by result (skipped: probes_max held; failed: echo not sent)");
  out.sample("ringboot_dhcp_conflict_checks_total", R"(result="clear")", probes_clear.get());
  out.sample("ringboot_dhcp_conflict_checks_total", R"(result="conflict")", probes_conflict.get());
  out.sample("ringboot_dhcp_conflict_checks_total", R"(result="skipped")", probes_skipped.get());
  out.sample("ringboot_dhcp_conflict_checks_total", R"(result="failed")", probes_failed.get());
  out.family("ringboot_dhcp_leases_in_use", "gauge", "Offered and bound leases at the last sweep");
  out.sample("ringboot_dhcp_leases_in_use", "", static_cast<double>(leases_in_use.get()));
}

}  // namespace ringboot::dhcp
