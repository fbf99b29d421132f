// The secure copies of one message (issue 12): for each recipient that routing sent to S/MIME,
// OpenPGP or enforced TLS, the complete RFC 5322 bytes made at send time — the only moment the
// sender's signing keys are at hand (unwrapped with the session's UMK) — sealed under the master
// key and ready to be queued in the transaction that stores the message
// (docs/secure-delivery.md).
//
// S/MIME and OpenPGP copies are signed and encrypted for their one recipient
// (delivery::BuildSecureCopy); a TLS copy is the plain MIME message (mime::BuildMessage), the
// same bytes for every TLS recipient. Sizes are checked before anything is read: a message too
// large for a copy is refused (TooLarge, shown to the client), never sent in part.
//
// Thread-safe (no state). SECURITY: the content is the member's (already validated by
// Mailbox::ValidateSend); the recipients' keys come from the key directory (validated when
// routed; an OpenPGP key is used as routing parsed it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "app/routing.h"
#include "app/services.h"
#include "core/address.h"
#include "crypto/key_roles.h"
#include "store/secure_delivery_store.h"

namespace sealpost::app::internal {

// An attachment of the message: where its blob is and how to open it.
struct CopyAttachment {
  std::string name;
  std::string content_type;
  uint64_t size = 0;
  BlobId blob_id;
  const crypto::BlobKey* key = nullptr;  // not owned
};

struct CopyContent {
  MessageId id;
  UserId sender_id;
  std::string from_email;
  std::string from_name;
  std::vector<std::string> to;  // every recipient, as the To header lists them
  std::string subject;
  std::string text;
  std::string html;
  std::vector<CopyAttachment> attachments;
  TimePoint date;
  // The thread, so that mail programs file the copy under the message it answers: Message-IDs
  // without angle brackets (In-Reply-To: the answered message; References: oldest first).
  std::string in_reply_to;
  std::vector<std::string> references;
};

// The copies for `routes` (each kSmime, kOpenPgp or kTls), queued state, sealed. `umk` opens the
// sender's certified keys; it may be null when no route needs them (TLS only).
Result<std::vector<store::SecureCopyRecord>> PrepareSecureCopies(const Services& s,
                                                                 const CopyContent& content,
                                                                 const std::vector<Route>& routes,
                                                                 const crypto::Umk* umk);

// The Message-ID (without angle brackets) the copies of message `id` by `sender` carry:
// "<id>@<sender's domain>", the same in every copy of the message.
std::string CopyMessageId(const MessageId& id, const EmailAddress& sender);

// The master-key purpose that seals copy `id` (crypto/ad_labels.h kMasterPurposeSecureCopy ‖ id).
std::string SecureCopyPurpose(const SecureCopyId& id);

// "smime", "openpgp" or "tls": the routing method of a copy's stored method slug.
std::string_view RouteSlugOfCopyMethod(std::string_view copy_method);

}  // namespace sealpost::app::internal
