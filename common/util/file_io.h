// Durable file writes and whole-file reads. Implemented in file_io.cc. Thread-safe (no state).
//
// WriteFileAtomically: write to "<path>.tmp.<pid>", fsync it, rename over `path`, fsync the
// directory. A crash leaves either the old file or the new one, never a torn mix.
#ifndef ZEROFLEET_COMMON_UTIL_FILE_IO_H_
#define ZEROFLEET_COMMON_UTIL_FILE_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zf {

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);
absl::StatusOr<std::string> ReadFile(const std::string& path);
// Creates `dir` and its parents if missing.
absl::Status MakeDirs(const std::string& dir);
// fsyncs a directory so a rename or create inside it is durable.
absl::Status SyncDir(const std::string& dir);
// Removes `path` and everything under it (symlinks are removed, not followed); a missing
// path is not an error. Not std::filesystem::remove_all: PyTorch's pip LibTorch exports an old
// copy of it that crashes when the dynamic linker binds our calls to it.
absl::Status RemoveTree(const std::string& path);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_UTIL_FILE_IO_H_
