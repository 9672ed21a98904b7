// Process-wide allocator settings for tensor-heavy processes. Implemented in allocator.cc.
// Call once at the start of main, before threads that allocate are busy.
//
// Why: LibTorch's CPU tensors come from malloc. With glibc's defaults every batch's
// activations (1-10 MB each) were handed back to the kernel on free (madvise / munmap) and
// faulted in again, page by page, on the next batch: `perf record -a` showed 20-25% of both
// cores in page faults during self-play. Keeping freed memory in the process removes that
// (self-play and the inference server ~18% faster on the 2-core CPU machine; see
// docs/PERFORMANCE.md). The cost is that the process keeps its peak heap until exit.
#ifndef ZEROFLEET_COMMON_UTIL_ALLOCATOR_H_
#define ZEROFLEET_COMMON_UTIL_ALLOCATOR_H_

namespace zf {

// glibc only (elsewhere a no-op): freed blocks stay in the heap (trim threshold 256 MiB) and
// blocks under 32 MiB come from the heap instead of their own mmap. Left alone when the user
// set glibc.malloc tunables in GLIBC_TUNABLES (the user's choice wins). Returns true when it
// changed the settings. Not thread-safe with itself; call once.
bool KeepFreedMemoryForReuse();

}  // namespace zf

#endif  // ZEROFLEET_COMMON_UTIL_ALLOCATOR_H_
