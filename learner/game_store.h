// The learner's durable, idempotent store of finished self-play games. Implemented in
// game_store.cc.
//
// The learner acknowledges a game only after Append returns OK, and Append returns only after
// the game's bytes are fdatasync'ed, so a crash (kill -9, power loss) loses nothing that was
// acknowledged. A game re-sent with the same id (an actor retrying after a lost ack) is stored
// once and reported as a duplicate. On restart Open hands every stored game back, in storage
// order, to rebuild the replay buffer.
//
// Files: <dir>/segment-000001.zgs, segment-000002.zgs, ... (append-only; little-endian):
//
//   segment = header | batch | batch | ...          a new segment starts once the current one
//   header  = "ZFGS" | u32 version (1) | u32 segment_number | u32 crc32(previous 12 bytes)
//   batch   = "ZFGB" | u32 body_bytes | u32 crc32(body) | u32 crc32(previous 12 bytes) | body
//   body    = u32 n_games | game * n_games
//   game    = u8 id_bytes (1..128) | id | i64 model_version | u32 record_bytes | record
//
//   +------+---------+-----+-----+ +------+-----+------+-------+----------------------------+
//   | ZFGS | version | seg | crc | | ZFGB | len | bcrc | hcrc  | n | game | game | ...      |  ...
//   +------+---------+-----+-----+ +------+-----+------+-------+----------------------------+
//    16-byte segment header          16-byte batch header         body (len bytes)
//
// One Append group (the games of every caller queued at that moment) is one batch of up to
// 8 MiB, written with one pwrite and made durable with one fdatasync (group commit); a larger
// group is split into several batches written one after the other. The next batch is written
// only after the previous one's fdatasync, so a crash can damage only the last batch, which
// was never acknowledged.
// The header's own checksum makes a damaged length field detectable, so a reader never trusts
// a length it has not verified.
//
// Recovery on Open: the first damaged or incomplete batch of the NEWEST segment, with no valid
// batch anywhere after it, is a torn write: it is truncated away (ftruncate + fsync) and
// reported in recovery(). Any other damage (bad magic, a checksum mismatch with valid data after
// it, damage in an older segment, a missing segment number) fails Open with DATA_LOSS naming
// the file and byte offset; nothing is dropped silently. Note: a corrupted final batch of the
// newest segment cannot be told from a torn write, so it is truncated too (and reported).
//
// Memory: ids are kept exactly, packed into 1 MiB arena chunks (1 length byte + the id) with a
// flat hash set of 8-byte references: about id_bytes + 12..22 bytes per stored game (e.g. ~45
// bytes for a 24-byte id; 10 million games ~ 450 MB). index_bytes() reports it.
//
// Thread safety: Append, size, Contains, commits, index_bytes and recovery are thread-safe.
// Concurrent Appends are serialized; callers that queue while a commit is in flight share the
// next fdatasync. One directory is held by one GameStore at a time (an exclusive flock).
#ifndef ZEROFLEET_LEARNER_GAME_STORE_H_
#define ZEROFLEET_LEARNER_GAME_STORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace zf {

struct StoredGame {
  std::string game_id;        // 1..128 bytes, the idempotency key
  int64_t model_version = 0;  // the model that played it
  std::string record;         // opaque bytes (a serialized zf::GameRecord)
};

struct GameStoreOptions {
  std::string dir;  // created if missing
  // Start a new segment file when the next batch would take the current one past this size
  // (a single larger batch still goes into one segment).
  int64_t segment_bytes = int64_t{64} << 20;
  // Append rejects a game whose record is larger (INVALID_ARGUMENT). Reading has no such limit,
  // so lowering it never makes an existing store unreadable.
  int64_t max_record_bytes = int64_t{1} << 20;
};

// What Open found.
struct GameStoreRecovery {
  int64_t games = 0;            // games read back
  int64_t segments = 0;         // segment files read
  int64_t truncated_bytes = 0;  // torn bytes cut from the end of the newest segment
  std::string note;             // what was repaired, empty if nothing
};

class GameStore {
 public:
  static constexpr int kMaxIdBytes = 128;

  using Visitor = std::function<absl::Status(const StoredGame& game, int64_t index)>;

  // Opens (or creates) options.dir, verifies every segment in order and calls `visit` for each
  // stored game in storage order with its index 0..n-1; an error from `visit` aborts Open and
  // is returned (with the index prefixed). Repairs a torn tail (see above). Errors:
  // INVALID_ARGUMENT for bad options, FAILED_PRECONDITION if another GameStore holds the
  // directory, DATA_LOSS naming the file and offset for damage, the I/O error otherwise.
  static absl::StatusOr<std::unique_ptr<GameStore>> Open(const GameStoreOptions& options,
                                                         const Visitor& visit);
  ~GameStore();
  GameStore(const GameStore&) = delete;
  GameStore& operator=(const GameStore&) = delete;

  // Durably stores the games whose id is not stored yet (the first of several equal ids in one
  // call wins), then returns per input game whether it was new (true) or a duplicate (false).
  // Ack only after OK. Validation comes first: an empty or over-long id, or a record over
  // max_record_bytes, fails the whole call with INVALID_ARGUMENT naming the game and stores
  // nothing. On a write error the file is cut back to its last durable size and the error is
  // returned; if even that fails, every later Append fails (the store needs a reopen).
  // Thread-safe.
  absl::StatusOr<std::vector<bool>> Append(absl::Span<const StoredGame> games)
      ABSL_LOCKS_EXCLUDED(mu_, io_mu_);

  // Games stored (read back by Open plus appended since). Thread-safe.
  int64_t size() const ABSL_LOCKS_EXCLUDED(mu_);
  // Whether a game with this id is durably stored. Thread-safe.
  bool Contains(absl::string_view game_id) const ABSL_LOCKS_EXCLUDED(mu_);
  // Group commits (pwrite + fdatasync) since Open; fewer than Append calls when concurrent
  // callers share one. Thread-safe.
  int64_t commits() const ABSL_LOCKS_EXCLUDED(mu_);
  // Heap bytes of the in-memory id index. Thread-safe.
  int64_t index_bytes() const ABSL_LOCKS_EXCLUDED(mu_);
  // What Open read and repaired; fixed after Open. Thread-safe.
  const GameStoreRecovery& recovery() const { return recovery_; }

 private:
  class IdIndex;
  struct Writer;

  explicit GameStore(const GameStoreOptions& options);

  absl::Status Load(const Visitor& visit);
  // Load's steps: lock the directory; verify one segment, handing its games to `visit` (the
  // newest may end in a torn write or an unfinished header: recovered into recovery_); open
  // the newest segment for appending.
  absl::Status LockDirectory();
  struct SegmentScan {
    int64_t intact_bytes = 0;        // where its last intact batch ends
    bool unfinished_header = false;  // the newest segment's header was never written whole
  };
  absl::StatusOr<SegmentScan> ScanSegment(int64_t number, bool newest, IdIndex* ids,
                                          const Visitor& visit, int64_t* index);
  absl::Status OpenForAppend(const std::vector<int64_t>& numbers, const SegmentScan& newest)
      ABSL_LOCKS_EXCLUDED(io_mu_);
  // Leader of a group commit: the caller is at the front of queue_. Releases mu_ during I/O.
  void CommitGroup() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes `games` as batches (each pwrite + fdatasync); *durable counts the games made durable
  // (all of them on OK; a prefix on error) and *batches the batches written.
  absl::Status WriteGames(const std::vector<const StoredGame*>& games, size_t* durable,
                          int64_t* batches) ABSL_LOCKS_EXCLUDED(mu_, io_mu_);
  absl::Status WriteBatch(const std::string& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);
  absl::Status RollSegment() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mu_);

  const GameStoreOptions options_;
  GameStoreRecovery recovery_;  // written by Open only
  int dir_fd_ = -1;             // holds the flock

  mutable absl::Mutex mu_;
  std::unique_ptr<IdIndex> ids_ ABSL_GUARDED_BY(mu_);
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Writer*> queue_ ABSL_GUARDED_BY(mu_);  // front = the current leader

  // Only the group-commit leader takes io_mu_ (never while holding mu_ for long).
  absl::Mutex io_mu_;
  int fd_ ABSL_GUARDED_BY(io_mu_) = -1;  // the newest segment, open for writing
  int64_t segment_number_ ABSL_GUARDED_BY(io_mu_) = 0;
  int64_t segment_size_ ABSL_GUARDED_BY(io_mu_) = 0;  // durable size of the newest segment
  absl::Status broken_ ABSL_GUARDED_BY(io_mu_);       // sticky: a failed rollback
};

}  // namespace zf

#endif  // ZEROFLEET_LEARNER_GAME_STORE_H_
