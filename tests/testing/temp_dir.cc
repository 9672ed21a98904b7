#include "tests/testing/temp_dir.h"

#include <stdlib.h>

#include "absl/strings/str_cat.h"
#include "common/util/file_io.h"
#include "gtest/gtest.h"

namespace zf::testing {

ScopedTempDir::ScopedTempDir(absl::string_view prefix) {
  std::string pattern = absl::StrCat(::testing::TempDir(), "/", prefix, "XXXXXX");
  if (mkdtemp(pattern.data()) != nullptr) path_ = std::move(pattern);
}

ScopedTempDir::~ScopedTempDir() {
  if (!path_.empty()) RemoveTree(path_).IgnoreError();  // best effort: a test's leftovers
}

std::string ScopedTempDir::Path(absl::string_view name) const {
  return absl::StrCat(path_, "/", name);
}

}  // namespace zf::testing
