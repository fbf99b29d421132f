#include "app/inbound_mail.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/access.h"
#include "app/escrow.h"
#include "app/inbound_seal.h"
#include "app/internal/audit_event.h"
#include "app/internal/inbound_content.h"
#include "app/internal/seen_keys.h"
#include "blob/blob_store.h"
#include "core/text.h"
#include "crypto/hash.h"
#include "crypto/security_policy.h"
#include "crypto/wiping_allocator.h"
#include "keys/data_key.h"
#include "platform/rng.h"

namespace sealpost::app {

namespace internal {

class InboundSealKeyCache final {
 public:
  Result<std::shared_ptr<const crypto::SigningKey>> Get(const Services& s) {
    std::lock_guard lock(mu_);
    if (!key_) {
      SP_ASSIGN_OR_RETURN(crypto::SigningKey key, LoadOrCreateInboundSealKey(s));
      key_ = std::make_shared<const crypto::SigningKey>(std::move(key));
    }
    return key_;
  }

 private:
  std::mutex mu_;
  std::shared_ptr<const crypto::SigningKey> key_;  // guarded by mu_ until set
};

}  // namespace internal

namespace {

constexpr const char* kActor = "inbound-gateway";

// One blob written for a message being stored: removed again unless the store committed.
struct WrittenBlob {
  BlobId id;
  uint64_t stored_size = 0;
};

// A small blob sealed in memory, stored by the store write that names it (Services::
// blob_rows_up_to): it needs no cleanup, as it exists only if that write commits.
struct BlobRow {
  BlobId id;
  Bytes stored;
};

// Writes `bytes` into a new blob under a new key.
Result<std::pair<WrittenBlob, crypto::BlobKey>> WriteBlob(const Services& s, ByteView bytes) {
  BlobId id = platform::NewId<BlobId>(s.rng);
  crypto::BlobKey key = crypto::BlobKey::Generate();
  SP_ASSIGN_OR_RETURN(auto writer, s.blobs.Create(id, key));
  for (size_t at = 0; at < bytes.size(); at += blob::kChunkBytes) {
    const Status st =
        writer->Write(bytes.subspan(at, std::min(blob::kChunkBytes, bytes.size() - at)));
    if (!st.ok()) {
      writer->Abort();
      return st;
    }
  }
  auto size = writer->Commit();
  if (!size.ok()) return size.status();
  return std::make_pair(WrittenBlob{std::move(id), *size}, std::move(key));
}

class SpooledMessage final : public InboundMessage {
 public:
  SpooledMessage(const Services& s, internal::InboundSealKeyCache& seal_key,
                 InboundEnvelope envelope, const ArrivalChecker& checker, uint64_t max_bytes,
                 BlobId spool_id, crypto::BlobKey spool_key,
                 std::unique_ptr<blob::BlobWriter> writer)
      : s_(s),
        seal_key_(seal_key),
        envelope_(std::move(envelope)),
        checker_(checker),
        max_bytes_(max_bytes),
        spool_id_(std::move(spool_id)),
        spool_key_(std::move(spool_key)),
        writer_(std::move(writer)) {}

  ~SpooledMessage() override {
    if (writer_) writer_->Abort();
    if (spool_committed_ && !kept_) (void)s_.blobs.Remove(spool_id_);
  }

  Status Append(std::string_view bytes) override {
    if (ended_) return Internal("the message was already ended");
    if (bytes.size() > max_bytes_ - size_) {
      End();
      return TooLarge(fmt::format("the message is larger than {} bytes", max_bytes_));
    }
    Status st = Status::Ok();
    // Past what a blob row takes, the spool streams into a blob of its own from here on.
    if (!writer_ && size_ + bytes.size() > s_.blob_rows_up_to) st = StartSpoolBlob();
    if (st.ok() && writer_) st = writer_->Write(AsBytes(bytes));
    if (!st.ok()) {
      End();
      return st;
    }
    KeepClear(bytes);
    size_ += bytes.size();
    return Status::Ok();
  }

  Result<std::vector<MessageId>> Commit() override;

 private:
  Status StartSpoolBlob() {
    auto writer = s_.blobs.Create(spool_id_, spool_key_);
    if (!writer.ok()) return Unavailable("cannot spool: " + writer.status().message());
    writer_ = std::move(*writer);
    return clear_.empty() ? Status::Ok() : writer_->Write(AsBytes(std::string_view(clear_)));
  }

  void End() {
    ended_ = true;
    if (writer_) writer_->Abort();
    writer_.reset();
  }

  // Appends to the clear copy Commit works on (std::string's growth; every block it frees is
  // wiped by the allocator).
  void KeepClear(std::string_view bytes) {
    if (clear_.capacity() == 0) clear_.reserve(16 * 1024);
    clear_.append(bytes);
  }

  const Services& s_;
  internal::InboundSealKeyCache& seal_key_;
  InboundEnvelope envelope_;
  const ArrivalChecker& checker_;
  uint64_t max_bytes_;
  uint64_t size_ = 0;
  BlobId spool_id_;
  // The spool's key: random, in zeroizing memory, never stored on its own (the first recipient's
  // copy keeps it, sealed in its summary).
  crypto::BlobKey spool_key_;
  // The spool blob's writer: from Begin, or (blob rows) from when the message outgrows a row;
  // none for a message that Commit stores as a row.
  std::unique_ptr<blob::BlobWriter> writer_;
  bool ended_ = false;
  // The clear message as it streamed in, for Commit: wiped when freed, never on disk. Reading
  // the spool back instead cost a disk read (O_DIRECT) and a decryption per message; memory is
  // the same, as Commit needs the whole message in memory anyway. A WipingAllocator string
  // rather than SecretBytes: a message is bulk content, and sodium_malloc's guard pages and
  // mlock (mmap, mprotect, munmap per message) took about 5% of the intake's CPU.
  crypto::WipedString clear_;
  bool spool_committed_ = false;
  bool kept_ = false;
};

Result<std::vector<MessageId>> SpooledMessage::Commit() {
  if (ended_) return Internal("the message was already ended");
  if (envelope_.recipients.empty()) return InvalidArgument("no recipient");
  ended_ = true;
  const std::string_view message = clear_;
  const ByteView raw = AsBytes(message);
  // Small blobs are stored by the store write below, with the rows that name them: one commit
  // for the message (Services::blob_rows_up_to). The others are committed first, on their own.
  std::vector<BlobRow> rows;
  uint64_t spool_size = 0;
  if (writer_) {
    auto committed = writer_->Commit();
    writer_.reset();
    if (!committed.ok()) return committed.status();
    spool_committed_ = true;
    spool_size = *committed;
  } else {
    SP_ASSIGN_OR_RETURN(Bytes sealed, blob::SealInMemory(spool_id_, spool_key_, raw));
    spool_size = sealed.size();
    rows.push_back({spool_id_, std::move(sealed)});
  }

  ReceivedFromOutside received;
  received.envelope_from = envelope_.mail_from;
  received.client_address = envelope_.client_address;
  received.spf = "none";
  received.dkim = "none";
  if (checker_) checker_(envelope_, message, received);
  internal::InboundContent content = internal::ReadInboundContent(message, s_.config.limits);
  received.protection = content.protection;
  const std::string original_sha256 = HexEncode(crypto::Sha256(raw));
  std::vector<store::ContactKeyRecord> seen_keys =
      internal::SeenKeysOf(message, content.from_email, content.attachments, s_.clock.Now());
  const std::string body_json = EncodeBody(content.body);
  const std::string body_sha256 = HexEncode(crypto::Sha256(AsBytes(body_json)));
  SP_ASSIGN_OR_RETURN(const std::shared_ptr<const crypto::SigningKey> seal_key_ptr,
                      seal_key_.Get(s_));
  const crypto::SigningKey& seal_key = *seal_key_ptr;

  std::vector<WrittenBlob> written;  // removed again unless the store commits
  struct Cleanup {
    const Services& s;
    std::vector<WrittenBlob>& blobs;
    bool keep = false;
    ~Cleanup() {
      if (keep) return;
      for (const auto& b : blobs) (void)s.blobs.Remove(b.id);
    }
  } cleanup{s_, written};
  // A new blob of `bytes`: a row of the store write when small enough, else committed now.
  const auto store_blob = [&](ByteView bytes) -> Result<std::pair<WrittenBlob, crypto::BlobKey>> {
    if (s_.blob_rows_up_to > 0 && bytes.size() <= s_.blob_rows_up_to) {
      BlobId id = platform::NewId<BlobId>(s_.rng);
      crypto::BlobKey key = crypto::BlobKey::Generate();
      SP_ASSIGN_OR_RETURN(Bytes sealed, blob::SealInMemory(id, key, bytes));
      WrittenBlob blob{id, sealed.size()};
      rows.push_back({std::move(id), std::move(sealed)});
      return std::make_pair(std::move(blob), std::move(key));
    }
    SP_ASSIGN_OR_RETURN(auto blob, WriteBlob(s_, bytes));
    written.push_back(blob.first);
    return blob;
  };

  struct Prepared {
    store::MessageRecord message;
    std::vector<store::MailboxEntry> entries;
    std::vector<store::AttachmentRecord> attachments;
    std::vector<store::EscrowWrapRecord> escrow_wraps;
    std::string audit_details;  // "message.receive"; made here, not on the store's writer
  };
  std::vector<Prepared> prepared;
  const TimePoint now = s_.clock.Now();
  for (size_t r = 0; r < envelope_.recipients.size(); ++r) {
    SP_ASSIGN_OR_RETURN(const store::UserRecord member,
                        s_.store.accounts().GetUser(envelope_.recipients[r]));
    SP_ASSIGN_OR_RETURN(const auto member_key,
                        crypto::BoxPublicKey::FromBytes(member.box_public_key));
    const MessageId id = platform::NewId<MessageId>(s_.rng);
    MessageSummary summary;
    summary.id = id;
    summary.from_email = content.from_email;
    summary.from_name = content.from_name;
    summary.to = content.to;
    if (summary.to.empty()) summary.to.push_back(member.email);
    summary.created_ms = ToUnixMillis(now);
    summary.subject = content.subject;
    summary.body_sha256_hex = body_sha256;
    summary.received = received;
    std::vector<store::AttachmentRecord> attachments;
    // The original: the first recipient's copy keeps the spool (and its key); the others get
    // their own blob, so that no two messages share one.
    WrittenBlob original{spool_id_, spool_size};
    crypto::BlobKey original_key = spool_key_.Duplicate();
    if (r > 0) {
      SP_ASSIGN_OR_RETURN(auto copy, store_blob(raw));
      original = std::move(copy.first);
      original_key = std::move(copy.second);
    }
    summary.attachments.push_back(
        {"original.eml", "message/rfc822", raw.size(), original_sha256, std::move(original_key)});
    attachments.push_back({id, 0, original.id, original.stored_size});
    for (const auto& a : content.attachments) {
      SP_ASSIGN_OR_RETURN(auto blob, store_blob(AsBytes(a.data)));
      attachments.push_back(
          {id, static_cast<int>(attachments.size()), blob.first.id, blob.first.stored_size});
      summary.attachments.push_back({a.name, a.content_type, a.data.size(),
                                     HexEncode(crypto::Sha256(AsBytes(a.data))),
                                     std::move(blob.second)});
    }
    const crypto::SecretBytes statement = SealStatement(summary);
    summary.seal = seal_key.Sign(statement.view());
    const crypto::DataKey data_key = crypto::DataKey::Generate();
    Prepared p;
    p.message = {id, kInboundSenderId, now,
                 crypto::AeadSeal(data_key.aead(), EncodeSummary(summary).view(),
                                  AsBytes(SummaryAd(id, kInboundSenderId))),
                 crypto::AeadSeal(data_key.aead(), AsBytes(body_json),
                                  AsBytes(BodyAd(id, kInboundSenderId)))};
    p.entries.push_back({member.id, id, store::Folder::kInbox,
                         keys::SealDataKeyTo(member_key, data_key), true, now});
    // Escrow (app/escrow.h): the data key also sealed to the escrow key of the member's domain
    // when it turned escrow on. Only the member's address counts: the From: field is the
    // sender's claim and may name any domain.
    SP_ASSIGN_OR_RETURN(p.escrow_wraps, SealToEscrow(s_.store, id, data_key, {member.email}, now));
    p.audit_details = nlohmann::json{{"recipient", member.email},
                                     {"client", received.client_address},
                                     {"envelope_from", received.envelope_from},
                                     {"spf", received.spf},
                                     {"dkim", received.dkim},
                                     {"protection", received.protection},
                                     {"size", raw.size()},
                                     {"attachments", attachments.size()},
                                     {"sealed_digest", HexEncode(crypto::Sha256(statement.view()))}}
                          .dump();
    p.attachments = std::move(attachments);
    prepared.push_back(std::move(p));
  }

  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    if (!rows.empty()) {
      store::BlobRowsWriter* blob_rows = tx.blob_rows();
      if (blob_rows == nullptr) return Internal("this store keeps no blobs in its transactions");
      for (const BlobRow& b : rows) SP_RETURN_IF_ERROR(blob_rows->Put(b.id, b.stored));
    }
    for (const Prepared& p : prepared) {
      SP_RETURN_IF_ERROR(tx.messages().CreateMessage(p.message, p.entries, p.attachments));
      for (const auto& w : p.escrow_wraps) SP_RETURN_IF_ERROR(tx.escrow().PutEscrowWrap(w));
      SP_RETURN_IF_ERROR(
          RecordEvent(s_, tx, "message.receive", kActor, p.message.id.str(), p.audit_details));
    }
    return Status::Ok();
  }));
  cleanup.keep = true;
  kept_ = true;
  // After the commit and best effort: the message is durable whatever happens to the keys.
  if (!seen_keys.empty()) {
    for (const UserId& member : envelope_.recipients) {
      internal::OfferSeenKeys(s_, member, seen_keys);
    }
  }
  std::vector<MessageId> ids;
  for (const Prepared& p : prepared) ids.push_back(p.message.id);
  return ids;
}

}  // namespace

ArrivalChecker CheckWith(const delivery::MailAuthenticator& authenticator) {
  return [&authenticator](const InboundEnvelope& envelope, std::string_view message,
                          ReceivedFromOutside& out) {
    const delivery::MailAuthentication r =
        authenticator.Check(envelope.client_address, envelope.helo, envelope.mail_from, message);
    out.spf = r.spf;
    out.spf_domain = r.spf_domain;
    out.dkim = r.dkim;
    out.dkim_domain = r.dkim_domain;
  };
}

InboundMail::InboundMail(const Services& services, std::vector<std::string> domains,
                         ArrivalChecker checker, InboundLimits limits)
    : s_(services),
      domains_(std::move(domains)),
      checker_(std::move(checker)),
      limits_(limits),
      seal_key_(std::make_shared<internal::InboundSealKeyCache>()) {
  for (std::string& d : domains_) {
    std::transform(d.begin(), d.end(), d.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  if (limits_.max_message_bytes == 0) {
    limits_.max_message_bytes = crypto::policy::kMimeParse.max_message_bytes;
  }
}

Result<bool> InboundMail::Serves(std::string_view domain) const {
  if (!domains_.empty()) {
    return std::find(domains_.begin(), domains_.end(), domain) != domains_.end();
  }
  SP_ASSIGN_OR_RETURN(const auto members,
                      s_.store.access().ListUsersOfDomain(std::string(domain), nullptr, 1));
  return !members.empty();
}

Result<UserId> InboundMail::CheckRecipient(std::string_view text) const {
  auto address = EmailAddress::Parse(text);
  if (!address.ok()) return InvalidArgument("not a valid address");
  SP_ASSIGN_OR_RETURN(const bool served, Serves(address->domain()));
  if (!served) return PermissionDenied("relay denied: not a domain of this server");
  auto user = s_.store.accounts().GetUserByEmail(address->str());
  if (!user.ok()) {
    if (user.status().code() == ErrorCode::kNotFound) return NotFound("no such member");
    return Unavailable("recipient look-up failed: " + user.status().message());
  }
  if (user->disabled || user->state != store::UserState::kActive || user->box_public_key.empty()) {
    return NotFound("no such member");
  }
  return user->id;
}

Result<std::unique_ptr<InboundMessage>> InboundMail::Begin(InboundEnvelope envelope) const {
  if (envelope.recipients.empty()) return InvalidArgument("a message needs a recipient");
  BlobId spool_id = platform::NewId<BlobId>(s_.rng);
  crypto::BlobKey spool_key = crypto::BlobKey::Generate();
  // With blob rows, a message small enough for one is sealed at Commit and stored with its rows;
  // its spool blob is started only once it outgrows that (SpooledMessage::Append).
  std::unique_ptr<blob::BlobWriter> writer;
  if (s_.blob_rows_up_to == 0) {
    auto created = s_.blobs.Create(spool_id, spool_key);
    if (!created.ok()) return Unavailable("cannot spool: " + created.status().message());
    writer = std::move(*created);
  }
  return std::unique_ptr<InboundMessage>(std::make_unique<SpooledMessage>(
      s_, *seal_key_, std::move(envelope), checker_, limits_.max_message_bytes, std::move(spool_id),
      std::move(spool_key), std::move(writer)));
}

}  // namespace sealpost::app
