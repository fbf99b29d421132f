// pgp_encrypt_bench: per-recipient OpenPGP encrypt+sign throughput, Sealpost against bare RNP.
//
// What it measures, single thread, data in memory:
//   * sealpost: pgp::EncryptAndSign of a 10 KiB message (the inner MIME entity) to a Cv25519
//     recipient, signed by an Ed25519 member key - everything one outbound OpenPGP recipient
//     costs, including the fresh RNP context each call builds and the two key imports into it.
//   * baseline: the same operation written directly against RNP's FFI with both keys loaded
//     once into one long-lived context: rnp_op_encrypt with a recipient and a signature, the
//     same cipher, hash, no AEAD, no compression, armoured.
// Rounds alternate between the two (baseline then sealpost, a short burst each) and the
// ratio reported is the median of the per-round ratios: a burst of other work on a shared
// machine then skews one round, not the result.
// Target: sealpost / baseline >= 0.8. The last line is machine-readable ("RESULT k=v ...").

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "bare_rnp.h"
#include "crypto/random.h"
#include "pgp/encryptor.h"
#include "pgp/member_key.h"
#include "pgp/public_key.h"

namespace {

using Clock = std::chrono::steady_clock;
using sealpost::AsBytes;
using sealpost::AsChars;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "pgp_encrypt_bench: %s\n", what.c_str());
  std::exit(1);
}

// Operations per second over `seconds` of calls to `op`.
template <typename Op>
double Rate(double seconds, Op&& op) {
  uint64_t n = 0;
  const Clock::time_point start = Clock::now();
  const Clock::time_point end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  Clock::time_point now = start;
  while (now < end) {
    op();
    ++n;
    now = Clock::now();
  }
  return static_cast<double>(n) / std::chrono::duration<double>(now - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 0.5;
  int rounds = 11;
  size_t message_bytes = 10 * 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (flag == "--rounds") {
      rounds = std::atoi(argv[i + 1]);
    } else if (flag == "--bytes") {
      message_bytes = std::strtoul(argv[i + 1], nullptr, 10);
    } else {
      Die("usage: pgp_encrypt_bench [--seconds 0.5] [--rounds 11] [--bytes 10240]");
    }
  }
  const auto now = std::chrono::system_clock::now();
  auto alice = sealpost::pgp::GenerateMemberKey(*sealpost::EmailAddress::Parse("alice@example.org"),
                                                now - std::chrono::hours(1));
  auto bob = sealpost::pgp::GenerateMemberKey(*sealpost::EmailAddress::Parse("bob@example.net"),
                                              now - std::chrono::hours(1));
  if (!alice.ok() || !bob.ok()) Die("key generation failed");
  auto signer = sealpost::pgp::MemberKey::Load(alice->secret_key);
  if (!signer.ok()) Die(signer.status().ToString());
  const sealpost::pgp::KeyImport recipient = sealpost::pgp::ImportPublicKey(
      bob->public_key, *sealpost::EmailAddress::Parse("bob@example.net"), now);
  if (!recipient.ok()) Die(recipient.status().ToString());
  const sealpost::Bytes message = sealpost::crypto::RandomBytes(message_bytes);

  // Baseline context: both keys loaded once (bare_rnp.h).
  sealpost::bench::rnp::BareEncryptor baseline(alice->secret_key.view(), bob->public_key,
                                               alice->fingerprint, bob->encryption_fingerprint);
  size_t out_bytes = 0;
  auto bare = [&] { out_bytes = baseline.EncryptAndSign(message); };
  size_t sealpost_bytes = 0;
  auto sealpost_op = [&] {
    auto armored = sealpost::pgp::EncryptAndSign(message, recipient.key(), **signer, now);
    if (!armored.ok()) Die(armored.status().ToString());
    sealpost_bytes = armored->size();
  };

  std::vector<double> ratios;
  std::vector<double> bare_rates;
  std::vector<double> sealpost_rates;
  std::printf("message %zu bytes, %d rounds of %.1f s each side\n", message_bytes, rounds, seconds);
  for (int r = 0; r < rounds; ++r) {
    const double b = Rate(seconds, bare);
    const double s = Rate(seconds, sealpost_op);
    std::printf("round %d: baseline %.0f msg/s, sealpost %.0f msg/s, ratio %.2f\n", r + 1, b, s,
                s / b);
    bare_rates.push_back(b);
    sealpost_rates.push_back(s);
    ratios.push_back(s / b);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double ratio = median(ratios);
  const double best_bare = median(bare_rates);
  const double best_sealpost = median(sealpost_rates);
  std::printf("output: baseline %zu bytes, sealpost %zu bytes (armoured)\n", out_bytes,
              sealpost_bytes);
  std::printf("median rates: sealpost %.0f msg/s, baseline %.0f msg/s\n", best_sealpost, best_bare);
  std::printf("ratio (median of the rounds' ratios): %.2f (target >= 0.8)\n", ratio);
  std::printf("RESULT sealpost_msg_s=%.1f baseline_msg_s=%.1f ratio=%.3f\n", best_sealpost,
              best_bare, ratio);
  return 0;
}
