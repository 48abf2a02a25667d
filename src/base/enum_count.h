// A count kept by hand beside an enum (kFooCount sizes an array of counters)
// checked at compile time against the enum's names. `name_of` is a constexpr
// switch over the enum without a default, returning "" past the last case:
// a new enumerator then fails -Wswitch until it is named, and once named the
// count's static_assert fails until the count is raised.
//   static_assert(counts_named_enumerators<Foo>(name_of, kFooCount), "...");
#pragma once

#include <cstddef>
#include <string_view>

namespace ringboot {

// True when the values 0 .. count-1 all have names and the value `count` has none.
template <typename Enum, typename NameOf>
constexpr bool counts_named_enumerators(NameOf name_of, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i)
    if (std::string_view(name_of(static_cast<Enum>(i))).empty()) return false;
  return std::string_view(name_of(static_cast<Enum>(count))).empty();
}

}  // namespace ringboot
