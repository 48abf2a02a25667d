#include "tftp/counters.h"

namespace ringboot::tftp {

const MetricTable<TftpCounters>& metric_table() {
  using C = TftpCounters;
  static const MetricTable<C> table =
      MetricTable<C>()
          .counter("ringboot_tftp_requests_total", "TFTP requests received on the listening socket.", &C::requests)
          .counter("ringboot_tftp_transfers_total", "TFTP transfers by result.", "result",
                   {{"ok", &C::transfers_ok},
                    {"failed", &C::transfers_failed},
                    {"aborted", &C::transfers_aborted},
                    {"probe", &C::probes}})
          .counter("ringboot_tftp_refused_total", "TFTP requests refused, by reason.", "reason",
                   {{"busy", &C::refused_busy},
                    {"access", &C::refused_access},
                    {"not_found", &C::not_found},
                    {"duplicate", &C::duplicates},
                    {"rate_limited", &C::rate_limited}})
          .counter("ringboot_tftp_sent_bytes_total", "TFTP DATA payload bytes sent, retransmits included.", &C::bytes)
          .counter("ringboot_tftp_retransmits_total", "TFTP packets resent after a timeout or window rollback.",
                   &C::retransmits)
          .counter("ringboot_tftp_timeouts_total",
                   "TFTP retransmit timer expiries; each resent an OACK, a window or an upload's ACK (retransmits "
                   "with no expiry behind them are window rollbacks on the client's ACKs).",
                   &C::timer_resends)
          .counter("ringboot_tftp_malformed_total", "Malformed TFTP datagrams dropped.", &C::malformed)
          .counter(
              "ringboot_tftp_rate_limit_untracked_total",
              "TFTP requests let through without a rate check: the per-client table (rate_limit_clients_max) was full.",
              &C::rate_untracked)
          .counter("ringboot_tftp_option_total", "TFTP options accepted, by option.", "option",
                   {{"blksize", &C::option_blksize},
                    {"windowsize", &C::option_windowsize},
                    {"tsize", &C::option_tsize},
                    {"timeout", &C::option_timeout}})
          .gauge("ringboot_tftp_sessions_active", "TFTP transfers in progress.", &C::sessions_active)
          .histogram("ringboot_tftp_transfer_seconds", "Duration of successful TFTP transfers.", &C::transfer_seconds);
  return table;
}

}  // namespace ringboot::tftp
