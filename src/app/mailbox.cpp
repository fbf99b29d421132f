#include "app/mailbox.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/escrow.h"
#include "app/gateway_author.h"
#include "app/guest_notice.h"
#include "app/guests.h"
#include "app/inbound_seal.h"
#include "app/internal/address_keys.h"
#include "app/internal/attachment_streams.h"
#include "app/internal/audit_event.h"
#include "app/internal/contact_trust.h"
#include "app/internal/fail_closed.h"
#include "app/internal/secure_copies.h"
#include "app/outbound_mail.h"
#include "app/portal_author.h"
#include "app/registered_mail.h"
#include "app/retention.h"
#include "app/routing.h"
#include "app/secure_delivery.h"
#include "app/sent_status.h"
#include "app/submission_rejection.h"
#include "auth/bearer_secret.h"
#include "core/text.h"
#include "crypto/hash.h"
#include "crypto/sealed_box.h"
#include "keys/data_key.h"
#include "keys/upload_key_blob.h"
#include "telemetry/metrics.h"

namespace sealpost::app {
namespace {

using store::Folder;

using internal::kIntegrityFailure;

// Secure copies are queued this many at a time: a large send stores its message with the first
// chunk, and delivery starts while the next chunks are made (as many as a deliverer claims by
// default, [delivery] copies_per_session).
constexpr size_t kCopiesPerChunk = 50;

// The copies after the first chunk, each chunk queued in its own transaction as soon as it is
// made, the preparation lease of the rest renewed, the deliverers woken. A copy that could not
// be made fails (its sender told); the others go on.
Status QueueCopiesInChunks(const Services& s, internal::CopyProduction& production,
                           const std::vector<store::SecureCopyRecord>& copies, size_t from,
                           const std::string& sender_email) {
  for (size_t begin = from; begin < copies.size(); begin += kCopiesPerChunk) {
    const size_t end = std::min(copies.size(), begin + kCopiesPerChunk);
    std::vector<Result<internal::SecureCopyMaker::Made>> made = production.Take(begin, end);
    const TimePoint now = s.clock.Now();
    SP_RETURN_IF_ERROR(s.store.Write([&](store::WriteTxn& tx) -> Status {
      for (size_t k = 0; k < made.size(); ++k) {
        const store::SecureCopyRecord& copy = copies[begin + k];
        const Status queued = made[k].ok()
                                  ? tx.secure_delivery().QueuePreparedCopy(
                                        copy.id, made[k]->method, made[k]->sealed_copy, now)
                                  : FailCopyNotMade(s, tx, copy, sender_email,
                                                    "the copy could not be made: " +
                                                        std::string(made[k].status().message()));
        // NotFound: this send outlived its lease and the copy was given up meanwhile (its sender
        // was told); the others go on.
        if (!queued.ok() && queued.code() != ErrorCode::kNotFound) return queued;
      }
      if (end == copies.size()) return Status::Ok();
      return tx.secure_delivery().ExtendPreparation(copies[begin].message_id,
                                                    now + s.config.mail_retry.lease);
    }));
    if (s.secure_copies_queued) s.secure_copies_queued();
  }
  return Status::Ok();
}

// A request's recipient lists with the names the API gives them, in the order they are listed.
std::array<std::pair<const std::vector<std::string>*, std::string_view>, 3> RecipientLists(
    const SendRequest& r) {
  return {{{&r.to, "to"}, {&r.cc, "cc"}, {&r.bcc, "bcc"}}};
}

bool IsSafeAttachmentName(std::string_view name, size_t max_bytes) {
  if (name.empty() || name.size() > max_bytes || !IsValidUtf8(name)) return false;
  if (HasControlCharacters(name, false)) return false;
  if (name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\\') != std::string_view::npos) {
    return false;
  }
  return true;
}

bool IsContentType(std::string_view t) {
  if (t.empty() || t.size() > 127) return false;
  const size_t slash = t.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == t.size()) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '+' || c == '.' || (c == '/' && i == slash);
    if (!ok) return false;
  }
  return true;
}

// What is wrong with a field is the client's to read; `reason` names the field where the
// client shows it (kNone: the text fields, whose length is a size limit).
Status ValidText(std::string_view field, std::string_view value, size_t max, bool multiline,
                 Reason reason) {
  if (value.size() > max) {
    Status s = reason == Reason::kNone
                   ? TooLarge(fmt::format("{} is longer than {} bytes", field, max))
                   : InvalidArgument(fmt::format("{} is longer than {} bytes", field, max));
    return std::move(s).ShownToClient(reason);
  }
  if (!IsValidUtf8(value)) {
    return InvalidArgument(fmt::format("{} is not valid UTF-8", field)).ShownToClient(reason);
  }
  if (HasControlCharacters(value, multiline)) {
    return InvalidArgument(fmt::format("{} contains control characters", field))
        .ShownToClient(reason);
  }
  return Status::Ok();
}

std::string EncodeCursor(const store::MailboxItem& item) {
  return fmt::format("{}.{}", ToUnixMillis(item.entry.created_at), item.entry.message_id.str());
}

Result<store::MailboxCursor> DecodeCursor(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos) return InvalidArgument("malformed cursor").ShownToClient();
  store::MailboxCursor c;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + dot, c.created_ms);
  if (ec != std::errc() || ptr != text.data() + dot) {
    return InvalidArgument("malformed cursor").ShownToClient();
  }
  SP_ASSIGN_OR_RETURN(const MessageId id, MessageId::Parse(text.substr(dot + 1)));
  c.message_id = id.str();
  return c;
}

}  // namespace

struct Mailbox::Opened {
  MessageSummary summary;
  crypto::DataKey data_key;
  SealState seal = SealState::kInvalid;
  SealKind kind = SealKind::kMember;
};

Result<std::unique_ptr<UploadSession>> Mailbox::BeginUpload(const AuthContext& ctx,
                                                            std::optional<uint64_t> declared_size) {
  return internal::BeginBlobUpload(s_, internal::MemberUploadOwner(ctx.user), declared_size);
}

Status Mailbox::ValidateSend(const SendRequest& r) const {
  const Limits& l = s_.config.limits;
  const size_t count = r.to.size() + r.cc.size() + r.bcc.size();
  if (count == 0) {
    return InvalidArgument("a message needs at least one recipient")
        .ShownToClient(Reason::kInvalidRecipient);
  }
  if (count > l.max_recipients) {
    return InvalidArgument(
               fmt::format("a message can have at most {} recipients (to, cc and bcc together)",
                           l.max_recipients))
        .ShownToClient(Reason::kInvalidRecipient);
  }
  // Every address valid, and in one list only (once): where it is in two, which is meant is
  // the sender's to say.
  std::map<std::string, std::string_view> list_of;  // normalised address -> its list
  for (const auto& [list, name] : RecipientLists(r)) {
    for (size_t i = 0; i < list->size(); ++i) {
      auto address = EmailAddress::Parse((*list)[i]);
      if (!address.ok()) {
        return InvalidArgument(fmt::format("{} recipient {} is not a valid address: {}", name,
                                           i + 1, address.status().message()))
            .ShownToClient(Reason::kInvalidRecipient);
      }
      const auto [it, first] = list_of.emplace(address->str(), name);
      if (!first) {
        return InvalidArgument(
                   it->second == name
                       ? fmt::format("recipient {} appears more than once in {}", address->str(),
                                     name)
                       : fmt::format("recipient {} is in both {} and {}: put it in one of them",
                                     address->str(), it->second, name))
            .ShownToClient(Reason::kInvalidRecipient);
      }
    }
  }
  SP_RETURN_IF_ERROR(
      ValidText("subject", r.subject, l.max_subject_bytes, false, Reason::kInvalidSubject));
  SP_RETURN_IF_ERROR(ValidText("text", r.text, l.max_text_bytes, true, Reason::kNone));
  SP_RETURN_IF_ERROR(ValidText("html", r.html, l.max_html_bytes, true, Reason::kNone));
  if (r.attachments.size() > l.max_attachments) {
    return InvalidArgument(
               fmt::format("a message can have at most {} attachments", l.max_attachments))
        .ShownToClient(Reason::kInvalidAttachment);
  }
  for (const auto& a : r.attachments) {
    if (!IsSafeAttachmentName(a.name, l.max_attachment_name_bytes)) {
      return InvalidArgument(
                 fmt::format("attachment names must be 1 to {} bytes of text without '/', '\\', "
                             "control characters, '.' or '..'",
                             l.max_attachment_name_bytes))
          .ShownToClient(Reason::kInvalidAttachment);
    }
    if (!a.content_type.empty() && !IsContentType(a.content_type)) {
      return InvalidArgument("attachment content type must look like type/subtype")
          .ShownToClient(Reason::kInvalidAttachment);
    }
  }
  return Status::Ok();
}

Result<MessageId> Mailbox::Send(const AuthContext& ctx, const SendRequest& request,
                                SendOutcome* outcome) {
  SendOutcome own_outcome;
  if (outcome == nullptr) outcome = &own_outcome;
  auto sent =
      request.bcc.empty() ? SendMember(ctx, request, outcome) : SendWithBcc(ctx, request, outcome);
  // A send that reached some recipients was not refused as a whole.
  if (sent.ok() || !IsEvidencedRejection(sent.status()) || outcome->partly_sent) return sent;
  auto submission =
      RecordSubmissionRejection(s_, ctx.user, ctx.client_address, request, sent.status());
  if (!submission.ok()) {
    spdlog::error("send: rejection evidence not recorded: {}", submission.status().ToString());
  } else if (submission->has_value()) {
    outcome->submission_id = (*submission)->str();
  }
  return sent;
}

namespace {

// One message of a request split for Bcc: its content, options and typed unlock codes, with
// these recipients and attachments.
SendRequest MessageOf(const SendRequest& r, std::vector<std::string> to,
                      std::vector<std::string> cc, std::vector<std::string> bcc,
                      std::vector<AttachmentRequest> attachments) {
  SendRequest out;
  out.to = std::move(to);
  out.cc = std::move(cc);
  out.bcc = std::move(bcc);
  out.subject = r.subject;
  out.text = r.text;
  out.html = r.html;
  out.attachments = std::move(attachments);
  for (const auto& [address, muc] : r.mucs) {
    out.mucs.emplace(address, crypto::SecretString::CopyOf(muc.view()));
  }
  out.generate_mucs = r.generate_mucs;
  out.in_reply_to = r.in_reply_to;
  out.expires_in_days = r.expires_in_days;
  out.force_pickup = r.force_pickup;
  out.registered = r.registered;
  out.acceptance_days = r.acceptance_days;
  return out;
}

}  // namespace

Result<MessageId> Mailbox::SendWithBcc(const AuthContext& ctx, const SendRequest& request,
                                       SendOutcome* outcome) {
  SP_RETURN_IF_ERROR(ValidateSend(request));
  // What would refuse a later message refuses them all before the first goes out: the lists
  // (above), and the unlock codes guests need.
  SP_ASSIGN_OR_RETURN(std::vector<std::string> without_muc, GuestsWithoutMuc(ctx, request));
  if (!without_muc.empty()) {
    std::string list;
    for (const auto& a : without_muc) list += (list.empty() ? "" : ", ") + a;
    outcome->muc_required = std::move(without_muc);
    return InvalidArgument("a message unlock code (MUC) is needed for " + list)
        .ShownToClient(Reason::kMucRequired);
  }
  // The To/Cc message, then one per Bcc address. A message takes its uploads, so each after the
  // first gets copies of the attachments, made before anything is sent.
  std::vector<SendRequest> messages;
  if (!request.to.empty() || !request.cc.empty()) {
    messages.push_back(MessageOf(request, request.to, request.cc, {}, request.attachments));
  }
  for (const std::string& bcc : request.bcc) {
    std::vector<AttachmentRequest> attachments = request.attachments;
    if (!messages.empty() && !request.attachments.empty()) {
      auto copies = CopyUploads(ctx, request.attachments);
      if (!copies.ok()) {
        for (size_t k = 1; k < messages.size(); ++k) DiscardUploads(messages[k].attachments);
        return copies.status();
      }
      attachments = std::move(*copies);
    }
    messages.push_back(MessageOf(request, {}, {}, {bcc}, std::move(attachments)));
  }

  std::optional<MessageId> first;
  for (size_t i = 0; i < messages.size(); ++i) {
    SendOutcome one;
    auto id = SendMember(ctx, messages[i], &one);
    if (!id.ok()) {
      // The copies of the messages not sent go; the client's own uploads stay for a retry.
      for (size_t k = std::max<size_t>(i, 1); k < messages.size(); ++k) {
        DiscardUploads(messages[k].attachments);
      }
      if (!first) {
        outcome->muc_required = std::move(one.muc_required);
        return id.status();
      }
      outcome->partly_sent = true;
      std::string missed;
      for (size_t k = i; k < messages.size(); ++k) {
        missed += (missed.empty() ? "" : ", ") + messages[k].bcc.front();
      }
      spdlog::error("send {}: Bcc message to {} failed: {}", first->str(), missed,
                    id.status().ToString());
      return Status(id.status().code(),
                    fmt::format("the message was sent, but not to the Bcc recipients {}: {}",
                                missed, id.status().message()))
          .ShownToClient(Reason::kInvalidRecipient);
    }
    if (!first) first = *id;
    if (!messages[i].bcc.empty()) {
      auto address = EmailAddress::Parse(messages[i].bcc.front());
      if (address.ok()) outcome->bcc_messages.emplace(address->str(), *id);
    }
    for (auto& [address, muc] : one.generated_mucs) {
      outcome->generated_mucs.emplace(address, std::move(muc));
    }
  }
  return *first;
}

Result<std::vector<std::string>> Mailbox::GuestsWithoutMuc(const AuthContext& ctx,
                                                           const SendRequest& request) {
  std::vector<std::string> out;
  if (request.generate_mucs) return out;
  std::set<std::string> typed;
  for (const auto& [text, muc] : request.mucs) {
    if (auto address = EmailAddress::Parse(text); address.ok()) typed.insert(address->str());
  }
  // As SendAs routes them.
  const Routing routing(s_);
  RouteOptions options{request.force_pickup || request.registered, false};
  if (!options.force_pickup) {
    SP_ASSIGN_OR_RETURN(options.sender_has_keys, routing.SenderHasKeys(ctx.user.id));
  }
  const TimePoint now = s_.clock.Now();
  pgp::PublicKeyImporter openpgp_importer(now);
  options.openpgp_importer = &openpgp_importer;
  internal::ContactCertificateAssessor smime_assessor(now);
  options.smime_assessor = &smime_assessor;
  for (const auto& [list, name] : RecipientLists(request)) {
    for (const std::string& text : *list) {
      SP_ASSIGN_OR_RETURN(const EmailAddress address, EmailAddress::Parse(text));
      if (typed.count(address.str())) continue;
      SP_ASSIGN_OR_RETURN(const Route route, routing.RouteFor(ctx.user.id, address, options));
      if (route.method == RouteMethod::kPickup && route.needs_muc) out.push_back(address.str());
    }
  }
  return out;
}

Result<std::vector<AttachmentRequest>> Mailbox::CopyUploads(
    const AuthContext& ctx, const std::vector<AttachmentRequest>& attachments) {
  std::vector<AttachmentRequest> out;
  std::optional<crypto::BoxKeyPair> box_key;
  auto copy = [&](const AttachmentRequest& a) -> Result<UploadId> {
    auto upload_id = UploadId::Parse(a.upload_id);
    if (!upload_id.ok()) {
      return InvalidArgument("attachment upload id is malformed")
          .ShownToClient(Reason::kInvalidAttachment);
    }
    auto upload = s_.store.messages().GetUpload(*upload_id);
    if ((!upload.ok() && upload.status().code() == ErrorCode::kNotFound) ||
        (upload.ok() && upload->owner_id != ctx.user.id)) {
      return InvalidArgument("attachment upload " + a.upload_id + " does not exist")
          .ShownToClient(Reason::kInvalidAttachment);
    }
    SP_RETURN_IF_ERROR(upload.status());
    if (!box_key) {
      SP_ASSIGN_OR_RETURN(box_key, ctx.BoxKey());
    }
    SP_ASSIGN_OR_RETURN(const crypto::SecretBytes key_blob,
                        crypto::OpenSealed(*box_key, upload->sealed_key));
    SP_ASSIGN_OR_RETURN(keys::UploadKeyBlob parts, keys::UploadKeyBlob::Parse(key_blob.view()));
    Bytes digest(parts.plaintext_digest().begin(), parts.plaintext_digest().end());
    const crypto::BlobKey blob_key = std::move(parts).TakeBlobKey();
    SP_ASSIGN_OR_RETURN(auto blob, s_.blobs.Open(upload->blob_id, blob_key));
    // Authenticated, and the whole of what was uploaded, or the copy fails.
    auto reader = internal::MakeDigestCheckingReader(std::move(blob), std::move(digest));
    SP_ASSIGN_OR_RETURN(auto session, BeginUpload(ctx, upload->size));
    std::vector<uint8_t> buffer(64 * 1024);
    for (;;) {
      auto n = reader->Read(buffer);
      Status written = n.ok() && *n > 0 ? session->Write(ByteView(buffer.data(), *n)) : n.status();
      if (!written.ok()) {
        session->Abort();
        return written;
      }
      if (*n == 0) break;
    }
    SP_ASSIGN_OR_RETURN(const UploadResult finished, session->Finish());
    return finished.id;
  };
  for (const AttachmentRequest& a : attachments) {
    auto copied = copy(a);
    if (!copied.ok()) {
      DiscardUploads(out);
      return copied.status();
    }
    out.push_back({copied->str(), a.name, a.content_type});
  }
  return out;
}

void Mailbox::DiscardUploads(const std::vector<AttachmentRequest>& attachments) {
  for (const AttachmentRequest& a : attachments) {
    auto upload_id = UploadId::Parse(a.upload_id);
    if (!upload_id.ok()) continue;
    auto upload = s_.store.messages().GetUpload(*upload_id);
    if (!upload.ok()) continue;
    const Status deleted =
        s_.store.Write([&](store::WriteTxn& tx) { return tx.messages().DeleteUpload(*upload_id); });
    // Otherwise ExpireUploads takes it once its time is up.
    if (deleted.ok()) (void)s_.blobs.Remove(upload->blob_id);
  }
}

Result<MessageId> Mailbox::SendMember(const AuthContext& ctx, const SendRequest& request,
                                      SendOutcome* outcome) {
  SP_ASSIGN_OR_RETURN(const crypto::SigningKey signing_key, ctx.SigningKey());
  std::string thread_id;
  std::vector<std::string> thread_ids;
  if (!request.in_reply_to.empty()) {
    // Only a message the sender can read can be answered; its thread carries on.
    auto parent = Read(ctx, request.in_reply_to);
    if (!parent.ok()) {
      return parent.status().code() == ErrorCode::kNotFound
                 ? InvalidArgument("in_reply_to names no message of yours").ShownToClient()
                 : parent.status();
    }
    thread_id = parent->header.thread_id;
    // The answered message as its copies named it (internal::CopyMessageId). Its own ancestors
    // are not looked up: In-Reply-To and the parent in References is what mail programs thread
    // by, and reading older messages here would mark them read.
    if (auto parent_from = EmailAddress::Parse(parent->header.from_email); parent_from.ok()) {
      thread_ids.push_back(internal::CopyMessageId(parent->header.id, *parent_from));
    }
  }
  std::optional<crypto::BoxKeyPair> box_key;  // only to open the keys of attached uploads
  Author author;
  author.sender_id = ctx.user.id;
  author.email = ctx.user.email;
  author.name = ctx.user.display_name;
  author.actor = ctx.user.id.str();
  author.signing_key = &signing_key;
  author.umk = &ctx.umk;
  author.thread_message_ids = std::move(thread_ids);
  SP_ASSIGN_OR_RETURN(author.share_copy_to,
                      crypto::BoxPublicKey::FromBytes(ctx.user.box_public_key));
  author.open_upload = [&](const store::UploadRecord& upload) -> Result<crypto::SecretBytes> {
    if (upload.owner_id != ctx.user.id) return NotFound("not an upload of the sender");
    if (!box_key) {
      SP_ASSIGN_OR_RETURN(box_key, ctx.BoxKey());
    }
    return crypto::OpenSealed(*box_key, upload.sealed_key);
  };
  if (auto address = EmailAddress::Parse(ctx.user.email); address.ok()) {
    author.report_failures_to = std::move(*address);
  }
  return SendAs(author, request, thread_id, outcome);
}

Result<MessageId> Mailbox::SendAs(const Author& author, const SendRequest& request,
                                  const std::string& thread_id, SendOutcome* outcome) {
  SP_RETURN_IF_ERROR(ValidateSend(request));
  // The one place a stored message gets its lists: a Bcc address only ever alone, so whoever
  // holds a message's key never reads another recipient's Bcc (Send splits them).
  if (!request.bcc.empty() &&
      (request.bcc.size() > 1 || !request.to.empty() || !request.cc.empty())) {
    return InvalidArgument("each Bcc recipient gets a message of their own")
        .ShownToClient(Reason::kInvalidRecipient);
  }
  SP_ASSIGN_OR_RETURN(const std::chrono::seconds pickup_ttl,
                      PickupTtlFor(s_.config, request.expires_in_days));
  SP_ASSIGN_OR_RETURN(const std::optional<TimePoint> registered_deadline,
                      RegisteredDeadlineFor(s_.config, request, s_.clock.Now()));
  // Registered mail's notification never names the subject (app/registered_mail.h).
  const bool notice_subject = s_.config.guest_notice_subject && !request.registered;
  if (request.mucs.size() > s_.config.limits.max_recipients) {
    return InvalidArgument("more MUCs than recipients").ShownToClient(Reason::kInvalidMuc);
  }
  std::map<std::string, crypto::SecretString> typed_mucs;  // by normalised address
  for (const auto& [text, muc] : request.mucs) {
    auto address = EmailAddress::Parse(text);
    if (!address.ok()) {
      return InvalidArgument("a key of mucs is not a valid address")
          .ShownToClient(Reason::kInvalidRecipient);
    }
    SP_RETURN_IF_ERROR(ValidateMuc(muc.view()));
    typed_mucs[address->str()] = crypto::SecretString::CopyOf(muc.view());
  }

  std::vector<store::UserRecord> recipients;
  std::vector<EmailAddress> guests;
  // Guests whose MUC is set by this message: the MUC stays in zeroizing memory until argon2id.
  struct PendingMuc {
    std::string email;
    crypto::SecretString muc;
    TimePoint created_at;
  };
  std::vector<PendingMuc> new_mucs;
  // Each guest's address key (none for a legacy address without one): its pickup's share is
  // sealed to it.
  std::map<std::string, std::optional<crypto::BoxPublicKey>> address_keys;
  std::map<std::string, crypto::SecretString> generated;
  std::vector<std::string> muc_required;
  std::vector<std::string> all_to;     // every recipient, to then cc then bcc
  std::vector<std::string> listed[3];  // normalised, by list (RecipientLists), for the seal
  std::set<std::string> seen;
  const TimePoint now = s_.clock.Now();
  // Each recipient's method (app/routing.h). A portal reply reaches members and guests only.
  const Routing routing(s_);
  // Registered mail shows its content only after acceptance in the portal, so a copy by mail
  // (which would carry it at once) is not an option for it.
  RouteOptions route_options{request.force_pickup || request.registered || author.umk == nullptr,
                             false};
  if (!route_options.force_pickup) {
    SP_ASSIGN_OR_RETURN(route_options.sender_has_keys, routing.SenderHasKeys(author.sender_id));
  }
  // Recipients may share an OpenPGP key (one that names several of them): read once per send.
  pgp::PublicKeyImporter openpgp_importer(now);
  route_options.openpgp_importer = &openpgp_importer;
  // And an S/MIME certificate (one naming several of them): parsed and checked once per send.
  internal::ContactCertificateAssessor smime_assessor(now);
  route_options.smime_assessor = &smime_assessor;
  std::vector<Route> secure_routes;                        // S/MIME, OpenPGP, TLS
  std::map<std::string, RouteMethod> methods;              // by address, for the evidence
  std::vector<std::pair<EmailAddress, size_t>> addresses;  // each with its list's index
  for (size_t l = 0; l < 3; ++l) {
    for (const std::string& text : *RecipientLists(request)[l].first) {
      auto address = EmailAddress::Parse(text);
      if (!address.ok()) {  // ValidateSend said so already
        return InvalidArgument("a recipient is not a valid address")
            .ShownToClient(Reason::kInvalidRecipient);
      }
      addresses.emplace_back(std::move(*address), l);
    }
  }
  for (auto& [address_value, list_index] : addresses) {
    auto address = &address_value;
    if (!seen.insert(address->str()).second) {
      return InvalidArgument("recipient " + address->str() + " appears more than once")
          .ShownToClient(Reason::kInvalidRecipient);
    }
    all_to.push_back(address->str());
    listed[list_index].push_back(address->str());
    SP_ASSIGN_OR_RETURN(Route route, routing.RouteFor(author.sender_id, *address, route_options));
    methods[address->str()] = route.method;
    if (route.method == RouteMethod::kMember) {
      recipients.push_back(std::move(*route.member));
      continue;
    }
    if (route.method != RouteMethod::kPickup) {
      secure_routes.push_back(std::move(route));
      continue;
    }
    // A guest reached by pickup. An address with a usable MUC needs none; otherwise this message
    // brings one.
    auto existing = s_.store.guests().GetGuestAddress(address->str());
    if (!existing.ok() && existing.status().code() != ErrorCode::kNotFound) {
      return existing.status();
    }
    const bool usable = existing.ok() && existing->failures < s_.config.max_muc_failures;
    if (existing.ok() && internal::HasAddressKey(*existing)) {
      SP_ASSIGN_OR_RETURN(address_keys[address->str()],
                          crypto::BoxPublicKey::FromBytes(existing->public_key));
    }
    if (!author.brings_mucs) {
      // A portal reply: every guest of the thread already has a MUC (perhaps locked, until a
      // member issues a new one).
      if (!existing.ok()) {
        return InvalidArgument("a reply cannot reach " + address->str())
            .ShownToClient(Reason::kInvalidRecipient);
      }
    } else if (!usable) {
      crypto::SecretString muc;
      if (auto typed = typed_mucs.find(address->str()); typed != typed_mucs.end()) {
        muc = std::move(typed->second);
      } else if (request.generate_mucs) {
        muc = GenerateMuc(s_.rng);
        generated[address->str()] = crypto::SecretString::CopyOf(muc.view());
      } else {
        muc_required.push_back(address->str());
      }
      if (!muc.empty()) {
        // The hash comes below, once the count is known to be within the limit.
        new_mucs.push_back(
            {address->str(), std::move(muc), existing.ok() ? existing->created_at : now});
      }
    }
    guests.push_back(*address);
  }
  if (!muc_required.empty()) {
    std::string list;
    for (const auto& a : muc_required) list += (list.empty() ? "" : ", ") + a;
    if (outcome) outcome->muc_required = muc_required;
    return InvalidArgument("a message unlock code (MUC) is needed for " + list)
        .ShownToClient(Reason::kMucRequired);
  }
  // Each new MUC costs one argon2id hash: bounded per message.
  if (new_mucs.size() > s_.config.limits.max_new_guests) {
    return InvalidArgument(fmt::format("a message can bring new unlock codes for at most {} guests",
                                       s_.config.limits.max_new_guests))
        .ShownToClient(Reason::kInvalidRecipient);
  }
  // A new MUC is a new key pair for the address (its secret under argon2id(MUC)). Pickups of
  // other messages sealed to the old pair wait for their senders to re-seal them.
  std::vector<store::GuestAddressRecord> guest_addresses;
  for (const PendingMuc& g : new_mucs) {
    SP_ASSIGN_OR_RETURN(
        store::GuestAddressRecord record,
        internal::NewAddressRecord(s_, g.email, g.muc.view(), crypto::BoxKeyPair::Generate(),
                                   g.created_at, now));
    SP_ASSIGN_OR_RETURN(address_keys[g.email], crypto::BoxPublicKey::FromBytes(record.public_key));
    guest_addresses.push_back(std::move(record));
  }

  const MessageId id = platform::NewId<MessageId>(s_.rng);
  MessageSummary summary;
  summary.id = id;
  summary.from_email = author.email;
  summary.from_name = author.name;
  summary.to = listed[0];
  summary.cc = listed[1];
  summary.bcc = listed[2];
  summary.created_ms = ToUnixMillis(now);
  summary.subject = request.subject;
  summary.in_reply_to = request.in_reply_to;
  summary.thread_id = thread_id;
  if (author.gateway_on_behalf) summary.sealed_by = kSealedByGateway;

  std::vector<store::AttachmentRecord> attachment_records;
  std::vector<UploadId> used_uploads;
  for (const AttachmentRequest& a : request.attachments) {
    auto upload_id = UploadId::Parse(a.upload_id);
    if (!upload_id.ok()) {
      return InvalidArgument("attachment upload id is malformed")
          .ShownToClient(Reason::kInvalidAttachment);
    }
    auto upload = s_.store.messages().GetUpload(*upload_id);
    auto key_blob =
        upload.ok() ? author.open_upload(*upload) : Result<crypto::SecretBytes>(upload.status());
    if (!key_blob.ok() && key_blob.status().code() == ErrorCode::kNotFound) {
      return InvalidArgument("attachment upload " + a.upload_id + " does not exist")
          .ShownToClient(Reason::kInvalidAttachment);
    }
    SP_RETURN_IF_ERROR(key_blob.status());
    if (std::find(used_uploads.begin(), used_uploads.end(), *upload_id) != used_uploads.end()) {
      return InvalidArgument("attachment upload " + a.upload_id + " is used twice")
          .ShownToClient(Reason::kInvalidAttachment);
    }
    SP_ASSIGN_OR_RETURN(keys::UploadKeyBlob parts, keys::UploadKeyBlob::Parse(key_blob->view()));
    AttachmentMeta meta{
        a.name, a.content_type.empty() ? "application/octet-stream" : a.content_type, upload->size,
        HexEncode(parts.plaintext_digest()), std::move(parts).TakeBlobKey()};
    summary.attachments.push_back(std::move(meta));
    attachment_records.push_back(
        {id, static_cast<int>(attachment_records.size()), upload->blob_id, 0});
    used_uploads.push_back(*upload_id);
  }

  // The secure copies, made now: the sender's signing keys are at hand only during the send.
  // What they share is checked and built first, then they are made on as many threads as there
  // are cores; the first chunk is stored with the message (a problem with it refuses the send,
  // nothing stored), the others as preparing and queued chunk by chunk after the message
  // (QueueCopiesInChunks), so delivery starts on the first while the next are made. A crash
  // before all are queued leaves the rest preparing: once their lease runs out the deliverers
  // fail them and tell the sender (app/secure_delivery.h).
  std::unique_ptr<internal::SecureCopyMaker> copy_maker;
  std::vector<store::SecureCopyRecord> secure_copies;
  std::unique_ptr<internal::CopyProduction> copy_production;  // uses copy_maker
  size_t first_chunk = 0;
  if (!secure_routes.empty()) {
    internal::CopyContent content{
        id,           author.sender_id, author.email, author.name, summary.to, request.subject,
        request.text, request.html,     {},           now};
    content.cc = summary.cc;
    content.bcc = summary.bcc;
    if (!author.thread_message_ids.empty()) {
      content.in_reply_to = author.thread_message_ids.back();
      content.references = author.thread_message_ids;
    }
    for (size_t i = 0; i < summary.attachments.size(); ++i) {
      const AttachmentMeta& a = summary.attachments[i];
      content.attachments.push_back(
          {a.name, a.content_type, a.size, attachment_records[i].blob_id, &a.key});
    }
    SP_ASSIGN_OR_RETURN(copy_maker,
                        internal::SecureCopyMaker::Create(s_, content, secure_routes, author.umk));
    secure_copies = copy_maker->Plan(s_.clock.Now() + s_.config.mail_retry.lease);
    std::vector<SecureCopyId> copy_ids;
    for (const store::SecureCopyRecord& c : secure_copies) copy_ids.push_back(c.id);
    copy_production = std::make_unique<internal::CopyProduction>(
        *copy_maker, std::move(copy_ids), std::max(1u, std::thread::hardware_concurrency()),
        2 * kCopiesPerChunk);
    first_chunk = std::min(secure_copies.size(), kCopiesPerChunk);
    std::vector<Result<internal::SecureCopyMaker::Made>> made =
        copy_production->Take(0, first_chunk);
    for (size_t i = 0; i < first_chunk; ++i) {
      SP_RETURN_IF_ERROR(made[i].status());
      store::SecureCopyRecord& c = secure_copies[i];
      c.method = std::move(made[i]->method);
      c.sealed_copy = std::move(made[i]->sealed_copy);
      c.state = store::SecureCopyState::kQueued;
      c.lease_until.reset();
    }
  }

  const std::string body_json = EncodeBody({request.text, request.html});
  summary.body_sha256_hex = HexEncode(crypto::Sha256(AsBytes(body_json)));
  const crypto::SecretBytes seal_statement = SealStatement(summary);
  summary.seal = author.signing_key->Sign(seal_statement.view());
  const std::string sealed_digest = HexEncode(crypto::Sha256(seal_statement.view()));

  const crypto::DataKey data_key = crypto::DataKey::Generate();
  store::MessageRecord message{
      id, author.sender_id, now,
      crypto::AeadSeal(data_key.aead(), EncodeSummary(summary).view(),
                       AsBytes(SummaryAd(id, author.sender_id))),
      crypto::AeadSeal(data_key.aead(), AsBytes(body_json), AsBytes(BodyAd(id, author.sender_id)))};
  // Escrow (app/escrow.h): the data key also sealed to the escrow key of each domain of the
  // sender or a recipient that turned escrow on; nothing when none did.
  std::vector<std::string> escrow_addresses = all_to;
  escrow_addresses.push_back(author.email);
  SP_ASSIGN_OR_RETURN(const auto escrow_wraps,
                      SealToEscrow(s_.store, id, data_key, escrow_addresses, now));
  std::vector<store::MailboxEntry> entries;
  for (const auto& r : recipients) {
    SP_ASSIGN_OR_RETURN(const auto pub, crypto::BoxPublicKey::FromBytes(r.box_public_key));
    entries.push_back({r.id, id, Folder::kInbox, keys::SealDataKeyTo(pub, data_key), true, now});
  }
  if (author.umk) {
    entries.push_back({author.sender_id, id, Folder::kSent,
                       keys::WrapOwnCopyKey(*author.umk, data_key, id, author.sender_id), false,
                       now});
  } else if (author.gateway_on_behalf && author.share_copy_to) {
    // No UMK at the gateway: the member's Sent copy is sealed to their public key.
    entries.push_back({author.sender_id, id, Folder::kSent,
                       keys::SealDataKeyTo(*author.share_copy_to, data_key), false, now});
  }

  // One pickup per guest: the data key under a key derived from a fresh link secret — which only
  // the notification carries — and a share sealed to the address's key (opened with the MUC).
  std::vector<store::PickupRecord> pickups;
  std::vector<delivery::OutgoingMail> notifications;
  for (const EmailAddress& guest : guests) {
    const auth::BearerSecret link = auth::BearerSecret::Generate();
    internal::PickupKeys pickup_keys =
        internal::NewPickupKeys(link.WrappingKey(), data_key, PickupKeyAd(id, guest.str()),
                                address_keys[guest.str()], author.share_copy_to);
    store::PickupRecord pickup{link.Lookup(),
                               id,
                               author.sender_id,
                               guest.str(),
                               std::move(pickup_keys.wrapped_key),
                               now,
                               now + pickup_ttl,
                               store::PickupState::kPending};
    pickup.sealed_share = std::move(pickup_keys.sealed_share);
    pickup.share_key = std::move(pickup_keys.share_key);
    pickup.sender_share = std::move(pickup_keys.sender_share);
    pickups.push_back(std::move(pickup));
    notifications.push_back(ComposeGuestNotice(
        guest, {s_.config.product_name, author.name, author.email,
                s_.config.public_url + "/pickup#" + link.Encode(), s_.config.guest_notice,
                notice_subject ? std::optional(request.subject) : std::nullopt, now + pickup_ttl}));
  }

  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) -> Status {
    SP_RETURN_IF_ERROR(tx.messages().CreateMessage(message, entries, attachment_records));
    for (const auto& w : escrow_wraps) SP_RETURN_IF_ERROR(tx.escrow().PutEscrowWrap(w));
    for (const auto& g : guest_addresses) {
      SP_RETURN_IF_ERROR(tx.guests().PutGuestAddress(g));
      SP_RETURN_IF_ERROR(RecordEvent(s_, tx, "guest.muc_set", author.actor, g.email,
                                     nlohmann::json{{"message", id.str()}}.dump()));
    }
    for (const auto& p : pickups) SP_RETURN_IF_ERROR(tx.guests().CreatePickup(p));
    for (const auto& c : secure_copies) SP_RETURN_IF_ERROR(tx.secure_delivery().EnqueueCopy(c));
    for (size_t i = 0; i < notifications.size(); ++i) {
      SP_RETURN_IF_ERROR(QueueMail(s_, tx.outbox(), notifications[i], author.report_failures_to,
                                   pickups[i].lookup));
    }
    for (const UploadId& u : used_uploads) {
      if (Status st = tx.messages().DeleteUpload(u); !st.ok()) {
        return st.code() == ErrorCode::kNotFound
                   ? Conflict("an attachment upload was used by another message")
                         .ShownToClient(Reason::kInvalidAttachment)
                   : st;
      }
    }
    if (author.also_in_write) SP_RETURN_IF_ERROR(author.also_in_write(tx));
    if (registered_deadline) {
      SP_RETURN_IF_ERROR(RecordRegistered(s_, tx, id, all_to, *registered_deadline, author.actor));
    }
    // Evidence (docs/formats/log-entry.md, "Evidence events"): what every receipt of this
    // message names, and one leaf per recipient, so that each receipt's leaf names its recipient
    // and a leaf stays within its size limit however many recipients there are.
    SP_RETURN_IF_ERROR(tx.evidence().PutMessageEvidence({id, author.email, sealed_digest, now}));
    nlohmann::json details{{"recipients", all_to.size()},
                           {"guests", guests.size()},
                           {"attachments", used_uploads.size()},
                           {"sender", author.email},
                           {"sealed_digest", sealed_digest}};
    if (!request.in_reply_to.empty()) details["in_reply_to"] = request.in_reply_to;
    // Audit: the seal was the gateway's, not the member's own.
    if (author.gateway_on_behalf) details["seal"] = kSealedByGateway;
    const bool by_member = author.umk != nullptr || author.gateway_on_behalf;
    for (const std::string& to : all_to) {
      details["recipient"] = to;
      details["method"] = std::string(EvidenceMethodName(methods[to]));
      SP_RETURN_IF_ERROR(RecordEvent(s_, tx, by_member ? "message.send" : "message.portal_reply",
                                     author.actor, id.str(), details.dump()));
    }
    return Status::Ok();
  }));
  if (!notifications.empty()) NotifyMailQueued(s_);
  if (!secure_copies.empty() && s_.secure_copies_queued) s_.secure_copies_queued();
  if (first_chunk < secure_copies.size()) {
    // The message is stored and sent: a failure here leaves copies preparing, failed once their
    // lease runs out (the sender told), so the send itself still succeeded.
    if (Status queued =
            QueueCopiesInChunks(s_, *copy_production, secure_copies, first_chunk, author.email);
        !queued.ok()) {
      spdlog::error("send {}: secure copies not all queued: {}", id.str(), queued.ToString());
    }
  }
  copy_production.reset();
  if (outcome) outcome->generated_mucs = std::move(generated);
  static telemetry::Family<telemetry::Counter>& sends = telemetry::DefaultRegistry().AddCounter(
      "sealpost_messages_sent_total", "Messages sent, by members and by guests replying.",
      {"kind"});
  static telemetry::Counter& by_member = sends.With({"member"});
  static telemetry::Counter& by_guest = sends.With({"guest_reply"});
  (author.umk || author.gateway_on_behalf ? by_member : by_guest).Increment();
  return id;
}

// Deriving a key pair costs an elliptic-curve operation, so each is derived once, when needed:
// the Sent folder needs only the UMK, the inbox the X25519 key.
class Mailbox::KeyRing {
 public:
  explicit KeyRing(const AuthContext& ctx) : ctx_(ctx) {}
  const AuthContext& ctx() const { return ctx_; }
  Result<const crypto::BoxKeyPair*> Box() {
    if (!box_) {
      SP_ASSIGN_OR_RETURN(box_, ctx_.BoxKey());
    }
    return &*box_;
  }

 private:
  const AuthContext& ctx_;
  std::optional<crypto::BoxKeyPair> box_;
};

Result<Mailbox::Opened> Mailbox::Open(KeyRing& keys, const store::MailboxItem& item) {
  Result<crypto::DataKey> data_key = Corruption(kIntegrityFailure);
  if (item.entry.folder == Folder::kSent) {
    data_key = keys::UnwrapOwnCopyKey(keys.ctx().umk, item.entry.sealed_key, item.message.id,
                                      keys.ctx().user.id);
    if (!data_key.ok()) {
      // Mail the gateway sent on the member's behalf (app/gateway_author.h): the Sent copy is
      // sealed to the member's X25519 key, as a received message is.
      SP_ASSIGN_OR_RETURN(const crypto::BoxKeyPair* box, keys.Box());
      data_key = keys::OpenSealedDataKey(*box, item.entry.sealed_key);
    }
  } else {
    SP_ASSIGN_OR_RETURN(const crypto::BoxKeyPair* box, keys.Box());
    data_key = keys::OpenSealedDataKey(*box, item.entry.sealed_key);
  }
  if (!data_key.ok()) return Corruption(kIntegrityFailure);
  return OpenWithKey(std::move(*data_key), item.message);
}

Result<Mailbox::Opened> Mailbox::OpenWithKey(crypto::DataKey data_key,
                                             const store::MessageRecord& message) {
  auto summary_json = crypto::AeadOpen(data_key.aead(), message.summary,
                                       AsBytes(SummaryAd(message.id, message.sender_id)));
  if (!summary_json.ok()) return Corruption(kIntegrityFailure);
  auto summary = DecodeSummary(summary_json->AsStringView());
  if (!summary.ok() || summary->id != message.id) return Corruption(kIntegrityFailure);

  Opened opened{std::move(*summary), std::move(data_key), SealState::kInvalid};
  // A portal reply is sealed by the platform for the guest address it names (portal_author.h),
  // mail from outside by the inbound gateway for the sender it names (inbound_seal.h), mail from
  // the organisation's server by the platform's gateway for the member who sent it
  // (gateway_author.h); any other by the member's own key.
  const bool by_gateway = opened.summary.sealed_by == kSealedByGateway;
  if (message.sender_id == kPortalSenderId) {
    opened.kind = SealKind::kPortal;
  } else if (message.sender_id == kInboundSenderId) {
    opened.kind = SealKind::kInbound;
  } else if (by_gateway) {
    opened.kind = SealKind::kGatewayOnBehalf;
  }
  // The platform's own sender rows vouch for the address they name; any other sender row must be
  // the member the summary names (sealed by their own key, or by the gateway on their behalf).
  const bool platform_row = opened.kind == SealKind::kPortal || opened.kind == SealKind::kInbound;
  auto sender = s_.store.accounts().GetUser(message.sender_id);
  if (sender.ok() && !(platform_row && by_gateway) &&
      (platform_row || sender->email == opened.summary.from_email)) {
    Result<Bytes> verify_bytes = sender->verify_key;
    if (by_gateway) verify_bytes = GatewaySealVerifyKey(s_);
    auto verify_key = verify_bytes.ok() ? crypto::VerifyKey::FromBytes(*verify_bytes)
                                        : Result<crypto::VerifyKey>(verify_bytes.status());
    if (verify_key.ok() &&
        crypto::Verify(*verify_key, SealStatement(opened.summary).view(), opened.summary.seal)
            .ok()) {
      opened.seal = SealState::kValid;
    }
  }
  return opened;
}

namespace {

MessageHeader HeaderOf(const MessageSummary& s, const store::MailboxEntry& e, SealState seal,
                       SealKind kind) {
  MessageHeader h;
  h.id = s.id;
  h.folder = e.folder;
  h.unread = e.unread;
  h.created_at = FromUnixMillis(s.created_ms);
  h.from_email = s.from_email;
  h.from_name = s.from_name;
  h.to = s.to;
  h.cc = s.cc;
  h.bcc = s.bcc;
  h.subject = s.subject;
  h.attachment_count = s.attachments.size();
  h.seal = seal;
  h.seal_kind = kind;
  h.received = s.received;
  h.thread_id = ThreadOf(s);
  h.in_reply_to = s.in_reply_to;
  return h;
}

}  // namespace

namespace {

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool Contains(std::string_view haystack, const std::string& lowered_needle) {
  return AsciiLower(haystack).find(lowered_needle) != std::string::npos;
}

bool Matches(const MessageHeader& h, const std::string& lowered_query) {
  if (Contains(h.subject, lowered_query) || Contains(h.from_email, lowered_query) ||
      Contains(h.from_name, lowered_query)) {
    return true;
  }
  for (const auto* list : {&h.to, &h.cc, &h.bcc}) {
    for (const std::string& address : *list) {
      if (Contains(address, lowered_query)) return true;
    }
  }
  return false;
}

}  // namespace

Result<MailboxPage> Mailbox::List(const AuthContext& ctx, Folder folder, std::string_view cursor,
                                  int limit, std::optional<std::string_view> query) {
  if (limit < 1 || limit > s_.config.limits.max_page_size) {
    return InvalidArgument(
               fmt::format("limit must be between 1 and {}", s_.config.limits.max_page_size))
        .ShownToClient();
  }
  std::optional<std::string> lowered_query;
  if (query) {
    size_t chars = 0;
    for (unsigned char c : *query) chars += (c & 0xC0) != 0x80;
    if (chars < 1 || chars > s_.config.limits.max_search_chars || !IsValidUtf8(*query) ||
        HasControlCharacters(*query, false)) {
      return InvalidArgument(fmt::format("q must be 1 to {} characters of text",
                                         s_.config.limits.max_search_chars))
          .ShownToClient();
    }
    lowered_query = AsciiLower(*query);
  }
  std::optional<store::MailboxCursor> before;
  if (!cursor.empty()) {
    SP_ASSIGN_OR_RETURN(before, DecodeCursor(cursor));
  }
  KeyRing keys(ctx);
  MailboxPage page;
  if (!lowered_query) {
    SP_ASSIGN_OR_RETURN(auto items,
                        s_.store.messages().ListMailbox(ctx.user.id, folder,
                                                        before ? &*before : nullptr, limit + 1));
    if (items.size() > static_cast<size_t>(limit)) {
      items.pop_back();
      page.next_cursor = EncodeCursor(items.back());
    }
    for (const auto& item : items) {
      ListedMessage listed{item.message.id, std::nullopt, item.entry.folder, item.entry.unread,
                           item.entry.created_at};
      auto opened = Open(keys, item);
      if (opened.ok()) {
        listed.header = HeaderOf(opened->summary, item.entry, opened->seal, opened->kind);
        SP_RETURN_IF_ERROR(WithholdForReader(ctx, item.entry, *listed.header));
      }
      page.items.push_back(std::move(listed));
    }
    return page;
  }

  // Search: scan in batches until the page is full, the folder ends or the budget is spent.
  const size_t budget = s_.config.limits.max_search_scanned;
  const int batch = std::max(limit, 50);
  size_t scanned = 0;
  for (;;) {
    SP_ASSIGN_OR_RETURN(auto items,
                        s_.store.messages().ListMailbox(ctx.user.id, folder,
                                                        before ? &*before : nullptr, batch + 1));
    const bool more_in_store = items.size() > static_cast<size_t>(batch);
    if (more_in_store) items.pop_back();
    for (size_t i = 0; i < items.size(); ++i) {
      const store::MailboxItem& item = items[i];
      ++scanned;
      auto opened = Open(keys, item);
      if (opened.ok()) {
        MessageHeader header = HeaderOf(opened->summary, item.entry, opened->seal, opened->kind);
        SP_RETURN_IF_ERROR(WithholdForReader(ctx, item.entry, header));
        if (Matches(header, *lowered_query)) {
          page.items.push_back({item.message.id, std::move(header), item.entry.folder,
                                item.entry.unread, item.entry.created_at});
        }
      }
      const bool more = i + 1 < items.size() || more_in_store;
      if (page.items.size() == static_cast<size_t>(limit) || scanned >= budget) {
        if (more) page.next_cursor = EncodeCursor(item);
        return page;
      }
    }
    if (!more_in_store) return page;
    before = store::MailboxCursor{ToUnixMillis(items.back().entry.created_at),
                                  items.back().entry.message_id.str()};
  }
}

Result<MessageView> Mailbox::Read(const AuthContext& ctx, std::string_view message_id) {
  SP_ASSIGN_OR_RETURN(const MessageId id, MessageId::Parse(message_id));
  KeyRing keys(ctx);
  auto item = s_.store.messages().GetMailboxItem(ctx.user.id, id);
  if (!item.ok()) return NotFound("message not found");
  auto opened = Open(keys, *item);
  if (!opened.ok()) {
    // The integrity failure is evidence: when it cannot be logged, the read fails as unavailable.
    SP_RETURN_IF_ERROR(FailClosed(s_.store.Write([&](store::WriteTxn& tx) {
      return RecordEvent(s_, tx, "message.integrity_failure", ctx.user.id.str(), id.str());
    })));
    return opened.status();
  }
  // Registered mail not accepted: the notice only, neither decrypted further nor marked read.
  SP_ASSIGN_OR_RETURN(const auto registered, RegisteredOfReader(ctx, item->entry));
  if (WithheldFromReader(registered)) {
    MessageView view = ViewOf(*opened, item->entry, {});
    ReduceToNotice(view, *registered);
    return view;
  }
  auto body_json = crypto::AeadOpen(opened->data_key.aead(), item->message.body,
                                    AsBytes(BodyAd(id, item->message.sender_id)));
  if (!body_json.ok()) return Corruption(kIntegrityFailure);
  if (HexEncode(crypto::Sha256(body_json->view())) != opened->summary.body_sha256_hex) {
    opened->seal = SealState::kInvalid;
  }
  SP_ASSIGN_OR_RETURN(MessageBody body, DecodeBody(body_json->AsStringView()));
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.messages().MarkRead(ctx.user.id, id));
    nlohmann::json details = nlohmann::json::object();
    if (opened->seal != SealState::kValid) details["seal"] = "broken";
    if (item->entry.unread) {
      // The first opening hands the message over (evidence: ContentHandover).
      details["recipient"] = ctx.user.email;
      details["method"] = "mailbox";
      details["first"] = true;
    }
    return RecordEvent(s_, tx, "message.read", ctx.user.id.str(), id.str(), details.dump());
  }));
  MessageView view = ViewOf(*opened, item->entry, std::move(body));
  view.header.registered = registered;
  return view;
}

MessageView Mailbox::ViewOf(const Opened& opened, const store::MailboxEntry& entry,
                            MessageBody body) {
  MessageView view{HeaderOf(opened.summary, entry, opened.seal, opened.kind), {}, {}};
  if (opened.seal != SealState::kValid) {
    view.withheld = Withheld::kSealBroken;
    return view;
  }
  view.body = std::move(body);
  int index = 0;
  for (const auto& a : opened.summary.attachments) {
    view.attachments.push_back({index++, a.name, a.content_type, a.size});
  }
  return view;
}

Result<AttachmentDownload> Mailbox::OpenAttachment(const AuthContext& ctx,
                                                   std::string_view message_id, int index) {
  SP_ASSIGN_OR_RETURN(const MessageId id, MessageId::Parse(message_id));
  KeyRing keys(ctx);
  auto item = s_.store.messages().GetMailboxItem(ctx.user.id, id);
  if (!item.ok()) return NotFound("message not found");
  SP_ASSIGN_OR_RETURN(Opened opened, Open(keys, *item));
  const std::string recipient = item->entry.folder == Folder::kSent ? "" : ctx.user.email;
  return OpenAttachmentOf(opened, id, index, recipient, ctx.user.id.str());
}

Result<AttachmentDownload> Mailbox::OpenAttachmentOf(const Opened& opened, const MessageId& id,
                                                     int index, const std::string& recipient,
                                                     const std::string& actor) {
  // Registered mail not accepted by `recipient` ("" for the sender's own copy): nothing opens.
  if (!recipient.empty()) {
    SP_ASSIGN_OR_RETURN(const auto registered, RegisteredStatusOf(s_, id, recipient));
    if (WithheldFromReader(registered)) {
      return Conflict("registered mail: accept it to open its attachments")
          .As(Reason::kAcceptanceRequired);
    }
  }
  if (index < 0 || static_cast<size_t>(index) >= opened.summary.attachments.size()) {
    return NotFound("attachment not found");
  }
  if (opened.seal != SealState::kValid) {
    return Conflict("the message's seal is broken: its attachments are withheld")
        .As(Reason::kSealBroken);
  }
  SP_ASSIGN_OR_RETURN(const auto records, s_.store.messages().GetAttachments(id));
  if (records.size() != opened.summary.attachments.size()) return Corruption(kIntegrityFailure);
  const AttachmentMeta& meta = opened.summary.attachments[static_cast<size_t>(index)];
  auto reader = s_.blobs.Open(records[static_cast<size_t>(index)].blob_id, meta.key);
  if (!reader.ok()) return Corruption(kIntegrityFailure);
  SP_ASSIGN_OR_RETURN(Bytes digest, HexDecode(meta.sha256_hex));
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    return RecordEvent(s_, tx, "attachment.download", actor, id.str(),
                       nlohmann::json{{"index", index}}.dump());
  }));
  return AttachmentDownload{
      {index, meta.name, meta.content_type, meta.size},
      internal::MakeDigestCheckingReader(std::move(*reader), std::move(digest))};
}

Result<MessageView> Mailbox::ReadWithKey(const store::MessageRecord& message,
                                         const crypto::DataKey& data_key,
                                         const std::string& recipient) {
  SP_ASSIGN_OR_RETURN(Opened opened, OpenWithKey(data_key.Duplicate(), message));
  const store::MailboxEntry entry{message.sender_id, message.id, Folder::kInbox, {}, false,
                                  message.created_at};
  SP_ASSIGN_OR_RETURN(const auto registered, RegisteredStatusOf(s_, message.id, recipient));
  if (WithheldFromReader(registered)) {
    MessageView view = ViewOf(opened, entry, {});
    ReduceToNotice(view, *registered);
    return view;
  }
  auto body_json = crypto::AeadOpen(opened.data_key.aead(), message.body,
                                    AsBytes(BodyAd(message.id, message.sender_id)));
  if (!body_json.ok()) return Corruption(kIntegrityFailure);
  if (HexEncode(crypto::Sha256(body_json->view())) != opened.summary.body_sha256_hex) {
    opened.seal = SealState::kInvalid;
  }
  SP_ASSIGN_OR_RETURN(MessageBody body, DecodeBody(body_json->AsStringView()));
  MessageView view = ViewOf(opened, entry, std::move(body));
  view.header.registered = registered;
  return view;
}

Result<AttachmentDownload> Mailbox::OpenAttachmentWithKey(const store::MessageRecord& message,
                                                          const crypto::DataKey& data_key,
                                                          int index, const std::string& recipient,
                                                          const std::string& actor) {
  SP_ASSIGN_OR_RETURN(Opened opened, OpenWithKey(data_key.Duplicate(), message));
  return OpenAttachmentOf(opened, message.id, index, recipient, actor);
}

Result<std::optional<RegisteredStatus>> Mailbox::RegisteredOfReader(
    const AuthContext& ctx, const store::MailboxEntry& entry) {
  if (entry.folder == Folder::kSent) return std::optional<RegisteredStatus>();
  return RegisteredStatusOf(s_, entry.message_id, ctx.user.email);
}

Status Mailbox::WithholdForReader(const AuthContext& ctx, const store::MailboxEntry& entry,
                                  MessageHeader& header) {
  SP_ASSIGN_OR_RETURN(const auto registered, RegisteredOfReader(ctx, entry));
  if (WithheldFromReader(registered)) {
    MessageView view{std::move(header), {}, {}};
    ReduceToNotice(view, *registered);
    header = std::move(view.header);
  } else {
    header.registered = registered;
  }
  return Status::Ok();
}

Result<int> Mailbox::ExpireUploads() {
  SP_ASSIGN_OR_RETURN(const auto expired, s_.store.messages().ListUploadsCreatedBefore(
                                              s_.clock.Now() - s_.config.upload_ttl, 500));
  int removed = 0;
  for (const store::UploadRecord& upload : expired) {
    SP_ASSIGN_OR_RETURN(const bool held, Retention(s_).IsMemberHeld(upload.owner_id));
    if (held) continue;  // legal hold (app/retention.h)
    const Status st = s_.store.Write([&](store::WriteTxn& tx) {
      SP_RETURN_IF_ERROR(tx.messages().DeleteUpload(upload.id));
      return RecordEvent(s_, tx, "upload.expired", upload.owner_id.str(), upload.id.str(),
                         nlohmann::json{{"size", upload.size}}.dump());
    });
    // NotFound: a message took it in the meantime, and the blob is now the message's.
    if (st.code() == ErrorCode::kNotFound) continue;
    SP_RETURN_IF_ERROR(st);
    SP_RETURN_IF_ERROR(s_.blobs.Remove(upload.blob_id));
    ++removed;
  }
  return removed;
}

}  // namespace sealpost::app
