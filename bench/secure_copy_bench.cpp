// secure_copy_bench: the full per-recipient secure-copy path (delivery::BuildSecureCopy) against
// the bare library loops, measured in the same run (issue 12, benchmark 1).
//
// A 10 KiB message (From, To, a subject, a 10 KiB text body; no attachments) for three
// recipients: P-256 and RSA-3072 S/MIME certificates (AuthEnvelopedData, AES-256-GCM; ECDH or
// RSA-OAEP) and a Cv25519 OpenPGP key; the sender signs with a P-256 certificate or an Ed25519
// member key. Three loops per recipient, single thread, interleaved in 50 ms slices so that other
// work on a shared machine slows them alike:
//   * full: BuildSecureCopy — the MIME payload with RFC 9788 header protection (GMime), the
//     checks, sign + encrypt, and the outer message: the RFC 5322 bytes handed to SMTP;
//   * library: smime::SignAndEncrypt / pgp::EncryptAndSign of the same payload bytes (what
//     bench/smime_sign_encrypt and bench/pgp_encrypt_bench measure as "sealpost");
//   * bare: the same payload straight through OpenSSL (CMS_sign, SMIME_write_CMS, CMS_encrypt,
//     SMIME_write_CMS: bare_cms.h) or RNP (rnp_op_encrypt with a signature, keys loaded once:
//     bare_rnp.h).
// The headline ratio is full / bare (target ≥ 0.8, bench/README.md); full / library is what the
// assembly itself costs. Keys and self-signed certificates are made in-process; nothing is
// validated (that is not what is measured).
//
// The last lines are machine-readable: "RESULT recipient=<p256|rsa3072|cv25519> full_per_s=…
// library_per_s=… bare_per_s=… ratio=… full_vs_library=…".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bare_cms.h"
#include "bare_rnp.h"
#include "delivery/secure_copy.h"
#include "interleaved_timing.h"
#include "mime/header_protection.h"
#include "mime/message.h"
#include "pgp/encryptor.h"
#include "pgp/member_key.h"
#include "pgp/public_key.h"
#include "smime/smime_writer.h"

namespace {

namespace cms = sealpost::bench::cms;
namespace delivery = sealpost::delivery;
namespace mime = sealpost::mime;
namespace pgp = sealpost::pgp;
namespace smime = sealpost::smime;
using sealpost::AsBytes;
using sealpost::EmailAddress;
using sealpost::bench::Clock;
using sealpost::bench::RunSlice;
using sealpost::bench::Tally;

constexpr char kSender[] = "alice@sealpost.example";
constexpr char kRecipient[] = "bob@partner.example";

EmailAddress Addr(const char* text) {
  auto parsed = EmailAddress::Parse(text);
  if (!parsed.ok()) cms::Die("EmailAddress::Parse");
  return *parsed;
}

mime::OutgoingMessage Message(size_t body_bytes) {
  mime::OutgoingMessage m(mime::Mailbox{"Alice Example", Addr(kSender)});
  m.to = {{"Bob", Addr(kRecipient)}};
  m.subject = "Quarterly figures: confidential";
  m.date = std::chrono::system_clock::now();
  m.message_id = "bench1@sealpost.example";
  while (m.text_body.size() < body_bytes) {
    m.text_body += "The quick brown fox jumps over the lazy dog, again and again.\n";
  }
  m.text_body.resize(body_bytes);
  return m;
}

struct Rates {
  double full = 0;
  double library = 0;
  double bare = 0;
};

// Runs the three loops interleaved until each has had `seconds`.
template <typename Full, typename Library, typename Bare>
Rates Measure(double seconds, Full full, Library library, Bare bare) {
  for (int i = 0; i < 3; ++i) {  // warm-up: caches, lazily loaded keys
    full();
    library();
    bare();
  }
  Tally full_tally;
  Tally library_tally;
  Tally bare_tally;
  const auto slice = std::chrono::milliseconds(50);
  const auto total =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (full_tally.elapsed < total || bare_tally.elapsed < total ||
         library_tally.elapsed < total) {
    RunSlice(slice, bare_tally, bare);
    RunSlice(slice, full_tally, full);
    RunSlice(slice, library_tally, library);
  }
  return {full_tally.PerSecond(), library_tally.PerSecond(), bare_tally.PerSecond()};
}

void Report(const char* label, const Rates& r, size_t full_bytes, size_t bare_bytes) {
  std::printf(
      "  %-8s full %8.1f msg/s (%zu bytes)   library %8.1f msg/s   bare %8.1f msg/s (%zu bytes)"
      "   full/bare %.2f   full/library %.2f\n",
      label, r.full, full_bytes, r.library, r.bare, bare_bytes, r.full / r.bare,
      r.full / r.library);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2;
  size_t body_bytes = 10 * 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--seconds") {
      seconds = std::strtod(argv[i + 1], nullptr);
    } else if (flag == "--bytes") {
      body_bytes = std::strtoul(argv[i + 1], nullptr, 10);
    } else {
      argc = 0;
    }
  }
  if (argc % 2 == 0 || seconds <= 0 || body_bytes == 0) {
    std::fprintf(stderr, "usage: secure_copy_bench [--seconds 2] [--bytes 10240]\n");
    return 1;
  }

  const mime::OutgoingMessage message = Message(body_bytes);
  auto built_payload = mime::BuildProtectedInner(message);
  if (!built_payload.ok()) cms::Die("BuildProtectedInner");
  const std::string payload = *built_payload;
  const auto now = std::chrono::system_clock::now();
  const EmailAddress recipient = Addr(kRecipient);

  // The sender: a P-256 S/MIME certificate and an Ed25519 member key.
  const cms::EvpPkeyPtr signer_key = cms::MakeKey(false);
  const cms::X509Ptr signer_cert = cms::MakeCertificate(signer_key.get(), kSender);
  const smime::CertifiedKey smime_signer = cms::AsCertifiedKey(signer_cert.get(), signer_key.get());
  auto alice = pgp::GenerateMemberKey(Addr(kSender), now - std::chrono::hours(1));
  if (!alice.ok()) cms::Die("GenerateMemberKey");
  auto pgp_signer = pgp::MemberKey::Load(alice->secret_key);
  if (!pgp_signer.ok()) cms::Die("MemberKey::Load");
  const delivery::SenderKeys sender{&smime_signer, pgp_signer->get()};

  std::printf(
      "secure_copy_bench: %zu-byte text body (%zu-byte payload), %.1f s per loop and recipient\n",
      body_bytes, payload.size(), seconds);
  std::vector<std::string> results;
  for (const bool rsa : {false, true}) {
    const char* label = rsa ? "rsa3072" : "p256";
    const cms::EvpPkeyPtr key = cms::MakeKey(rsa);
    const cms::X509Ptr cert = cms::MakeCertificate(key.get(), kRecipient);
    const smime::SmimeRecipient smime_recipient{
        cms::AsCertificate(cert.get()),
        smime::RecipientCapabilities{.aes256_gcm = true, .aes256_cbc = true}};
    const delivery::RecipientKey recipient_key = smime_recipient;
    size_t full_bytes = 0;
    size_t bare_bytes = 0;
    const Rates r = Measure(
        seconds,
        [&] {
          auto copy = delivery::BuildSecureCopy(message, recipient, sender, recipient_key, now);
          if (!copy.ok()) cms::Die("BuildSecureCopy");
          full_bytes = copy->message.size();
        },
        [&] {
          auto out = smime::SignAndEncrypt(AsBytes(payload), smime_signer, smime_recipient, now);
          if (!out.ok()) cms::Die("SignAndEncrypt");
        },
        [&] {
          bare_bytes = cms::BareSignEncrypt(payload, signer_cert.get(), signer_key.get(),
                                            cert.get(), rsa, true);
        });
    Report(label, r, full_bytes, bare_bytes);
    char line[256];
    std::snprintf(line, sizeof line,
                  "RESULT recipient=%s full_per_s=%.1f library_per_s=%.1f bare_per_s=%.1f "
                  "ratio=%.2f full_vs_library=%.2f",
                  label, r.full, r.library, r.bare, r.full / r.bare, r.full / r.library);
    results.emplace_back(line);
  }

  {
    auto bob = pgp::GenerateMemberKey(recipient, now - std::chrono::hours(1));
    if (!bob.ok()) cms::Die("GenerateMemberKey");
    const pgp::KeyImport imported = pgp::ImportPublicKey(bob->public_key, recipient, now);
    if (!imported.ok()) cms::Die("ImportPublicKey");
    const delivery::RecipientKey recipient_key = imported.key();
    sealpost::bench::rnp::BareEncryptor bare(alice->secret_key.view(), bob->public_key,
                                             alice->fingerprint, bob->encryption_fingerprint);
    size_t full_bytes = 0;
    size_t bare_bytes = 0;
    const Rates r = Measure(
        seconds,
        [&] {
          auto copy = delivery::BuildSecureCopy(message, recipient, sender, recipient_key, now);
          if (!copy.ok()) cms::Die("BuildSecureCopy");
          full_bytes = copy->message.size();
        },
        [&] {
          auto out = pgp::EncryptAndSign(AsBytes(payload), imported.key(), **pgp_signer, now);
          if (!out.ok()) cms::Die("EncryptAndSign");
        },
        [&] { bare_bytes = bare.EncryptAndSign(AsBytes(payload)); });
    Report("cv25519", r, full_bytes, bare_bytes);
    char line[256];
    std::snprintf(line, sizeof line,
                  "RESULT recipient=cv25519 full_per_s=%.1f library_per_s=%.1f bare_per_s=%.1f "
                  "ratio=%.2f full_vs_library=%.2f",
                  r.full, r.library, r.bare, r.full / r.bare, r.full / r.library);
    results.emplace_back(line);
  }
  for (const std::string& line : results) std::printf("%s\n", line.c_str());
  return 0;
}
