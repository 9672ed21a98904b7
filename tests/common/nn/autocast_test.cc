#include "common/nn/autocast.h"

#include "gtest/gtest.h"

namespace zf {
namespace {

TEST(AutocastGuardTest, CpuBf16ScopeCastsMatmulsAndRestores) {
  const torch::Tensor a = torch::rand({4, 8});
  const torch::Tensor b = torch::rand({8, 3});
  ASSERT_FALSE(AutocastGuard::IsEnabled(torch::kCPU));
  {
    AutocastGuard guard(torch::Device(torch::kCPU), /*enabled=*/true, torch::kBFloat16);
    EXPECT_TRUE(AutocastGuard::IsEnabled(torch::kCPU));
    EXPECT_EQ(torch::matmul(a, b).scalar_type(), torch::kBFloat16);
    {
      // A nested disabled scope turns it off and back on.
      AutocastGuard off(torch::Device(torch::kCPU), /*enabled=*/false);
      EXPECT_FALSE(AutocastGuard::IsEnabled(torch::kCPU));
      EXPECT_EQ(torch::matmul(a, b).scalar_type(), torch::kFloat32);
    }
    EXPECT_TRUE(AutocastGuard::IsEnabled(torch::kCPU));
    EXPECT_EQ(torch::matmul(a, b).scalar_type(), torch::kBFloat16);
  }
  EXPECT_FALSE(AutocastGuard::IsEnabled(torch::kCPU));
  EXPECT_EQ(torch::matmul(a, b).scalar_type(), torch::kFloat32);
}

TEST(AutocastGuardTest, DisabledGuardLeavesFp32) {
  AutocastGuard guard(torch::Device(torch::kCPU), /*enabled=*/false);
  EXPECT_EQ(torch::matmul(torch::rand({2, 2}), torch::rand({2, 2})).scalar_type(), torch::kFloat32);
}

TEST(AutocastGuardTest, CpuGuardDoesNotTouchCudaState) {
  AutocastGuard guard(torch::Device(torch::kCPU), /*enabled=*/true);
  EXPECT_FALSE(AutocastGuard::IsEnabled(torch::kCUDA));
}

}  // namespace
}  // namespace zf
