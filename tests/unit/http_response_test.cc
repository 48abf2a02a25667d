#include <gtest/gtest.h>

#include <string>

#include "base/bytes.h"
#include "http/date.h"
#include "http/response.h"

#include <fmt/format.h>

namespace ringboot::http {
namespace {

constexpr FileInfo kFile{.size = 1000, .mtime_sec = 784111777, .mtime_nsec = 5, .inode = 0xabc};
constexpr std::string_view kLastModified = "Sun, 06 Nov 1994 08:49:37 GMT";

Request get(std::string_view path = "/boot.ipxe") {
  Request r;
  r.method = Method::get;
  r.method_name = "GET";
  r.path = std::string(path);
  r.target = r.path;
  r.host = "h";
  return r;
}

bool has(const ResponsePlan& p, std::string_view line) {
  return p.head.find(std::string(line) + "\r\n") != std::string::npos;
}

TEST(HttpResponse, Get200) {
  const ResponsePlan p = plan_file_response(get(), Lookup::ok, kFile, "boot.ipxe");
  EXPECT_EQ(p.status, 200);
  EXPECT_TRUE(p.head.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(p.head.ends_with("\r\n\r\n"));
  EXPECT_TRUE(has(p, "Server: ringboot"));
  EXPECT_TRUE(has(p, "Content-Length: 1000"));
  EXPECT_TRUE(has(p, "Content-Type: text/plain; charset=utf-8"));
  EXPECT_TRUE(has(p, "Last-Modified: " + std::string(kLastModified)));
  EXPECT_TRUE(has(p, "ETag: " + make_etag(kFile)));
  EXPECT_TRUE(has(p, "Accept-Ranges: bytes"));
  EXPECT_TRUE(has(p, "Connection: keep-alive"));
  EXPECT_EQ(p.head.find("Date:"), std::string::npos);
  EXPECT_EQ(p.body_offset, 0u);
  EXPECT_EQ(p.body_length, 1000u);
  EXPECT_TRUE(p.inline_body.empty());
  EXPECT_TRUE(p.keep_alive);
}

TEST(HttpResponse, DateWhenGivenAndLastModifiedClamped) {
  const ResponsePlan p = plan_file_response(get(), Lookup::ok, kFile, "boot.ipxe", 784111777 - 10);
  EXPECT_TRUE(has(p, "Date: " + format_imf_fixdate(784111777 - 10)));
  EXPECT_TRUE(has(p, "Last-Modified: " + format_imf_fixdate(784111777 - 10)));
}

TEST(HttpResponse, HeadSameHeadersNoBody) {
  Request h = get();
  h.method = Method::head;
  const ResponsePlan g = plan_file_response(get(), Lookup::ok, kFile, "boot.ipxe");
  const ResponsePlan p = plan_file_response(h, Lookup::ok, kFile, "boot.ipxe");
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.head, g.head);
  EXPECT_EQ(p.body_length, 0u);
  h.range = "bytes=0-1";  // Range is for GET only
  EXPECT_EQ(plan_file_response(h, Lookup::ok, kFile, "boot.ipxe").status, 200);
  const ResponsePlan missing = plan_file_response(h, Lookup::not_found, kFile, "x");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.inline_body.empty());
  EXPECT_TRUE(has(missing, "Content-Length: 14"));  // "404 Not Found\n", as GET would get
}

TEST(HttpResponse, ConnectionClose) {
  Request r = get();
  r.keep_alive = false;
  const ResponsePlan p = plan_file_response(r, Lookup::ok, kFile, "boot.ipxe");
  EXPECT_TRUE(has(p, "Connection: close"));
  EXPECT_FALSE(p.keep_alive);
}

TEST(HttpResponse, MethodNotAllowed) {
  Request r = get();
  r.method = Method::other;
  r.method_name = "POST";
  const ResponsePlan p = plan_file_response(r, Lookup::ok, kFile, "boot.ipxe");
  EXPECT_EQ(p.status, 405);
  EXPECT_TRUE(has(p, "Allow: GET, HEAD"));
  EXPECT_EQ(p.body_length, 0u);
  EXPECT_EQ(p.inline_body, "405 Method Not Allowed\n");
}

TEST(HttpResponse, LookupFailures) {
  EXPECT_EQ(plan_file_response(get(), Lookup::not_found, {}, "x").status, 404);
  EXPECT_EQ(plan_file_response(get(), Lookup::forbidden, {}, "x").status, 403);
  EXPECT_EQ(plan_file_response(get(), Lookup::is_directory, {}, "x").status, 403);
  const ResponsePlan e = plan_file_response(get(), Lookup::error, {}, "x");
  EXPECT_EQ(e.status, 500);
  EXPECT_EQ(e.body_length, 0u);
  EXPECT_EQ(e.inline_body, "500 Internal Server Error\n");
  EXPECT_TRUE(has(e, "Content-Length: 26"));
}

TEST(HttpResponse, Range206) {
  Request r = get();
  r.range = "bytes=100-199";
  const ResponsePlan p = plan_file_response(r, Lookup::ok, kFile, "a.img");
  EXPECT_EQ(p.status, 206);
  EXPECT_TRUE(p.head.starts_with("HTTP/1.1 206 Partial Content\r\n"));
  EXPECT_TRUE(has(p, "Content-Range: bytes 100-199/1000"));
  EXPECT_TRUE(has(p, "Content-Length: 100"));
  EXPECT_EQ(p.body_offset, 100u);
  EXPECT_EQ(p.body_length, 100u);

  r.range = "bytes=-10";
  const ResponsePlan s = plan_file_response(r, Lookup::ok, kFile, "a.img");
  EXPECT_TRUE(has(s, "Content-Range: bytes 990-999/1000"));
  EXPECT_EQ(s.body_offset, 990u);
}

TEST(HttpResponse, Range416AndIgnored) {
  Request r = get();
  r.range = "bytes=1000-";
  const ResponsePlan p = plan_file_response(r, Lookup::ok, kFile, "a.img");
  EXPECT_EQ(p.status, 416);
  EXPECT_TRUE(has(p, "Content-Range: bytes */1000"));
  EXPECT_TRUE(has(p, "Content-Length: 0"));
  EXPECT_EQ(p.body_length, 0u);
  r.range = "bytes=0-1,3-4";
  const ResponsePlan m = plan_file_response(r, Lookup::ok, kFile, "a.img");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.body_length, 1000u);
}

TEST(HttpResponse, IfRange) {
  Request r = get();
  r.range = "bytes=0-9";
  r.if_range = make_etag(kFile);
  EXPECT_EQ(plan_file_response(r, Lookup::ok, kFile, "a").status, 206);
  r.if_range = std::string(kLastModified);
  EXPECT_EQ(plan_file_response(r, Lookup::ok, kFile, "a").status, 206);
  r.if_range = "\"other\"";
  EXPECT_EQ(plan_file_response(r, Lookup::ok, kFile, "a").status, 200);
  r.if_range = "W/" + make_etag(kFile);  // weak never matches If-Range
  EXPECT_EQ(plan_file_response(r, Lookup::ok, kFile, "a").status, 200);
}

TEST(HttpResponse, IfNoneMatch304) {
  const std::string etag = make_etag(kFile);
  for (const std::string& inm : {etag, "W/" + etag, std::string("*"), "\"x\", " + etag, "\"a,b\"," + etag + " "}) {
    Request r = get();
    r.if_none_match = inm;
    const ResponsePlan p = plan_file_response(r, Lookup::ok, kFile, "a");
    EXPECT_EQ(p.status, 304) << inm;
    EXPECT_EQ(p.body_length, 0u);
    EXPECT_TRUE(has(p, "ETag: " + etag));
    EXPECT_EQ(p.head.find("Content-Length"), std::string::npos);
  }
  Request r = get();
  r.if_none_match = "\"nope\"";
  EXPECT_EQ(plan_file_response(r, Lookup::ok, kFile, "a").status, 200);
}

TEST(HttpResponse, IfModifiedSince) {
  Request r = get();
  r.if_modified_since = std::string(kLastModified);
  EXPECT_EQ(plan_file_response(r, Lookup::ok, kFile, "a").status, 304);
  r.if_modified_since = format_imf_fixdate(kFile.mtime_sec - 1);
  EXPECT_EQ(plan_file_response(r, Lookup::ok, kFile, "a").status, 200);
  r.if_modified_since = "garbage";
  EXPECT_EQ(plan_file_response(r, Lookup::ok, kFile, "a").status, 200);
  // If-None-Match takes precedence: a non-matching tag wins over a fresh date.
  r.if_modified_since = std::string(kLastModified);
  r.if_none_match = "\"nope\"";
  EXPECT_EQ(plan_file_response(r, Lookup::ok, kFile, "a").status, 200);
  // 304 wins over Range.
  r.if_none_match = make_etag(kFile);
  r.range = "bytes=0-1";
  EXPECT_EQ(plan_file_response(r, Lookup::ok, kFile, "a").status, 304);
}

TEST(HttpResponse, ContentTypes) {
  EXPECT_EQ(content_type_for("boot.ipxe"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("a/B.IPXE"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("grub.cfg"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("x.conf"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("x.sh"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("notes.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("ipxe/snp.efi"), "application/efi");
  EXPECT_EQ(content_type_for("debian.iso"), "application/x-iso9660-image");
  for (const std::string_view bin :
       {"undionly.kpxe", "ipxe.pxe", "ipxe.lkrn", "disk.img", "vmlinuz", "linux", "initrd.img-6.1", "initrd", "root.gz",
        "a.xz", "b.zst", "ipxe/noext", "dir.efi/file"}) {
    EXPECT_EQ(content_type_for(bin), "application/octet-stream") << bin;
  }
}

TEST(HttpResponse, EtagStableAndSensitive) {
  EXPECT_EQ(make_etag(kFile), make_etag(kFile));
  EXPECT_EQ(make_etag(kFile), "\"abc-3e8-" + fmt::format("{:x}", 784111777ULL * 1000000000ULL + 5) + "\"");
  FileInfo f = kFile;
  f.mtime_nsec = 6;
  EXPECT_NE(make_etag(f), make_etag(kFile));
  f = kFile;
  f.size = 1001;
  EXPECT_NE(make_etag(f), make_etag(kFile));
  f = kFile;
  f.inode = 1;
  EXPECT_NE(make_etag(f), make_etag(kFile));
}

TEST(HttpResponse, PlanSimple) {
  const ResponsePlan p = plan_simple(200, "text/plain; version=0.0.4", "m 1\n", true, false);
  EXPECT_EQ(p.status, 200);
  EXPECT_TRUE(has(p, "Content-Type: text/plain; version=0.0.4"));
  EXPECT_TRUE(has(p, "Content-Length: 4"));
  EXPECT_EQ(p.inline_body, "m 1\n");
  EXPECT_EQ(p.body_length, 0u);
  const ResponsePlan h = plan_simple(200, "text/plain", "m 1\n", false, true);
  EXPECT_TRUE(h.inline_body.empty());
  EXPECT_TRUE(has(h, "Content-Length: 4"));
  EXPECT_TRUE(has(h, "Connection: close"));
  const ResponsePlan e = plan_error(431, false, false);
  EXPECT_TRUE(e.head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  EXPECT_TRUE(has(plan_simple(405, "text/plain", "", true, false), "Allow: GET, HEAD"));
}

TEST(HttpResponse, WithTheCallersHeaders) {
  const ResponsePlan p =
      plan_with_headers(405, "application/json", "Allow: PUT\r\n", R"({"error":"x"})", true, false, 0);
  EXPECT_TRUE(p.head.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")) << p.head;
  EXPECT_TRUE(has(p, "Allow: PUT"));
  EXPECT_FALSE(has(p, "Allow: GET")) << "only the caller's Allow";
  EXPECT_TRUE(has(p, "Content-Type: application/json"));
  EXPECT_TRUE(has(p, "Content-Length: 13"));
  EXPECT_TRUE(p.head.ends_with("Allow: PUT\r\nConnection: keep-alive\r\n\r\n")) << p.head;
  EXPECT_EQ(p.inline_body, R"({"error":"x"})");
}

TEST(HttpResponse, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(416), "Range Not Satisfiable");
  EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reason_phrase(299), "Unknown");
  for (const int status : {201, 401, 409, 411, 413, 422, 503}) EXPECT_NE(reason_phrase(status), "Unknown") << status;
}

}  // namespace
}  // namespace ringboot::http
