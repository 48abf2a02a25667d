// TFTP metrics, one instance per worker thread; the glue increments them
// (the engine only reports what happened) and the scrape sums workers
// through metric_table(), the one place each field gets its name.
#pragma once

#include "base/metrics.h"

namespace ringboot::tftp {

struct TftpCounters {
  Counter requests;           // RRQ/WRQ datagrams parsed on the listening socket
  Counter transfers_ok;       // Result::ok
  Counter transfers_failed;   // Result::timed_out
  Counter transfers_aborted;  // Result::client_error
  Counter probes;             // Result::probe: EDK2/iPXE size query, normal traffic
  Counter bytes;              // DATA payload bytes sent, retransmits included
  Counter retransmits;        // packets resent after a timeout or a window rollback
  Counter timer_resends;      // retransmit timer expiries that resent (an OACK, a window, an upload's ACK)
  Counter malformed;          // datagrams dropped by the parsers
  Counter refused_busy;       // Verdict::over_global / over_client
  Counter refused_access;     // bad path, WRQ, access denied
  Counter not_found;          // ERROR 1
  Counter option_blksize;     // accepted options, from Negotiated::accepted
  Counter option_windowsize;
  Counter option_tsize;
  Counter option_timeout;
  Counter duplicates;      // Verdict::duplicate: retransmitted RRQ, dropped
  Counter rate_limited;    // RateVerdict::limited: over requests_per_second_per_client, dropped
  Counter rate_untracked;  // RateVerdict::untracked: let through, the client table was full
  Gauge sessions_active;
  Histogram transfer_seconds;  // start to final ACK, Result::ok only
};

// The ringboot_tftp_* families: every field above, exported once.
const MetricTable<TftpCounters>& metric_table();

}  // namespace ringboot::tftp
