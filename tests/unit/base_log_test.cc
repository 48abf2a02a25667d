#include <gtest/gtest.h>

#include <string>

#include "base/log.h"

namespace ringboot {
namespace {

TEST(LogEscape, ControlQuoteBackslashAndHighBytesAreEscaped) {
  std::string out;
  append_escaped(out, std::string_view("a\"b\\c\nd\re\tf\x1bg\x7fh\xc3\xa9\0i", 19));
  EXPECT_EQ(out, R"(a\"b\\c\nd\re\tf\x1bg\x7fh\xc3\xa9\x00i)");
}

TEST(LogEscape, PlainTextIsUnchanged) {
  std::string out;
  append_escaped(out, "ipxe.efi 10.0.0.1:69 =/-_.");
  EXPECT_EQ(out, "ipxe.efi 10.0.0.1:69 =/-_.");
}

TEST(LogFields, EveryStringArgumentIsEscapedAndNothingElse) {
  const std::string name = "x\"\nforged=1";
  const char* literal = "a\nb";
  EXPECT_EQ(log_fields("file=\"{}\" n={} c={} lit={}", name, 42, 'q', literal),
            R"(file="x\"\nforged=1" n=42 c=q lit=a\nb)");
  EXPECT_EQ(log_fields("v={:>5}", std::string_view("ab")), "v=   ab");
}

}  // namespace
}  // namespace ringboot
