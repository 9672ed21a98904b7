// Which BLAS (and conv backend) LibTorch uses at run time, for `zerofleet bench` and logs.
// Implemented in blas_info.cc. Thread-safe (reads process state only).
//
// Debian's libtorch links the generic libblas.so.3; update-alternatives decides whether that
// is the slow reference BLAS or OpenBLAS (libopenblas0-pthread), so the answer is found at
// run time from the libraries actually mapped into this process (/proc/self/maps).
#ifndef ZEROFLEET_COMMON_NN_BLAS_INFO_H_
#define ZEROFLEET_COMMON_NN_BLAS_INFO_H_

#include <string>

namespace zf {

// e.g. "BLAS: OpenBLAS (OpenBLAS 0.3.21 DYNAMIC_ARCH ...; /usr/lib/.../libblas.so.3);
//       oneDNN: yes; intra-op threads: 2"
std::string BlasInfo();

}  // namespace zf

#endif  // ZEROFLEET_COMMON_NN_BLAS_INFO_H_
