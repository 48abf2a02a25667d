#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "http/request.h"

namespace ringboot::http {
namespace {

Feed feed(RequestParser& p, std::string_view s) { return p.feed(as_bytes(s)); }

TEST(HttpRequest, SimpleGet) {
  RequestParser p;
  const std::string_view head = "GET /ipxe/boot.ipxe?mac=aa HTTP/1.1\r\nHost: boot\r\nUser-Agent: iPXE/1.21\r\n\r\n";
  const Feed f = feed(p, head);
  ASSERT_EQ(f.status, ParseStatus::ready);
  EXPECT_EQ(f.consumed, head.size());
  const Request& r = p.request();
  EXPECT_EQ(r.method, Method::get);
  EXPECT_EQ(r.method_name, "GET");
  EXPECT_EQ(r.target, "/ipxe/boot.ipxe?mac=aa");
  EXPECT_EQ(r.path, "/ipxe/boot.ipxe");
  EXPECT_EQ(r.version_minor, 1);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_FALSE(r.has_body);
  EXPECT_EQ(r.host, "boot");
  EXPECT_FALSE(r.range.has_value());
}

TEST(HttpRequest, PipelinedRequestsOneAtATime) {
  RequestParser p;
  const std::string a = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string b = "HEAD /b HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\n\r\n";
  const std::string c = "GET /c HTTP/1.1\r\nHo";
  std::string buf = a + b + c;

  Feed f = feed(p, buf);
  ASSERT_EQ(f.status, ParseStatus::ready);
  EXPECT_EQ(f.consumed, a.size());
  EXPECT_EQ(p.request().path, "/a");
  // Until reset(), nothing more is taken.
  EXPECT_EQ(feed(p, std::string_view(buf).substr(f.consumed)).consumed, 0u);
  buf.erase(0, f.consumed);
  p.reset();

  f = feed(p, buf);
  ASSERT_EQ(f.status, ParseStatus::ready);
  EXPECT_EQ(f.consumed, b.size());
  EXPECT_EQ(p.request().method, Method::head);
  EXPECT_EQ(p.request().path, "/b");
  EXPECT_EQ(p.request().range, "bytes=0-1");
  buf.erase(0, f.consumed);
  p.reset();

  f = feed(p, buf);
  EXPECT_EQ(f.status, ParseStatus::need_more);
  EXPECT_EQ(f.consumed, c.size());
  f = feed(p, "st: h\r\n\r\n");
  ASSERT_EQ(f.status, ParseStatus::ready);
  EXPECT_EQ(f.consumed, 9u);
  EXPECT_EQ(p.request().path, "/c");
  EXPECT_FALSE(p.request().range.has_value());  // reset() cleared the previous request
}

TEST(HttpRequest, HeadSplitAtEveryByte) {
  const std::string head = "GET /x%20y HTTP/1.1\r\nHost: boot\r\nIf-None-Match: \"abc\"\r\nRange: bytes=5-\r\n\r\n";
  RequestParser p;
  for (std::size_t i = 0; i + 1 < head.size(); ++i) {
    const Feed f = feed(p, std::string_view(head).substr(i, 1));
    ASSERT_EQ(f.status, ParseStatus::need_more) << i;
    ASSERT_EQ(f.consumed, 1u);
  }
  const Feed f = feed(p, std::string_view(head).substr(head.size() - 1));
  ASSERT_EQ(f.status, ParseStatus::ready);
  EXPECT_EQ(f.consumed, 1u);
  EXPECT_EQ(p.request().path, "/x y");
  EXPECT_EQ(p.request().host, "boot");
  EXPECT_EQ(p.request().if_none_match, "\"abc\"");
  EXPECT_EQ(p.request().range, "bytes=5-");
}

TEST(HttpRequest, KeepAliveByVersion) {
  struct Case {
    std::string_view head;
    int minor;
    bool keep_alive;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1, true},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 1, false},
      {"GET / HTTP/1.0\r\n\r\n", 0, false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, true},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, true},
  };
  for (const Case& c : cases) {
    RequestParser p;
    const Feed f = feed(p, c.head);
    ASSERT_EQ(f.status, ParseStatus::ready) << c.head;
    EXPECT_EQ(p.request().version_minor, c.minor) << c.head;
    EXPECT_EQ(p.request().keep_alive, c.keep_alive) << c.head;
  }
}

TEST(HttpRequest, HeaderNamesCaseInsensitiveAndTrimmed) {
  RequestParser p;
  ASSERT_EQ(feed(p, "GET / HTTP/1.1\r\nhOsT: h\r\nRANGE:   bytes=1-2  \r\nif-modified-since: x\r\n\r\n").status,
            ParseStatus::ready);
  EXPECT_EQ(p.request().host, "h");
  EXPECT_EQ(p.request().range, "bytes=1-2");
  EXPECT_EQ(p.request().if_modified_since, "x");
}

TEST(HttpRequest, RepeatedListHeaderJoined) {
  RequestParser p;
  ASSERT_EQ(feed(p, "GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"a\"\r\nIf-None-Match: \"b\"\r\n\r\n").status,
            ParseStatus::ready);
  EXPECT_EQ(p.request().if_none_match, "\"a\", \"b\"");
}

TEST(HttpRequest, HeaderTooLargeIs431) {
  RequestParser p;
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n";
  const Feed f = feed(p, head);
  EXPECT_EQ(f.status, ParseStatus::error);
  EXPECT_EQ(f.error_status, 431);
  EXPECT_FALSE(p.request().keep_alive);
  // Sticky until reset.
  EXPECT_EQ(feed(p, "GET / HTTP/1.1\r\n").error_status, 431);
}

TEST(HttpRequest, HeaderTooLargeAcrossFeedsIs431) {
  RequestParser p;
  ASSERT_EQ(feed(p, "GET / HTTP/1.1\r\nHost: h\r\n").status, ParseStatus::need_more);
  Feed f;
  for (int i = 0; i < 100 && f.status != ParseStatus::error; ++i)
    f = feed(p, "X-Pad: " + std::string(100, 'p') + "\r\n");
  EXPECT_EQ(f.status, ParseStatus::error);
  EXPECT_EQ(f.error_status, 431);
}

TEST(HttpRequest, HeadExactlyAtLimitAccepted) {
  ParserLimits limits;
  const std::string prefix = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  const std::string head = prefix + std::string(limits.header_bytes_max - prefix.size() - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(head.size(), limits.header_bytes_max);
  RequestParser p(limits);
  EXPECT_EQ(feed(p, head).status, ParseStatus::ready);
  RequestParser q(limits);
  const std::string over = prefix + std::string(limits.header_bytes_max - prefix.size() - 3, 'v') + "\r\n\r\n";
  EXPECT_EQ(feed(q, over).error_status, 431);
}

TEST(HttpRequest, TooManyHeadersIs431) {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 64; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
  head += "\r\n";
  RequestParser p;  // 65 headers
  const Feed f = feed(p, head);
  EXPECT_EQ(f.status, ParseStatus::error);
  EXPECT_EQ(f.error_status, 431);

  std::string ok = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 63; ++i) ok += "X-" + std::to_string(i) + ": v\r\n";
  RequestParser q;  // exactly 64
  EXPECT_EQ(feed(q, ok + "\r\n").status, ParseStatus::ready);
}

TEST(HttpRequest, LongTargetIs414) {
  RequestParser p;
  const Feed f = feed(p, "GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(f.status, ParseStatus::error);
  EXPECT_EQ(f.error_status, 414);
}

TEST(HttpRequest, MalformedIs400) {
  for (const std::string_view bad : {
           std::string_view("GET/ HTTP/1.1\r\nHost: h\r\n\r\n"),
           std::string_view("GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n"),
           std::string_view("GET / HTTP/1.1\r\nBad Header: v\r\nHost: h\r\n\r\n"),
           std::string_view("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"),
           std::string_view("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
           std::string_view("GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n"),
           std::string_view("GET /%4 HTTP/1.1\r\nHost: h\r\n\r\n"),
           std::string_view("GET / HTTP/1.1\r\n\r\n"),                        // 1.1 without Host
           std::string_view("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),  // two Hosts
       }) {
    RequestParser p;
    const Feed f = feed(p, bad);
    EXPECT_EQ(f.status, ParseStatus::error) << bad;
    EXPECT_EQ(f.error_status, 400) << bad;
  }
}

TEST(HttpRequest, UnknownMethodIs501AndOtherMethodsParse) {
  RequestParser p;
  EXPECT_EQ(feed(p, "BREW / HTTP/1.1\r\nHost: h\r\n\r\n").error_status, 501);
  RequestParser q;
  ASSERT_EQ(feed(q, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").status, ParseStatus::ready);
  EXPECT_EQ(q.request().method, Method::other);
  EXPECT_EQ(q.request().method_name, "OPTIONS");
  EXPECT_EQ(q.request().path, "");
}

TEST(HttpRequest, WrongVersionIs505) {
  RequestParser p;
  EXPECT_EQ(feed(p, "GET / HTTP/2.0\r\nHost: h\r\n\r\n").error_status, 505);
  RequestParser q;
  EXPECT_EQ(feed(q, "GET / HTTP/3.1\r\nHost: h\r\n\r\n").error_status, 505);
}

TEST(HttpRequest, BodyIsNotReadAndForcesClose) {
  const std::string head = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";
  RequestParser p;
  const Feed f = feed(p, head + "hello");
  ASSERT_EQ(f.status, ParseStatus::ready);
  EXPECT_EQ(f.consumed, head.size());
  EXPECT_TRUE(p.request().has_body);
  EXPECT_FALSE(p.request().keep_alive);

  RequestParser q;
  ASSERT_EQ(feed(q, "GET /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n").status, ParseStatus::ready);
  EXPECT_TRUE(q.request().has_body);
  EXPECT_FALSE(q.request().keep_alive);

  RequestParser r;
  ASSERT_EQ(feed(r, "GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").status, ParseStatus::ready);
  EXPECT_FALSE(r.request().has_body);
  EXPECT_TRUE(r.request().keep_alive);
}

// The API and the installer callbacks ask for the body; it is read by
// Content-Length, across feeds, up to the caller's bound.
TEST(HttpRequest, BodyReadOnRequest) {
  const std::string head =
      "PUT /api HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer abc \r\nContent-Type: application/json\r\n"
      "Content-Length: 10\r\n\r\n";
  RequestParser p;
  Feed f = feed(p, head + "{\"a\":");
  ASSERT_EQ(f.status, ParseStatus::ready);
  ASSERT_EQ(f.consumed, head.size());
  EXPECT_EQ(p.request().authorization, "Bearer abc");
  EXPECT_EQ(p.request().content_type, "application/json");
  EXPECT_EQ(p.request().content_length, 10u);
  EXPECT_FALSE(p.request().keep_alive) << "unread, the body forces a close";
  ASSERT_EQ(p.read_body(64), 0);
  f = feed(p, "{\"a\":");
  EXPECT_EQ(f.status, ParseStatus::need_more);
  EXPECT_EQ(f.consumed, 5u);
  f = feed(p, " 1}\r\nGET /next HTTP/1.1\r\n");
  ASSERT_EQ(f.status, ParseStatus::ready);
  EXPECT_EQ(f.consumed, 5u) << "the bytes after the body are the next request's";
  EXPECT_EQ(p.request().body, "{\"a\": 1}\r\n");
  EXPECT_TRUE(p.request().keep_alive) << "read, the body leaves the connection open";
  EXPECT_EQ(feed(p, "GET /next").consumed, 0u);
  p.reset();
  ASSERT_EQ(feed(p, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n").status, ParseStatus::ready);
  EXPECT_EQ(p.request().path, "/next");
  EXPECT_TRUE(p.request().body.empty());
  EXPECT_FALSE(p.request().authorization.has_value());
}

TEST(HttpRequest, BodyBoundsAndFraming) {
  RequestParser exact;
  ASSERT_EQ(feed(exact, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n").status, ParseStatus::ready);
  EXPECT_EQ(exact.read_body(4), 0);
  EXPECT_EQ(feed(exact, "abcd").status, ParseStatus::ready);
  EXPECT_EQ(exact.request().body, "abcd");

  RequestParser over;
  ASSERT_EQ(feed(over, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n").status, ParseStatus::ready);
  EXPECT_EQ(over.read_body(4), 413);
  EXPECT_FALSE(over.request().keep_alive);

  RequestParser chunked;
  ASSERT_EQ(feed(chunked, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n").status,
            ParseStatus::ready);
  EXPECT_TRUE(chunked.request().chunked);
  EXPECT_EQ(chunked.read_body(64), 411);

  RequestParser empty;  // Content-Length: 0 (busybox wget --post-data=''): nothing to read
  ASSERT_EQ(feed(empty, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").status, ParseStatus::ready);
  EXPECT_FALSE(empty.request().has_body);
  EXPECT_EQ(empty.request().content_length, 0u);
  EXPECT_EQ(empty.read_body(64), 0);
  EXPECT_TRUE(empty.request().keep_alive);

  RequestParser closing;  // the head's Connection: close still holds once the body is read
  ASSERT_EQ(feed(closing, "POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 1\r\n\r\n").status,
            ParseStatus::ready);
  EXPECT_EQ(closing.read_body(64), 0);
  EXPECT_EQ(feed(closing, "x").status, ParseStatus::ready);
  EXPECT_FALSE(closing.request().keep_alive);
}

TEST(HttpRequest, SmugglingShapesRefused) {
  RequestParser p;  // both framings: llhttp strict mode refuses
  EXPECT_EQ(feed(p, "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n").status,
            ParseStatus::error);
  RequestParser q;
  EXPECT_EQ(feed(q, "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").status,
            ParseStatus::error);
}

TEST(HttpRequest, AbsoluteFormTarget) {
  RequestParser p;
  ASSERT_EQ(feed(p, "GET http://boot.example/ipxe/a.efi?x=1 HTTP/1.1\r\nHost: boot.example\r\n\r\n").status,
            ParseStatus::ready);
  EXPECT_EQ(p.request().path, "/ipxe/a.efi");
}

TEST(HttpRequest, PercentDecodedBeforeChecks) {
  RequestParser p;
  ASSERT_EQ(feed(p, "GET /%2e%2e/%2Fetc%2fpasswd HTTP/1.1\r\nHost: h\r\n\r\n").status, ParseStatus::ready);
  EXPECT_EQ(p.request().path, "/..//etc/passwd");
  EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_FALSE(percent_decode("%").has_value());
}

TEST(HttpRequest, StartedTracksFirstByte) {
  RequestParser p;
  EXPECT_FALSE(p.started());
  feed(p, "G");
  EXPECT_TRUE(p.started());
  p.reset();
  EXPECT_FALSE(p.started());
}

}  // namespace
}  // namespace ringboot::http

namespace ringboot::http {
namespace {

// RFC 9112 2.2: a server SHOULD ignore at least one empty line before a
// request-line (some clients send a stray CRLF after a previous request).
TEST(HttpRequest, LeadingEmptyLineIgnored) {
  RequestParser p;
  const std::string_view head = "\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  const Feed f = p.feed(as_bytes(head));
  ASSERT_EQ(f.status, ParseStatus::ready);
  EXPECT_EQ(f.consumed, head.size());
  EXPECT_EQ(p.request().path, "/a");
}

}  // namespace
}  // namespace ringboot::http
