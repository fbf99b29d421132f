// Folders in-process: listing re-seals what the lister sent to guests who became members, and
// the first inbox page names what still waits for the member.
#include "app/folders.h"

#include <gtest/gtest.h>

#include "app/app_test_fixture.h"

namespace sealpost::app {
namespace {

constexpr const char* kGuest = "guest@example.net";

class FoldersTest : public AppTest {
 protected:
  Folders folders_{services_};
  Mailbox mailbox_{services_};
};

TEST_F(FoldersTest, ListingReSealsForGuestsWhoBecameMembersAndNamesWhatWaits) {
  const std::string alice_totp = Enrol("alice@example.org");
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp);
  SendRequest r;
  r.to = {kGuest};
  r.subject = "before you joined";
  r.text = "t";
  r.generate_mucs = true;
  auto id = mailbox_.Send(alice, r);
  ASSERT_THAT(id.status(), IsOk());

  DeliverQueuedMail();  // the notification goes first: Enrol reads the newest mail's token
  mailer_.sent.clear();
  // The guest address enrols by itself (not through the pickup link).
  const std::string guest_totp = Enrol(kGuest);
  const AuthContext guest = LoggedIn(kGuest, guest_totp);
  auto before = folders_.List(guest, store::Folder::kInbox, "", 50);
  ASSERT_THAT(before.status(), IsOk());
  EXPECT_TRUE(before->lists_waiting);
  ASSERT_EQ(before->waiting.size(), 1u);
  EXPECT_EQ(before->waiting[0].id, *id);
  EXPECT_TRUE(before->page.items.empty());
  // Sent is no inbox: nothing is said to wait there.
  auto sent = folders_.List(guest, store::Folder::kSent, "", 50);
  ASSERT_THAT(sent.status(), IsOk());
  EXPECT_FALSE(sent->lists_waiting);

  // Alice lists any folder of hers: the message is re-sealed to the new member.
  ASSERT_THAT(folders_.List(alice, store::Folder::kSent, "", 50).status(), IsOk());
  auto after = folders_.List(guest, store::Folder::kInbox, "", 50);
  ASSERT_THAT(after.status(), IsOk());
  EXPECT_TRUE(after->waiting.empty());
  ASSERT_EQ(after->page.items.size(), 1u);
  ASSERT_TRUE(after->page.items[0].header.has_value());
  EXPECT_EQ(after->page.items[0].header->subject, "before you joined");
  EXPECT_EQ(after->page.items[0].header->seal, SealState::kValid);
}

}  // namespace
}  // namespace sealpost::app
