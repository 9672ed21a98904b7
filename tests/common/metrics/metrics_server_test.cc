#include "common/metrics/metrics_server.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "prometheus/counter.h"

namespace zf {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<prometheus::Registry> RegistryWithCounter(double value) {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter()
      .Name("zerofleet_test_things_total")
      .Help("Things counted by the test.")
      .Register(*registry)
      .Add({})
      .Increment(value);
  return registry;
}

TEST(MetricsServerTest, ServesTheRegistryAsPrometheusText) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start(MetricsServerOptions{}, RegistryWithCounter(7));
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->url(), "http://127.0.0.1:" + std::to_string((*server)->port()) + "/metrics");

  httplib::Client client("127.0.0.1", (*server)->port());
  httplib::Result response = client.Get("/metrics");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->get_header_value("Content-Type"), HasSubstr("text/plain"));
  EXPECT_THAT(response->body, HasSubstr("# HELP zerofleet_test_things_total Things counted"));
  EXPECT_THAT(response->body, HasSubstr("# TYPE zerofleet_test_things_total counter"));
  EXPECT_THAT(response->body, HasSubstr("zerofleet_test_things_total 7"));
}

TEST(MetricsServerTest, EachScrapeSeesCurrentValues) {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::Counter& counter = prometheus::BuildCounter()
                                     .Name("zerofleet_test_things_total")
                                     .Help("Things counted by the test.")
                                     .Register(*registry)
                                     .Add({});
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start(MetricsServerOptions{}, registry);
  ASSERT_TRUE(server.ok()) << server.status();
  httplib::Client client("127.0.0.1", (*server)->port());
  counter.Increment(3);
  httplib::Result first = client.Get("/metrics");
  ASSERT_TRUE(first);
  EXPECT_THAT(first->body, HasSubstr("zerofleet_test_things_total 3"));
  counter.Increment(2);
  httplib::Result second = client.Get("/metrics");
  ASSERT_TRUE(second);
  EXPECT_THAT(second->body, HasSubstr("zerofleet_test_things_total 5"));
}

TEST(MetricsServerTest, OtherPathsAreNotFound) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start(MetricsServerOptions{}, RegistryWithCounter(1));
  ASSERT_TRUE(server.ok()) << server.status();
  httplib::Client client("127.0.0.1", (*server)->port());
  httplib::Result response = client.Get("/secrets");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
}

TEST(MetricsServerTest, PortInUseIsAnError) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> first =
      MetricsServer::Start(MetricsServerOptions{}, RegistryWithCounter(1));
  ASSERT_TRUE(first.ok()) << first.status();
  MetricsServerOptions same;
  same.port = (*first)->port();
  absl::StatusOr<std::unique_ptr<MetricsServer>> second =
      MetricsServer::Start(same, RegistryWithCounter(1));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(std::to_string(same.port)));
}

TEST(MetricsServerTest, RejectsBadArguments) {
  MetricsServerOptions bad_port;
  bad_port.port = 70000;
  EXPECT_EQ(MetricsServer::Start(bad_port, RegistryWithCounter(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MetricsServer::Start(MetricsServerOptions{}, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  MetricsServerOptions bad_address;
  bad_address.address = "not an address";
  EXPECT_FALSE(MetricsServer::Start(bad_address, RegistryWithCounter(1)).ok());
}

TEST(MetricsServerTest, DestructionStopsServingAndFreesThePort) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start(MetricsServerOptions{}, RegistryWithCounter(1));
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  server->reset();
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1, 0);
  EXPECT_FALSE(client.Get("/metrics"));
  MetricsServerOptions again;
  again.port = port;
  absl::StatusOr<std::unique_ptr<MetricsServer>> rebound =
      MetricsServer::Start(again, RegistryWithCounter(1));
  EXPECT_TRUE(rebound.ok()) << rebound.status();
}

}  // namespace
}  // namespace zf
