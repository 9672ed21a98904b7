#include "learner/checkpoint.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/util/bytes.h"
#include "common/util/file_io.h"

namespace zf {
namespace {

constexpr char kMagic[] = "ZFCK";
constexpr uint32_t kFormatVersion = 1;
constexpr char kLatest[] = "latest";

enum Tag : uint32_t {
  kMeta = 1,
  kConfig = 2,
  kRng = 3,
  kTrainer = 4,
  kReplay = 5,
};

void AddSection(uint32_t tag, absl::string_view payload, ByteWriter* w) {
  w->U32(tag);
  w->U64(payload.size());
  w->U32(Crc32(payload));
  w->Bytes(payload);
}

// The step of a checkpoint file name, or -1 if `name` is not one.
int64_t StepOfFileName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "ckpt-") || !absl::ConsumeSuffix(&name, ".zfc") ||
      name.size() < 9) {
    return -1;
  }
  for (char c : name) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return -1;
  }
  int64_t step;
  return absl::SimpleAtoi(name, &step) ? step : -1;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string SerializeCheckpoint(const CheckpointState& state) {
  ByteWriter meta;
  meta.U64(static_cast<uint64_t>(state.step));
  meta.U64(static_cast<uint64_t>(state.model_version));
  ByteWriter w;
  w.Bytes(absl::string_view(kMagic, 4));
  w.U32(kFormatVersion);
  w.U32(5);
  AddSection(kMeta, meta.data(), &w);
  AddSection(kConfig, state.config_text, &w);
  AddSection(kRng, state.rng_state, &w);
  AddSection(kTrainer, state.trainer_state, &w);
  AddSection(kReplay, state.replay_buffer, &w);
  return w.Release();
}

absl::StatusOr<CheckpointState> ParseCheckpoint(absl::string_view bytes) {
  ByteReader r(bytes);
  absl::string_view magic;
  uint32_t version, count;
  if (!r.Bytes(4, &magic) || magic != absl::string_view(kMagic, 4)) {
    return absl::DataLossError("bad magic (not a checkpoint, or truncated to nothing)");
  }
  if (!r.U32(&version) || !r.U32(&count)) return absl::DataLossError("truncated header");
  if (version != kFormatVersion) {
    return absl::UnimplementedError(
        absl::StrCat("checkpoint format version ", version, "; this build reads ", kFormatVersion));
  }
  std::map<uint32_t, absl::string_view> sections;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t tag, crc;
    uint64_t length;
    absl::string_view payload;
    if (!r.U32(&tag) || !r.U64(&length) || !r.U32(&crc) || length > r.remaining() ||
        !r.Bytes(static_cast<size_t>(length), &payload)) {
      return absl::DataLossError(absl::StrCat("truncated in section ", i + 1, " of ", count));
    }
    if (Crc32(payload) != crc) {
      return absl::DataLossError(
          absl::StrCat("checksum mismatch in section ", i + 1, " (tag ", tag, ")"));
    }
    sections[tag] = payload;
  }
  if (r.remaining() != 0) {
    return absl::DataLossError(absl::StrCat(r.remaining(), " trailing bytes after the sections"));
  }
  for (uint32_t tag : {kMeta, kConfig, kRng, kTrainer, kReplay}) {
    if (sections.count(tag) == 0) {
      return absl::DataLossError(absl::StrCat("missing section with tag ", tag));
    }
  }
  CheckpointState state;
  ByteReader meta(sections[kMeta]);
  uint64_t step, model_version;
  if (!meta.U64(&step) || !meta.U64(&model_version)) {
    return absl::DataLossError("short meta section");
  }
  state.step = static_cast<int64_t>(step);
  state.model_version = static_cast<int64_t>(model_version);
  state.config_text = std::string(sections[kConfig]);
  state.rng_state = std::string(sections[kRng]);
  state.trainer_state = std::string(sections[kTrainer]);
  state.replay_buffer = std::string(sections[kReplay]);
  return state;
}

std::string SerializeRng(const std::mt19937_64& rng) {
  std::ostringstream out;
  out << rng;
  return out.str();
}

absl::Status ParseRng(absl::string_view text, std::mt19937_64* rng) {
  std::istringstream in{std::string(text)};
  std::mt19937_64 parsed;
  in >> parsed;
  if (in.fail()) return absl::DataLossError("rng state is not a std::mt19937_64 state");
  *rng = parsed;
  return absl::OkStatus();
}

CheckpointManager::CheckpointManager(std::string run_dir, const CheckpointOptions& options)
    : dir_(absl::StrCat(run_dir, "/checkpoints")), options_(options) {}

std::string CheckpointManager::FileName(int64_t step) {
  return absl::StrFormat("ckpt-%09d.zfc", step);
}

std::vector<std::string> CheckpointManager::List() const {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    const int64_t step = StepOfFileName(name);
    if (step >= 0) found.emplace_back(step, absl::StrCat(dir_, "/", name));
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& [step, path] : found) out.push_back(std::move(path));
  return out;
}

absl::StatusOr<std::string> CheckpointManager::Save(const CheckpointState& state) {
  if (state.step < 0) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint step ", state.step, " < 0"));
  }
  absl::MutexLock lock(&save_mu_);
  if (absl::Status s = MakeDirs(dir_); !s.ok()) return s;
  const std::string name = FileName(state.step);
  const std::string path = absl::StrCat(dir_, "/", name);
  if (absl::Status s = WriteFileAtomically(path, SerializeCheckpoint(state)); !s.ok()) return s;
  if (absl::Status s = WriteFileAtomically(absl::StrCat(dir_, "/", kLatest), name + "\n");
      !s.ok()) {
    return s;
  }
  // Prune. Checkpoints of later steps belong to a timeline this run abandoned (it resumed
  // from an older one, e.g. past a corrupt file); then the newest keep_last stay.
  std::vector<std::string> all;
  std::error_code ec;
  for (const std::string& p : List()) {
    if (StepOfFileName(BaseName(p)) > state.step) {
      std::fprintf(stderr, "zerofleet: removing %s, newer than the resumed run's step %lld\n",
                   p.c_str(), static_cast<long long>(state.step));
      std::filesystem::remove(p, ec);
    } else {
      all.push_back(p);
    }
  }
  const size_t keep = static_cast<size_t>(std::max(options_.keep_last, 1));
  for (size_t i = 0; i + keep < all.size(); ++i) std::filesystem::remove(all[i], ec);
  // Temp files of writes that never finished (a crash mid-save).
  const std::string own_suffix = absl::StrCat(".tmp.", getpid());
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string file = entry.path().filename().string();
    if (absl::StrContains(file, ".tmp.") && !absl::EndsWith(file, own_suffix)) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  return path;
}

absl::StatusOr<LoadedCheckpoint> CheckpointManager::LoadLatest() const {
  LoadedCheckpoint loaded;
  auto warn = [&](std::string message) {
    std::fprintf(stderr, "zerofleet: %s\n", message.c_str());
    loaded.warnings.push_back(std::move(message));
  };
  std::vector<std::string> candidates = List();  // oldest first
  std::reverse(candidates.begin(), candidates.end());
  const std::string latest_path = absl::StrCat(dir_, "/", kLatest);
  absl::StatusOr<std::string> pointer = ReadFile(latest_path);
  if (pointer.ok()) {
    const std::string name(absl::StripAsciiWhitespace(*pointer));
    const int64_t step = StepOfFileName(name);
    if (step < 0) {
      warn(absl::StrCat(latest_path, ": does not name a checkpoint file; using the newest one"));
    } else {
      // Follow the pointer first; after it only older checkpoints (newer ones were never
      // published as latest).
      const std::string target = absl::StrCat(dir_, "/", name);
      std::vector<std::string> ordered = {target};
      for (const std::string& c : candidates) {
        if (StepOfFileName(BaseName(c)) < step) ordered.push_back(c);
      }
      candidates = std::move(ordered);
    }
  } else if (!candidates.empty()) {
    warn(absl::StrCat(latest_path, ": ", pointer.status().message(),
                      "; using the newest checkpoint file"));
  }
  if (candidates.empty()) {
    return absl::NotFoundError(absl::StrCat("no checkpoint in ", dir_));
  }
  for (const std::string& path : candidates) {
    absl::StatusOr<std::string> bytes = ReadFile(path);
    if (!bytes.ok()) {
      warn(absl::StrCat("checkpoint ", path, " unreadable: ", bytes.status().message(),
                        "; trying an older one"));
      continue;
    }
    absl::StatusOr<CheckpointState> state = ParseCheckpoint(*bytes);
    if (state.ok() && state->step != StepOfFileName(BaseName(path))) {
      state = absl::DataLossError(
          absl::StrCat("holds step ", state->step, ", not the step in its name"));
    }
    if (!state.ok()) {
      warn(absl::StrCat("checkpoint ", path, " is corrupt or truncated: ", state.status().message(),
                        "; trying an older one"));
      continue;
    }
    loaded.state = *std::move(state);
    loaded.path = path;
    return loaded;
  }
  return absl::DataLossError(
      absl::StrCat("no readable checkpoint in ", dir_, ": ", absl::StrJoin(loaded.warnings, "; ")));
}

}  // namespace zf
