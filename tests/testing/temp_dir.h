// A fresh directory for one test, removed with everything in it when the object goes out of
// scope. Implemented in temp_dir.cc.
#ifndef ZEROFLEET_TESTS_TESTING_TEMP_DIR_H_
#define ZEROFLEET_TESTS_TESTING_TEMP_DIR_H_

#include <string>

#include "absl/strings/string_view.h"

namespace zf::testing {

// Declare it before anything that writes into it (child processes, open files), so those are
// gone before the directory is removed. Not thread-safe.
class ScopedTempDir {
 public:
  // Creates <::testing::TempDir()>/<prefix>XXXXXX; path() is empty if that
  // failed. Not thread-safe.
  explicit ScopedTempDir(absl::string_view prefix);
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  // The directory ("" if it could not be created). Thread-safe.
  const std::string& path() const { return path_; }
  // path() + "/" + name. Thread-safe.
  std::string Path(absl::string_view name) const;

 private:
  std::string path_;
};

}  // namespace zf::testing

#endif  // ZEROFLEET_TESTS_TESTING_TEMP_DIR_H_
