// The config schema's machinery: a section is a table of keys, each with its
// name, type, range, whether SIGHUP applies it, one line of help and the
// field it fills. One reader walks every section with it (errors are
// `file:line: key: reason`), and one writer prints the effective values as
// TOML that the reader accepts again (--dump-config). Defaults are the
// settings structs' own initialisers: nothing here repeats them.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <toml++/toml.h>

#include "base/endpoint.h"

namespace ringboot::schema {

struct Error {
  std::uint32_t line = 0;
  std::string key;  // "tftp.windowsize_max", "dhcp.subnet[1].range"
  std::string reason;
};

// What a key's reader sees: where errors go, and the directory relative
// paths are resolved against (the config file's).
class Context {
 public:
  Context(std::string base_dir, std::vector<Error>* errors) : base_dir_(std::move(base_dir)), errors_(errors) {}
  void error(const toml::node& node, std::string key, std::string reason) {
    errors_->push_back(Error{static_cast<std::uint32_t>(node.source().begin.line), std::move(key), std::move(reason)});
  }
  std::string resolve(std::string path) const {
    if (path.empty() || path[0] == '/' || base_dir_.empty()) return path;
    return base_dir_ + path;
  }
  std::size_t error_count() const { return errors_->size(); }
  // The key was given and read without an error.
  bool read_ok(const toml::table& table, std::string_view name, const std::string& path) const {
    if (!table.contains(name)) return false;
    for (const Error& e : *errors_)
      if (e.key == path) return false;
    return true;
  }

 private:
  std::string base_dir_;
  std::vector<Error>* errors_;
};

enum class Reload : std::uint8_t { applies, restart };

template <typename S>
struct Key {
  std::string_view name;
  std::string_view type;  // what the help says it takes: "integer", "milliseconds", "\"ADDR:PORT\" or \"off\""...
  std::int64_t min = 0;
  std::int64_t max = 0;
  Reload reload = Reload::applies;
  bool required = false;
  std::string_view help;
  // Reads `node` into the struct; on a bad value reports it and leaves the field.
  void (*read)(const Key& key, const toml::node& node, S& out, Context& ctx, const std::string& path) = nullptr;
  // The field as a TOML value; nullopt: unset (written as a comment).
  std::optional<std::string> (*write)(const Key& key, const S& in) = nullptr;
  // Arrays of tables and inline tables: written by the section writer.
  void (*write_tables)(const Key& key, const S& in, std::string_view prefix, std::string& out) = nullptr;
};

// --- value text -------------------------------------------------------------

// A TOML basic string: one line, whatever the text holds (a multi-line
// [[profile]] script comes back with its newlines escaped).
inline std::string quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// --- binders: a key and the field it fills, by the field's type -------------

template <typename M>
struct MemberOf;
template <typename S, typename T>
struct MemberOf<T S::*> {
  using Struct = S;
  using Type = T;
};
template <auto M>
using StructOf = typename MemberOf<decltype(M)>::Struct;
template <auto M>
using TypeOf = typename MemberOf<decltype(M)>::Type;

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

// An integer in key.min..key.max, or nullopt with the error reported.
template <typename S>
std::optional<std::int64_t> integer_in_range(const Key<S>& key, const toml::node& node, Context& ctx,
                                             const std::string& path) {
  const auto value = node.value_exact<std::int64_t>();
  if (!node.is_integer() || !value) {
    ctx.error(
        node, path,
        key.type == "integer" ? std::string("must be an integer") : fmt::format("must be an integer ({})", key.type));
    return std::nullopt;
  }
  if (*value < key.min || *value > key.max) {
    ctx.error(node, path, fmt::format("{} is out of range {}..{}", *value, key.min, key.max));
    return std::nullopt;
  }
  return value;
}

// A field's TOML text by `format`; an unset std::optional is nullopt.
template <typename T, typename F>
std::optional<std::string> write_field(const T& field, F&& format) {
  if constexpr (IsOptional<T>::value) {
    if (!field) return std::nullopt;
    return format(*field);
  } else {
    return format(field);
  }
}

template <auto M>
constexpr Key<StructOf<M>> integer(std::string_view name, std::int64_t min, std::int64_t max, Reload reload,
                                   std::string_view help) {
  using S = StructOf<M>;
  using T = TypeOf<M>;
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  Key<S> k{name, "integer", min, max, reload, false, help};
  k.read = [](const Key<S>& key, const toml::node& node, S& out, Context& ctx, const std::string& path) {
    if (const auto value = integer_in_range(key, node, ctx, path)) out.*M = static_cast<T>(*value);
  };
  k.write = [](const Key<S>&, const S& in) -> std::optional<std::string> { return fmt::format("{}", in.*M); };
  return k;
}

// A std::chrono duration field, written in milliseconds (the key ends in _ms).
template <auto M>
constexpr Key<StructOf<M>> millis(std::string_view name, std::int64_t min, std::int64_t max, Reload reload,
                                  std::string_view help) {
  using S = StructOf<M>;
  using T = TypeOf<M>;
  Key<S> k{name, "milliseconds", min, max, reload, false, help};
  k.read = [](const Key<S>& key, const toml::node& node, S& out, Context& ctx, const std::string& path) {
    if (const auto value = integer_in_range(key, node, ctx, path))
      out.*M = std::chrono::duration_cast<T>(std::chrono::milliseconds(*value));
  };
  k.write = [](const Key<S>&, const S& in) -> std::optional<std::string> {
    return fmt::format("{}", std::chrono::duration_cast<std::chrono::milliseconds>(in.*M).count());
  };
  return k;
}

// true or false (into a bool or a std::optional<bool>).
template <auto M>
constexpr Key<StructOf<M>> boolean(std::string_view name, Reload reload, std::string_view help) {
  using S = StructOf<M>;
  Key<S> k{name, "true or false", 0, 0, reload, false, help};
  k.read = [](const Key<S>&, const toml::node& node, S& out, Context& ctx, const std::string& path) {
    if (!node.is_boolean()) return ctx.error(node, path, "must be true or false");
    out.*M = *node.value<bool>();
  };
  k.write = [](const Key<S>&, const S& in) -> std::optional<std::string> {
    return write_field(in.*M, [](bool b) { return std::string(b ? "true" : "false"); });
  };
  return k;
}

// A string of min..max characters (into a std::string or std::optional<std::string>).
template <auto M>
constexpr Key<StructOf<M>> string(std::string_view name, std::int64_t min, std::int64_t max, Reload reload,
                                  std::string_view help, bool required = false) {
  using S = StructOf<M>;
  Key<S> k{name, "string", min, max, reload, required, help};
  k.read = [](const Key<S>& key, const toml::node& node, S& out, Context& ctx, const std::string& path) {
    if (!node.is_string()) return ctx.error(node, path, "must be a string");
    std::string text = *node.value<std::string>();
    const auto size = static_cast<std::int64_t>(text.size());
    if (size < key.min || size > key.max)
      return ctx.error(node, path, fmt::format("must be {}..{} characters", key.min, key.max));
    out.*M = std::move(text);
  };
  k.write = [](const Key<S>& key, const S& in) -> std::optional<std::string> {
    if constexpr (!IsOptional<TypeOf<M>>::value) {
      if ((in.*M).empty() && key.min > 0) return std::nullopt;  // empty: not given
    }
    return write_field(in.*M, [](const std::string& text) { return quote(text); });
  };
  return k;
}

// A file or directory: relative to the config file's directory.
template <auto M>
constexpr Key<StructOf<M>> path(std::string_view name, Reload reload, std::string_view help) {
  using S = StructOf<M>;
  Key<S> k = string<M>(name, 0, 4096, reload, help);
  k.type = "path (relative: to the config file)";
  k.read = [](const Key<S>&, const toml::node& node, S& out, Context& ctx, const std::string& key_path) {
    if (!node.is_string()) return ctx.error(node, key_path, "must be a string (a path)");
    out.*M = ctx.resolve(*node.value<std::string>());
  };
  // Written absolute: a relative path (from a flag, or the default ".") is
  // relative to the working directory, and would not be in the dumped file.
  k.write = [](const Key<S>&, const S& in) -> std::optional<std::string> {
    const std::string& value = in.*M;
    if (value.empty() || value[0] == '/') return quote(value);
    std::error_code error;
    const auto absolute = std::filesystem::absolute(value, error);
    return quote(error ? value : absolute.lexically_normal().string());
  };
  return k;
}

// A string parsed into a value: an address, a CIDR, a MAC, one of a set of
// names. The field is T or std::optional<T>; Parse(text) -> std::optional<T>,
// Format(T) -> text. `type` names what is accepted, for errors and help.
template <auto M, auto Parse, auto Format>
constexpr Key<StructOf<M>> parsed(std::string_view name, std::string_view type, Reload reload, std::string_view help,
                                  bool required = false) {
  using S = StructOf<M>;
  Key<S> k{name, type, 0, 0, reload, required, help};
  k.read = [](const Key<S>& key, const toml::node& node, S& out, Context& ctx, const std::string& path) {
    const auto text = node.value<std::string>();
    if (!node.is_string() || !text) return ctx.error(node, path, fmt::format("must be a string: {}", key.type));
    auto value = Parse(std::string_view(*text));
    if (!value) return ctx.error(node, path, fmt::format("\"{}\" is not {}", *text, key.type));
    out.*M = std::move(*value);
  };
  k.write = [](const Key<S>&, const S& in) -> std::optional<std::string> {
    return write_field(in.*M, [](const auto& value) { return quote(Format(value)); });
  };
  return k;
}

// An array of strings each parsed into T (std::vector<T>), at most `max`.
template <auto M, auto Parse, auto Format>
constexpr Key<StructOf<M>> parsed_list(std::string_view name, std::string_view type, std::int64_t min, std::int64_t max,
                                       Reload reload, std::string_view help) {
  using S = StructOf<M>;
  Key<S> k{name, type, min, max, reload, false, help};
  k.read = [](const Key<S>& key, const toml::node& node, S& out, Context& ctx, const std::string& path) {
    const toml::array* array = node.as_array();
    if (array == nullptr) return ctx.error(node, path, fmt::format("must be an array of {}", key.type));
    const auto size = static_cast<std::int64_t>(array->size());
    if (size < key.min || size > key.max)
      return ctx.error(node, path, fmt::format("must have {}..{} entries", key.min, key.max));
    TypeOf<M> values;
    for (const toml::node& element : *array) {
      const auto text = element.value<std::string>();
      auto value = text ? Parse(std::string_view(*text)) : std::nullopt;
      if (!value) return ctx.error(element, path, fmt::format("entries must be {}", key.type));
      values.push_back(std::move(*value));
    }
    out.*M = std::move(values);
  };
  k.write = [](const Key<S>&, const S& in) -> std::optional<std::string> {
    std::string text = "[";
    for (const auto& value : in.*M) text += (text.size() > 1 ? ", " : "") + quote(Format(value));
    return text + "]";
  };
  return k;
}

// An array of integers in min..max (std::vector of an integral type), not empty.
template <auto M>
constexpr Key<StructOf<M>> integer_list(std::string_view name, std::int64_t min, std::int64_t max, Reload reload,
                                        std::string_view help) {
  using S = StructOf<M>;
  using T = typename TypeOf<M>::value_type;
  Key<S> k{name, "array of integers", min, max, reload, false, help};
  k.read = [](const Key<S>& key, const toml::node& node, S& out, Context& ctx, const std::string& path) {
    const toml::array* array = node.as_array();
    if (array == nullptr) return ctx.error(node, path, "must be an array of integers");
    if (array->empty()) return ctx.error(node, path, "must not be empty");
    TypeOf<M> values;
    for (const toml::node& element : *array) {
      const auto value = element.value_exact<std::int64_t>();
      if (!value || *value < key.min || *value > key.max)
        return ctx.error(element, path, fmt::format("entries must be integers {}..{}", key.min, key.max));
      values.push_back(static_cast<T>(*value));
    }
    out.*M = std::move(values);
  };
  k.write = [](const Key<S>&, const S& in) -> std::optional<std::string> {
    if ((in.*M).empty()) return std::nullopt;
    return fmt::format("[{}]", fmt::join(in.*M, ", "));
  };
  return k;
}

// A listener key's bound: addresses per key.
inline constexpr std::size_t kListenAddressesMax = 16;

// One listener key's value as text: "off" (none), one "ADDR:PORT", or
// several separated by commas ("0.0.0.0:69,[::]:69", as the flags take
// them). nullopt with *reason on a bad entry, a repeated one, or too many.
inline std::optional<std::vector<Endpoint>> parse_listen(std::string_view text, std::string* reason) {
  std::vector<Endpoint> out;
  if (text == "off") return out;
  for (std::size_t start = 0;;) {
    const std::size_t comma = text.find(',', start);
    std::string_view entry = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    std::string why;
    const auto endpoint = Endpoint::parse(entry, &why);
    if (!endpoint) {
      *reason = fmt::format("\"{}\" is not ADDR:PORT ({}); IPv6 as [ADDR]:PORT, or \"off\"", entry, why);
      return std::nullopt;
    }
    if (std::find(out.begin(), out.end(), *endpoint) != out.end()) {
      *reason = fmt::format("{} is listed twice", endpoint->to_string());
      return std::nullopt;
    }
    out.push_back(*endpoint);
    if (out.size() > kListenAddressesMax) {
      *reason = fmt::format("more than {} addresses", kListenAddressesMax);
      return std::nullopt;
    }
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

// "ADDR:PORT", a list of them, or "off" into a std::vector<Endpoint>
// (empty: off). The list is a TOML array of strings, or a string with commas.
template <auto M>
constexpr Key<StructOf<M>> listen(std::string_view name, Reload reload, std::string_view help) {
  using S = StructOf<M>;
  Key<S> k{name, "\"ADDR:PORT\", a list of them, or \"off\"; IPv6 as \"[ADDR]:PORT\"", 0, 0, reload, false, help};
  k.read = [](const Key<S>&, const toml::node& node, S& out, Context& ctx, const std::string& path) {
    if (const toml::array* array = node.as_array()) {
      if (array->empty() || array->size() > kListenAddressesMax)
        return ctx.error(node, path, fmt::format("must list 1..{} addresses (\"off\" for none)", kListenAddressesMax));
      std::vector<Endpoint> values;
      for (const toml::node& element : *array) {
        const auto text = element.value<std::string>();
        if (!element.is_string() || !text) return ctx.error(element, path, "entries must be strings \"ADDR:PORT\"");
        std::string reason;
        const auto one = *text == "off" ? std::nullopt : parse_listen(*text, &reason);
        if (*text == "off") reason = "\"off\" stands alone, not in a list";
        if (one && one->size() != 1) reason = "one address per entry";
        if (!one || one->size() != 1) return ctx.error(element, path, reason);
        if (std::find(values.begin(), values.end(), one->front()) != values.end())
          return ctx.error(element, path, fmt::format("{} is listed twice", one->front().to_string()));
        values.push_back(one->front());
      }
      out.*M = std::move(values);
      return;
    }
    const auto text = node.value<std::string>();
    if (!node.is_string() || !text)
      return ctx.error(node, path, "must be a string \"ADDR:PORT\", an array of them, or \"off\"");
    std::string reason;
    auto values = parse_listen(*text, &reason);
    if (!values) return ctx.error(node, path, reason);
    out.*M = std::move(*values);
  };
  k.write = [](const Key<S>&, const S& in) -> std::optional<std::string> {
    const std::vector<Endpoint>& values = in.*M;
    if (values.empty()) return quote("off");
    if (values.size() == 1) return quote(values.front().to_string());
    std::string text = "[";
    for (const Endpoint& e : values) text += (text.size() > 1 ? ", " : "") + quote(e.to_string());
    return text + "]";
  };
  return k;
}

// A key array as the dynamic span the readers and writers take.
template <typename A>
auto keys_of(const A& keys) {
  return std::span<const typename A::value_type>(keys);
}

inline std::string join_path(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : fmt::format("{}.{}", prefix, name);
}

// --- tables -------------------------------------------------------------------

// In schema order (a [[dhcp.host]] is checked against the subnets read
// before it), then every key the schema does not know is reported.
template <typename S>
void read_table(std::span<const Key<S>> keys, const toml::table& table, S& out, Context& ctx,
                const std::string& prefix) {
  for (const Key<S>& k : keys) {
    if (const toml::node* node = table.get(k.name))
      k.read(k, *node, out, ctx, join_path(prefix, k.name));
    else if (k.required)
      ctx.error(table, join_path(prefix, k.name), "is required");
  }
  for (const auto& [name, node] : table) {
    // A plain copy for the lambda: clang 14 (the fuzz build) cannot capture a structured binding.
    const std::string_view given = name.str();
    const bool known = std::any_of(keys.begin(), keys.end(), [&](const Key<S>& k) { return k.name == given; });
    if (!known) ctx.error(node, join_path(prefix, given), "unknown key");
  }
}

template <typename S>
std::string key_help(const Key<S>& key) {
  std::string range;
  if (key.max > key.min) range = fmt::format(", {}..{}", key.min, key.max);
  return fmt::format("# {} ({}{}{}{})\n", key.help, key.type, range, key.required ? ", required" : "",
                     key.reload == Reload::restart ? "; takes effect on restart" : "");
}

// `[prefix]` (when not empty), then each key with its help; sub-tables last,
// as TOML wants them after the keys.
template <typename S>
void write_table(std::span<const Key<S>> keys, const S& in, std::string_view header, std::string_view prefix,
                 std::string& out) {
  if (!header.empty()) out += fmt::format("\n{}\n", header);
  for (const Key<S>& k : keys) {
    if (k.write_tables != nullptr) continue;
    out += key_help(k);
    if (auto value = k.write(k, in))
      out += fmt::format("{} = {}\n", k.name, *value);
    else
      out += fmt::format("# {} =  (unset)\n", k.name);
  }
  for (const Key<S>& k : keys)
    if (k.write_tables != nullptr) k.write_tables(k, in, prefix, out);
}

template <typename S>
std::string inline_table(std::span<const Key<S>> keys, const S& in) {
  std::string text;
  for (const Key<S>& k : keys)
    if (auto value = k.write(k, in)) text += fmt::format("{}{} = {}", text.empty() ? "" : ", ", k.name, *value);
  return "{ " + text + " }";
}

// A sub-table: a section ([tftp]) or, when `inline_value`, an inline table
// (match = { arch = [7] }). Keys: a static array of Key<E>, E the field's type.
template <auto M, const auto& Keys>
constexpr Key<StructOf<M>> table(std::string_view name, std::string_view help, bool inline_value = false) {
  using S = StructOf<M>;
  Key<S> k{name, "table", 0, 0, Reload::applies, false, help};
  k.read = [](const Key<S>&, const toml::node& node, S& out, Context& ctx, const std::string& path) {
    const toml::table* t = node.as_table();
    if (t == nullptr) return ctx.error(node, path, "must be a table");
    read_table(keys_of(Keys), *t, out.*M, ctx, path);
  };
  if (inline_value) {
    k.type = "inline table";
    k.write = [](const Key<S>&, const S& in) -> std::optional<std::string> {
      return inline_table(keys_of(Keys), in.*M);
    };
  } else {
    k.write_tables = [](const Key<S>& key, const S& in, std::string_view prefix, std::string& out) {
      const std::string full = join_path(prefix, key.name);
      out += fmt::format("\n# {}", key.help);
      write_table(keys_of(Keys), in.*M, "[" + full + "]", full, out);
    };
  }
  return k;
}

// An array of tables ([[dhcp.subnet]]) into a std::vector<E>. Each entry is
// read with Keys, then Check(entry, table, out, ctx, path) validates it
// against the whole (overlaps, duplicates) and returns whether to keep it.
template <auto M, const auto& Keys, auto Check>
constexpr Key<StructOf<M>> tables(std::string_view name, std::string_view help) {
  using S = StructOf<M>;
  using E = typename TypeOf<M>::value_type;
  Key<S> k{name, "array of tables", 0, 0, Reload::applies, false, help};
  k.read = [](const Key<S>&, const toml::node& node, S& out, Context& ctx, const std::string& path) {
    const toml::array* array = node.as_array();
    if (array == nullptr) return ctx.error(node, path, "must be an array of tables");
    for (const toml::node& element : *array) {
      const std::string entry_path = fmt::format("{}[{}]", path, (out.*M).size());
      const toml::table* t = element.as_table();
      if (t == nullptr) {
        ctx.error(element, entry_path, "must be a table");
        continue;
      }
      E entry{};
      const std::size_t errors_before = ctx.error_count();
      read_table(keys_of(Keys), *t, entry, ctx, entry_path);
      if (Check(entry, *t, out, ctx, entry_path, ctx.error_count() == errors_before))
        (out.*M).push_back(std::move(entry));
    }
  };
  k.write_tables = [](const Key<S>& key, const S& in, std::string_view prefix, std::string& out) {
    const std::string full = join_path(prefix, key.name);
    if ((in.*M).empty()) out += fmt::format("\n# [[{}]]: none ({})\n", full, key.help);
    for (const E& entry : in.*M) write_table(keys_of(Keys), entry, "[[" + full + "]]", full, out);
  };
  return k;
}

}  // namespace ringboot::schema
