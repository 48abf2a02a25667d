// The /ui/ page's files, embedded in the binary at build time (embed.cmake
// writes their definitions from src/ui/*.html, *.js, *.css). Data only: the
// API maps a request's path to one of them (api/ui.h).
#pragma once

#include <span>
#include <string_view>

namespace ringboot::ui {

struct Asset {
  std::string_view name;          // the file's name under /ui/: "index.html", "app.js"
  std::string_view content_type;  // by extension: "text/javascript; charset=utf-8"
  std::string_view etag;          // "\"<16 hex digits of its SHA-256>\"", quotes included
  std::string_view bytes;
};

// Every embedded file, in the order CMakeLists.txt names them.
std::span<const Asset> assets();

}  // namespace ringboot::ui
