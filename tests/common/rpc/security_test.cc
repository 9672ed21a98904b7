// TLS and the shared token (common/rpc/security.h) with real gRPC servers on 127.0.0.1: a
// test-only InferenceService whose method only calls AuthorizeCall, plus the default health
// service. Certificates are made per test by make_test_certs.sh (openssl). Every RPC has a
// deadline and every wait is bounded.
#include "common/rpc/security.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/rpc/grpc_options.h"
#include "common/rpc/health_check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"
#include "zerofleet/v1/inference.grpc.pb.h"

namespace zf {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using zerofleet::v1::EvaluateRequest;
using zerofleet::v1::EvaluateResponse;
using zerofleet::v1::InferenceService;

constexpr char kMethod[] = "/zerofleet.v1.InferenceService/Evaluate";
constexpr absl::Duration kRpcDeadline = absl::Seconds(10);

// Evaluate only authorizes the call and ends it: OK or the refusal.
class GuardedService final : public InferenceService::CallbackService {
 public:
  explicit GuardedService(RpcSecurity security) : security_(std::move(security)) {}

  grpc::ServerBidiReactor<EvaluateRequest, EvaluateResponse>* Evaluate(
      grpc::CallbackServerContext* context) override {
    return new FinishedBidiReactor<EvaluateRequest, EvaluateResponse>(
        AuthorizeCall(*context, security_, kMethod));
  }

 private:
  const RpcSecurity security_;
};

class TestServer {
 public:
  // Null (with a test failure) when the server cannot start.
  static std::unique_ptr<TestServer> Start(const RpcSecurity& security) {
    auto s = std::unique_ptr<TestServer>(new TestServer(security));
    EnableHealthAndReflection();
    grpc::ServerBuilder builder;
    ApplyServerOptions(&builder);
    builder.AddListeningPort("127.0.0.1:0", MakeServerCredentials(security), &s->port_);
    builder.RegisterService(&s->service_);
    s->server_ = builder.BuildAndStart();
    if (s->server_ == nullptr || s->port_ == 0) {
      ADD_FAILURE() << "test server did not start";
      return nullptr;
    }
    SetServing(s->server_.get(), InferenceService::service_full_name(), true);
    return s;
  }
  ~TestServer() {
    if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  }

  std::string target() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  explicit TestServer(const RpcSecurity& security) : service_(security) {}

  GuardedService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// One Evaluate stream that sends nothing: the server's verdict. `authorization`, when given,
// is sent as raw metadata (on top of what the channel's interceptor adds).
grpc::Status CallEvaluate(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& authorization = "") {
  auto stub = InferenceService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + kRpcDeadline));
  if (!authorization.empty()) ctx.AddMetadata(kAuthorizationKey, authorization);
  auto stream = stub->Evaluate(&ctx);
  stream->WritesDone();
  return stream->Finish();
}

struct HealthResult {
  grpc::Status status;
  int serving = -1;  // HealthCheckResponse.status: 1 = SERVING
};

// grpc.health.v1.Health/Check over `channel` (common/rpc/health_check.h).
HealthResult Health(const std::shared_ptr<grpc::Channel>& channel,
                    const std::string& service = "") {
  HealthResult result;
  absl::StatusOr<ServingStatus> status = CheckHealth(channel, service, kRpcDeadline);
  if (status.ok()) {
    result.serving = static_cast<int>(*status);
  } else {
    result.status = grpc::Status(static_cast<grpc::StatusCode>(status.status().code()),
                                 std::string(status.status().message()));
  }
  return result;
}

// Sends this process's stderr (fd 2) to a file until Stop(), which returns what was written.
class StderrCapture {
 public:
  explicit StderrCapture(std::string path) : path_(std::move(path)) {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (saved_ >= 0 && fd >= 0) dup2(fd, STDERR_FILENO);
    if (fd >= 0) close(fd);
  }
  ~StderrCapture() { Stop(); }

  std::string Stop() {
    if (saved_ >= 0) {
      std::fflush(stderr);
      dup2(saved_, STDERR_FILENO);
      close(saved_);
      saved_ = -1;
    }
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string path_;
  int saved_ = -1;
};

// Our refusal lines in captured stderr (gRPC may log there too).
std::vector<std::string> RefusalLines(const std::string& captured) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(captured, '\n')) {
    if (absl::StartsWith(line, "zerofleet rpc: refused ")) lines.emplace_back(line);
  }
  return lines;
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    // ctest sets ZF_SOURCE_DIR; run by hand, the script sits next to this file.
    const char* source = std::getenv("ZF_SOURCE_DIR");
    std::string script =
        absl::StrCat(source != nullptr ? source : "", "/tests/common/rpc/make_test_certs.sh");
    if (source == nullptr) {
      script = std::string(__FILE__);
      script = script.substr(0, script.rfind('/') + 1) + "make_test_certs.sh";
    }
    const std::string log = dir_.Path("make_test_certs.log");
    auto child = testing::ChildProcess::Start({"/bin/sh", script, dir_.path()}, log, log);
    ASSERT_NE(child, nullptr);
    ASSERT_EQ(child->WaitExit(absl::Seconds(60)), 0) << script << ":\n" << child->Log();
  }

  std::string Path(absl::string_view name) const { return dir_.Path(name); }

  std::string WriteFile(absl::string_view name, absl::string_view content) const {
    const std::string path = dir_.Path(name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  RpcSecurity Load(const RpcSecurityOptions& options) const {
    absl::StatusOr<RpcSecurity> s = LoadRpcSecurity(options);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : RpcSecurity();
  }

  RpcSecurityOptions TlsServer() const {
    RpcSecurityOptions o;
    o.tls_cert_file = Path("server.pem");
    o.tls_key_file = Path("server.key");
    return o;
  }
  RpcSecurityOptions TlsClient(const std::string& ca = "ca.pem") const {
    RpcSecurityOptions o;
    o.tls_ca_file = Path(ca);
    return o;
  }

  testing::ScopedTempDir dir_{"zf_security_"};
};

TEST_F(SecurityTest, NoTlsNoTokenWorks) {
  const RpcSecurity none = Load({});
  EXPECT_EQ(DescribeSecurity(none), "plaintext, no token");
  auto server = TestServer::Start(none);
  ASSERT_NE(server, nullptr);
  auto channel = MakeSecureChannel(server->target(), none);
  const grpc::Status s = CallEvaluate(channel);
  EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  EXPECT_EQ(Health(channel).serving, 1);
  // The plain MakeChannel of grpc_options.h talks to it too.
  EXPECT_TRUE(CallEvaluate(MakeChannel(server->target())).ok());
}

TEST_F(SecurityTest, TokenOnPlaintext) {
  RpcSecurityOptions server_options;
  server_options.token_file = WriteFile("server.token", "s3cret-Token\n");  // newline trimmed
  auto server = TestServer::Start(Load(server_options));
  ASSERT_NE(server, nullptr);

  const grpc::Status none = CallEvaluate(MakeSecureChannel(server->target(), Load({})));
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(none.error_message(), HasSubstr("no auth token"));

  for (const char* wrong : {"s3cret-token", "s3cret-Toke", "s3cret-Token2", "x"}) {
    RpcSecurityOptions o;
    o.token_file = WriteFile("wrong.token", wrong);
    const grpc::Status s = CallEvaluate(MakeSecureChannel(server->target(), Load(o)));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << wrong;
    EXPECT_THAT(s.error_message(), HasSubstr("wrong auth token")) << wrong;
  }
  // The token without the "Bearer " scheme is refused as malformed.
  const grpc::Status raw = CallEvaluate(MakeChannel(server->target()), "s3cret-Token");
  EXPECT_EQ(raw.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(raw.error_message(), HasSubstr("malformed"));

  RpcSecurityOptions right;
  right.token_file = WriteFile("client.token", "s3cret-Token");  // no newline: same token
  const RpcSecurity client = Load(right);
  EXPECT_EQ(DescribeSecurity(client), "plaintext, token");
  auto channel = MakeSecureChannel(server->target(), client);
  for (int i = 0; i < 3; ++i) {  // the token goes with every call, not just the first
    const grpc::Status s = CallEvaluate(channel);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  }
  // Any client may send the same header by hand.
  EXPECT_TRUE(CallEvaluate(MakeChannel(server->target()), "Bearer s3cret-Token").ok());

  // Health needs no token.
  auto anonymous = MakeSecureChannel(server->target(), Load({}));
  EXPECT_EQ(Health(anonymous).serving, 1);
  EXPECT_EQ(Health(anonymous, InferenceService::service_full_name()).serving, 1);
}

TEST_F(SecurityTest, TokenOverTls) {
  RpcSecurityOptions server_options = TlsServer();
  server_options.token_file = WriteFile("token", "tls-token");
  const RpcSecurity server_security = Load(server_options);
  EXPECT_EQ(DescribeSecurity(server_security), "TLS serving, token");
  auto server = TestServer::Start(server_security);
  ASSERT_NE(server, nullptr);

  RpcSecurityOptions client_options = TlsClient();
  client_options.token_file = Path("token");
  const RpcSecurity client = Load(client_options);
  EXPECT_EQ(DescribeSecurity(client), absl::StrCat("TLS client (CA ", Path("ca.pem"), "), token"));
  const grpc::Status ok = CallEvaluate(MakeSecureChannel(server->target(), client));
  EXPECT_TRUE(ok.ok()) << ok.error_code() << " " << ok.error_message();

  auto no_token = MakeSecureChannel(server->target(), Load(TlsClient()));
  EXPECT_EQ(CallEvaluate(no_token).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  client_options.token_file = WriteFile("wrong", "tls-tokeN");
  EXPECT_EQ(CallEvaluate(MakeSecureChannel(server->target(), Load(client_options))).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // Health over TLS without a token.
  const HealthResult health = Health(no_token);
  EXPECT_TRUE(health.status.ok()) << health.status.error_message();
  EXPECT_EQ(health.serving, 1);
}

TEST_F(SecurityTest, TlsVerifiesTheServer) {
  auto server = TestServer::Start(Load(TlsServer()));
  ASSERT_NE(server, nullptr);

  // The right CA, checking the IP in subjectAltName, then the name "localhost" via override.
  EXPECT_TRUE(CallEvaluate(MakeSecureChannel(server->target(), Load(TlsClient()))).ok());
  RpcSecurityOptions named = TlsClient();
  named.tls_server_name = "localhost";
  const RpcSecurity named_security = Load(named);
  EXPECT_EQ(DescribeSecurity(named_security),
            absl::StrCat("TLS client (CA ", Path("ca.pem"), ", server name localhost), no token"));
  EXPECT_TRUE(CallEvaluate(MakeSecureChannel(server->target(), named_security)).ok());

  // A name the certificate does not carry.
  named.tls_server_name = "learner.example";
  EXPECT_EQ(CallEvaluate(MakeSecureChannel(server->target(), Load(named))).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // An unrelated CA: Evaluate and health both fail.
  auto wrong_ca = MakeSecureChannel(server->target(), Load(TlsClient("other_ca.pem")));
  EXPECT_EQ(CallEvaluate(wrong_ca).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Health(wrong_ca).status.error_code(), grpc::StatusCode::UNAVAILABLE);

  // A plaintext client, health included: TLS covers the whole port.
  auto plain = MakeSecureChannel(server->target(), Load({}));
  EXPECT_EQ(CallEvaluate(plain).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Health(plain).status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SecurityTest, TlsClientToPlaintextServerFails) {
  auto server = TestServer::Start(Load({}));
  ASSERT_NE(server, nullptr);
  auto channel = MakeSecureChannel(server->target(), Load(TlsClient()));
  EXPECT_EQ(CallEvaluate(channel).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Health(channel).status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SecurityTest, RefusalsAreLoggedWithPeerAndRateLimited) {
  RpcSecurityOptions server_options;
  server_options.token_file = WriteFile("token", "right");
  server_options.refusal_log_burst = 3;
  server_options.refusal_log_window = absl::Seconds(3);
  auto server = TestServer::Start(Load(server_options));
  ASSERT_NE(server, nullptr);
  RpcSecurityOptions wrong;
  wrong.token_file = WriteFile("wrong", "wrong-secret");
  auto bad = MakeSecureChannel(server->target(), Load(wrong));
  auto good = MakeSecureChannel(server->target(), Load(server_options));

  StderrCapture capture(Path("stderr.txt"));
  const absl::Time start = absl::Now();
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(CallEvaluate(bad).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  ASSERT_TRUE(CallEvaluate(good).ok());  // accepted calls are not logged
  const absl::Duration burst_time = absl::Now() - start;
  // The next window: one more refusal, with the count of those not logged.
  absl::SleepFor(server_options.refusal_log_window - burst_time + absl::Milliseconds(200));
  ASSERT_EQ(CallEvaluate(MakeChannel(server->target())).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  const std::string captured = capture.Stop();

  ASSERT_LT(burst_time, server_options.refusal_log_window) << "20 calls took too long";
  const std::vector<std::string> lines = RefusalLines(captured);
  ASSERT_EQ(lines.size(), 4u) << captured;
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(lines[i], HasSubstr(absl::StrCat("refused ", kMethod, " from ipv4:127.0.0.1:")));
    EXPECT_THAT(lines[i], HasSubstr(": wrong token"));
    EXPECT_THAT(lines[i], Not(HasSubstr("earlier")));
  }
  EXPECT_THAT(lines[3], HasSubstr("from ipv4:127.0.0.1:"));
  EXPECT_THAT(lines[3], HasSubstr(": no token (17 earlier refusals not logged)"));
  EXPECT_THAT(captured, Not(HasSubstr("wrong-secret")));  // tokens never reach the log
  EXPECT_THAT(captured, Not(HasSubstr("right")));
}

// Calls from several threads at once: the limit holds, every call gets its answer.
TEST_F(SecurityTest, ConcurrentRefusalsStayWithinTheBurst) {
  RpcSecurityOptions server_options;
  server_options.token_file = WriteFile("token", "right");
  server_options.refusal_log_burst = 2;
  server_options.refusal_log_window = absl::Seconds(60);
  auto server = TestServer::Start(Load(server_options));
  ASSERT_NE(server, nullptr);
  auto bad = MakeChannel(server->target());
  auto good = MakeSecureChannel(server->target(), Load(server_options));

  StderrCapture capture(Path("stderr.txt"));
  std::atomic<int> refused{0}, accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (CallEvaluate(bad).error_code() == grpc::StatusCode::UNAUTHENTICATED) ++refused;
        if (CallEvaluate(good).ok()) ++accepted;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::string captured = capture.Stop();
  EXPECT_EQ(refused.load(), 40);
  EXPECT_EQ(accepted.load(), 40);
  EXPECT_EQ(RefusalLines(captured).size(), 2u) << captured;
}

TEST_F(SecurityTest, LoadErrorsNameTheFileAndTheProblem) {
  auto error = [](const RpcSecurityOptions& o) {
    absl::StatusOr<RpcSecurity> s = LoadRpcSecurity(o);
    return s.ok() ? std::string("OK") : std::string(s.status().message());
  };
  RpcSecurityOptions o;
  o.token_file = Path("missing.token");
  EXPECT_EQ(error(o), absl::StrCat("token file ", Path("missing.token"),
                                   ": cannot open: No such file or directory"));
  o.token_file = WriteFile("empty.token", "");
  EXPECT_EQ(error(o), absl::StrCat("token file ", Path("empty.token"), ": empty"));
  o.token_file = WriteFile("blank.token", " \n\r\n");
  EXPECT_EQ(error(o), absl::StrCat("token file ", Path("blank.token"), ": empty"));
  o.token_file = WriteFile("two_words.token", "two words\n");
  EXPECT_THAT(error(o), HasSubstr("byte 3 is 0x20; the token must be one word"));
  o.token_file = dir_.path();
  EXPECT_THAT(error(o), HasSubstr("cannot read: Is a directory"));

  o = RpcSecurityOptions();
  o.tls_cert_file = Path("server.pem");
  EXPECT_EQ(error(o),
            absl::StrCat("TLS certificate file ", Path("server.pem"), " given without a key file"));
  o = RpcSecurityOptions();
  o.tls_key_file = Path("server.key");
  EXPECT_EQ(error(o),
            absl::StrCat("TLS key file ", Path("server.key"), " given without a certificate file"));
  o = RpcSecurityOptions();
  o.tls_server_name = "localhost";
  EXPECT_THAT(error(o), HasSubstr("server name localhost given without a CA file"));

  o = TlsServer();
  o.tls_cert_file = WriteFile("garbage.pem", "hello\n");
  EXPECT_EQ(error(o), absl::StrCat("TLS certificate file ", Path("garbage.pem"),
                                   ": no PEM certificate in it (expected -----BEGIN "
                                   "CERTIFICATE-----)"));
  o.tls_cert_file = WriteFile(
      "corrupt.pem", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
  EXPECT_THAT(error(o), HasSubstr(absl::StrCat("TLS certificate file ", Path("corrupt.pem"),
                                               ": bad PEM certificate")));
  o = TlsServer();
  o.tls_key_file = Path("server.pem");  // a certificate where the key should be
  EXPECT_THAT(error(o), HasSubstr(absl::StrCat("TLS key file ", Path("server.pem"),
                                               ": no PEM private key in it")));
  o.tls_key_file = Path("other_ca.key");
  EXPECT_EQ(error(o),
            absl::StrCat("TLS key file ", Path("other_ca.key"),
                         ": does not match the first certificate in ", Path("server.pem")));
  o.tls_key_file = Path("server_encrypted.key");
  EXPECT_EQ(error(o), absl::StrCat("TLS key file ", Path("server_encrypted.key"),
                                   ": encrypted private keys are not supported"));
  o.tls_key_file = Path("missing.key");
  EXPECT_THAT(error(o), HasSubstr("cannot open: No such file or directory"));

  o = TlsClient("server.key");  // a key where the CA should be
  EXPECT_THAT(error(o), HasSubstr(absl::StrCat("TLS CA file ", Path("server.key"),
                                               ": no PEM certificate in it")));
  o = TlsClient("missing_ca.pem");
  EXPECT_THAT(error(o), HasSubstr(Path("missing_ca.pem")));

  // And the happy path loads everything at once.
  o = TlsServer();
  o.tls_ca_file = Path("ca.pem");
  o.token_file = WriteFile("ok.token", "t0ken\n");
  EXPECT_EQ(error(o), "OK");
}

}  // namespace
}  // namespace zf
