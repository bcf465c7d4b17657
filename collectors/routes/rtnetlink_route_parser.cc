#include "collectors/routes/rtnetlink_route_parser.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

namespace netstat::routes {
namespace {

using AttrTable = std::array<const nlattr*, RTA_MAX + 1>;

int StoreAttr(const nlattr* attr, void* data) {
  auto* table = static_cast<AttrTable*>(data);
  uint16_t type = mnl_attr_get_type(attr);
  if (type <= RTA_MAX) (*table)[type] = attr;
  return MNL_CB_OK;
}

size_t AddressLength(int af) { return af == AF_INET6 ? 16 : 4; }

// An address attribute of the route's family; false when its length is wrong.
bool AddressAttr(const nlattr* attr, int af, const uint8_t** addr) {
  if (attr == nullptr) return true;
  if (mnl_attr_get_payload_len(attr) != AddressLength(af)) return false;
  *addr = static_cast<const uint8_t*>(mnl_attr_get_payload(attr));
  return true;
}

// The gateway of one nexthop: RTA_GATEWAY, or RTA_VIA (an IPv6 gateway for an IPv4
// route). Returns false on a malformed attribute.
bool Gateway(const AttrTable& attrs, int af, std::string* out) {
  const uint8_t* gw = nullptr;
  if (!AddressAttr(attrs[RTA_GATEWAY], af, &gw)) return false;
  if (gw != nullptr) {
    *out = FormatAddress(af, gw);
    return true;
  }
  if (const nlattr* via = attrs[RTA_VIA]) {
    size_t len = mnl_attr_get_payload_len(via);
    if (len < sizeof(rtvia)) return false;
    auto* v = static_cast<const rtvia*>(mnl_attr_get_payload(via));
    int via_af = v->rtvia_family;
    if ((via_af != AF_INET && via_af != AF_INET6) || len < sizeof(rtvia) + AddressLength(via_af)) {
      return false;
    }
    *out = FormatAddress(via_af, v->rtvia_addr);
  }
  return true;
}

std::string ParseMultipath(const nlattr* mp, const Route& base, const InterfaceName& name,
                           std::vector<Route>* out) {
  int af = base.family == "ipv6" ? AF_INET6 : AF_INET;
  auto* nh = static_cast<const rtnexthop*>(mnl_attr_get_payload(mp));
  int remaining = mnl_attr_get_payload_len(mp);
  std::vector<Route> routes;
  while (remaining > 0) {
    if (static_cast<size_t>(remaining) < sizeof(rtnexthop) || nh->rtnh_len < sizeof(rtnexthop) ||
        nh->rtnh_len > remaining) {
      return "truncated RTA_MULTIPATH";
    }
    AttrTable attrs{};
    if (mnl_attr_parse_payload(RTNH_DATA(nh), nh->rtnh_len - RTNH_LENGTH(0), StoreAttr, &attrs) <
        0) {
      return "malformed nexthop attributes";
    }
    Route r = base;
    if (!Gateway(attrs, af, &r.gateway)) return "malformed nexthop gateway";
    r.interface = name(static_cast<uint32_t>(nh->rtnh_ifindex));
    routes.push_back(std::move(r));
    remaining -= RTNH_ALIGN(nh->rtnh_len);
    nh = RTNH_NEXT(nh);
  }
  out->insert(out->end(), routes.begin(), routes.end());
  return {};
}

}  // namespace

std::string ParseRouteMessage(const void* message, size_t length, const InterfaceName& name,
                              std::vector<Route>* out) {
  auto* nlh = static_cast<const nlmsghdr*>(message);
  if (length < sizeof(nlmsghdr) || nlh->nlmsg_len > length ||
      nlh->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) {
    return "truncated route message";
  }
  if (nlh->nlmsg_type != RTM_NEWROUTE) return {};
  auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  int af = rtm->rtm_family;
  if (af != AF_INET && af != AF_INET6) return {};
  if (rtm->rtm_dst_len > AddressLength(af) * 8) return "bad prefix length";
  AttrTable attrs{};
  // Not mnl_attr_parse: it walks to MNL_ALIGN(nlmsg_len), so with an unaligned length
  // the last attribute could end up to 3 bytes past the message.
  const size_t attrs_at = NLMSG_LENGTH(MNL_ALIGN(sizeof(rtmsg)));
  if (mnl_attr_parse_payload(reinterpret_cast<const char*>(nlh) + attrs_at,
                             nlh->nlmsg_len - attrs_at, StoreAttr, &attrs) < 0) {
    return "malformed route attributes";
  }
  // Table ids above 255 only fit in RTA_TABLE; rtm_table then says RT_TABLE_COMPAT.
  uint32_t table = rtm->rtm_table;
  if (const nlattr* t = attrs[RTA_TABLE]) {
    if (mnl_attr_get_payload_len(t) != sizeof(uint32_t)) return "malformed RTA_TABLE";
    table = mnl_attr_get_u32(t);
  }
  if (table != RT_TABLE_MAIN || (rtm->rtm_flags & RTM_F_CLONED)) return {};
  switch (rtm->rtm_type) {
    case RTN_LOCAL:
    case RTN_BROADCAST:
    case RTN_ANYCAST:
    case RTN_MULTICAST:
      return {};
    default:
      break;
  }
  static constexpr uint8_t kZero[16] = {};
  const uint8_t* dst = kZero;
  if (!AddressAttr(attrs[RTA_DST], af, &dst)) return "malformed RTA_DST";
  Route r;
  r.family = FamilyName(af);
  r.destination = FormatCidr(af, dst, rtm->rtm_dst_len);
  if (const nlattr* mp = attrs[RTA_MULTIPATH]) return ParseMultipath(mp, r, name, out);
  if (!Gateway(attrs, af, &r.gateway)) return "malformed gateway";
  if (const nlattr* oif = attrs[RTA_OIF]) {
    if (mnl_attr_get_payload_len(oif) != sizeof(uint32_t)) return "malformed RTA_OIF";
    r.interface = name(mnl_attr_get_u32(oif));
  }
  out->push_back(std::move(r));
  return {};
}

}  // namespace netstat::routes
