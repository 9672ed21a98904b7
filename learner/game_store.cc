#include "learner/game_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/util/bytes.h"
#include "common/util/file_io.h"

namespace zf {
namespace {

constexpr absl::string_view kSegmentMagic = "ZFGS";
constexpr absl::string_view kBatchMagic = "ZFGB";
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 16;  // segment header and batch header alike
// A batch (and a commit group) stops growing past this; a single larger game is still one batch.
constexpr size_t kMaxBatchBytes = size_t{8} << 20;

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat("game store: cannot ", what, " ", path, ": ", std::strerror(errno)));
}

std::string SegmentName(int64_t number) { return absl::StrFormat("segment-%06d.zgs", number); }

// Quoted, escaped and shortened for error messages (ids are arbitrary bytes).
std::string QuoteId(absl::string_view id) {
  if (id.size() > 40) return absl::StrCat("\"", absl::CHexEscape(id.substr(0, 40)), "...\"");
  return absl::StrCat("\"", absl::CHexEscape(id), "\"");
}

size_t GameBytes(const StoredGame& g) { return 1 + g.game_id.size() + 8 + 4 + g.record.size(); }

std::string SegmentHeader(int64_t number) {
  ByteWriter w;
  w.Bytes(kSegmentMagic);
  w.U32(kVersion);
  w.U32(static_cast<uint32_t>(number));
  w.U32(Crc32(w.data()));
  return w.Release();
}

// Encodes games[*next ..] into one batch of at most kMaxBatchBytes (at least one game) and
// advances *next past them.
std::string EncodeBatch(const std::vector<const StoredGame*>& games, size_t* next) {
  size_t end = *next;
  size_t body_bytes = 4;
  while (end < games.size() &&
         (end == *next || body_bytes + GameBytes(*games[end]) <= kMaxBatchBytes)) {
    body_bytes += GameBytes(*games[end]);
    ++end;
  }
  ByteWriter body;
  body.U32(static_cast<uint32_t>(end - *next));
  for (size_t i = *next; i < end; ++i) {
    const StoredGame& g = *games[i];
    body.U8(static_cast<uint8_t>(g.game_id.size()));
    body.Bytes(g.game_id);
    body.U64(static_cast<uint64_t>(g.model_version));
    body.U32(static_cast<uint32_t>(g.record.size()));
    body.Bytes(g.record);
  }
  *next = end;
  ByteWriter out;
  out.Bytes(kBatchMagic);
  out.U32(static_cast<uint32_t>(body.data().size()));
  out.U32(Crc32(body.data()));
  out.U32(Crc32(out.data()));
  out.Bytes(body.data());
  return out.Release();
}

// The batch starting at `pos`: its body and end, or why it is damaged or incomplete.
struct BatchCheck {
  absl::string_view body;
  size_t end = 0;
  std::string problem;  // empty when the batch is intact
};

BatchCheck CheckBatch(absl::string_view data, size_t pos) {
  BatchCheck c;
  const size_t left = data.size() - pos;
  if (left < kHeaderBytes) {
    c.problem = absl::StrCat("incomplete batch header (", left, " of ", kHeaderBytes, " bytes)");
    return c;
  }
  ByteReader r(data.substr(pos + 4, 12));
  uint32_t len = 0, body_crc = 0, header_crc = 0;
  r.U32(&len);
  r.U32(&body_crc);
  r.U32(&header_crc);
  if (data.substr(pos, 4) != kBatchMagic) {
    c.problem = "bad batch magic";
  } else if (Crc32(data.substr(pos, 12)) != header_crc) {
    c.problem = "batch header checksum mismatch";
  } else if (len > left - kHeaderBytes) {
    c.problem =
        absl::StrCat("incomplete batch (", left - kHeaderBytes, " of ", len, " body bytes)");
  } else if (Crc32(data.substr(pos + kHeaderBytes, len)) != body_crc) {
    c.problem = "batch checksum mismatch";
  } else {
    c.body = data.substr(pos + kHeaderBytes, len);
    c.end = pos + kHeaderBytes + len;
  }
  return c;
}

// Whether an intact batch starts anywhere at or after `from` (then damage before it is not a
// torn write: batches are written only after the previous one is durable).
bool IntactBatchFrom(absl::string_view data, size_t from) {
  for (size_t q = data.find(kBatchMagic, from); q != absl::string_view::npos;
       q = data.find(kBatchMagic, q + 1)) {
    if (CheckBatch(data, q).problem.empty()) return true;
  }
  return false;
}

// Parses a verified batch body into games; false if it is malformed (a writer bug, since the
// checksum matched).
bool ParseBody(absl::string_view body, std::vector<StoredGame>* games) {
  ByteReader r(body);
  uint32_t n = 0;
  if (!r.U32(&n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t id_bytes = 0;
    uint64_t version = 0;
    uint32_t record_bytes = 0;
    absl::string_view id, record;
    if (!r.U8(&id_bytes) || id_bytes == 0 || id_bytes > GameStore::kMaxIdBytes ||
        !r.Bytes(id_bytes, &id) || !r.U64(&version) || !r.U32(&record_bytes) ||
        !r.Bytes(record_bytes, &record)) {
      return false;
    }
    games->push_back(
        StoredGame{std::string(id), static_cast<int64_t>(version), std::string(record)});
  }
  return r.remaining() == 0;
}

absl::Status PWriteAll(int fd, absl::string_view bytes, int64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Creates (or empties) a segment file with its header, durably; the open fd on success.
absl::StatusOr<int> CreateSegment(const std::string& dir, int64_t number) {
  const std::string path = absl::StrCat(dir, "/", SegmentName(number));
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create", path);
  absl::Status s = PWriteAll(fd, SegmentHeader(number), 0, path);
  if (s.ok() && fsync(fd) != 0) s = Errno("fsync", path);
  // The directory entry must be durable before the first ack from this file.
  if (s.ok()) s = SyncDir(dir);
  if (!s.ok()) {
    close(fd);
    return s;
  }
  return fd;
}

// Segment numbers in `dir`, sorted; a file named like a segment but not exactly one is an error.
absl::StatusOr<std::vector<int64_t>> ListSegments(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return Errno("list directory", dir);
  std::vector<int64_t> numbers;
  absl::Status bad;
  while (const dirent* e = readdir(d)) {
    const absl::string_view name = e->d_name;
    if (!absl::StartsWith(name, "segment-") || !absl::EndsWith(name, ".zgs")) continue;
    int64_t n = 0;
    const absl::string_view digits = name.substr(8, name.size() - 12);
    if (!absl::SimpleAtoi(digits, &n) || n < 1 || n > std::numeric_limits<int32_t>::max() ||
        SegmentName(n) != name) {
      bad = absl::DataLossError(
          absl::StrCat("game store: ", dir, "/", name, ": not a valid segment file name"));
      break;
    }
    numbers.push_back(n);
  }
  closedir(d);
  if (!bad.ok()) return bad;
  std::sort(numbers.begin(), numbers.end());
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (numbers[i] != static_cast<int64_t>(i) + 1) {
      return absl::DataLossError(
          absl::StrCat("game store: ", dir, "/", SegmentName(static_cast<int64_t>(i) + 1),
                       " is missing (segments must be numbered 1, 2, ... without gaps)"));
    }
  }
  return numbers;
}

}  // namespace

// Ids packed back to back in 1 MiB chunks as [u8 length | bytes]; the hash set holds 8-byte
// references (chunk << 20 | offset) and hashes/compares the bytes they point to.
class GameStore::IdIndex {
 public:
  IdIndex() : set_(0, RefHash{this}, RefEq{this}) {}
  IdIndex(const IdIndex&) = delete;  // the functors point at this object
  IdIndex& operator=(const IdIndex&) = delete;

  bool Contains(absl::string_view id) const { return set_.find(id) != set_.end(); }
  // False if already present.
  bool Insert(absl::string_view id) {
    if (Contains(id)) return false;
    set_.insert(Store(id));
    return true;
  }
  int64_t size() const { return static_cast<int64_t>(set_.size()); }
  int64_t bytes() const {
    return static_cast<int64_t>(chunks_.size() * kChunkBytes +
                                chunks_.capacity() * sizeof(chunks_[0]) +
                                set_.capacity() * (sizeof(uint64_t) + 1));
  }

 private:
  static constexpr size_t kChunkBits = 20;
  static constexpr size_t kChunkBytes = size_t{1} << kChunkBits;

  uint64_t Store(absl::string_view id) {
    if (chunks_.empty() || used_ + 1 + id.size() > kChunkBytes) {
      chunks_.push_back(std::make_unique<char[]>(kChunkBytes));
      used_ = 0;
    }
    char* p = chunks_.back().get() + used_;
    p[0] = static_cast<char>(static_cast<uint8_t>(id.size()));
    std::memcpy(p + 1, id.data(), id.size());
    const uint64_t ref = (uint64_t{chunks_.size() - 1} << kChunkBits) | used_;
    used_ += 1 + id.size();
    return ref;
  }
  absl::string_view Get(uint64_t ref) const {
    const char* p = chunks_[ref >> kChunkBits].get() + (ref & (kChunkBytes - 1));
    return absl::string_view(p + 1, static_cast<uint8_t>(p[0]));
  }

  struct RefHash {
    using is_transparent = void;
    const IdIndex* index;
    size_t operator()(absl::string_view id) const { return absl::Hash<absl::string_view>()(id); }
    size_t operator()(uint64_t ref) const { return (*this)(index->Get(ref)); }
  };
  struct RefEq {
    using is_transparent = void;
    const IdIndex* index;
    absl::string_view View(absl::string_view id) const { return id; }
    absl::string_view View(uint64_t ref) const { return index->Get(ref); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return View(a) == View(b);
    }
  };

  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t used_ = 0;  // bytes used in chunks_.back()
  absl::flat_hash_set<uint64_t, RefHash, RefEq> set_;
};

// One Append call waiting in queue_. Fields other than `games` are guarded by mu_.
struct GameStore::Writer {
  explicit Writer(absl::Span<const StoredGame> g) : games(g) {}
  const absl::Span<const StoredGame> games;
  std::vector<bool> is_new;
  absl::Status status;
  bool done = false;
  absl::CondVar cv;
};

GameStore::GameStore(const GameStoreOptions& options)
    : options_(options), ids_(std::make_unique<IdIndex>()) {}

GameStore::~GameStore() {
  absl::MutexLock l(&io_mu_);
  if (fd_ >= 0) close(fd_);
  if (dir_fd_ >= 0) close(dir_fd_);  // releases the flock
}

absl::StatusOr<std::unique_ptr<GameStore>> GameStore::Open(const GameStoreOptions& options,
                                                           const Visitor& visit) {
  if (options.dir.empty()) return absl::InvalidArgumentError("game store: dir is empty");
  if (options.segment_bytes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("game store: segment_bytes must be positive, got ", options.segment_bytes));
  }
  if (options.max_record_bytes < 0 || options.max_record_bytes > (int64_t{1} << 30)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "game store: max_record_bytes must be in [0, 1 GiB], got ", options.max_record_bytes));
  }
  if (absl::Status s = MakeDirs(options.dir); !s.ok()) return s;
  std::unique_ptr<GameStore> store(new GameStore(options));
  if (absl::Status s = store->Load(visit); !s.ok()) return s;
  return store;
}

absl::Status GameStore::Load(const Visitor& visit) {
  // 1. Hold the directory: two writers would interleave their batches.
  if (absl::Status s = LockDirectory(); !s.ok()) return s;
  absl::StatusOr<std::vector<int64_t>> numbers = ListSegments(options_.dir);
  if (!numbers.ok()) return numbers.status();
  // 2. Verify every segment in order and hand its games to `visit`.
  auto ids = std::make_unique<IdIndex>();
  int64_t index = 0;
  SegmentScan newest;
  for (const int64_t number : *numbers) {
    const bool is_newest = number == numbers->back();
    absl::StatusOr<SegmentScan> scan = ScanSegment(number, is_newest, ids.get(), visit, &index);
    if (!scan.ok()) return scan.status();
    if (is_newest) newest = *scan;
  }
  recovery_.games = index;
  recovery_.segments = static_cast<int64_t>(numbers->size());
  {
    absl::MutexLock l(&mu_);
    ids_ = std::move(ids);
  }
  // 3. Open the newest segment for appending (creating or repairing it as needed).
  return OpenForAppend(*numbers, newest);
}

absl::Status GameStore::LockDirectory() {
  const std::string& dir = options_.dir;
  dir_fd_ = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) return Errno("open directory", dir);
  if (flock(dir_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("game store: ", dir, " is already open (by this or another process)"));
    }
    return Errno("lock", dir);
  }
  return absl::OkStatus();
}

absl::StatusOr<GameStore::SegmentScan> GameStore::ScanSegment(int64_t number, bool newest,
                                                              IdIndex* ids, const Visitor& visit,
                                                              int64_t* index) {
  const std::string path = absl::StrCat(options_.dir, "/", SegmentName(number));
  absl::StatusOr<std::string> read = ReadFile(path);
  if (!read.ok()) return read.status();
  const absl::string_view data = *read;
  SegmentScan scan;
  if (data.size() < kHeaderBytes || data.substr(0, kHeaderBytes) != SegmentHeader(number)) {
    if (newest && data.size() <= kHeaderBytes) {
      // A crash while creating the segment: nothing in it was ever acknowledged.
      scan.unfinished_header = true;
      recovery_.note = absl::StrCat("rewrote the unfinished header of ", SegmentName(number), " (",
                                    data.size(), " bytes)");
      return scan;
    }
    return absl::DataLossError(
        absl::StrCat("game store: ", path, ": bad segment header at byte offset 0 (expected ",
                     kSegmentMagic, " version ", kVersion, " segment ", number, ")"));
  }
  size_t pos = kHeaderBytes;
  std::vector<StoredGame> games;
  while (pos < data.size()) {
    const BatchCheck batch = CheckBatch(data, pos);
    if (!batch.problem.empty()) {
      const bool intact_after = newest && IntactBatchFrom(data, pos + 1);
      if (!newest || intact_after) {
        return absl::DataLossError(
            absl::StrCat("game store: ", path, ": ", batch.problem, " at byte offset ", pos,
                         intact_after ? " with intact batches after it (not a torn write)"
                                      : " in an older segment"));
      }
      // A torn write at the very end: never acknowledged, cut away by OpenForAppend.
      recovery_.truncated_bytes = static_cast<int64_t>(data.size() - pos);
      recovery_.note = absl::StrCat(
          "truncated ", data.size() - pos, " bytes of an unfinished write at the end of ",
          SegmentName(number), " (byte offset ", pos, ": ", batch.problem, ")");
      break;
    }
    games.clear();
    if (!ParseBody(batch.body, &games)) {
      return absl::DataLossError(
          absl::StrCat("game store: ", path, ": malformed batch body at byte offset ", pos));
    }
    for (const StoredGame& g : games) {
      if (!ids->Insert(g.game_id)) {
        return absl::DataLossError(absl::StrCat("game store: ", path, ": game id ",
                                                QuoteId(g.game_id), " stored twice (batch at ",
                                                "byte offset ", pos, ")"));
      }
      if (absl::Status s = visit ? visit(g, *index) : absl::OkStatus(); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("game store: visiting game ", *index, " (",
                                                   QuoteId(g.game_id), "): ", s.message()));
      }
      ++*index;
    }
    pos = batch.end;
  }
  scan.intact_bytes = static_cast<int64_t>(pos);
  return scan;
}

absl::Status GameStore::OpenForAppend(const std::vector<int64_t>& numbers,
                                      const SegmentScan& newest) {
  absl::MutexLock l(&io_mu_);
  if (numbers.empty() || newest.unfinished_header) {
    segment_number_ = numbers.empty() ? 1 : numbers.back();
    absl::StatusOr<int> fd = CreateSegment(options_.dir, segment_number_);
    if (!fd.ok()) return fd.status();
    fd_ = *fd;
    segment_size_ = kHeaderBytes;
    return absl::OkStatus();
  }
  segment_number_ = numbers.back();
  const std::string path = absl::StrCat(options_.dir, "/", SegmentName(segment_number_));
  fd_ = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) return Errno("open", path);
  segment_size_ = newest.intact_bytes;
  if (recovery_.truncated_bytes > 0 &&
      (ftruncate(fd_, static_cast<off_t>(newest.intact_bytes)) != 0 || fsync(fd_) != 0)) {
    return Errno("truncate the torn tail of", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<bool>> GameStore::Append(absl::Span<const StoredGame> games) {
  // 1. Validate everything first: a bad game rejects the whole call.
  for (size_t i = 0; i < games.size(); ++i) {
    const StoredGame& g = games[i];
    if (g.game_id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("game store: game ", i, " of the call has an empty id"));
    }
    if (g.game_id.size() > static_cast<size_t>(kMaxIdBytes)) {
      return absl::InvalidArgumentError(absl::StrCat("game store: game id ", QuoteId(g.game_id),
                                                     " is ", g.game_id.size(), " bytes (limit ",
                                                     kMaxIdBytes, ")"));
    }
    if (static_cast<int64_t>(g.record.size()) > options_.max_record_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("game store: game ", QuoteId(g.game_id), ": record of ", g.record.size(),
                       " bytes exceeds the limit of ", options_.max_record_bytes));
    }
  }
  if (games.empty()) return std::vector<bool>();

  // 2. Queue up; the caller at the front commits for everyone queued behind it.
  Writer w(games);
  mu_.Lock();
  queue_.push_back(&w);
  while (!w.done && queue_.front() != &w) w.cv.Wait(&mu_);
  if (!w.done) CommitGroup();
  mu_.Unlock();
  if (!w.status.ok()) return w.status;
  return std::move(w.is_new);
}

void GameStore::CommitGroup() {
  // 1. Take the queued callers, oldest first, up to one batch's worth (at least the leader).
  std::vector<Writer*> group;
  size_t bytes = 0;
  for (Writer* w : queue_) {
    size_t b = 0;
    for (const StoredGame& g : w->games) b += GameBytes(g);
    if (!group.empty() && bytes + b > kMaxBatchBytes) break;
    group.push_back(w);
    bytes += b;
  }
  // 2. Keep the games not stored yet; the first of equal ids in queue order wins.
  absl::flat_hash_set<absl::string_view> seen;
  std::vector<const StoredGame*> fresh;
  for (Writer* w : group) {
    w->is_new.assign(w->games.size(), false);
    for (size_t i = 0; i < w->games.size(); ++i) {
      const StoredGame& g = w->games[i];
      if (!ids_->Contains(g.game_id) && seen.insert(g.game_id).second) {
        w->is_new[i] = true;
        fresh.push_back(&g);
      }
    }
  }
  // 3. Write without mu_, so size()/Contains() and new callers are not held up by fdatasync.
  //    The group's writers are blocked, so their games stay valid.
  absl::Status status;
  size_t durable = 0;
  int64_t batches = 0;
  if (!fresh.empty()) {
    mu_.Unlock();
    status = WriteGames(fresh, &durable, &batches);
    mu_.Lock();
  }
  // 4. Publish what is durable (a prefix on error: it is on disk and Open would read it back),
  //    then wake the group and the next leader.
  for (size_t i = 0; i < durable; ++i) ids_->Insert(fresh[i]->game_id);
  commits_ += batches;
  for (Writer* w : group) {
    w->status = status;
    w->done = true;
    queue_.pop_front();
    w->cv.Signal();
  }
  if (!queue_.empty()) queue_.front()->cv.Signal();
}

absl::Status GameStore::WriteGames(const std::vector<const StoredGame*>& games, size_t* durable,
                                   int64_t* batches) {
  absl::MutexLock l(&io_mu_);
  if (!broken_.ok()) return broken_;
  size_t next = 0;
  while (next < games.size()) {
    const std::string batch = EncodeBatch(games, &next);
    if (absl::Status s = WriteBatch(batch); !s.ok()) return s;
    *durable = next;
    ++*batches;
  }
  return absl::OkStatus();
}

absl::Status GameStore::WriteBatch(const std::string& batch) {
  if (segment_size_ > static_cast<int64_t>(kHeaderBytes) &&
      segment_size_ + static_cast<int64_t>(batch.size()) > options_.segment_bytes) {
    if (absl::Status s = RollSegment(); !s.ok()) return s;
  }
  const std::string path = absl::StrCat(options_.dir, "/", SegmentName(segment_number_));
  absl::Status s = PWriteAll(fd_, batch, segment_size_, path);
  if (s.ok() && fdatasync(fd_) != 0) s = Errno("fdatasync", path);
  if (s.ok()) {
    segment_size_ += static_cast<int64_t>(batch.size());
    return s;
  }
  // Cut the file back to its last durable size, so it holds only acknowledged batches.
  if (ftruncate(fd_, static_cast<off_t>(segment_size_)) != 0 || fsync(fd_) != 0) {
    broken_ = absl::InternalError(
        absl::StrCat("game store: ", path, ": could not roll back a failed write (",
                     std::strerror(errno), "); reopen the store. First error: ", s.message()));
  }
  return s;
}

absl::Status GameStore::RollSegment() {
  // The current segment is durable up to segment_size_ already; switch only once the new file
  // and its directory entry are durable too.
  absl::StatusOr<int> fd = CreateSegment(options_.dir, segment_number_ + 1);
  if (!fd.ok()) {
    // Remove the half-made file: were it left as the newest segment, a torn write in the
    // current one would later look like damage in an older segment.
    const std::string path = absl::StrCat(options_.dir, "/", SegmentName(segment_number_ + 1));
    if (unlink(path.c_str()) == 0) {
      if (absl::Status s = SyncDir(options_.dir); !s.ok()) broken_ = s;
    } else if (errno != ENOENT) {
      broken_ = Errno("remove the unfinished segment", path);
    }
    return fd.status();
  }
  close(fd_);
  fd_ = *fd;
  ++segment_number_;
  segment_size_ = kHeaderBytes;
  return absl::OkStatus();
}

int64_t GameStore::size() const {
  absl::MutexLock l(&mu_);
  return ids_->size();
}

bool GameStore::Contains(absl::string_view game_id) const {
  absl::MutexLock l(&mu_);
  return ids_->Contains(game_id);
}

int64_t GameStore::commits() const {
  absl::MutexLock l(&mu_);
  return commits_;
}

int64_t GameStore::index_bytes() const {
  absl::MutexLock l(&mu_);
  return ids_->bytes();
}

}  // namespace zf
