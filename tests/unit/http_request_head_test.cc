#include "daemon/http_request_head.h"

#include <gtest/gtest.h>

#include <string>

namespace netstat::daemon {
namespace {

using Status = RequestHead::Status;

RequestHead Parse(const std::string& s, RequestLimits limits = {}) {
  return ParseRequestHead(s, limits);
}

TEST(RequestHead, WholeGet) {
  const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
  const RequestHead h = Parse(req);
  EXPECT_EQ(h.status, Status::kComplete);
  EXPECT_EQ(h.head_bytes, req.size());
  EXPECT_EQ(h.body_bytes, 0u);
}

TEST(RequestHead, BareLineFeedsAndHttp10) {
  const RequestHead h = Parse("GET / HTTP/1.0\nHost: x\n\nextra");
  EXPECT_EQ(h.status, Status::kComplete);
  EXPECT_EQ(h.head_bytes, 24u);
}

TEST(RequestHead, EveryPrefixOfAWholeRequestIsIncomplete) {
  const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t n = 0; n < req.size(); ++n) {  // "GE" is still a method on its way
    EXPECT_EQ(Parse(req.substr(0, n)).status, Status::kIncomplete) << n;
  }
}

TEST(RequestHead, BodyLength) {
  const RequestHead h = Parse("POST /x HTTP/1.1\r\nHost: x\r\ncontent-length:  12 \r\n\r\nabc");
  EXPECT_EQ(h.status, Status::kComplete);
  EXPECT_EQ(h.body_bytes, 12u);
}

TEST(RequestHead, Limits) {
  RequestLimits small{64, 10};
  EXPECT_EQ(Parse(std::string(65, 'A'), small).status, Status::kTooLarge);
  EXPECT_EQ(Parse(std::string(64, 'A'), small).status, Status::kIncomplete);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nX: " + std::string(60, 'a') + "\r\n\r\n", small).status,
            Status::kTooLarge);
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", small).status,
            Status::kBodyTooLarge);
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n", small).status,
            Status::kComplete);
}

TEST(RequestHead, Refused) {
  for (const char* bad : {
           "get / HTTP/1.1\r\n\r\n",             // method case
           "GET  HTTP/1.1\r\n\r\n",              // no target
           "GET / HTTP/2.0\r\n\r\n",             // version
           "GET /\r\n\r\n",                      // HTTP/0.9
           "\x16\x03\x01\x02",                   // a TLS hello on a plain port, at its first byte
           "GET / HTTP/1.1\r\nNoColon\r\n\r\n",  // header without ':'
           "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",                          // obsolete folding
           "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",                      // not a number
           "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",    // overflow
           "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",  // ambiguous
       }) {
    EXPECT_EQ(Parse(bad).status, Status::kBadRequest) << bad;
  }
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").status,
            Status::kNeedsLength);
}

TEST(RequestHead, StrictHeaderNamesAndValues) {
  for (const char* bad : {
           "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length : 100000\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length\t: 5\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nHost: x\r\nX-A\x01: b\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nHost: x\r\nX-\xc3\xa9: b\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: b\x01c\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: b\rc\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n",
       }) {
    EXPECT_EQ(Parse(bad).status, Status::kBadRequest) << bad;
  }
  // obs-text in a value is allowed.
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: \xc3\xa9t\xc3\xa9\r\n\r\n").status,
            Status::kComplete);
}

TEST(RequestHead, Host) {
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\n\r\n").status, Status::kBadRequest);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status, Status::kBadRequest);
  EXPECT_EQ(Parse("GET / HTTP/1.0\r\n\r\n").status, Status::kComplete);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nhost: a\r\n\r\n").status, Status::kComplete);
}

TEST(RequestHead, Targets) {
  const RequestHead abs =
      Parse("GET http://127.0.0.1:10099/metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(abs.status, Status::kComplete);
  EXPECT_EQ(abs.path, "/metrics");
  EXPECT_EQ(Parse("GET HTTPS://h HTTP/1.1\r\nHost: a\r\n\r\n").path, "/");
  EXPECT_EQ(Parse("GET /a%2Fb%7e HTTP/1.1\r\nHost: a\r\n\r\n").path, "/a/b~");
  EXPECT_EQ(Parse("GET /metrics?q=%00 HTTP/1.1\r\nHost: a\r\n\r\n").path, "/metrics");
  for (const char* bad : {
           "GET /metrics%00.html HTTP/1.1\r\nHost: a\r\n\r\n",  // decoded NUL
           "GET /a%0d%0aX: y HTTP/1.1\r\nHost: a\r\n\r\n",      // decoded CR LF (and spaces)
           "GET /a%0a HTTP/1.1\r\nHost: a\r\n\r\n",             // decoded LF
           "GET /a%7f HTTP/1.1\r\nHost: a\r\n\r\n",             // DEL
           "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n",             // not hex
           "GET /a% HTTP/1.1\r\nHost: a\r\n\r\n",               // cut escape
           "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n",           // fragment
           "GET * HTTP/1.1\r\nHost: a\r\n\r\n",                 // asterisk-form
           "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n",         // authority-form
           "GET http:///metrics HTTP/1.1\r\nHost: a\r\n\r\n",   // no authority
           "GET metrics HTTP/1.1\r\nHost: a\r\n\r\n",           // relative
       }) {
    EXPECT_EQ(Parse(bad).status, Status::kBadRequest) << bad;
  }
}

TEST(RequestHead, FieldsForTheHandler) {
  const RequestHead h = Parse(
      "HEAD /metrics HTTP/1.1\r\nHost: x\r\nAuthorization:  Basic abc \r\n"
      "Accept-Encoding: br\r\naccept-encoding: gzip\r\n\r\n");
  ASSERT_EQ(h.status, Status::kComplete);
  EXPECT_EQ(h.method, "HEAD");
  EXPECT_EQ(h.minor_version, 1);
  EXPECT_TRUE(h.has_authorization);
  EXPECT_EQ(h.authorization, "Basic abc");
  EXPECT_EQ(h.accept_encoding, "br,gzip");
  EXPECT_EQ(
      Parse("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n").status,
      Status::kBadRequest);
}

TEST(AcceptsGzip, QValues) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("br, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("gzip; q=1.000"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.000, *"));
  EXPECT_FALSE(AcceptsGzip("*;q=0"));
  EXPECT_FALSE(AcceptsGzip("deflate, br"));
}

}  // namespace
}  // namespace netstat::daemon
