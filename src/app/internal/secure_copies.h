// The secure copies of one message (issue 12): for each recipient that routing sent to S/MIME,
// OpenPGP or enforced TLS, the complete RFC 5322 bytes made at send time — the only moment the
// sender's signing keys are at hand (unwrapped with the session's UMK) — sealed under the master
// key and ready to be queued (docs/secure-delivery.md). A large send makes them on several
// threads and queues them chunk by chunk (Mailbox::SendAs), so delivery starts on the first.
//
// S/MIME and OpenPGP copies are signed and encrypted for their one recipient
// (delivery::BuildSecureCopy); a TLS copy is the plain MIME message (mime::BuildMessage), the
// same bytes for every TLS recipient. Sizes are checked before anything is read: a message too
// large for a copy is refused (TooLarge, shown to the client), never sent in part.
//
// Thread-safe as each class says. SECURITY: the content is the member's (already validated by
// Mailbox::ValidateSend); the recipients' keys come from the key directory (validated when
// routed; an OpenPGP key is used as routing parsed it).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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
  std::vector<std::string> to;  // as the To header lists them
  std::string subject;
  std::string text;
  std::string html;
  std::vector<CopyAttachment> attachments;
  TimePoint date;
  // The thread, so that mail programs file the copy under the message it answers: Message-IDs
  // without angle brackets (In-Reply-To: the answered message; References: oldest first).
  std::string in_reply_to;
  std::vector<std::string> references;
  std::vector<std::string> cc;  // as the Cc header lists them
  // A Bcc recipient's own message: that one address (to and cc empty), named only in its copy.
  std::vector<std::string> bcc;
};

// Makes the copies of one message for `routes` (each kSmime, kOpenPgp or kTls). Create checks
// and builds what every copy shares — the sizes, the sender's signing keys (unwrapped with `umk`,
// which may be null when no route needs them: TLS only), the MIME message, the protected payload,
// the TLS copy — so that a problem of the message as a whole is found before anything is stored.
// Make then seals one recipient's copy under the master key; it may run on several threads at
// once (each borrows its own OpenPGP signing context: one MemberKey signs one copy at a time).
// `routes` must outlive the maker.
class SecureCopyMaker final {
 public:
  static Result<std::unique_ptr<SecureCopyMaker>> Create(const Services& s,
                                                         const CopyContent& content,
                                                         const std::vector<Route>& routes,
                                                         const crypto::Umk* umk);
  ~SecureCopyMaker();
  SecureCopyMaker(const SecureCopyMaker&) = delete;
  SecureCopyMaker& operator=(const SecureCopyMaker&) = delete;

  // Every copy as a row in state kPreparing (method: the route slug, nothing sealed yet), its
  // preparation leased until `lease_until`; fresh ids.
  std::vector<store::SecureCopyRecord> Plan(TimePoint lease_until) const;

  struct Made {
    std::string method;  // delivery::SecureMethodSlug, or "tls"
    Bytes sealed_copy;   // under the master key, purpose SecureCopyPurpose(id)
  };
  // The copy of routes[i] with id `id`. TooLarge is shown to the client, as from Create.
  Result<Made> Make(size_t i, const SecureCopyId& id) const;

 private:
  struct Shared;
  SecureCopyMaker(const Services& s, const std::vector<Route>& routes, std::unique_ptr<Shared>);
  const Services& s_;
  const std::vector<Route>& routes_;
  std::unique_ptr<Shared> shared_;
};

// Makes copies [0, ids.size()) on up to `threads` worker threads in index order, never more
// than `window` beyond those taken, so that the caller queues one chunk while the next is made.
// Destruction stops the workers (copies not taken are dropped).
class CopyProduction final {
 public:
  CopyProduction(const SecureCopyMaker& maker, std::vector<SecureCopyId> ids, unsigned threads,
                 size_t window);
  ~CopyProduction();
  CopyProduction(const CopyProduction&) = delete;
  CopyProduction& operator=(const CopyProduction&) = delete;

  // Waits for copies [from, to) and hands them over; `from` must be where the last Take ended.
  std::vector<Result<SecureCopyMaker::Made>> Take(size_t from, size_t to);

 private:
  void Work();
  const SecureCopyMaker& maker_;
  const std::vector<SecureCopyId> ids_;
  const size_t window_;
  std::mutex mu_;
  std::condition_variable changed_;
  size_t next_ = 0;   // the next index a worker takes up
  size_t taken_ = 0;  // copies before this were handed over
  bool stop_ = false;
  std::vector<std::optional<Result<SecureCopyMaker::Made>>> done_;
  std::vector<std::thread> workers_;
};

// The Message-ID (without angle brackets) the copies of message `id` by `sender` carry:
// "<id>@<sender's domain>", the same in every copy of the message.
std::string CopyMessageId(const MessageId& id, const EmailAddress& sender);

// The master-key purpose that seals copy `id` (crypto/ad_labels.h kMasterPurposeSecureCopy ‖ id).
std::string SecureCopyPurpose(const SecureCopyId& id);

// "smime", "openpgp" or "tls": the routing method of a copy's stored method slug.
std::string_view RouteSlugOfCopyMethod(std::string_view copy_method);

}  // namespace sealpost::app::internal
