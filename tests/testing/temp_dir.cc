#include "tests/testing/temp_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace zf::testing {

ScopedTempDir::ScopedTempDir(absl::string_view prefix) {
  std::string pattern = absl::StrCat(::testing::TempDir(), "/", prefix, "XXXXXX");
  if (mkdtemp(pattern.data()) != nullptr) path_ = std::move(pattern);
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

std::string ScopedTempDir::Path(absl::string_view name) const {
  return absl::StrCat(path_, "/", name);
}

}  // namespace zf::testing
