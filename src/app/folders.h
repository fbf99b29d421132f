// Listing a member's folders: the use case every front end calls to show the inbox or Sent.
//
// Listing is also the moment the member is known to be present with their keys, so before the
// list is read, messages they sent to guests who have become members since are re-sealed to
// those members (Guests::ResealWaiting). That is best effort: a failure is logged and leaves the
// messages waiting for a later listing or for the member's own link. The first page of the inbox
// also names the messages that still wait for the member (sent to the address before it
// enrolled, not re-sealed yet). Thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "app/guests.h"
#include "app/mailbox.h"

namespace sealpost::app {

struct FolderPage {
  MailboxPage page;
  // Only on the inbox's first page (no cursor); empty elsewhere.
  std::vector<WaitingMessage> waiting;
  bool lists_waiting = false;
};

class Folders final {
 public:
  explicit Folders(const Services& services) : mailbox_(services), guests_(services) {}

  // Mailbox::List's arguments and errors.
  Result<FolderPage> List(const AuthContext& ctx, store::Folder folder, std::string_view cursor,
                          int limit, std::optional<std::string_view> query = std::nullopt);

 private:
  Mailbox mailbox_;
  Guests guests_;
};

}  // namespace sealpost::app
