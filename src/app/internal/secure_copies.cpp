#include "app/internal/secure_copies.h"

#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "app/internal/contact_trust.h"
#include "crypto/ad_labels.h"
#include "crypto/security_policy.h"
#include "delivery/secure_copy.h"
#include "delivery/tls_direct_sender.h"
#include "keys/member_keys.h"
#include "mime/message_builder.h"
#include "pgp/member_key.h"
#include "pgp/public_key.h"
#include "smime/certified_key.h"

namespace sealpost::app::internal {
namespace {

using crypto::policy::kSecureCopy;

// The sender's signing keys, unwrapped with the UMK for this send only. The OpenPGP secret is
// kept to load one signing context per thread that makes copies.
struct SenderSigningKeys {
  std::optional<smime::CertifiedKey> smime;
  std::unique_ptr<pgp::MemberKey> openpgp;
  std::optional<crypto::SecretBytes> openpgp_secret;
};

Result<SenderSigningKeys> LoadSenderKeys(const Services& s, const UserId& sender,
                                         const crypto::Umk& umk) {
  SP_ASSIGN_OR_RETURN(const store::MemberKeysRecord record,
                      s.store.accounts().GetMemberKeys(sender));
  SenderSigningKeys out;
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes pkcs8,
                      keys::UnwrapCertifiedKey(umk, keys::CertifiedKeyKind::kSmime,
                                               record.smime_wrapped_key, sender));
  SP_ASSIGN_OR_RETURN(smime::Certificate certificate,
                      smime::Certificate::FromDer(record.smime_certificate));
  std::vector<smime::Certificate> chain;
  if (s.pki != nullptr) chain = s.pki->Chain();
  SP_ASSIGN_OR_RETURN(smime::CertifiedKey certified,
                      smime::CertifiedKey::Create(std::move(certificate), std::move(chain), pkcs8));
  out.smime.emplace(std::move(certified));
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes secret,
                      keys::UnwrapCertifiedKey(umk, keys::CertifiedKeyKind::kOpenPgp,
                                               record.openpgp_wrapped_key, sender));
  out.openpgp_secret.emplace(std::move(secret));
  SP_ASSIGN_OR_RETURN(out.openpgp, pgp::MemberKey::Load(*out.openpgp_secret));
  return out;
}

// Reads a whole attachment (authenticated: a truncated or altered blob is an error).
Result<std::string> ReadAttachment(const Services& s, const CopyAttachment& a) {
  SP_ASSIGN_OR_RETURN(std::unique_ptr<blob::BlobReader> reader, s.blobs.Open(a.blob_id, *a.key));
  std::string data;
  data.reserve(static_cast<size_t>(a.size));
  std::vector<uint8_t> buffer(64 * 1024);
  for (;;) {
    SP_ASSIGN_OR_RETURN(const size_t n, reader->Read(buffer));
    if (n == 0) break;
    if (data.size() + n > a.size) return Corruption("an attachment is longer than recorded");
    data.append(reinterpret_cast<const char*>(buffer.data()), n);
  }
  if (data.size() != a.size) return Corruption("an attachment is shorter than recorded");
  return data;
}

Status TooLargeFor(std::string_view what, size_t limit) {
  return TooLarge(fmt::format("the message is too large for {} (at most {} MiB with its "
                              "attachments); send it by secure pickup instead",
                              what, limit >> 20))
      .ShownToClient();
}

// The bytes a copy carries before transfer encoding: the text, the HTML and the attachments.
uint64_t ContentBytes(const CopyContent& c) {
  uint64_t total = c.text.size() + c.html.size();
  for (const CopyAttachment& a : c.attachments) total += a.size;
  return total;
}

Result<mime::OutgoingMessage> BuildMime(const Services& s, const CopyContent& c) {
  SP_ASSIGN_OR_RETURN(EmailAddress from, EmailAddress::Parse(c.from_email));
  std::string message_id = CopyMessageId(c.id, from);
  mime::OutgoingMessage m({c.from_name, std::move(from)});
  for (const std::string& to : c.to) {
    SP_ASSIGN_OR_RETURN(EmailAddress address, EmailAddress::Parse(to));
    m.to.push_back({"", std::move(address)});
  }
  for (const std::string& cc : c.cc) {
    SP_ASSIGN_OR_RETURN(EmailAddress address, EmailAddress::Parse(cc));
    m.cc.push_back({"", std::move(address)});
  }
  // The copy goes to this one address only, so its Bcc names nobody else.
  if (c.bcc.size() > 1) return InvalidArgument("a copy can name one Bcc recipient only");
  if (!c.bcc.empty()) {
    SP_ASSIGN_OR_RETURN(EmailAddress address, EmailAddress::Parse(c.bcc.front()));
    m.bcc_self = mime::Mailbox{"", std::move(address)};
  }
  m.subject = c.subject;
  m.date = c.date;
  m.message_id = std::move(message_id);
  m.in_reply_to = c.in_reply_to;
  m.references = c.references;
  m.text_body = c.text;
  if (!c.html.empty()) m.html_body = c.html;
  for (const CopyAttachment& a : c.attachments) {
    SP_ASSIGN_OR_RETURN(std::string data, ReadAttachment(s, a));
    m.attachments.push_back({a.name, a.content_type, std::move(data)});
  }
  return m;
}

Result<delivery::RecipientKey> RecipientKeyOf(const Route& route, TimePoint now) {
  const store::ContactKeyRecord& key = *route.key;
  if (route.method == RouteMethod::kSmime) {
    // Parsed and checked by routing: not parsed again.
    std::optional<smime::Certificate> certificate = route.smime_certificate;
    if (!certificate) {
      SP_ASSIGN_OR_RETURN(certificate, smime::Certificate::FromDer(key.material));
    }
    // The capabilities recorded from the contact's signed mail, if any: DecideEnvelope weighs
    // them against the certificate's own extension.
    return delivery::RecipientKey(smime::SmimeRecipient{
        *std::move(certificate), RecordedCapabilities(key.smime_capabilities)});
  }
  // Parsed and checked by routing moments ago: not parsed again.
  if (route.openpgp_key) return delivery::RecipientKey(*route.openpgp_key);
  pgp::KeyImport imported = pgp::ImportPublicKey(key.material, route.address, now);
  SP_RETURN_IF_ERROR(imported.status());
  return delivery::RecipientKey(std::move(imported).TakeKey());
}

}  // namespace

std::string CopyMessageId(const MessageId& id, const EmailAddress& sender) {
  return id.str() + "@" + std::string(sender.domain());
}

std::string SecureCopyPurpose(const SecureCopyId& id) {
  return std::string(crypto::kMasterPurposeSecureCopy) + id.str();
}

std::string_view RouteSlugOfCopyMethod(std::string_view copy_method) {
  if (copy_method == "tls") return "tls";
  // "smime" itself: a copy still being made (kPreparing) carries its route's slug.
  if (copy_method == "smime" || copy_method.substr(0, 6) == "smime-") return "smime";
  return "openpgp";
}

struct SecureCopyMaker::Shared {
  CopyContent content;  // the date and ids the copies carry
  SenderSigningKeys sender;
  std::optional<mime::OutgoingMessage> message;
  std::optional<delivery::ProtectedMessage> protected_message;  // refers to `message`
  std::optional<std::string> tls_copy;  // the same bytes for every TLS recipient
  // Signing contexts not in use; Make borrows one (loading another when none is free).
  mutable std::mutex mu;
  mutable std::vector<std::unique_ptr<pgp::MemberKey>> idle_openpgp;

  ~Shared() {
    if (tls_copy) std::fill(tls_copy->begin(), tls_copy->end(), '\0');
  }
};

SecureCopyMaker::SecureCopyMaker(const Services& s, const std::vector<Route>& routes,
                                 std::unique_ptr<Shared> shared)
    : s_(s), routes_(routes), shared_(std::move(shared)) {}

SecureCopyMaker::~SecureCopyMaker() = default;

Result<std::unique_ptr<SecureCopyMaker>> SecureCopyMaker::Create(const Services& s,
                                                                 const CopyContent& content,
                                                                 const std::vector<Route>& routes,
                                                                 const crypto::Umk* umk) {
  const bool needs_keys = std::any_of(routes.begin(), routes.end(), [](const Route& r) {
    return r.method == RouteMethod::kSmime || r.method == RouteMethod::kOpenPgp;
  });
  const bool needs_tls = std::any_of(routes.begin(), routes.end(),
                                     [](const Route& r) { return r.method == RouteMethod::kTls; });
  for (const Route& route : routes) {
    const bool keyed = route.method == RouteMethod::kSmime || route.method == RouteMethod::kOpenPgp;
    if (!(route.method == RouteMethod::kTls || (keyed && route.key))) {
      return Internal("a secure copy was asked for a recipient routed otherwise");
    }
  }
  // Checked before any attachment is read. Base64 makes 4 bytes of 3; a TLS copy is one layer.
  const uint64_t bytes = ContentBytes(content);
  if (needs_keys && bytes > kSecureCopy.max_payload_bytes * 3 / 4) {
    return TooLargeFor("an S/MIME or OpenPGP copy", kSecureCopy.max_payload_bytes * 3 / 4);
  }
  if (needs_tls && bytes > delivery::kMaxTlsDirectMessageBytes * 3 / 4) {
    return TooLargeFor("delivery over TLS", delivery::kMaxTlsDirectMessageBytes * 3 / 4);
  }
  auto shared = std::make_unique<Shared>();
  shared->content = content;
  if (needs_keys) {
    if (umk == nullptr) return Internal("secure copies need the sender's UMK");
    SP_ASSIGN_OR_RETURN(shared->sender, LoadSenderKeys(s, content.sender_id, *umk));
    shared->idle_openpgp.push_back(std::move(shared->sender.openpgp));
  }
  SP_ASSIGN_OR_RETURN(mime::OutgoingMessage message, BuildMime(s, content));
  shared->message.emplace(std::move(message));
  // The protected payload and outer fields are the same in every signed and encrypted copy: built
  // once, so that a copy costs its signature and encryption only, however long the To field is.
  if (needs_keys) {
    auto built = delivery::ProtectedMessage::Build(*shared->message);
    if (!built.ok()) {
      if (built.status().code() == ErrorCode::kTooLarge) {
        return TooLargeFor("an S/MIME or OpenPGP copy", kSecureCopy.max_payload_bytes * 3 / 4);
      }
      return built.status();
    }
    shared->protected_message.emplace(std::move(*built));
  }
  if (needs_tls) {
    SP_ASSIGN_OR_RETURN(shared->tls_copy, mime::BuildMessage(*shared->message));
    if (shared->tls_copy->size() > delivery::kMaxTlsDirectMessageBytes) {
      return TooLargeFor("delivery over TLS", delivery::kMaxTlsDirectMessageBytes * 3 / 4);
    }
  }
  return std::unique_ptr<SecureCopyMaker>(new SecureCopyMaker(s, routes, std::move(shared)));
}

std::vector<store::SecureCopyRecord> SecureCopyMaker::Plan(TimePoint lease_until) const {
  std::vector<store::SecureCopyRecord> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) {
    store::SecureCopyRecord record;
    record.id = platform::NewId<SecureCopyId>(s_.rng);
    record.message_id = shared_->content.id;
    record.sender_id = shared_->content.sender_id;
    record.recipient = route.address.str();
    record.method = std::string(RouteMethodSlug(route.method));
    record.state = store::SecureCopyState::kPreparing;
    record.created_at = shared_->content.date;
    record.next_attempt_at = shared_->content.date;
    record.lease_until = lease_until;
    out.push_back(std::move(record));
  }
  return out;
}

Result<SecureCopyMaker::Made> SecureCopyMaker::Make(size_t i, const SecureCopyId& id) const {
  const Route& route = routes_.at(i);
  Made made;
  if (route.method == RouteMethod::kTls) {
    made.method = "tls";
    made.sealed_copy = s_.master.Wrap(AsBytes(*shared_->tls_copy), SecureCopyPurpose(id));
    return made;
  }
  const TimePoint now = shared_->content.date;
  SP_ASSIGN_OR_RETURN(const delivery::RecipientKey key, RecipientKeyOf(route, now));
  std::unique_ptr<pgp::MemberKey> openpgp;
  if (route.method == RouteMethod::kOpenPgp) {
    {
      std::lock_guard lock(shared_->mu);
      if (!shared_->idle_openpgp.empty()) {
        openpgp = std::move(shared_->idle_openpgp.back());
        shared_->idle_openpgp.pop_back();
      }
    }
    if (!openpgp) {
      if (!shared_->sender.openpgp_secret) return Internal("no OpenPGP signing key loaded");
      SP_ASSIGN_OR_RETURN(openpgp, pgp::MemberKey::Load(*shared_->sender.openpgp_secret));
    }
  }
  const SenderSigningKeys& sender = shared_->sender;
  const delivery::SenderKeys keys{sender.smime ? &*sender.smime : nullptr, openpgp.get()};
  auto copy = delivery::BuildSecureCopy(*shared_->protected_message, route.address, keys, key, now);
  if (openpgp) {
    std::lock_guard lock(shared_->mu);
    shared_->idle_openpgp.push_back(std::move(openpgp));
  }
  if (!copy.ok()) {
    if (copy.status().code() == ErrorCode::kTooLarge) {
      return TooLargeFor("an S/MIME or OpenPGP copy", kSecureCopy.max_payload_bytes * 3 / 4);
    }
    return copy.status();
  }
  made.method = std::string(delivery::SecureMethodSlug(copy->method));
  made.sealed_copy = s_.master.Wrap(AsBytes(copy->message), SecureCopyPurpose(id));
  std::fill(copy->message.begin(), copy->message.end(), '\0');
  return made;
}

CopyProduction::CopyProduction(const SecureCopyMaker& maker, std::vector<SecureCopyId> ids,
                               unsigned threads, size_t window)
    : maker_(maker), ids_(std::move(ids)), window_(std::max<size_t>(window, 1)) {
  done_.resize(ids_.size());
  threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(ids_.size())));
  for (unsigned t = 0; t < threads && !ids_.empty(); ++t) workers_.emplace_back([this] { Work(); });
}

CopyProduction::~CopyProduction() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void CopyProduction::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return stop_ || next_ >= ids_.size() || next_ < taken_ + window_; });
    if (stop_ || next_ >= ids_.size()) return;
    const size_t i = next_++;
    lock.unlock();
    Result<SecureCopyMaker::Made> made = maker_.Make(i, ids_[i]);
    lock.lock();
    done_[i].emplace(std::move(made));
    changed_.notify_all();
  }
}

std::vector<Result<SecureCopyMaker::Made>> CopyProduction::Take(size_t from, size_t to) {
  std::vector<Result<SecureCopyMaker::Made>> out;
  std::unique_lock lock(mu_);
  to = std::min(to, ids_.size());
  changed_.wait(lock, [&] {
    for (size_t i = from; i < to; ++i) {
      if (!done_[i]) return false;
    }
    return true;
  });
  out.reserve(to - from);
  for (size_t i = from; i < to; ++i) {
    out.push_back(std::move(*done_[i]));
    done_[i].reset();
  }
  taken_ = to;
  lock.unlock();
  changed_.notify_all();
  return out;
}

}  // namespace sealpost::app::internal
