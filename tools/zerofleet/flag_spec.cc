#include "tools/zerofleet/flag_spec.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace zf::cli {
namespace {

// Whole numbers without an exponent (65535, not 6.5535e+04).
std::string Number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrFormat("%g", v);
}

}  // namespace

std::string FlagRange::ToString() const {
  if (!std::isfinite(max)) return absl::StrCat(min_open ? "> " : ">= ", Number(min));
  if (!min_open && !max_open) return absl::StrCat(Number(min), "..", Number(max));
  return absl::StrCat(min_open ? "(" : "[", Number(min), ", ", Number(max), max_open ? ")" : "]");
}

absl::Status FlagSpec::CheckRange() const {
  if (!range_.has_value()) return absl::OkStatus();
  const std::string text = flag_->CurrentValue();
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !range_->Contains(value)) {
    return absl::InvalidArgumentError(absl::StrCat("--", Dashed(std::string(name())), " = ", text,
                                                   " out of range: ", range_->ToString()));
  }
  return absl::OkStatus();
}

std::string FlagSpec::HelpLine() const {
  std::string value = flag_->CurrentValue();
  if (value.empty()) value = "\"\"";
  const std::string range = range_.has_value() ? absl::StrCat(range_->ToString(), "; ") : "";
  return absl::StrFormat("  --%-26s %s (%sdefault: %s)", Dashed(std::string(name())), flag_->Help(),
                         range, value);
}

FlagList Concat(std::initializer_list<FlagList> lists) {
  FlagList all;
  for (const FlagList& list : lists) all.insert(all.end(), list.begin(), list.end());
  return all;
}

std::string Dashed(std::string name) {
  for (char& ch : name) ch = ch == '_' ? '-' : ch;
  return name;
}

}  // namespace zf::cli
