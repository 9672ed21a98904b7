// KeepFreedMemoryForReuse: a 4 MiB block must come from the heap (not its own mmap) and stay
// in the process after free, so the next batch of that size faults in no new pages.
#include "common/util/allocator.h"

#include <malloc.h>
#include <stdlib.h>

#include <cstdlib>
#include <cstring>

#include "gtest/gtest.h"

namespace zf {
namespace {

TEST(AllocatorTest, LargeBlocksComeFromTheHeapAndStayAfterFree) {
  ASSERT_EQ(unsetenv("GLIBC_TUNABLES"), 0);
  ASSERT_TRUE(KeepFreedMemoryForReuse());
  constexpr size_t kBlock = 4 << 20;
  void* block = std::malloc(kBlock);
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, kBlock);
  // glibc's default (128 KiB threshold, not yet raised in this fresh process) would mmap it.
  EXPECT_EQ(mallinfo2().hblks, 0u) << "the 4 MiB block got its own mmap";
  std::free(block);
  // Still held by the heap as free space, not returned to the kernel.
  EXPECT_GE(mallinfo2().fordblks, kBlock);
}

TEST(AllocatorTest, UserTunablesWin) {
  ASSERT_EQ(setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1000", 1), 0);
  EXPECT_FALSE(KeepFreedMemoryForReuse());
  ASSERT_EQ(setenv("GLIBC_TUNABLES", "glibc.rtld.nns=2", 1), 0);
  EXPECT_TRUE(KeepFreedMemoryForReuse());
  ASSERT_EQ(unsetenv("GLIBC_TUNABLES"), 0);
}

}  // namespace
}  // namespace zf
