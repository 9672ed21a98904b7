#include "common/util/file_io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

using ::testing::HasSubstr;

// A fresh directory under the test temp dir, removed when the test ends.
class FileIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(temp_dir_.path().empty());
    dir_ = temp_dir_.path();
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  const ::zf::testing::ScopedTempDir temp_dir_{"zf_file_io_"};
  std::string dir_;  // temp_dir_.path()
};

bool IsDir(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

TEST_F(FileIoTest, WriteThenReadRoundTrips) {
  const std::string contents("binary\0data\xff\n", 13);
  ASSERT_TRUE(WriteFileAtomically(Path("a.bin"), contents).ok());
  absl::StatusOr<std::string> read = ReadFile(Path("a.bin"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, contents);
}

TEST_F(FileIoTest, EmptyFileRoundTrips) {
  ASSERT_TRUE(WriteFileAtomically(Path("empty"), "").ok());
  absl::StatusOr<std::string> read = ReadFile(Path("empty"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "");
}

TEST_F(FileIoTest, LargeFileRoundTrips) {
  // Larger than ReadFile's 64 KiB buffer, and not a multiple of it.
  std::string contents(300001, '\0');
  for (size_t i = 0; i < contents.size(); ++i) contents[i] = static_cast<char>(i * 7919 % 251);
  ASSERT_TRUE(WriteFileAtomically(Path("big"), contents).ok());
  absl::StatusOr<std::string> read = ReadFile(Path("big"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, contents);
}

TEST_F(FileIoTest, OverwriteReplacesWholeFile) {
  ASSERT_TRUE(WriteFileAtomically(Path("f"), "a long first version").ok());
  ASSERT_TRUE(WriteFileAtomically(Path("f"), "short").ok());
  absl::StatusOr<std::string> read = ReadFile(Path("f"));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "short");
}

TEST_F(FileIoTest, LeavesNoTemporaryFiles) {
  ASSERT_TRUE(WriteFileAtomically(Path("f"), "one").ok());
  ASSERT_TRUE(WriteFileAtomically(Path("f"), "two").ok());
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename().string(), "f");
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(FileIoTest, ReadMissingFileIsNotFoundNamingThePath) {
  absl::StatusOr<std::string> read = ReadFile(Path("missing"));
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(absl::IsNotFound(read.status())) << read.status();
  EXPECT_THAT(std::string(read.status().message()), HasSubstr(Path("missing")));
}

TEST_F(FileIoTest, WriteIntoMissingDirectoryFailsNamingThePath) {
  const std::string path = Path("no/such/dir/f");
  absl::Status s = WriteFileAtomically(path, "x");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(FileIoTest, MakeDirsCreatesParentsAndIsIdempotent) {
  const std::string nested = Path("a/b/c");
  ASSERT_TRUE(MakeDirs(nested).ok());
  EXPECT_TRUE(IsDir(Path("a")));
  EXPECT_TRUE(IsDir(Path("a/b")));
  EXPECT_TRUE(IsDir(nested));
  EXPECT_TRUE(MakeDirs(nested).ok());
  EXPECT_TRUE(MakeDirs(nested + "/").ok());
  EXPECT_TRUE(MakeDirs("").ok());
  ASSERT_TRUE(WriteFileAtomically(nested + "/f", "x").ok());
  EXPECT_EQ(*ReadFile(nested + "/f"), "x");
}

TEST_F(FileIoTest, MakeDirsThroughAFileFails) {
  ASSERT_TRUE(WriteFileAtomically(Path("file"), "x").ok());
  absl::Status s = MakeDirs(Path("file"));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr(Path("file")));
  s = MakeDirs(Path("file/sub"));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr(Path("file")));
}

TEST_F(FileIoTest, RemoveTreeRemovesEverythingBelowButNotThroughSymlinks) {
  ASSERT_TRUE(MakeDirs(Path("tree/a/b")).ok());
  ASSERT_TRUE(WriteFileAtomically(Path("tree/a/b/f"), "x").ok());
  ASSERT_TRUE(WriteFileAtomically(Path("tree/g"), "y").ok());
  ASSERT_TRUE(MakeDirs(Path("kept")).ok());
  ASSERT_TRUE(WriteFileAtomically(Path("kept/k"), "z").ok());
  ASSERT_EQ(symlink(Path("kept").c_str(), Path("tree/link").c_str()), 0);
  ASSERT_TRUE(RemoveTree(Path("tree")).ok());
  EXPECT_FALSE(IsDir(Path("tree")));
  EXPECT_EQ(*ReadFile(Path("kept/k")), "z");   // the link went, not what it points to
  EXPECT_TRUE(RemoveTree(Path("tree")).ok());  // already gone: fine
  ASSERT_TRUE(WriteFileAtomically(Path("file"), "x").ok());
  EXPECT_TRUE(RemoveTree(Path("file")).ok());
  EXPECT_FALSE(ReadFile(Path("file")).ok());
}

TEST_F(FileIoTest, SyncDir) {
  EXPECT_TRUE(SyncDir(dir_).ok());
  absl::Status s = SyncDir(Path("missing"));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
}

}  // namespace
}  // namespace zf
