// The device LibTorch tests run on: "cpu" unless ZF_TEST_DEVICE names another (the GPU check
// kit, scripts/gpu/run.sh, sets it to "cuda" to run the nn and learner tests on the GPU).
#ifndef ZEROFLEET_TESTS_TESTING_TEST_DEVICE_H_
#define ZEROFLEET_TESTS_TESTING_TEST_DEVICE_H_

#include <cstdlib>
#include <string>

namespace zf::testing {

inline std::string TestDevice() {
  const char* device = std::getenv("ZF_TEST_DEVICE");
  return device != nullptr && *device != '\0' ? device : "cpu";
}

}  // namespace zf::testing

#endif  // ZEROFLEET_TESTS_TESTING_TEST_DEVICE_H_
