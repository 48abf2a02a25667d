// DHCP metrics. One set per worker; the engine is their only writer; the
// scrape reads them through metric_table().
#pragma once

#include <array>

#include "base/metrics.h"
#include "dhcp/packet.h"
#include "dhcp/rules.h"

namespace ringboot::dhcp {

struct DhcpCounters {
  // Received.
  Counter discover, request, release, decline, inform;
  // Sent.
  Counter offer, ack, nak;
  // Requests by client kind (bounded label set: ArchClass).
  std::array<Counter, kArchClassCount> arch{};
  Counter& arch_of(ArchClass a) { return arch[static_cast<std::size_t>(a)]; }
  // Dropped input: parse errors, by reason (index: ParseError; none stays 0).
  // Their sum is the malformed total.
  std::array<Counter, kParseErrorCount> malformed_by_reason{};
  // Valid input we chose not to answer: not a PXE client (proxy), no subnet,
  // pool exhausted, from ourselves, reply too big, wrong port...
  Counter dropped;
  Counter rate_limited;  // over [dhcp] requests_per_second_per_client, dropped unparsed
  Counter unsent;        // replies built and counted as sent that the glue could not hand to the kernel
  Counter from_self;     // our own broadcasts heard back; also in dropped
  Counter pool_exhausted;
  Counter journal_lines;  // lease journal lines appended
  // Conflict checks before an OFFER (conflict_check = "icmp").
  Counter conflicts;  // addresses found in use and quarantined
  Counter probes_clear, probes_conflict, probes_skipped, probes_failed;
  Gauge leases_in_use;
};

// The ringboot_dhcp_* families: every field above, exported once.
const MetricTable<DhcpCounters>& metric_table();

}  // namespace ringboot::dhcp
