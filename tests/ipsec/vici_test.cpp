// The VICI codec against bytes written from strongSwan's protocol description, and
// vpdnd's swanctl.conf turned into the requests swanctl would send.
#include "ipsec/vici.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/ipsec/support.hpp"

namespace vpdnd::ipsec::vici {
namespace {

using namespace std::string_literals;

TEST(Vici, EncodesARequestAsTheProtocolDescribesIt) {
  Message m{value("name", "c1"), section("s", {list("l", {"a", "bc"})})};
  std::string want =
      "\x00\x00\x00\x28"s     // length of what follows (40)
      "\x00\x0bunload-conn"s  // CMD_REQUEST, command name
      "\x03\x04name\x00\x02"s
      "c1"s         // KEY_VALUE
      "\x01\x01s"s  // SECTION_START
      "\x04\x01l\x05\x00\x01"
      "a\x05\x00\x02"
      "bc\x06"s  // LIST_START, ITEMs, LIST_END
      "\x02"s;   // SECTION_END
  EXPECT_EQ(encode_request("unload-conn", m), want);
  auto back = decode_message(want.substr(4 + 2 + 11));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, m);
}

TEST(Vici, MalformedMessagesAreRefused) {
  EXPECT_FALSE(decode_message("\x01\x01s"s));  // section never closed
  EXPECT_FALSE(decode_message("\x02"s));       // closes nothing
  EXPECT_FALSE(
      decode_message("\x03\x04name\x00\x09"
                     "ab"s));                      // value longer than the bytes
  EXPECT_FALSE(decode_message("\x05\x00\x01x"s));  // item outside a list
  EXPECT_FALSE(decode_message("\x09"s));           // no such element
  EXPECT_EQ(decode_message(""), Message{});
}

TEST(Vici, DialInConfigurationBecomesOneConnectionAndOneKey) {
  auto conf = parse_conf(render_swanctl(dial_in()).swanctl_conf);
  ASSERT_TRUE(conf);
  auto requests = load_requests(*conf, "vpdnd-");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].command, "load-conn");
  EXPECT_EQ(requests[0].name, "vpdn-10-1");
  const Element& conn = requests[0].message.at(0);
  EXPECT_EQ(conn.name, "vpdn-10-1");
  auto* proposals = find(conn.children, "proposals");
  ASSERT_TRUE(proposals);
  EXPECT_EQ(proposals->kind, Element::Kind::list);
  EXPECT_EQ(proposals->items,
            std::vector<std::string>{"aes256-aes128-3des-sha256-sha1-modp2048-modp1024"});
  auto* children = find(conn.children, "children");
  ASSERT_TRUE(children);
  auto& child = children->children.at(0);
  EXPECT_EQ(find(child.children, "local_ts")->items, std::vector<std::string>{"dynamic[udp/1701]"});
  EXPECT_EQ(find(child.children, "start_action")->value, "none");

  EXPECT_EQ(requests[1].command, "load-shared");
  EXPECT_EQ(requests[1].name, "vpdnd-ike-1");
  const Message& key = requests[1].message;
  EXPECT_EQ(find(key, "id")->value, "vpdnd-ike-1");
  EXPECT_EQ(find(key, "type")->value, "IKE");
  EXPECT_EQ(find(key, "data")->value, "Sup3r \"Secret\"");  // the key itself, not its hex
  EXPECT_TRUE(find(key, "owners")->items.empty());          // any peer
}

TEST(Vici, ConfTextThatIsNotSwanctlSyntaxIsRefused) {
  EXPECT_FALSE(parse_conf("a {\n b = c\n"));
  EXPECT_FALSE(parse_conf("}\n"));
  EXPECT_FALSE(parse_conf("a {\n just words\n}\n"));
}

}  // namespace
}  // namespace vpdnd::ipsec::vici
