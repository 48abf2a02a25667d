// The /metrics page: every table once, summed over the workers.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "app/metrics_page.h"

namespace ringboot {
namespace {

TEST(MetricsPage, EveryIoCounterIsExported) {
  EXPECT_EQ(io::metric_table().first_unread_byte(), sizeof(io::IoCounters)) << "an IoCounters field has no family";
}

std::vector<std::unique_ptr<WorkerStats>> workers(std::size_t n) {
  std::vector<std::unique_ptr<WorkerStats>> w;
  for (std::size_t i = 0; i < n; ++i) w.push_back(std::make_unique<WorkerStats>());
  return w;
}

// "# TYPE" lines by family name; each must follow its "# HELP".
std::map<std::string, int> families(const std::string& page) {
  std::map<std::string, int> seen;
  std::istringstream in(page);
  std::string line, help_of;
  while (std::getline(in, line)) {
    if (line.starts_with("# HELP ")) help_of = line.substr(7, line.find(' ', 7) - 7);
    if (!line.starts_with("# TYPE ")) continue;
    const std::string name = line.substr(7, line.find(' ', 7) - 7);
    EXPECT_EQ(help_of, name) << "# TYPE " << name << " without its # HELP";
    ++seen[name];
  }
  return seen;
}

TEST(MetricsPage, SumsWorkersAndWritesEachFamilyOnce) {
  auto w = workers(2);
  w[0]->tftp.requests.inc(3);
  w[1]->tftp.requests.inc(4);
  w[1]->http.requests_head.inc();
  w[0]->io.submissions.inc(5);
  w[1]->io.submissions.inc(6);
  const std::string page = render_metrics(w);
  EXPECT_NE(page.find("\nringboot_worker_threads 2\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nringboot_tftp_requests_total 7\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nringboot_http_requests_total{method=\"head\"} 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nringboot_io_submissions_total 11\n"), std::string::npos) << page;
  const auto seen = families(page);
  for (const auto& [name, count] : seen) EXPECT_EQ(count, 1) << name;
  EXPECT_FALSE(seen.contains("ringboot_dhcp_dropped_total")) << "DHCP is off: no ringboot_dhcp_* families";
}

TEST(MetricsPage, DhcpFamiliesFromTheWorkerThatRunsIt) {
  auto w = workers(2);
  dhcp::DhcpCounters d;
  d.from_self.inc(2);
  d.journal_lines.inc(5);
  w[0]->dhcp.store(&d);
  const std::string page = render_metrics(w);
  EXPECT_NE(page.find("\nringboot_dhcp_from_self_total 2\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nringboot_dhcp_journal_lines_total 5\n"), std::string::npos) << page;
  for (const auto& [name, count] : families(page)) EXPECT_EQ(count, 1) << name;
}

TEST(MetricsPage, FleetFamiliesOnlyWhenItIsOn) {
  auto w = workers(1);
  SharedFleet off{fleet::FleetConfig{}};
  EXPECT_EQ(render_metrics(w, &off).find("ringboot_fleet_"), std::string::npos);
  fleet::FleetConfig config;
  fleet::Group all;
  all.profile = "local";
  config.groups = {all};
  config.settings.machines_max = 1;
  SharedFleet on{config};
  on.ipxe("/ipxe?mac=52-54-00-00-00-01&platform=efi", std::nullopt, "h", 1);
  on.ipxe("/ipxe?mac=52-54-00-00-00-02&platform=efi", std::nullopt, "h", 2);  // over machines_max
  on.ipxe("/ipxe?mac=zz", std::nullopt, "h", 3);
  const std::string page = render_metrics(w, &on);
  EXPECT_NE(page.find("\nringboot_fleet_machines 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nringboot_fleet_machines_refused_total 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nringboot_fleet_boots_total{decision=\"local\"} 3\n"), std::string::npos) << page;
  EXPECT_NE(page.find("\nringboot_fleet_boots_total{decision=\"install\"} 0\n"), std::string::npos) << page;
  for (const auto& [name, count] : families(page)) EXPECT_EQ(count, 1) << name;
}

}  // namespace
}  // namespace ringboot
