#include "app/escrow_export.h"

#include <nlohmann/json.hpp>

#include "app/inbound_seal.h"
#include "app/message_codec.h"
#include "app/portal_author.h"
#include "audit/audit_log.h"
#include "blob/blob_store.h"
#include "core/address.h"
#include "core/encoding.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/signature.h"
#include "keys/data_key.h"
#include "mime/message_builder.h"

namespace sealpost::app {
namespace {

using nlohmann::json;

constexpr int kPage = 200;
constexpr std::string_view kKeyPrefix = "sealpost-escrow-key-1:";
// What one message file may weigh: the summary and body (each at most a few MiB of text under
// the send limits) in base64, with room to spare.
constexpr size_t kMaxMessageFileBytes = 64u << 20;
constexpr size_t kMaxManifestBytes = 256u << 20;
constexpr size_t kMaxAttachmentBytes = 1u << 30;

std::string Join(const std::string& dir, const std::string& name) { return dir + "/" + name; }

Status WriteText(platform::Filesystem& fs, const std::string& path, const std::string& text) {
  return platform::WriteFileAtomically(fs, path, AsBytes(text));
}

Status CopyBlob(blob::RawBlobStore& from, blob::RawBlobStore& to, const BlobId& id) {
  SP_ASSIGN_OR_RETURN(auto in, from.Open(id));
  SP_ASSIGN_OR_RETURN(auto out, to.Create(id));
  std::vector<uint8_t> buffer(64 * 1024);
  for (;;) {
    SP_ASSIGN_OR_RETURN(const size_t n, in->Read(buffer));
    if (n == 0) break;
    SP_RETURN_IF_ERROR(out->Append(ByteView(buffer.data(), n)));
  }
  return out->Commit();
}

// One message's sealed form; NotFound when retention shredded its content.
Result<json> SealedMessage(store::Store& store, blob::RawBlobStore& blobs,
                           blob::RawBlobStore& out_blobs, const store::EscrowWrapRecord& wrap,
                           int64_t& attachments) {
  SP_ASSIGN_OR_RETURN(const store::MessageRecord m, store.messages().GetMessage(wrap.message_id));
  if (m.summary.empty()) return NotFound("content shredded");
  SP_ASSIGN_OR_RETURN(const store::UserRecord sender, store.accounts().GetUser(m.sender_id));
  SP_ASSIGN_OR_RETURN(const auto records, store.messages().GetAttachments(m.id));
  json files = json::array();
  for (const store::AttachmentRecord& a : records) {
    SP_RETURN_IF_ERROR(CopyBlob(blobs, out_blobs, a.blob_id));
    files.push_back({{"index", a.index}, {"blob_id", a.blob_id.str()}});
    ++attachments;
  }
  return json{
      {"id", m.id.str()},
      {"sender_id", m.sender_id.str()},
      {"created_ms", ToUnixMillis(m.created_at)},
      {"domain", wrap.domain},
      {"escrow_wrap", Base64Encode(wrap.sealed_key)},
      {"summary", Base64Encode(m.summary)},
      {"body", Base64Encode(m.body)},
      {"sender", {{"email", sender.email}, {"verify_key", Base64Encode(sender.verify_key)}}},
      {"attachments", std::move(files)}};
}

Result<std::string> Text(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) {
    return InvalidArgument(std::string("missing or malformed field ") + key);
  }
  return j[key].get<std::string>();
}

Result<Bytes> B64(const json& j, const char* key) {
  SP_ASSIGN_OR_RETURN(const std::string text, Text(j, key));
  return Base64Decode(text);
}

Result<std::string> ReadAll(blob::BlobReader& reader, uint64_t limit) {
  std::string out;
  std::vector<uint8_t> buffer(64 * 1024);
  for (;;) {
    SP_ASSIGN_OR_RETURN(const size_t n, reader.Read(buffer));
    if (n == 0) return out;
    if (out.size() + n > limit) return InvalidArgument("attachment larger than declared");
    out.append(reinterpret_cast<const char*>(buffer.data()), n);
  }
}

struct OpenedMessage {
  std::string eml;
  bool seal_valid = false;
};

// Opens one sealed message of the export; any failure is an error (nothing is shown from it).
Result<OpenedMessage> OpenOne(const crypto::BoxKeyPair& key, blob::BlobStore& blobs, const json& m,
                              const std::string& expected_id) {
  SP_ASSIGN_OR_RETURN(const std::string id_text, Text(m, "id"));
  if (id_text != expected_id) return InvalidArgument("file names another message");
  SP_ASSIGN_OR_RETURN(const MessageId id, MessageId::Parse(id_text));
  SP_ASSIGN_OR_RETURN(const std::string sender_text, Text(m, "sender_id"));
  SP_ASSIGN_OR_RETURN(const UserId sender_id, UserId::Parse(sender_text));
  SP_ASSIGN_OR_RETURN(const Bytes wrap, B64(m, "escrow_wrap"));
  auto data_key = keys::OpenSealedDataKey(key, wrap);
  if (!data_key.ok()) {
    return Unauthenticated("the escrow wrap does not open with this key (another domain's key?)");
  }
  SP_ASSIGN_OR_RETURN(const Bytes summary_ct, B64(m, "summary"));
  SP_ASSIGN_OR_RETURN(const Bytes body_ct, B64(m, "body"));
  auto summary_json =
      crypto::AeadOpen(data_key->aead(), summary_ct, AsBytes(SummaryAd(id, sender_id)));
  if (!summary_json.ok()) return Unauthenticated("the summary does not decrypt (altered?)");
  SP_ASSIGN_OR_RETURN(MessageSummary summary, DecodeSummary(summary_json->AsStringView()));
  if (summary.id != id) return Unauthenticated("the summary names another message");
  auto body_json = crypto::AeadOpen(data_key->aead(), body_ct, AsBytes(BodyAd(id, sender_id)));
  if (!body_json.ok()) return Unauthenticated("the body does not decrypt (altered?)");
  SP_ASSIGN_OR_RETURN(MessageBody body, DecodeBody(body_json->AsStringView()));

  // The seal: the sender's Ed25519 signature over the summary (which carries the body's and each
  // attachment's SHA-256), by the key the export names, for the address it names.
  bool seal_valid = HexEncode(crypto::Sha256(body_json->view())) == summary.body_sha256_hex;
  if (!m.contains("sender") || !m["sender"].is_object()) return InvalidArgument("no sender");
  SP_ASSIGN_OR_RETURN(const std::string sender_email, Text(m["sender"], "email"));
  SP_ASSIGN_OR_RETURN(const Bytes verify_bytes, B64(m["sender"], "verify_key"));
  auto verify_key = crypto::VerifyKey::FromBytes(verify_bytes);
  const bool by_portal = sender_id == kPortalSenderId;
  // Mail from outside is sealed on arrival by the inbound gateway (app/inbound_seal.h), which
  // vouches for what arrived, not for the From: field.
  const bool from_outside = sender_id == kInboundSenderId;
  seal_valid = seal_valid && verify_key.ok() &&
               (by_portal || from_outside || sender_email == summary.from_email) &&
               crypto::Verify(*verify_key, SealStatement(summary).view(), summary.seal).ok();

  std::vector<mime::Attachment> attachments;
  if (!m.contains("attachments") || !m["attachments"].is_array() ||
      m["attachments"].size() != summary.attachments.size()) {
    return InvalidArgument("the attachment list does not match the summary");
  }
  for (size_t i = 0; i < summary.attachments.size(); ++i) {
    const AttachmentMeta& meta = summary.attachments[i];
    const json& entry = m["attachments"][i];
    SP_ASSIGN_OR_RETURN(const std::string blob_text, Text(entry, "blob_id"));
    SP_ASSIGN_OR_RETURN(const BlobId blob_id, BlobId::Parse(blob_text));
    if (meta.size > kMaxAttachmentBytes) return InvalidArgument("attachment too large");
    auto reader = blobs.Open(blob_id, meta.key);
    if (!reader.ok()) return Unauthenticated("an attachment does not open (missing or altered)");
    auto data = ReadAll(**reader, meta.size);
    if (!data.ok()) return Unauthenticated("an attachment does not decrypt (altered?)");
    if (data->size() != meta.size || HexEncode(crypto::Sha256(AsBytes(*data))) != meta.sha256_hex) {
      return Unauthenticated("an attachment does not match its sealed digest");
    }
    attachments.push_back({meta.name, meta.content_type, std::move(*data)});
  }
  // Added above the header: how the seal checked out, for whoever reviews the file.
  std::string note = seal_valid
                         ? "X-Sealpost-Escrow-Seal: valid; Ed25519 key sha256=" +
                               HexEncode(crypto::Sha256(verify_bytes))
                         : std::string(
                               "X-Sealpost-Escrow-Seal: BROKEN; the content is not shown to be the "
                               "sender's");
  if (from_outside) {
    // The message as it arrived is its first attachment (app/inbound_mail.h), byte for byte:
    // that is the EML, not one rebuilt from what Sealpost read out of it.
    if (attachments.empty() || attachments[0].filename != "original.eml" ||
        attachments[0].content_type != "message/rfc822") {
      return InvalidArgument("mail from outside without its original message");
    }
    std::string original = std::move(attachments[0].data);
    if (seal_valid) note += "; sealed on arrival by the inbound mail gateway";
    const bool crlf = original.find("\r\n") != std::string::npos;
    return OpenedMessage{note + (crlf ? "\r\n" : "\n") + original, seal_valid};
  }

  SP_ASSIGN_OR_RETURN(EmailAddress from, EmailAddress::Parse(summary.from_email));
  const std::string domain(from.domain());
  mime::OutgoingMessage out({summary.from_name, std::move(from)});
  for (const std::string& to : summary.to) {
    SP_ASSIGN_OR_RETURN(EmailAddress address, EmailAddress::Parse(to));
    out.to.push_back({"", std::move(address)});
  }
  for (const std::string& cc : summary.cc) {
    SP_ASSIGN_OR_RETURN(EmailAddress address, EmailAddress::Parse(cc));
    out.cc.push_back({"", std::move(address)});
  }
  // A Bcc recipient's own message names that recipient alone (app/message_codec.h).
  if (!summary.bcc.empty()) {
    SP_ASSIGN_OR_RETURN(EmailAddress address, EmailAddress::Parse(summary.bcc.front()));
    out.bcc_self = mime::Mailbox{"", std::move(address)};
  }
  out.subject = summary.subject;
  out.date = FromUnixMillis(summary.created_ms);
  out.message_id = id.str() + "@" + domain;
  out.text_body = body.text;
  if (!body.html.empty()) out.html_body = body.html;
  out.attachments = std::move(attachments);
  SP_ASSIGN_OR_RETURN(std::string eml, mime::BuildMessage(out));
  return OpenedMessage{note + "\r\n" + eml, seal_valid};
}

}  // namespace

Result<EscrowExportResult> ExportEscrow(store::Store& store, blob::RawBlobStore& blobs,
                                        platform::Filesystem& fs, const EscrowExportRequest& r,
                                        TimePoint now) {
  if (fs.Exists(Join(r.out_dir, "manifest.json"))) {
    return Conflict(r.out_dir + " already holds an export");
  }
  store::EscrowWrapQuery query;
  query.domain = r.domain;
  query.from = r.from;
  query.to = r.to;
  query.limit = kPage;
  if (r.member) {
    auto member = store.accounts().GetUserByEmail(*r.member);
    if (!member.ok()) {
      return member.status().code() == ErrorCode::kNotFound ? NotFound("no member " + *r.member)
                                                            : member.status();
    }
    query.member = member->id;
  }
  auto key = store.escrow().GetEscrowKey(r.domain);
  std::string fingerprint;
  if (key.ok()) fingerprint = HexEncode(crypto::Sha256(key->public_key));

  SP_RETURN_IF_ERROR(fs.CreateDirectories(Join(r.out_dir, "messages")));
  SP_ASSIGN_OR_RETURN(auto out_blobs, blob::OpenLocalRawBlobStore(fs, Join(r.out_dir, "blobs")));
  EscrowExportResult result;
  json listed = json::array();
  json shredded = json::array();
  for (;;) {
    SP_ASSIGN_OR_RETURN(const auto wraps, store.escrow().ListEscrowWraps(query));
    for (const store::EscrowWrapRecord& w : wraps) {
      auto sealed = SealedMessage(store, blobs, *out_blobs, w, result.attachments);
      if (sealed.status().code() == ErrorCode::kNotFound) {
        shredded.push_back(w.message_id.str());
        ++result.shredded;
        continue;
      }
      SP_RETURN_IF_ERROR(sealed.status());
      const std::string text = sealed->dump(2) + "\n";
      const std::string file = "messages/" + w.message_id.str() + ".json";
      SP_RETURN_IF_ERROR(WriteText(fs, Join(r.out_dir, file), text));
      listed.push_back({{"id", w.message_id.str()},
                        {"file", file},
                        {"sha256", HexEncode(crypto::Sha256(AsBytes(text)))}});
      ++result.messages;
    }
    if (wraps.size() < static_cast<size_t>(kPage)) break;
    query.after = wraps.back().message_id;
  }
  json filter = json::object();
  if (r.from) filter["from_ms"] = ToUnixMillis(*r.from);
  if (r.to) filter["to_ms"] = ToUnixMillis(*r.to);
  if (r.member) filter["member"] = *r.member;
  const json manifest{{"format", kEscrowExportFormat},    {"domain", r.domain},
                      {"exported_ms", ToUnixMillis(now)}, {"escrow_key_sha256", fingerprint},
                      {"filter", std::move(filter)},      {"messages", std::move(listed)},
                      {"shredded", std::move(shredded)}};
  // Last: a directory without a manifest is not an export.
  SP_RETURN_IF_ERROR(WriteText(fs, Join(r.out_dir, "manifest.json"), manifest.dump(2) + "\n"));
  const json details{{"filter", manifest["filter"]},
                     {"messages", result.messages},
                     {"attachments", result.attachments},
                     {"shredded", result.shredded}};
  SP_ASSIGN_OR_RETURN(const Bytes leaf, audit::EventLeaf({now, "escrow.exported", r.actor, r.domain,
                                                          details.dump()}));
  SP_RETURN_IF_ERROR(
      store.Write([&](store::WriteTxn& tx) { return tx.log().AddPendingEvent(leaf, now); }));
  return result;
}

Result<EscrowOpenResult> OpenEscrowExport(const crypto::BoxKeyPair& key, platform::Filesystem& fs,
                                          const std::string& in_dir, const std::string& out_dir) {
  SP_ASSIGN_OR_RETURN(
      const std::string manifest_text,
      platform::ReadSmallFile(fs, Join(in_dir, "manifest.json"), kMaxManifestBytes));
  const json manifest = json::parse(manifest_text, nullptr, /*allow_exceptions=*/false);
  if (!manifest.is_object() || !manifest.contains("format") ||
      manifest["format"] != kEscrowExportFormat || !manifest.contains("messages") ||
      !manifest["messages"].is_array()) {
    return InvalidArgument("manifest.json is not a " + std::string(kEscrowExportFormat) +
                           " manifest");
  }
  SP_ASSIGN_OR_RETURN(auto blobs, blob::OpenLocalBlobStore(fs, Join(in_dir, "blobs")));
  SP_RETURN_IF_ERROR(fs.CreateDirectories(out_dir));
  EscrowOpenResult result;
  for (const json& entry : manifest["messages"]) {
    auto id = Text(entry, "id");
    auto digest = Text(entry, "sha256");
    if (!id.ok() || !digest.ok() || !MessageId::Parse(*id).ok()) {
      return InvalidArgument("manifest.json lists a malformed message");
    }
    const auto fail = [&](const std::string& why) {
      ++result.failed;
      result.failures.push_back(*id + ": " + why);
    };
    // The file is named by the id, never by a path from the manifest.
    auto text = platform::ReadSmallFile(fs, Join(in_dir, "messages/" + *id + ".json"),
                                        kMaxMessageFileBytes);
    if (!text.ok()) {
      fail("missing: " + text.status().message());
      continue;
    }
    if (HexEncode(crypto::Sha256(AsBytes(*text))) != *digest) {
      fail("the file does not match the manifest's SHA-256 (altered)");
      continue;
    }
    const json m = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    auto opened = OpenOne(key, *blobs, m, *id);
    if (!opened.ok()) {
      fail(opened.status().message());
      continue;
    }
    SP_RETURN_IF_ERROR(WriteText(fs, Join(out_dir, *id + ".eml"), opened->eml));
    ++result.opened;
    if (!opened->seal_valid) ++result.seal_broken;
  }
  return result;
}

crypto::SecretString FormatEscrowPrivateKey(const crypto::BoxKeyPair& key) {
  return crypto::SecretString::TakeFrom(std::string(kKeyPrefix) +
                                        Base64Encode(key.ExposeSecret().view()) + "\n");
}

Result<crypto::BoxKeyPair> ParseEscrowPrivateKey(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  const auto refuse = [] {
    return InvalidArgument("not an escrow private key file (sealpost escrow keygen writes one)");
  };
  if (text.substr(0, kKeyPrefix.size()) != kKeyPrefix) return refuse();
  auto secret = crypto::Base64DecodeSecret(text.substr(kKeyPrefix.size()));
  if (!secret.ok() || secret->size() != crypto::kBoxSecretKeyBytes) return refuse();
  return crypto::BoxKeyPair::FromSecret(std::move(*secret));
}

}  // namespace sealpost::app
