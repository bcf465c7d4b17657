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
  const RequestHead h = Parse("POST /x HTTP/1.1\r\ncontent-length:  12 \r\n\r\nabc");
  EXPECT_EQ(h.status, Status::kComplete);
  EXPECT_EQ(h.body_bytes, 12u);
}

TEST(RequestHead, Limits) {
  RequestLimits small{64, 10};
  EXPECT_EQ(Parse(std::string(65, 'A'), small).status, Status::kTooLarge);
  EXPECT_EQ(Parse(std::string(64, 'A'), small).status, Status::kIncomplete);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nX: " + std::string(60, 'a') + "\r\n\r\n", small).status,
            Status::kTooLarge);
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", small).status,
            Status::kBodyTooLarge);
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n", small).status,
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

TEST(RequestHead, UpstreamAsksForClose) {
  EXPECT_EQ(UpstreamHead("GET /metrics HTTP/1.1\r\nHost: x\r\nconnection: keep-alive\r\n"
                         "Keep-Alive: 5\r\nAccept-Encoding: gzip\r\n\r\n"),
            "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(UpstreamHead("GET / HTTP/1.0\n\n"), "GET / HTTP/1.0\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace netstat::daemon
