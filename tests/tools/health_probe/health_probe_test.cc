// zerofleet-health-probe as a real process against real servers on loopback: the
// zerofleet-inference-server binary, an in-process server whose health the test flips, a TLS
// server with a certificate made by openssl at run time, a closed port and a port that accepts
// TCP but never speaks gRPC. Every wait is bounded.
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/grpc_options.h"
#include "common/util/file_io.h"
#include "gtest/gtest.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

using ::zf::testing::ChildProcess;
using ::zf::testing::CommandResult;
using ::zf::testing::RunBinary;

constexpr char kProbe[] = "zerofleet-health-probe";

int Lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// Starts zerofleet-inference-server --null-model on a port it picks; the port, or 0.
int StartInferenceServer(const testing::ScopedTempDir& dir, std::unique_ptr<ChildProcess>* out) {
  *out = ChildProcess::Start(
      {testing::BinDir() + "/zerofleet-inference-server", "--null-model", "--port=0"},
      dir.Path("out"), dir.Path("err"));
  if (*out == nullptr) return 0;
  if (!(*out)->WaitForOutput(ChildProcess::Stream::kStdout, "\n", absl::Seconds(60))) {
    ADD_FAILURE() << "no 'listening on' line: " << (*out)->Log();
    return 0;
  }
  const std::string out_text = (*out)->Output(ChildProcess::Stream::kStdout);
  const std::string prefix = "listening on 127.0.0.1:";
  if (out_text.rfind(prefix, 0) != 0) {
    ADD_FAILURE() << "unexpected first line: " << out_text;
    return 0;
  }
  const std::string rest = out_text.substr(prefix.size());
  int port = 0;
  if (!absl::SimpleAtoi(rest.substr(0, rest.find_first_of(" \n")), &port)) return 0;
  return port;
}

TEST(HealthProbeTest, InferenceServerServesOverallAndByServiceName) {
  const testing::ScopedTempDir dir("zf_health_probe_");
  ASSERT_FALSE(dir.path().empty());
  std::unique_ptr<ChildProcess> server;
  const int port = StartInferenceServer(dir, &server);
  ASSERT_GT(port, 0);
  const std::string addr = absl::StrCat("--addr 127.0.0.1:", port);

  CommandResult r = RunBinary(kProbe, addr, "", 30);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("SERVING"), std::string::npos) << r.out;

  r = RunBinary(kProbe, addr + " --service zerofleet.v1.InferenceService --timeout-ms 3000", "",
                30);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  r = RunBinary(kProbe, addr + " --service zerofleet.v1.NoSuchService", "", 30);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("does not know this service"), std::string::npos) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;

  EXPECT_EQ(server->Stop(absl::Seconds(10)), 0);
}

TEST(HealthProbeTest, FollowsServingStatusChanges) {
  EnableHealthAndReflection();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);
  const std::string args =
      absl::StrCat("--addr=127.0.0.1:", port, " --service=zerofleet.test.Flipped");

  SetServing(server.get(), "zerofleet.test.Flipped", false);
  CommandResult r = RunBinary(kProbe, args, "", 30);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("NOT_SERVING"), std::string::npos) << r.err;

  SetServing(server.get(), "zerofleet.test.Flipped", true);
  r = RunBinary(kProbe, args, "", 30);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

TEST(HealthProbeTest, ClosedPortFailsFastWithinTheTimeout) {
  const int port = testing::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  const absl::Time start = absl::Now();
  const CommandResult r =
      RunBinary(kProbe, absl::StrCat("--addr 127.0.0.1:", port, " --timeout-ms 2000"), "", 30);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("127.0.0.1:"), std::string::npos) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  EXPECT_LT(took, absl::Seconds(4)) << r.err;  // 2 s deadline plus process start
}

TEST(HealthProbeTest, SilentPeerTimesOutAtTheDeadline) {
  // Accepts TCP (the kernel completes the handshake into the backlog) but never answers.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  socklen_t len = sizeof(a);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int port = ntohs(a.sin_port);

  const absl::Time start = absl::Now();
  const CommandResult r =
      RunBinary(kProbe, absl::StrCat("--addr 127.0.0.1:", port, " --timeout-ms 500"), "", 30);
  const absl::Duration took = absl::Now() - start;
  close(fd);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("no answer within 500 ms"), std::string::npos) << r.err;
  EXPECT_GE(took, absl::Milliseconds(450));
  EXPECT_LT(took, absl::Seconds(4));
}

TEST(HealthProbeTest, BadFlagsExitTwoWithOneLine) {
  struct Case {
    std::string args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"--addr 127.0.0.1:1 --bogus 3", "unknown flag --bogus"},
      {"", "--addr HOST:PORT is required"},
      {"--addr 127.0.0.1:1 --timeout-ms abc", "--timeout-ms"},
      {"--addr 127.0.0.1:1 --timeout-ms 0", "out of range"},
      {"--addr", "needs a value"},
      {"--addr 127.0.0.1:1 extra", "unexpected argument 'extra'"},
      {"--addr 127.0.0.1:1 --tls-server-name x", "--tls-server-name needs --tls-ca"},
      {"--addr 127.0.0.1:1 --tls-ca /nonexistent/ca.pem", "/nonexistent/ca.pem"},
  };
  for (const Case& c : cases) {
    const CommandResult r = RunBinary(kProbe, c.args, "", 30);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("zerofleet-health-probe: error: ", 0), 0u) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args << ": " << r.err;
    EXPECT_EQ(Lines(r.err), 1) << c.args << ": " << r.err;
  }
}

TEST(HealthProbeTest, HelpExitsZeroAndNamesEveryFlag) {
  const CommandResult r = RunBinary(kProbe, "--help", "", 30);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* flag :
       {"--addr", "--service", "--timeout-ms", "--tls-ca", "--tls-server-name"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << "\n" << r.out;
  }
}

// A self-signed certificate for `name` (it is its own CA), written as <prefix>.crt/.key.
bool MakeCertificate(const testing::ScopedTempDir& dir, const std::string& prefix,
                     const std::string& name) {
  const std::string cmd = absl::StrCat(
      "timeout -k 5 60 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 2 -subj /CN=",
      name, " -addext subjectAltName=DNS:", name, " -keyout ", dir.Path(prefix + ".key"), " -out ",
      dir.Path(prefix + ".crt"), " >", dir.Path(prefix + ".log"), " 2>&1");
  return std::system(cmd.c_str()) == 0;
}

TEST(HealthProbeTest, TlsVerifiesTheServerAgainstTheGivenCa) {
  const testing::ScopedTempDir dir("zf_health_probe_tls_");
  ASSERT_FALSE(dir.path().empty());
  ASSERT_TRUE(MakeCertificate(dir, "server", "zerofleet.test"))
      << *ReadFile(dir.Path("server.log"));
  ASSERT_TRUE(MakeCertificate(dir, "other", "zerofleet.test")) << *ReadFile(dir.Path("other.log"));

  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back(
      {*ReadFile(dir.Path("server.key")), *ReadFile(dir.Path("server.crt"))});
  EnableHealthAndReflection();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl), &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);
  const std::string addr = absl::StrCat("--addr 127.0.0.1:", port, " --timeout-ms 3000");

  CommandResult r = RunBinary(
      kProbe,
      absl::StrCat(addr, " --tls-ca ", dir.Path("server.crt"), " --tls-server-name zerofleet.test"),
      "", 30);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  // The certificate names zerofleet.test, not 127.0.0.1.
  r = RunBinary(kProbe, absl::StrCat(addr, " --tls-ca ", dir.Path("server.crt")), "", 30);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;

  // Another CA.
  r = RunBinary(
      kProbe,
      absl::StrCat(addr, " --tls-ca ", dir.Path("other.crt"), " --tls-server-name zerofleet.test"),
      "", 30);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;

  // Plaintext to a TLS port.
  r = RunBinary(kProbe, addr, "", 30);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;

  // A key is no certificate.
  r = RunBinary(kProbe, absl::StrCat(addr, " --tls-ca ", dir.Path("server.key")), "", 30);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

}  // namespace
}  // namespace zf
