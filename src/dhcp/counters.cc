#include "dhcp/counters.h"

namespace ringboot::dhcp {

const MetricTable<DhcpCounters>& metric_table() {
  using C = DhcpCounters;
  static const MetricTable<C> table =
      MetricTable<C>()
          .counter("ringboot_dhcp_messages_received_total", "DHCP messages received, by type", "type",
                   {{"discover", &C::discover},
                    {"request", &C::request},
                    {"release", &C::release},
                    {"decline", &C::decline},
                    {"inform", &C::inform}})
          .counter("ringboot_dhcp_messages_sent_total", "DHCP messages sent, by type", "type",
                   {{"offer", &C::offer}, {"ack", &C::ack}, {"nak", &C::nak}})
          .counter<ArchClass>("ringboot_dhcp_clients_total", "DHCP requests by client architecture class", "arch",
                              &C::arch)
          // From 1: ParseError::none is no reason to drop a datagram.
          .counter<ParseError>("ringboot_dhcp_malformed_total", "DHCP datagrams dropped as malformed, by reason",
                               "reason", &C::malformed_by_reason, 1)
          .counter("ringboot_dhcp_dropped_total", "Valid DHCP messages not answered", &C::dropped)
          .counter("ringboot_dhcp_from_self_total",
                   "DHCP datagrams from our own address, dropped (also in ringboot_dhcp_dropped_total)", &C::from_self)
          .counter("ringboot_dhcp_rate_limited_total", "DHCP datagrams dropped by the per-client rate limit",
                   &C::rate_limited)
          .counter("ringboot_dhcp_replies_unsent_total",
                   "DHCP replies counted as sent that never left: the send pool was full, or the send failed",
                   &C::unsent)
          .counter("ringboot_dhcp_pool_exhausted_total", "DISCOVERs with no free address", &C::pool_exhausted)
          .counter("ringboot_dhcp_conflicts_total",
                   "Addresses that answered the conflict check before an OFFER, quarantined like a DECLINE",
                   &C::conflicts)
          .counter("ringboot_dhcp_conflict_checks_total",
                   "Conflict checks before an OFFER, by result (skipped: probes_max held; failed: echo not sent)",
                   "result",
                   {{"clear", &C::probes_clear},
                    {"conflict", &C::probes_conflict},
                    {"skipped", &C::probes_skipped},
                    {"failed", &C::probes_failed}})
          .gauge("ringboot_dhcp_leases_in_use", "Offered and bound leases at the last sweep", &C::leases_in_use)
          .counter("ringboot_dhcp_journal_lines_total", "Lease journal lines appended", &C::journal_lines);
  return table;
}

}  // namespace ringboot::dhcp
