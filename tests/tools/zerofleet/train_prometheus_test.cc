// End to end: real zerofleet processes with --metrics-port, scraped by Debian's real Prometheus
// server on loopback; every Grafana panel query of deploy/grafana/ must return data through
// Prometheus' HTTP API, and every scraped text must pass `promtool check metrics`.
//   1. `zerofleet train` (all-in-one): every panel but the service-only ones.
//   2. The fleet (learner, inference server, two actors): every panel, none skipped.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/process.h"
#include "tests/testing/promtool.h"
#include "tests/testing/temp_dir.h"

namespace zf::testing {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// Panels built on metrics that `zerofleet train` does not export (other services do) are
// skipped here, with the reason; their queries are checked when those services have tests.
const std::map<std::string, std::string>& NotExportedByTrain() {
  static const auto* const m = new std::map<std::string, std::string>{
      {"zerofleet_inference_queue_wait_seconds",
       "inference server only: zerofleet train evaluates in-process, without a request queue"},
      {"zerofleet_actor_leaf_roundtrip_seconds",
       "actors only: zerofleet train makes no inference RPCs"},
      {"zerofleet_inference_open_streams",
       "inference server only: no actors connect to zerofleet train"},
  };
  return *m;
}

struct Panel {
  std::string title;
  std::vector<std::string> exprs;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ParseJson(const std::string& text, Struct* out) {
  return google::protobuf::util::JsonStringToMessage(text, out).ok();
}

void CollectPanels(const Value& panels, std::vector<Panel>* out) {
  for (const Value& p : panels.list_value().values()) {
    const auto& fields = p.struct_value().fields();
    if (fields.count("panels")) CollectPanels(fields.at("panels"), out);  // rows
    if (!fields.count("targets")) continue;
    Panel panel;
    panel.title = fields.at("title").string_value();
    for (const Value& t : fields.at("targets").list_value().values()) {
      panel.exprs.push_back(t.struct_value().fields().at("expr").string_value());
    }
    out->push_back(panel);
  }
}

// The value of an unlabelled sample `name` in Prometheus text, or -1.
double SampleValue(const std::string& text, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, name + " ")) {
      double v;
      if (absl::SimpleAtod(line.substr(name.size() + 1), &v)) return v;
    }
  }
  return -1;
}

// Evaluates `expr` now. Empty when it has no finite sample; otherwise "ok", or why not.
std::string QueryHasData(httplib::Client& prometheus, const std::string& expr) {
  httplib::Result r =
      prometheus.Get("/api/v1/query", httplib::Params{{"query", expr}}, httplib::Headers{});
  if (!r) return absl::StrCat("no response: ", httplib::to_string(r.error()));
  Struct body;
  if (r->status != 200 || !ParseJson(r->body, &body)) {
    return absl::StrCat("HTTP ", r->status, ": ", r->body);
  }
  const auto& result = body.fields().at("data").struct_value().fields().at("result");
  if (result.list_value().values().empty()) return "empty result";
  for (const Value& series : result.list_value().values()) {
    const Value& value = series.struct_value().fields().at("value");
    double v;
    if (!absl::SimpleAtod(value.list_value().values(1).string_value(), &v) || !std::isfinite(v)) {
      return absl::StrCat("non-finite value ", value.list_value().values(1).string_value());
    }
  }
  return "ok";
}

// Queries every expression until each has data or `deadline`; what is left in `pending` (each
// with the reason) has failed the test.
void WaitUntilEveryQueryHasData(httplib::Client& prometheus, absl::Time deadline,
                                std::map<std::string, std::string>* pending) {
  while (!pending->empty() && absl::Now() < deadline) {
    for (auto it = pending->begin(); it != pending->end();) {
      it->second = QueryHasData(prometheus, it->first);
      it = it->second == "ok" ? pending->erase(it) : std::next(it);
    }
    if (!pending->empty()) absl::SleepFor(absl::Milliseconds(500));
  }
  for (const auto& [expr, why] : *pending) ADD_FAILURE() << "query " << expr << ": " << why;
}

// Debian's prometheus on 127.0.0.1:`port`, scraping `targets` (loopback ports) every second as
// job `job`; config, data and log under `dir`.
std::unique_ptr<ChildProcess> StartPrometheus(const std::string& dir, const std::string& job,
                                              const std::vector<int>& targets, int port) {
  std::string list;
  for (int t : targets) absl::StrAppend(&list, list.empty() ? "" : ", ", "'127.0.0.1:", t, "'");
  std::ofstream(dir + "/prometheus.yml") << absl::StrCat(
      "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      "scrape_configs:\n  - job_name: ",
      job, "\n    static_configs:\n      - targets: [", list, "]\n");
  return ChildProcess::Start(
      {kPrometheus, "--config.file=" + dir + "/prometheus.yml",
       "--storage.tsdb.path=" + dir + "/tsdb",
       absl::StrCat("--web.listen-address=127.0.0.1:", port), "--log.level=warn"},
      dir + "/prometheus.log", dir + "/prometheus.log");
}

// Both tests: the binaries, the dashboard's panels, and Prometheus present (else skipped).
class PrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin_dir = std::getenv("ZF_BIN_DIR");
    const char* source_dir = std::getenv("ZF_SOURCE_DIR");
    ASSERT_NE(bin_dir, nullptr) << "run through ctest (sets ZF_BIN_DIR)";
    ASSERT_NE(source_dir, nullptr);
    bin_ = bin_dir;
    if (access(kPrometheus, X_OK) != 0 || access(kPromtool, X_OK) != 0) {
      GTEST_SKIP() << "install the Debian package 'prometheus' (prometheus, promtool)";
    }
    Struct dashboard;
    const std::string path =
        std::string(source_dir) + "/deploy/grafana/dashboards/zerofleet-overview.json";
    ASSERT_TRUE(ParseJson(ReadFile(path), &dashboard)) << path;
    EXPECT_EQ(dashboard.fields().at("uid").string_value(), "zerofleet-overview");
    CollectPanels(dashboard.fields().at("panels"), &panels_);
    ASSERT_FALSE(panels_.empty());
  }

  std::string bin_;
  std::vector<Panel> panels_;
};

TEST_F(PrometheusTest, EveryDashboardPanelHasDataFromARealTrainRun) {
  // 2. zerofleet train with metrics, and Prometheus scraping it every second.
  // Declared before the processes, so they are stopped before it is removed.
  const ScopedTempDir temp_dir("zf_train_prometheus_");
  const std::string& dir = temp_dir.path();
  ASSERT_FALSE(dir.empty());
  const int train_port = FreeLoopbackPort();
  const int prometheus_port = FreeLoopbackPort();
  ASSERT_GT(train_port, 0);
  ASSERT_GT(prometheus_port, 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(75);
  // clang-format off
  std::unique_ptr<ChildProcess> train = ChildProcess::Start(
      {bin_ + "/zerofleet", "train", "--board-size", "7", "--win-length", "4",
       "--preset", "cpu", "--sims", "16", "--games-per-iter", "8", "--num-iterations", "1000",
       "--min-positions", "100", "--batch-size", "32", "--checkpoint-every", "5",
       "--run-dir", dir + "/run", "--metrics-port", absl::StrCat(train_port),
       "--rating-budget", "1", "--rating-playouts", "16", "--rating-games", "2"},
      dir + "/train.log", dir + "/train.log");
  // clang-format on
  ASSERT_NE(train, nullptr);
  std::unique_ptr<ChildProcess> prometheus =
      StartPrometheus(dir, "zerofleet-train", {train_port}, prometheus_port);
  ASSERT_NE(prometheus, nullptr);

  // 3. Wait until the run has trained and checkpointed (so every learner metric is real).
  httplib::Client train_http("127.0.0.1", train_port);
  train_http.set_connection_timeout(1, 0);
  std::string scraped;
  while (absl::Now() < deadline) {
    ASSERT_TRUE(train->Running()) << "zerofleet train exited:\n" << train->Log();
    if (httplib::Result r = train_http.Get("/metrics"); r && r->status == 200) {
      scraped = r->body;
      if (SampleValue(scraped, "zerofleet_learner_train_steps_total") > 0 &&
          SampleValue(scraped, "zerofleet_learner_checkpoint_seconds_count") > 0 &&
          SampleValue(scraped, "zerofleet_rating_games_total") > 0) {
        break;
      }
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_GT(SampleValue(scraped, "zerofleet_learner_checkpoint_seconds_count"), 0)
      << "no checkpoint before the deadline; last /metrics:\n"
      << scraped << "\ntrain log:\n"
      << train->Log();
  EXPECT_GT(SampleValue(scraped, "zerofleet_selfplay_simulations_total"), 0);
  EXPECT_GT(SampleValue(scraped, "zerofleet_inference_batches_total"), 0);

  // 4. Every panel query returns finite data through Prometheus.
  httplib::Client prometheus_http("127.0.0.1", prometheus_port);
  prometheus_http.set_connection_timeout(1, 0);
  std::map<std::string, std::string> pending;  // expr -> why it has no data yet
  int checked_panels = 0;
  for (const Panel& panel : panels_) {
    std::string skip;
    for (const std::string& expr : panel.exprs) {
      for (const auto& [metric, reason] : NotExportedByTrain()) {
        if (absl::StrContains(expr, metric)) skip = reason;
      }
    }
    if (!skip.empty()) {
      std::printf("skipped panel '%s': %s\n", panel.title.c_str(), skip.c_str());
      continue;
    }
    ++checked_panels;
    for (const std::string& expr : panel.exprs) {
      pending[absl::StrReplaceAll(expr, {{"$__rate_interval", "20s"}})] = "not queried";
    }
  }
  EXPECT_GE(checked_panels, 12);
  pending["up{job=\"zerofleet-train\"} == 1"] = "not queried";
  WaitUntilEveryQueryHasData(prometheus_http, deadline, &pending);
  if (!pending.empty()) {
    ADD_FAILURE() << "prometheus log:\n" << prometheus->Log() << "\ntrain log:\n" << train->Log();
  }

  // 5. The exposition text passes promtool's parser and lint.
  httplib::Result last = train_http.Get("/metrics");
  ASSERT_TRUE(last);
  const PromtoolResult check = CheckMetrics(last->body, dir);
  EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << last->body;
}

// The fleet: every panel has data, none skipped, and every endpoint passes promtool.
TEST_F(PrometheusTest, EveryDashboardPanelHasDataFromARealFleet) {
  const ScopedTempDir temp_dir("zf_fleet_prometheus_");
  const std::string& dir = temp_dir.path();
  ASSERT_FALSE(dir.empty());
  const int learner_port = FreeLoopbackPort();
  const int inference_port = FreeLoopbackPort();
  const int prometheus_port = FreeLoopbackPort();
  // learner, inference server, actor 1, actor 2
  const std::vector<int> metrics = {FreeLoopbackPort(), FreeLoopbackPort(), FreeLoopbackPort(),
                                    FreeLoopbackPort()};
  const std::string& bin = bin_;
  const std::string learner_address = absl::StrCat("127.0.0.1:", learner_port);
  const std::string inference_address = absl::StrCat("127.0.0.1:", inference_port);
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  std::vector<std::unique_ptr<ChildProcess>> fleet;
  // clang-format off
  fleet.push_back(ChildProcess::Start(
      {bin + "/zerofleet-learner", "--board-size", "7", "--win-length", "4", "--preset", "cpu",
       "--sims", "16", "--parallel-games", "8", "--min-positions", "100", "--batch-size", "32",
       "--checkpoint-every", "5", "--run-dir", dir + "/run", "--port", absl::StrCat(learner_port),
       "--metrics-port", absl::StrCat(metrics[0]), "--rating-budget", "1",
       "--rating-playouts", "16", "--rating-games", "2"},
      dir + "/learner.log", dir + "/learner.log"));
  fleet.push_back(ChildProcess::Start(
      {bin + "/zerofleet-inference-server", "--net", "tiny", "--device", "cpu", "--port",
       absl::StrCat(inference_port), "--learner", learner_address, "--metrics-port",
       absl::StrCat(metrics[1])},
      dir + "/inference.log", dir + "/inference.log"));
  for (int i = 2; i < 4; ++i) {
    fleet.push_back(ChildProcess::Start(
        {bin + "/zerofleet-actor", "--learner", learner_address, "--inference",
         inference_address, "--metrics-port", absl::StrCat(metrics[i])},
        absl::StrCat(dir, "/actor", i, ".log"), absl::StrCat(dir, "/actor", i, ".log")));
  }
  // clang-format on
  std::unique_ptr<ChildProcess> prometheus =
      StartPrometheus(dir, "zerofleet", metrics, prometheus_port);
  ASSERT_NE(prometheus, nullptr);
  auto logs = [&] {
    std::string all;
    for (const auto& child : fleet) absl::StrAppend(&all, child->Log(), "\n----\n");
    return all;
  };

  // Trained and checkpointed (every learner metric real), actors connected.
  httplib::Client learner_http("127.0.0.1", metrics[0]);
  learner_http.set_connection_timeout(1, 0);
  std::string scraped;
  while (absl::Now() < deadline) {
    for (const auto& child : fleet) ASSERT_TRUE(child->Running()) << logs();
    if (httplib::Result r = learner_http.Get("/metrics"); r && r->status == 200) {
      scraped = r->body;
      if (SampleValue(scraped, "zerofleet_learner_checkpoint_seconds_count") > 0) break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_GT(SampleValue(scraped, "zerofleet_learner_checkpoint_seconds_count"), 0) << logs();

  std::map<std::string, std::string> pending;
  for (const Panel& panel : panels_) {
    for (const std::string& expr : panel.exprs) {
      pending[absl::StrReplaceAll(expr, {{"$__rate_interval", "20s"}})] = "not queried";
    }
  }
  pending["count(up{job=\"zerofleet\"} == 1) == 4"] = "not queried";
  httplib::Client prometheus_http("127.0.0.1", prometheus_port);
  prometheus_http.set_connection_timeout(1, 0);
  WaitUntilEveryQueryHasData(prometheus_http, deadline, &pending);
  if (!pending.empty()) ADD_FAILURE() << prometheus->Log() << logs();

  for (int port : metrics) {
    httplib::Client http("127.0.0.1", port);
    httplib::Result r = http.Get("/metrics");
    ASSERT_TRUE(r) << "port " << port;
    const PromtoolResult check = CheckMetrics(r->body, dir);
    EXPECT_EQ(check.exit_code, 0) << check.output << "\n" << r->body;
  }
}

}  // namespace
}  // namespace zf::testing
