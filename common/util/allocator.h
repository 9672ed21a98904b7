// Process-wide allocator settings for tensor-heavy processes. Implemented in allocator.cc.
// Call at the start of main, before other threads allocate much; calling again is harmless.
//
// Why: LibTorch's CPU tensors come from malloc. With glibc's defaults every batch's
// activations (1-10 MB each) were handed back to the kernel on free (madvise / munmap) and
// faulted in again, page by page, on the next batch: `perf record -a` showed 20-25% of both
// cores in page faults during self-play. Keeping freed memory in the process removes that
// (self-play 25-60% faster on the 2-core CPU machine, ~100 MB more resident memory; see
// docs/PERFORMANCE.md "Allocator"). The process keeps its peak heap until exit.
#ifndef ZEROFLEET_COMMON_UTIL_ALLOCATOR_H_
#define ZEROFLEET_COMMON_UTIL_ALLOCATOR_H_

namespace zf {

// glibc only (elsewhere a no-op): freed blocks stay in the heap (trim threshold 256 MiB) and
// blocks under 32 MiB come from the heap instead of their own mmap. Left alone when the user
// set glibc.malloc tunables in GLIBC_TUNABLES (the user's choice wins). Returns true when it
// changed the settings.
bool KeepFreedMemoryForReuse();

}  // namespace zf

#endif  // ZEROFLEET_COMMON_UTIL_ALLOCATOR_H_
