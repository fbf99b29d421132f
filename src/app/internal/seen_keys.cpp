#include "app/internal/seen_keys.h"

#include <cctype>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/inbound_seal.h"
#include "app/internal/audit_event.h"
#include "core/address.h"
#include "core/encoding.h"
#include "crypto/security_policy.h"
#include "pgp/public_key.h"
#include "platform/rng.h"

namespace sealpost::app::internal {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The unfolded values of every header field named `name` (RFC 5322 2.2.3).
std::vector<std::string> HeaderFields(std::string_view message, std::string_view name) {
  const size_t end = message.find("\r\n\r\n");
  const std::string_view header = message.substr(0, end == std::string_view::npos ? 0 : end + 2);
  std::vector<std::string> out;
  std::string* current = nullptr;
  size_t at = 0;
  while (at < header.size()) {
    size_t eol = header.find("\r\n", at);
    if (eol == std::string_view::npos) eol = header.size();
    const std::string_view line = header.substr(at, eol - at);
    at = eol + 2;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (current) current->append(line);
      continue;
    }
    current = nullptr;
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && IEquals(Trim(line.substr(0, colon)), name)) {
      out.emplace_back(line.substr(colon + 1));
      current = &out.back();
    }
  }
  return out;
}

std::optional<store::ContactKeyRecord> Record(ByteView key, const EmailAddress& address,
                                              TimePoint now) {
  pgp::KeyImport imported = pgp::ImportPublicKey(key, address, now);
  if (!imported.ok()) return std::nullopt;
  pgp::ContactKey k = std::move(imported).TakeKey();
  store::ContactKeyRecord r;
  r.address = address.str();
  r.kind = store::ContactKeyKind::kOpenPgp;
  r.material = std::move(k.public_key);
  r.fingerprint = k.fingerprint;
  r.algorithm = k.algorithm == k.encryption_algorithm
                    ? k.algorithm
                    : k.algorithm + " / " + k.encryption_algorithm;
  r.not_before = k.created;
  r.not_after = k.expires;
  if (k.encryption_expires && (!r.not_after || *k.encryption_expires < *r.not_after)) {
    r.not_after = k.encryption_expires;
  }
  r.source = store::ContactKeySource::kSeenInMail;
  return r;
}

}  // namespace

std::optional<store::ContactKeyRecord> SeenSignerCertificate(const smime::CertificateChain& signer,
                                                             const EmailAddress& sender) {
  const smime::Certificate& leaf = signer.leaf;
  bool names_sender = false;
  for (const EmailAddress& a : leaf.email_addresses()) names_sender = names_sender || a == sender;
  if (!names_sender) return std::nullopt;
  store::ContactKeyRecord r;
  r.address = sender.str();
  r.kind = store::ContactKeyKind::kSmime;
  r.material = leaf.der();
  for (const smime::Certificate& c : signer.chain) r.chain_pem += c.ToPem();
  r.fingerprint = leaf.FingerprintHex();
  const smime::PublicKeyInfo& k = leaf.key();
  r.algorithm = k.type == smime::KeyType::kRsa  ? fmt::format("RSA {}", k.bits)
                : k.type == smime::KeyType::kEc ? "EC " + k.curve
                                                : "other";
  r.not_before = leaf.not_before();
  r.not_after = leaf.not_after();
  r.source = store::ContactKeySource::kSeenInMail;
  return r;
}

std::vector<store::ContactKeyRecord> SeenKeysOf(std::string_view message,
                                                std::string_view from_email,
                                                const std::vector<InboundAttachment>& attachments,
                                                TimePoint now) {
  std::vector<store::ContactKeyRecord> out;
  auto from = EmailAddress::Parse(from_email);
  if (!from.ok()) return out;
  // Autocrypt Level 1: "addr=<address>; [prefer-encrypt=mutual;] keydata=<base64>"; the key
  // counts only for the From: address.
  for (const std::string& value : HeaderFields(message, "Autocrypt")) {
    std::optional<EmailAddress> addr;
    std::string keydata;
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      const std::string_view attribute = Trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      const size_t eq = attribute.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string_view key = Trim(attribute.substr(0, eq));
      const std::string_view val = Trim(attribute.substr(eq + 1));
      if (IEquals(key, "addr")) {
        if (auto parsed = EmailAddress::Parse(val); parsed.ok()) addr = std::move(*parsed);
      } else if (IEquals(key, "keydata")) {
        for (const char c : val) {
          if (!std::isspace(static_cast<unsigned char>(c))) keydata += c;
        }
      }
    }
    if (!addr || *addr != *from || keydata.empty()) continue;
    auto bytes = Base64Decode(keydata);
    if (!bytes.ok()) continue;
    if (auto r = Record(*bytes, *from, now)) out.push_back(std::move(*r));
  }
  for (const InboundAttachment& a : attachments) {
    if (a.content_type != "application/pgp-keys") continue;
    if (auto r = Record(AsBytes(a.data), *from, now)) out.push_back(std::move(*r));
  }
  return out;
}

void OfferSeenKeys(const Services& s, const UserId& member,
                   std::vector<store::ContactKeyRecord> keys) {
  const TimePoint now = s.clock.Now();
  for (store::ContactKeyRecord& key : keys) {
    auto known = s.store.keys().FindContactKeys(member, key.address);
    if (!known.ok()) {
      spdlog::warn("inbound: seen key not offered: {}", known.status().ToString());
      continue;
    }
    bool present = false;
    for (const auto& k : *known) present = present || k.fingerprint == key.fingerprint;
    if (present) continue;
    key.id = platform::NewId<store::ContactKeyId>(s.rng);
    key.owner = member;
    key.added_by = kInboundSenderId;
    key.added_at = now;
    const Status st = s.store.Write([&](store::WriteTxn& tx) -> Status {
      SP_ASSIGN_OR_RETURN(const int64_t count, tx.keys().CountContactKeys(member));
      if (count >= static_cast<int64_t>(crypto::policy::kKeyDirectory.max_keys_per_member)) {
        return Status::Ok();  // full: the member's own keys come first
      }
      SP_RETURN_IF_ERROR(tx.keys().AddContactKey(key));
      return RecordEvent(
          s, tx, "contact_key_seen", kInboundSenderId.str(), key.id.str(),
          nlohmann::json{
              {"address", key.address}, {"fingerprint", key.fingerprint}, {"owner", member.str()}}
              .dump());
    });
    if (!st.ok()) spdlog::warn("inbound: seen key not offered: {}", st.ToString());
  }
}

}  // namespace sealpost::app::internal
