#include "app/metrics_page.h"

#include <fmt/format.h>

#include "base/metrics.h"
#include "base/version.h"

namespace ringboot {
namespace {

using Workers = std::vector<std::unique_ptr<WorkerStats>>;

template <typename Get>
std::uint64_t sum(const Workers& workers, Get get) {
  std::uint64_t total = 0;
  for (const auto& w : workers) total += static_cast<std::uint64_t>(get(*w));
  return total;
}

void counter(MetricsWriter& out, const Workers& workers, const char* name, const char* help, Counter tftp::TftpCounters::*field) {
  out.family(name, "counter", help);
  out.sample(name, "", sum(workers, [&](const WorkerStats& w) { return (w.tftp.*field).get(); }));
}

void write_tftp(MetricsWriter& out, const Workers& w) {
  using C = tftp::TftpCounters;
  counter(out, w, "ringboot_tftp_requests_total", "TFTP requests received on the listening socket.", &C::requests);
  out.family("ringboot_tftp_transfers_total", "counter", "TFTP transfers by result.");
  const std::pair<const char*, Counter C::*> results[] = {{"ok", &C::transfers_ok},
                                                          {"failed", &C::transfers_failed},
                                                          {"aborted", &C::transfers_aborted},
                                                          {"probe", &C::probes}};
  for (const auto& [label, member] : results)
    out.sample("ringboot_tftp_transfers_total", fmt::format("result=\"{}\"", label),
               sum(w, [field = member](const WorkerStats& s) { return (s.tftp.*field).get(); }));
  out.family("ringboot_tftp_refused_total", "counter", "TFTP requests refused, by reason.");
  const std::pair<const char*, Counter C::*> refused[] = {{"busy", &C::refused_busy},
                                                          {"access", &C::refused_access},
                                                          {"not_found", &C::not_found},
                                                          {"duplicate", &C::duplicates},
                                                          {"rate_limited", &C::rate_limited}};
  for (const auto& [label, member] : refused)
    out.sample("ringboot_tftp_refused_total", fmt::format("reason=\"{}\"", label),
               sum(w, [field = member](const WorkerStats& s) { return (s.tftp.*field).get(); }));
  counter(out, w, "ringboot_tftp_sent_bytes_total", "TFTP DATA payload bytes sent, retransmits included.", &C::bytes);
  counter(out, w, "ringboot_tftp_retransmits_total", "TFTP packets resent after a timeout or window rollback.",
          &C::retransmits);
  counter(out, w, "ringboot_tftp_malformed_total", "Malformed TFTP datagrams dropped.", &C::malformed);
  counter(out, w, "ringboot_tftp_rate_limit_untracked_total",
          "TFTP requests let through without a rate check: the per-client table (rate_limit_clients_max) was full.",
          &C::rate_untracked);
  out.family("ringboot_tftp_option_total", "counter", "TFTP options accepted, by option.");
  const std::pair<const char*, Counter C::*> options[] = {{"blksize", &C::option_blksize},
                                                          {"windowsize", &C::option_windowsize},
                                                          {"tsize", &C::option_tsize},
                                                          {"timeout", &C::option_timeout}};
  for (const auto& [label, member] : options)
    out.sample("ringboot_tftp_option_total", fmt::format("option=\"{}\"", label),
               sum(w, [field = member](const WorkerStats& s) { return (s.tftp.*field).get(); }));
  out.family("ringboot_tftp_sessions_active", "gauge", "TFTP transfers in progress.");
  out.sample("ringboot_tftp_sessions_active", "", sum(w, [](const WorkerStats& s) { return s.tftp.sessions_active.get(); }));
  std::array<std::uint64_t, Histogram::kBuckets + 1> buckets{};
  double total_seconds = 0;
  for (const auto& s : w) {
    for (std::size_t i = 0; i <= Histogram::kBuckets; ++i) buckets[i] += s->tftp.transfer_seconds.bucket(i);
    total_seconds += s->tftp.transfer_seconds.sum_seconds();
  }
  out.family("ringboot_tftp_transfer_seconds", "histogram", "Duration of successful TFTP transfers.");
  out.histogram("ringboot_tftp_transfer_seconds", "", buckets, total_seconds);
}

void write_io(MetricsWriter& out, const Workers& w) {
  const std::pair<const char*, Counter io::IoCounters::*> fields[] = {
      {"ringboot_io_submissions_total", &io::IoCounters::submissions},
      {"ringboot_io_completions_total", &io::IoCounters::completions},
      {"ringboot_io_sq_full_total", &io::IoCounters::sq_full},
      {"ringboot_io_buffer_exhausted_total", &io::IoCounters::buffers_exhausted},
      {"ringboot_io_multishot_rearms_total", &io::IoCounters::rearms}};
  const char* helps[] = {"io_uring submissions.", "io_uring completions reaped.",
                         "Times the submission queue was full and flushed early.",
                         "Receives that found the provided-buffer ring empty (-ENOBUFS).",
                         "Multishot operations re-armed after the kernel ended them."};
  for (std::size_t i = 0; i < std::size(fields); ++i) {
    out.family(fields[i].first, "counter", helps[i]);
    const auto field = fields[i].second;
    out.sample(fields[i].first, "", sum(w, [&](const WorkerStats& s) { return (s.io.*field).get(); }));
  }
}

}  // namespace

std::string render_metrics(const Workers& workers) {
  MetricsWriter out;
  out.family("ringboot_build_info", "gauge", "ringboot's version.");
  out.sample("ringboot_build_info", fmt::format("version=\"{}\"", kVersion), std::uint64_t{1});
  out.family("ringboot_worker_threads", "gauge", "Worker threads, one io_uring each.");
  out.sample("ringboot_worker_threads", "", std::uint64_t{workers.size()});
  write_io(out, workers);
  write_tftp(out, workers);
  std::vector<const http::HttpCounters*> http;
  for (const auto& s : workers) http.push_back(&s->http);
  http::write_metrics(out, http);
  for (const auto& s : workers)
    if (const dhcp::DhcpCounters* d = s->dhcp.load()) d->write(out);
  return out.take();
}

}  // namespace ringboot
