#include "common/rpc/security.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/rpc/grpc_options.h"

namespace zf {

// Rate-limited refusal lines on stderr, shared by every copy of one RpcSecurity.
class RefusalLog {
 public:
  RefusalLog(int burst, absl::Duration window) : burst_(burst), window_(window) {}

  // Writes one line unless `burst_` lines were already written in this window. Thread-safe.
  void Refused(absl::string_view peer, absl::string_view method, absl::string_view reason) {
    int64_t suppressed = 0;
    {
      absl::MutexLock l(&mu_);
      const absl::Time now = absl::Now();
      if (now - window_start_ >= window_) {
        window_start_ = now;
        logged_ = 0;
      }
      if (logged_ >= burst_) {
        ++suppressed_;
        return;
      }
      ++logged_;
      suppressed = std::exchange(suppressed_, 0);
    }
    // Outside the lock: a slow stderr must not serialize the refusals of other threads.
    std::string line =
        absl::StrCat("zerofleet rpc: refused ", method, " from ", peer, ": ", reason);
    if (suppressed > 0) absl::StrAppend(&line, " (", suppressed, " earlier refusals not logged)");
    std::fprintf(stderr, "%s\n", line.c_str());
  }

 private:
  const int burst_;
  const absl::Duration window_;
  absl::Mutex mu_;
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int logged_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

namespace {

constexpr size_t kMaxFileBytes = 1 << 20;  // far above any PEM bundle or token
constexpr char kBearerPrefix[] = "Bearer ";

// Reads a small file whole; the error names `what`, the path and the problem.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, absl::string_view what) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    const int error = errno;
    std::string message = absl::StrCat(what, " ", path, ": cannot open: ", std::strerror(error));
    return error == ENOENT ? absl::NotFoundError(message) : absl::PermissionDeniedError(message);
  }
  std::string data;
  char buffer[8192];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    data.append(buffer, n);
    if (data.size() > kMaxFileBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " ", path, ": larger than ", kMaxFileBytes, " bytes"));
    }
  }
  if (std::ferror(file.get())) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " ", path, ": cannot read: ", std::strerror(errno)));
  }
  return data;
}

// OpenSSL's last error as text, clearing its thread-local queue (gRPC shares it).
std::string OpenSslError() {
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  std::string text = reason != nullptr ? reason : absl::StrCat("OpenSSL error ", code);
  ERR_clear_error();
  return text;
}

using BioPtr = std::unique_ptr<BIO, void (*)(BIO*)>;
using X509Ptr = std::unique_ptr<X509, void (*)(X509*)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)>;

BioPtr MemoryBio(const std::string& data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), &BIO_free_all);
}

// Every certificate in a PEM file (other PEM blocks are skipped); an error when there is none
// or a certificate block does not parse.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(const std::string& pem,
                                                       const std::string& path,
                                                       absl::string_view what) {
  std::vector<X509Ptr> certs;
  BioPtr bio = MemoryBio(pem);
  ERR_clear_error();
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert, &X509_free);
  }
  const unsigned long code = ERR_peek_last_error();
  const bool clean_end = ERR_GET_LIB(code) == ERR_LIB_PEM &&
                         ERR_GET_REASON(code) == PEM_R_NO_START_LINE && !certs.empty();
  if (!clean_end) {
    const std::string problem =
        certs.empty() && ERR_GET_REASON(code) == PEM_R_NO_START_LINE
            ? "no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)"
            : absl::StrCat("bad PEM certificate: ", OpenSslError());
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, ": ", problem));
  }
  ERR_clear_error();
  return certs;
}

// Refuses passphrase prompts: gRPC cannot use encrypted keys anyway.
int NoPassphrase(char*, int, int, void*) { return -1; }

absl::Status CheckKeyMatches(const std::string& key_pem, const RpcSecurityOptions& o, X509* leaf) {
  if (absl::StrContains(key_pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
      absl::StrContains(key_pem, "Proc-Type: 4,ENCRYPTED")) {  // PKCS#8 or legacy PEM
    return absl::InvalidArgumentError(absl::StrCat("TLS key file ", o.tls_key_file,
                                                   ": encrypted private keys are not supported"));
  }
  BioPtr bio = MemoryBio(key_pem);
  ERR_clear_error();
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, &NoPassphrase, nullptr), &EVP_PKEY_free);
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS key file ", o.tls_key_file, ": no PEM private key in it (", OpenSslError(), ")"));
  }
  if (X509_check_private_key(leaf, key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("TLS key file ", o.tls_key_file,
                                                   ": does not match the first certificate in ",
                                                   o.tls_cert_file));
  }
  return absl::OkStatus();
}

// Constant time in the token's content (OpenSSL's CRYPTO_memcmp reads every byte); only the
// length can show, which tells an attacker little.
bool TokensEqual(absl::string_view expected, absl::string_view given) {
  return expected.size() == given.size() &&
         CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

// Adds the token to the initial metadata of every call on its channel.
class TokenInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit TokenInterceptor(std::shared_ptr<const std::string> header)
      : header_(std::move(header)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kAuthorizationKey, *header_);
    }
    methods->Proceed();
  }

 private:
  const std::shared_ptr<const std::string> header_;
};

class TokenInterceptorFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit TokenInterceptorFactory(const std::string& token)
      : header_(std::make_shared<const std::string>(absl::StrCat(kBearerPrefix, token))) {}

  // gRPC takes ownership of the interceptor (its API's rule) and deletes it after the call.
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new TokenInterceptor(header_);
  }

 private:
  const std::shared_ptr<const std::string> header_;
};

}  // namespace

absl::StatusOr<RpcSecurity> LoadRpcSecurity(const RpcSecurityOptions& options) {
  const RpcSecurityOptions& o = options;
  RpcSecurity s;
  // 1. Server certificate and key: both or neither, the key matching the leaf.
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        o.tls_cert_file.empty()
            ? absl::StrCat("TLS key file ", o.tls_key_file, " given without a certificate file")
            : absl::StrCat("TLS certificate file ", o.tls_cert_file, " given without a key file"));
  }
  if (!o.tls_cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadSmallFile(o.tls_cert_file, "TLS certificate file");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadSmallFile(o.tls_key_file, "TLS key file");
    if (!key.ok()) return key.status();
    absl::StatusOr<std::vector<X509Ptr>> chain =
        ParseCertificates(*cert, o.tls_cert_file, "TLS certificate file");
    if (!chain.ok()) return chain.status();
    if (absl::Status m = CheckKeyMatches(*key, o, chain->front().get()); !m.ok()) return m;
    s.cert_chain_pem_ = *std::move(cert);
    s.private_key_pem_ = *std::move(key);
  }
  // 2. Client CA and the optional name override.
  if (!o.tls_server_name.empty() && o.tls_ca_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("TLS server name ", o.tls_server_name,
                                                   " given without a CA file (it applies to TLS)"));
  }
  if (!o.tls_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadSmallFile(o.tls_ca_file, "TLS CA file");
    if (!ca.ok()) return ca.status();
    absl::StatusOr<std::vector<X509Ptr>> roots =
        ParseCertificates(*ca, o.tls_ca_file, "TLS CA file");
    if (!roots.ok()) return roots.status();
    s.ca_pem_ = *std::move(ca);
    s.ca_file_ = o.tls_ca_file;
    s.server_name_ = o.tls_server_name;
  }
  // 3. Token: one line of visible ASCII (it travels as an HTTP/2 header value).
  if (!o.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadSmallFile(o.token_file, "token file");
    if (!token.ok()) return token.status();
    const absl::string_view t = absl::StripAsciiWhitespace(*token);
    if (t.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("token file ", o.token_file, ": empty"));
    }
    for (size_t i = 0; i < t.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(t[i]);
      if (c < 0x21 || c > 0x7E) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "token file %s: byte %d is 0x%02X; the token must be one word of printable ASCII",
            o.token_file, i, c));
      }
    }
    if (o.refusal_log_burst < 1 || o.refusal_log_window <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("refusal log burst and window must be positive");
    }
    s.token_ = std::string(t);
    s.refusal_log_ = std::make_shared<RefusalLog>(o.refusal_log_burst, o.refusal_log_window);
  }
  return s;
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const RpcSecurity& security) {
  if (!security.server_tls()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({security.private_key_pem_, security.cert_chain_pem_});
  return grpc::SslServerCredentials(ssl);
}

std::shared_ptr<grpc::Channel> MakeSecureChannel(const std::string& target,
                                                 const RpcSecurity& security) {
  grpc::ChannelArguments args = ClientChannelArguments();
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (security.client_tls()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = security.ca_pem_;
    credentials = grpc::SslCredentials(ssl);
    if (!security.server_name_.empty()) args.SetSslTargetNameOverride(security.server_name_);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  if (!security.has_token()) return grpc::CreateCustomChannel(target, credentials, args);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<TokenInterceptorFactory>(security.token_));
  return grpc::experimental::CreateCustomChannelWithInterceptors(target, credentials, args,
                                                                 std::move(factories));
}

grpc::Status AuthorizeCall(const grpc::ServerContextBase& context, const RpcSecurity& security,
                           absl::string_view method) {
  if (!security.has_token()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find(kAuthorizationKey);
  absl::string_view reason;
  grpc::Status refusal;
  if (it == metadata.end()) {
    reason = "no token";
    refusal = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                           "no auth token: this server requires the shared token (start the "
                           "client with the same token file)");
  } else {
    absl::string_view value(it->second.data(), it->second.size());
    const size_t prefix = sizeof(kBearerPrefix) - 1;
    const bool bearer = absl::StartsWithIgnoreCase(value, kBearerPrefix);
    if (bearer && TokensEqual(security.token_, value.substr(prefix))) return grpc::Status::OK;
    reason = bearer ? "wrong token" : "malformed authorization (expected \"Bearer <token>\")";
    refusal = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                           bearer ? "wrong auth token: the client's token file differs from "
                                    "this server's"
                                  : "malformed authorization metadata: expected \"Bearer "
                                    "<token>\"");
  }
  security.refusal_log_->Refused(context.peer(), method, reason);
  return refusal;
}

std::string DescribeSecurity(const RpcSecurity& security) {
  std::vector<std::string> parts;
  if (security.server_tls()) parts.push_back("TLS serving");
  if (security.client_tls()) {
    std::string client = absl::StrCat("TLS client (CA ", security.ca_file_);
    if (!security.server_name_.empty()) {
      absl::StrAppend(&client, ", server name ", security.server_name_);
    }
    parts.push_back(absl::StrCat(client, ")"));
  }
  if (parts.empty()) parts.push_back("plaintext");
  parts.push_back(security.has_token() ? "token" : "no token");
  return absl::StrJoin(parts, ", ");
}

}  // namespace zf
