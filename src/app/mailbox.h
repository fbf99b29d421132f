// Mailbox use cases: upload attachments, send, list folders, read, download. Shared by every
// front end.
//
// SECURITY: all input is untrusted. Content is encrypted before it reaches the store and is
// decrypted only with keys the caller's session unlocks; a message that fails authentication is
// reported as Corruption (never shown); a valid ciphertext whose seal does not verify is shown
// with its seal marked invalid. Thread-safe; an UploadSession is used by one thread at a time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/auth_context.h"
#include "app/message_codec.h"
#include "app/services.h"
#include "blob/blob_store.h"
#include "crypto/secret_string.h"

namespace sealpost::app {

struct AttachmentRequest {
  std::string upload_id;
  std::string name;
  std::string content_type;
};

// Recipients: `to` and `cc` are one message that lists them both, seen by all of them. Each
// `bcc` address gets a message of its own that lists only that address, as Bcc (no To, no Cc),
// so no recipient ever holds a message naming a Bcc recipient other than themselves; the sender
// finds each of those messages in Sent beside the To/Cc one. An address may be in one list only;
// to+cc+bcc together count against Limits::max_recipients, and at least one is needed.
struct SendRequest {
  std::vector<std::string> to;
  std::string subject;
  std::string text;
  std::string html;
  std::vector<AttachmentRequest> attachments;
  // Guests (recipients that are not members) whose address has no usable MUC yet need one: typed
  // by the sender (by address) or generated.
  std::map<std::string, crypto::SecretString> mucs;
  bool generate_mucs = false;
  // The message this one answers (the sender must be able to read it): keeps the thread.
  std::string in_reply_to;
  // How long guests' pickup links work (app/sent_status.h PickupTtlFor); default from config.
  std::optional<int64_t> expires_in_days;
  // Every recipient who is not a member gets a pickup, whatever keys or TLS partner they have
  // (app/routing.h).
  bool force_pickup = false;
  // Registered mail (app/registered_mail.h): each recipient accepts or refuses before the content
  // is shown to them, within `acceptance_days` (default and bound from config).
  bool registered = false;
  std::optional<int64_t> acceptance_days;
  // Last, so that positional initialisers written before them keep their meaning.
  std::vector<std::string> cc;
  std::vector<std::string> bcc;
};

// Who a message is from: a member with a live session, or a guest writing in the pickup portal
// (app/portal_author.h). Mailbox::Send builds it from the session; Guests for portal replies.
struct Author {
  UserId sender_id;  // messages.sender_id
  std::string email;
  std::string name;
  std::string actor;  // in the audit log
  const crypto::SigningKey* signing_key = nullptr;
  // A member keeps a copy in their Sent folder, wrapped by their UMK; the portal author keeps none.
  const crypto::Umk* umk = nullptr;
  // A member's own X25519 public key: each guest pickup's share is also sealed to it, so the
  // sender can re-seal it after a new MUC (app/internal/address_keys.h). None for the portal.
  std::optional<crypto::BoxPublicKey> share_copy_to;
  // Opens the key blob (data key ‖ digest) of one of the author's uploads.
  std::function<Result<crypto::SecretBytes>(const store::UploadRecord&)> open_upload;
  // Guests without a usable MUC need one from this message (members); a portal reply reaches
  // only guests of the thread it answers and never brings MUCs.
  bool brings_mucs = true;
  std::optional<EmailAddress> report_failures_to;  // told when a notification cannot be sent
  // The Message-IDs of the thread the message answers, as its S/MIME, OpenPGP and TLS copies
  // carry them (In-Reply-To: the last; References: all, oldest first); empty for a new thread.
  std::vector<std::string> thread_message_ids;
  // The seal is the platform's gateway key on behalf of the member (app/gateway_author.h):
  // signing_key is the gateway's, umk is null, and the member's Sent copy is sealed to
  // share_copy_to (their X25519 key) as a received message is.
  bool gateway_on_behalf = false;
  // Runs in the transaction that stores the message (e.g. a portal reply marks its pickup).
  std::function<Status(store::WriteTxn&)> also_in_write;
};

struct SendOutcome {
  // Guest addresses that needed a MUC and got none (the send failed with InvalidArgument).
  std::vector<std::string> muc_required;
  // Generated MUCs by address: shown to the sender once, never stored.
  std::map<std::string, crypto::SecretString> generated_mucs;
  // A refused send with SubmissionRejection evidence (app/submission_rejection.h): its id.
  std::string submission_id;
  // The message each Bcc recipient got (by normalised address); Send returns the To/Cc message
  // (or, without To and Cc, the first Bcc recipient's).
  std::map<std::string, MessageId> bcc_messages;
  // A Bcc message failed after earlier messages of the send went out (they stand).
  bool partly_sent = false;
};

enum class SealState { kValid, kInvalid };
// Whose key sealed a message: its sending member's; the platform's on behalf of a guest (a reply
// from the portal: app/portal_author.h); the platform's inbound gateway, which received it from
// outside (app/inbound_seal.h: the seal vouches for what arrived, not for the sender); or the
// platform's gateway on behalf of the member named as sender (mail from the organisation's
// server, app/gateway_author.h).
enum class SealKind { kMember, kPortal, kInbound, kGatewayOnBehalf };

// A registered message as its recipient sees it (app/registered_mail.h).
struct RegisteredStatus {
  store::RegisteredState state = store::RegisteredState::kPending;
  TimePoint deadline;
  std::optional<TimePoint> decided_at;
};

struct MessageHeader {
  MessageId id;
  store::Folder folder = store::Folder::kInbox;
  bool unread = false;
  TimePoint created_at;
  std::string from_email;
  std::string from_name;
  std::vector<std::string> to;
  std::vector<std::string> cc;
  std::vector<std::string> bcc;  // only on a Bcc recipient's own message: that recipient
  std::string subject;
  size_t attachment_count = 0;
  SealState seal = SealState::kInvalid;
  SealKind seal_kind = SealKind::kMember;
  // Mail received from outside: what the gateway saw at arrival (SPF, DKIM…).
  std::optional<ReceivedFromOutside> received;
  std::string thread_id;
  std::string in_reply_to;
  // Registered mail for the reader; while not accepted, the header holds only id, folder,
  // times, sender (address, name) and seal: subject, recipients and attachment count are empty.
  std::optional<RegisteredStatus> registered;
};

struct ListedMessage {
  MessageId id;
  // Absent when the stored message failed its integrity check: listed, but marked broken.
  std::optional<MessageHeader> header;
  store::Folder folder = store::Folder::kInbox;
  bool unread = false;
  TimePoint created_at;
};

struct MailboxPage {
  std::vector<ListedMessage> items;
  std::optional<std::string> next_cursor;
};

struct AttachmentInfo {
  int index = 0;
  std::string name;
  std::string content_type;
  uint64_t size = 0;
};

// Why a message's content is not in its view.
enum class Withheld {
  kNone,
  // The seal does not verify: the text and attachments cannot be shown to be the sender's, so
  // no front end shows them (the header stays, marked broken). Attachments refuse to open.
  kSealBroken,
  // Registered mail the reader has not accepted (refused, pending or expired): only the sender,
  // that it is registered and its deadline are shown (MessageHeader::registered); attachments
  // refuse to open (Conflict, acceptance-required).
  kNotAccepted,
};

struct MessageView {
  MessageHeader header;
  MessageBody body;                         // empty when withheld
  std::vector<AttachmentInfo> attachments;  // empty when withheld
  Withheld withheld = Withheld::kNone;
};

struct AttachmentDownload {
  AttachmentInfo info;
  // Authenticated plaintext; fails (Corruption) rather than return altered or truncated bytes.
  std::unique_ptr<blob::BlobReader> reader;
};

struct UploadResult {
  UploadId id;
  uint64_t size = 0;
};

class UploadSession {
 public:
  virtual ~UploadSession() = default;
  virtual Status Write(ByteView chunk) = 0;  // TooLarge past the upload limit
  virtual Result<UploadResult> Finish() = 0;
  virtual void Abort() = 0;
};

class Mailbox final {
 public:
  explicit Mailbox(const Services& services) : s_(services) {}

  Result<std::unique_ptr<UploadSession>> BeginUpload(const AuthContext& ctx,
                                                     std::optional<uint64_t> declared_size);
  // A refusal of the submission itself is recorded as evidence (app/submission_rejection.h).
  // With Bcc recipients, every recipient list and unlock code is checked and the attachments
  // copied (one upload per message) before the first message goes out; the messages are then
  // separate sends, To/Cc first: if a later one fails, the error says which recipients were
  // not reached and the earlier messages stand.
  Result<MessageId> Send(const AuthContext& ctx, const SendRequest& request,
                         SendOutcome* outcome = nullptr);
  // Send for any author; `thread_id` is the thread of request.in_reply_to ("" for a new one).
  // One message: a `bcc` address only alone (no to, no cc); Send splits Bcc for members.
  Result<MessageId> SendAs(const Author& author, const SendRequest& request,
                           const std::string& thread_id, SendOutcome* outcome = nullptr);
  // What Send and uploads accept, for clients that check before they upload.
  const Limits& limits() const { return s_.config.limits; }
  // Newest first. With `query` (1..max_search_chars characters), only messages whose subject,
  // sender (address or name) or any recipient address contains it, ASCII case-insensitively;
  // the summaries are decrypted with the caller's keys to check. A search page decrypts at most
  // max_search_scanned messages, so it may hold fewer than `limit` items (even none) and still
  // have a next_cursor to continue from.
  Result<MailboxPage> List(const AuthContext& ctx, store::Folder folder, std::string_view cursor,
                           int limit, std::optional<std::string_view> query = std::nullopt);
  // Marks the message read. A message whose stored data fails to decrypt is Corruption (and
  // audited, or Unavailable when that cannot be); one whose seal does not verify comes with its
  // content withheld (MessageView::withheld), and its attachments are Conflict (seal-broken).
  // Registered mail the caller has not accepted is neither decrypted beyond its summary nor
  // marked read: its view is the notice (Withheld::kNotAccepted; app/registered_mail.h).
  Result<MessageView> Read(const AuthContext& ctx, std::string_view message_id);
  Result<AttachmentDownload> OpenAttachment(const AuthContext& ctx, std::string_view message_id,
                                            int index);

  // For guests (app/guests.h): a message opened with its data key rather than a mailbox entry,
  // by `recipient` (the guest's address: registered mail is withheld until they accept).
  // `actor` is recorded in the audit log.
  Result<MessageView> ReadWithKey(const store::MessageRecord& message,
                                  const crypto::DataKey& data_key, const std::string& recipient);
  Result<AttachmentDownload> OpenAttachmentWithKey(const store::MessageRecord& message,
                                                   const crypto::DataKey& data_key, int index,
                                                   const std::string& recipient,
                                                   const std::string& actor);

  // Deletes uploads older than the configured upload_ttl that no message used (their blobs
  // too). Returns how many went. Called periodically by the server.
  Result<int> ExpireUploads();

 private:
  struct Opened;
  class KeyRing;  // the caller's keys, each derived on first use
  Result<Opened> Open(KeyRing& keys, const store::MailboxItem& item);
  Result<Opened> OpenWithKey(crypto::DataKey data_key, const store::MessageRecord& message);
  Result<AttachmentDownload> OpenAttachmentOf(const Opened& opened, const MessageId& id, int index,
                                              const std::string& recipient,
                                              const std::string& actor);
  // The view of an opened message: its content only when the seal verifies.
  static MessageView ViewOf(const Opened& opened, const store::MailboxEntry& entry,
                            MessageBody body);
  Status ValidateSend(const SendRequest& request) const;
  // Registered mail (app/registered_mail.h) as the caller reads this entry: none in Sent.
  Result<std::optional<RegisteredStatus>> RegisteredOfReader(const AuthContext& ctx,
                                                             const store::MailboxEntry& entry);
  // A listed header reduced to the notice while the caller has not accepted it.
  Status WithholdForReader(const AuthContext& ctx, const store::MailboxEntry& entry,
                           MessageHeader& header);
  Result<MessageId> SendMember(const AuthContext& ctx, const SendRequest& request,
                               SendOutcome* outcome);
  // A request with Bcc recipients as separate messages (see Send).
  Result<MessageId> SendWithBcc(const AuthContext& ctx, const SendRequest& request,
                                SendOutcome* outcome);
  // The guests of `request` who would need an unlock code it does not bring.
  Result<std::vector<std::string>> GuestsWithoutMuc(const AuthContext& ctx,
                                                    const SendRequest& request);
  // A new upload of the sender holding the same bytes as each of `attachments`' uploads.
  Result<std::vector<AttachmentRequest>> CopyUploads(
      const AuthContext& ctx, const std::vector<AttachmentRequest>& attachments);
  void DiscardUploads(const std::vector<AttachmentRequest>& attachments);

  Services s_;
};

}  // namespace sealpost::app
