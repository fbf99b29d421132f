#include "smtp/relay_face.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "app/gateway_author.h"
#include "core/address.h"
#include "smtp/submission_face.h"

namespace sealpost::smtp {
namespace {

// An IPv4 or IPv6 address as 16 bytes (IPv4 as ::ffff:a.b.c.d) and whether it was IPv4.
bool ToBytes(std::string_view text, std::array<uint8_t, 16>& out, bool& v4) {
  if (text.empty() || text.size() > 45) return false;
  const std::string s(text);
  in_addr a4{};
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    out.fill(0);
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &a4, 4);
    v4 = true;
    return true;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    std::memcpy(out.data(), &a6, 16);
    v4 = false;
    return true;
  }
  return false;
}

bool PrefixMatches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  const int whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), static_cast<size_t>(whole)) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// "AB:cd:…" or "abcd…" → 64 lower-case hex characters; empty when malformed.
std::string NormalisedFingerprint(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out.size() == 64 ? out : "";
}

Reply Refuse(int code, std::string enhanced, std::string text) {
  return {code, std::move(enhanced), std::move(text)};
}

class RelayMessageSink final : public MessageSink {
 public:
  RelayMessageSink(const app::MailSubmission& submission, app::SubmissionEnvelope envelope,
                   std::unique_ptr<app::SubmittedMessage> message)
      : submission_(submission), envelope_(std::move(envelope)), message_(std::move(message)) {}

  Status Append(std::string_view bytes) override { return message_->Append(bytes); }

  Reply Commit() override {
    auto outcome = submission_.SubmitFromRelay(envelope_, *message_);
    message_.reset();  // the spool goes now, whatever the outcome
    if (!outcome.ok()) {
      const Status& st = outcome.status();
      spdlog::warn("relay: message from {} refused: {}", envelope_.mail_from, st.ToString());
      // The member may have been disabled since MAIL FROM.
      if (st.code() == ErrorCode::kPermissionDenied) {
        return Refuse(550, "5.7.1", "the sender is not a member");
      }
      return ReplyForStatus(st);
    }
    if (outcome->kind == app::SubmissionOutcome::Kind::kRelayed) {
      return Reply::Ok("Ok: queued for the relay (not marked for secure delivery)");
    }
    return Reply::Ok("Ok: sealed as " + outcome->message_id->str());
  }

 private:
  const app::MailSubmission& submission_;
  const app::SubmissionEnvelope envelope_;
  std::unique_ptr<app::SubmittedMessage> message_;
};

class RelaySession final : public Session {
 public:
  RelaySession(const app::Services& s, const app::MailSubmission& submission,
               std::optional<uint64_t> max_bytes)
      : s_(s), submission_(submission), max_bytes_(max_bytes) {}

  Reply Authenticate(std::string_view, std::string_view, std::string_view,
                     const crypto::SecretString&) override {
    return Refuse(502, "5.5.1", "AUTH is not offered on the relay listener");
  }

  Reply MailFrom(std::string_view reverse_path, const MailParameters&) override {
    if (reverse_path.empty()) {
      return Refuse(550, "5.7.1", "the null sender cannot send through the gateway");
    }
    auto member = app::IsGatewaySender(s_, reverse_path);
    if (!member.ok()) {
      spdlog::error("relay: sender check failed: {}", member.status().ToString());
      return Refuse(451, "4.3.0", "temporary failure; try again later");
    }
    if (!*member) return Refuse(550, "5.7.1", "the sender is not a member of a served domain");
    envelope_.mail_from = std::string(reverse_path);
    envelope_.recipients.clear();
    return {250, "2.1.0", "sender ok"};
  }

  Reply RcptTo(std::string_view forward_path) override {
    if (envelope_.mail_from.empty()) return Refuse(503, "5.5.1", "MAIL FROM first");
    if (!EmailAddress::Parse(forward_path).ok()) {
      return Refuse(501, "5.1.3", "bad recipient address syntax");
    }
    envelope_.recipients.emplace_back(forward_path);
    return {250, "2.1.5", "recipient ok"};
  }

  std::variant<std::unique_ptr<MessageSink>, Reply> BeginMessage() override {
    if (envelope_.mail_from.empty() || envelope_.recipients.empty()) {
      return Refuse(503, "5.5.1", "no valid recipients");
    }
    auto message = submission_.BeginMessage(max_bytes_);
    if (!message.ok()) {
      spdlog::error("relay: cannot spool: {}", message.status().ToString());
      return ReplyForStatus(message.status());
    }
    return std::unique_ptr<MessageSink>(
        std::make_unique<RelayMessageSink>(submission_, envelope_, std::move(*message)));
  }

  void Reset() override { envelope_ = {}; }

 private:
  const app::Services& s_;
  const app::MailSubmission& submission_;
  const std::optional<uint64_t> max_bytes_;
  app::SubmissionEnvelope envelope_;
};

class RelayFace final : public Face {
 public:
  RelayFace(const app::Services& s, const app::MailSubmission& submission, ClientNetworks networks,
            std::set<std::string> certificates, std::optional<uint64_t> max_bytes)
      : s_(s),
        submission_(submission),
        networks_(std::move(networks)),
        certificates_(std::move(certificates)),
        max_bytes_(max_bytes) {}

  std::variant<std::unique_ptr<Session>, Reply> Open(const Peer& peer) override {
    const bool by_network = networks_.Contains(peer.address);
    const bool by_certificate =
        !peer.client_certificate_sha256.empty() &&
        certificates_.count(NormalisedFingerprint(peer.client_certificate_sha256)) > 0;
    if (!by_network && !by_certificate) {
      spdlog::warn("relay: refused client {} (not in the client networks, no known certificate)",
                   peer.address);
      return Refuse(554, "5.7.1", "this listener relays only for the organisation's mail server");
    }
    return std::make_unique<RelaySession>(s_, submission_, max_bytes_);
  }

 private:
  const app::Services s_;
  const app::MailSubmission& submission_;
  const ClientNetworks networks_;
  const std::set<std::string> certificates_;
  const std::optional<uint64_t> max_bytes_;
};

}  // namespace

Result<ClientNetworks> ClientNetworks::Parse(const std::vector<std::string>& cidrs) {
  ClientNetworks out;
  for (const std::string& entry : cidrs) {
    const auto bad = [&](std::string_view why) {
      return InvalidArgument("client network \"" + entry + "\": " + std::string(why));
    };
    const size_t slash = entry.find('/');
    Block b;
    bool v4 = false;
    if (!ToBytes(std::string_view(entry).substr(0, slash), b.bytes, v4)) {
      return bad("not an IPv4 or IPv6 address");
    }
    const int max_bits = v4 ? 32 : 128;
    int bits = max_bits;
    if (slash != std::string::npos) {
      const std::string digits = entry.substr(slash + 1);
      if (digits.empty() || digits.size() > 3 ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return bad("the prefix length is not a number");
      }
      bits = std::stoi(digits);
      if (bits > max_bits) return bad("the prefix is longer than the address");
    }
    b.prefix = bits + (v4 ? 96 : 0);
    // Bits past the prefix must be zero: "10.1.2.3/8" is more likely a typo than meant.
    std::array<uint8_t, 16> masked{};
    for (int i = 0; i < 16; ++i) {
      const int keep = std::clamp(b.prefix - 8 * i, 0, 8);
      masked[i] = static_cast<uint8_t>(b.bytes[i] & (keep == 0 ? 0 : 0xff << (8 - keep)));
    }
    if (masked != b.bytes) return bad("bits are set past the prefix length");
    out.blocks_.push_back(b);
  }
  return out;
}

bool ClientNetworks::Contains(std::string_view address) const {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;
  if (!ToBytes(address, bytes, v4)) return false;
  return std::any_of(blocks_.begin(), blocks_.end(),
                     [&](const Block& b) { return PrefixMatches(bytes, b.bytes, b.prefix); });
}

Result<std::unique_ptr<Face>> MakeRelayFace(const app::Services& services,
                                            const app::MailSubmission& submission,
                                            RelayFaceOptions options) {
  SP_ASSIGN_OR_RETURN(ClientNetworks networks, ClientNetworks::Parse(options.client_networks));
  std::set<std::string> certificates;
  for (const std::string& c : options.client_certificates) {
    const std::string normalised = NormalisedFingerprint(c);
    if (normalised.empty()) {
      return InvalidArgument("client certificate \"" + c + "\" is not a SHA-256 fingerprint");
    }
    certificates.insert(normalised);
  }
  if (networks.empty() && certificates.empty()) {
    return InvalidArgument("the relay needs client_networks or client_certificates");
  }
  std::optional<uint64_t> max_bytes;
  if (options.max_message_bytes > 0) max_bytes = options.max_message_bytes;
  return std::unique_ptr<Face>(std::make_unique<RelayFace>(
      services, submission, std::move(networks), std::move(certificates), max_bytes));
}

}  // namespace sealpost::smtp
