#include "pgp/public_key.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>

#include "crypto/security_policy.h"
#include "pgp/member_key.h"
#include "pgp/testing/gnupg.h"
#include "testing/status_matchers.h"

namespace sealpost::pgp {
namespace {

using testing::GnuPg;
using ::testing::HasSubstr;
using testutil::ReadFileBytes;
using testutil::ToolResult;
using testutil::WriteFileBytes;

EmailAddress Addr(std::string_view text) { return *EmailAddress::Parse(text); }
TimePoint Now() { return std::chrono::system_clock::now(); }
TimePoint At(int64_t unix_seconds) { return TimePoint(std::chrono::seconds(unix_seconds)); }
constexpr auto kDay = std::chrono::hours(24);

KeyProblem ProblemOf(std::string_view bytes, std::string_view address, TimePoint now = Now()) {
  const KeyImport result = ImportPublicKey(AsBytes(bytes), Addr(address), now);
  EXPECT_EQ(result.ok(), result.status().ok());
  return result.problem();
}

// A new-format packet header (RFC 4880 section 4.2.2) with a five-octet length.
std::string Packet(int tag, std::string_view body) {
  std::string p;
  p.push_back(static_cast<char>(0xc0 | tag));
  p.push_back(static_cast<char>(0xff));
  for (int shift = 24; shift >= 0; shift -= 8) {
    p.push_back(static_cast<char>((body.size() >> shift) & 0xff));
  }
  p.append(body);
  return p;
}

// The packets of a binary key, split at their headers (old and new format, no partial lengths).
std::vector<std::string> SplitPackets(std::string_view key) {
  std::vector<std::string> packets;
  size_t pos = 0;
  while (pos < key.size()) {
    const uint8_t h = static_cast<uint8_t>(key[pos]);
    size_t len = 0;
    size_t head = 0;
    if (h & 0x40) {
      const uint8_t first = static_cast<uint8_t>(key[pos + 1]);
      if (first < 192) {
        len = first;
        head = 2;
      } else {
        len = ((first - 192) << 8) + static_cast<uint8_t>(key[pos + 2]) + 192;
        head = 3;
      }
    } else {
      head = 1 + (size_t{1} << (h & 3));
      for (size_t i = 1; i < head; ++i) len = (len << 8) | static_cast<uint8_t>(key[pos + i]);
    }
    packets.emplace_back(key.substr(pos, head + len));
    pos += head + len;
  }
  return packets;
}

int TagOf(const std::string& packet) {
  const uint8_t h = static_cast<uint8_t>(packet[0]);
  return (h & 0x40) ? h & 0x3f : (h >> 2) & 0x0f;
}

// `key` with `extra` inserted right after the primary key packet, where user IDs belong.
std::string WithAfterPrimary(std::string_view key, std::string_view extra) {
  const std::vector<std::string> packets = SplitPackets(key);
  std::string out = packets.at(0);
  out.append(extra);
  for (size_t i = 1; i < packets.size(); ++i) out += packets[i];
  return out;
}

class PublicKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto generated = GenerateMemberKey(Addr("alice@example.org"), At(1764000000));
    ASSERT_THAT(generated.status(), IsOk());
    key_.emplace(std::move(*generated));
  }
  std::string Public() const { return std::string(AsChars(key_->public_key)); }
  std::optional<GeneratedMemberKey> key_;
};

TEST_F(PublicKeyTest, OwnMemberKeyImports) {
  const KeyImport imported =
      ImportPublicKey(key_->public_key, Addr("alice@example.org"), At(1764000000 + 3600));
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_THAT(imported.status(), IsOk());
  const ContactKey& k = imported.key();
  EXPECT_EQ(k.fingerprint, key_->fingerprint);
  EXPECT_EQ(k.encryption_fingerprint, key_->encryption_fingerprint);
  EXPECT_EQ(k.algorithm, "EDDSA Ed25519");
  EXPECT_EQ(k.encryption_algorithm, "ECDH Curve25519");
  EXPECT_EQ(k.created, At(1764000000));
  EXPECT_FALSE(k.expires.has_value());  // member keys never expire
  EXPECT_FALSE(k.encryption_expires.has_value());
  EXPECT_EQ(k.user_id, "alice@example.org");
  // Armoured input gives the same key.
  const KeyImport armored = ImportPublicKey(AsBytes(key_->public_key_armored),
                                            Addr("alice@example.org"), At(1764000000 + 3600));
  ASSERT_TRUE(armored.ok());
  EXPECT_EQ(armored.key().public_key, k.public_key);
}

TEST_F(PublicKeyTest, AddressComparesLikeEmailAddress) {
  EXPECT_EQ(ProblemOf(Public(), "Alice@EXAMPLE.org"), KeyProblem::kNone);
  EXPECT_EQ(ProblemOf(Public(), "bob@example.org"), KeyProblem::kAddressMismatch);
  EXPECT_EQ(ProblemOf(Public(), "alice@example.org.evil"), KeyProblem::kAddressMismatch);
}

TEST_F(PublicKeyTest, TimeIsAParameter) {
  // Before the key existed its self-signatures are not valid yet.
  EXPECT_EQ(ProblemOf(Public(), "alice@example.org", At(1764000000 - 86400)),
            KeyProblem::kBadSignature);
  EXPECT_EQ(ProblemOf(Public(), "alice@example.org", At(1764000000 + 86400)), KeyProblem::kNone);
}

TEST_F(PublicKeyTest, SecretKeyIsRefused) {
  const std::string secret(key_->secret_key.AsStringView());
  const KeyImport result = ImportPublicKey(AsBytes(secret), Addr("alice@example.org"), Now());
  EXPECT_EQ(result.problem(), KeyProblem::kSecretKey);
  EXPECT_THAT(result.status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(result.status().message(), HasSubstr("secret-key"));
}

TEST_F(PublicKeyTest, GarbageIsNotOpenPgp) {
  EXPECT_EQ(ProblemOf("", "alice@example.org"), KeyProblem::kNotOpenPgp);
  EXPECT_EQ(ProblemOf("hello, this is not a key", "alice@example.org"), KeyProblem::kNotOpenPgp);
  EXPECT_EQ(ProblemOf("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA@@@@\n", "alice@example.org"),
            KeyProblem::kNotOpenPgp);
  std::string truncated = Public().substr(0, Public().size() / 2);
  EXPECT_EQ(ProblemOf(truncated, "alice@example.org"), KeyProblem::kNotOpenPgp);
  // Two primary keys in one input.
  auto other = GenerateMemberKey(Addr("alice@example.org"), At(1764000000));
  ASSERT_THAT(other.status(), IsOk());
  EXPECT_EQ(ProblemOf(Public() + std::string(AsChars(other->public_key)), "alice@example.org"),
            KeyProblem::kNotOpenPgp);
  // A packet whose header claims 2 GiB.
  std::string huge_header = Packet(6, "x").substr(0, 2) + std::string("\x7f\xff\xff\xff", 4);
  EXPECT_EQ(ProblemOf(huge_header + "abc", "alice@example.org"), KeyProblem::kNotOpenPgp);
}

TEST_F(PublicKeyTest, FlippedSelfSignatureIsBadSignature) {
  // The last bytes of the key are the subkey binding signature's MPIs; a flip there breaks the
  // binding and the only encryption subkey goes with it. Flips in the user ID certification
  // break the primary key's validity.
  std::string flipped = Public();
  flipped[flipped.size() - 5] ^= 0x01;
  EXPECT_EQ(ProblemOf(flipped, "alice@example.org"), KeyProblem::kBadSignature);
}

TEST_F(PublicKeyTest, OverSizeLimitIsRefusedBeforeParsing) {
  const size_t limit = crypto::policy::kImport.max_openpgp_key_bytes;
  const std::string big = Public() + Packet(13, std::string(limit, 'a'));
  const KeyImport result = ImportPublicKey(AsBytes(big), Addr("alice@example.org"), Now());
  EXPECT_EQ(result.problem(), KeyProblem::kTooLarge);
  EXPECT_THAT(result.status(), StatusIs(ErrorCode::kTooLarge));
}

TEST_F(PublicKeyTest, HundredThousandUserIdsAreRefusedQuickly) {
  // 100,000 empty user ID packets (two bytes each, so under the size limit) where user IDs go.
  // RNP itself would import and keep them all (about 200 ms on the development machine); the
  // header walk refuses them first.
  std::string uids;
  for (int i = 0; i < 100000; ++i) uids += std::string("\xcd\x00", 2);
  const std::string key = WithAfterPrimary(Public(), uids);
  ASSERT_LT(key.size(), crypto::policy::kImport.max_openpgp_key_bytes);
  const auto start = std::chrono::steady_clock::now();
  const KeyImport result = ImportPublicKey(AsBytes(key), Addr("alice@example.org"), Now());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.problem(), KeyProblem::kTooManyUserIds);
  EXPECT_THAT(result.status(), StatusIs(ErrorCode::kTooLarge));
  std::printf("100,000 user IDs refused in %.3f ms\n",
              std::chrono::duration<double, std::milli>(elapsed).count());
  EXPECT_LT(elapsed, std::chrono::milliseconds(100));

  // With 100,000 user IDs that do not fit, the size limit speaks first.
  std::string long_uids;
  for (int i = 0; i < 100000; ++i) long_uids += Packet(13, "x@y.z");
  EXPECT_EQ(ProblemOf(WithAfterPrimary(Public(), long_uids), "alice@example.org"),
            KeyProblem::kTooLarge);
}

TEST_F(PublicKeyTest, CountLimitsAreExact) {
  // The member key has one user ID; unsigned extra ones are dropped as invalid by RNP, so the
  // key still imports at the limit and is refused one past it.
  const size_t max_uids = crypto::policy::kImport.max_openpgp_user_ids;
  std::string extra;
  for (size_t i = 1; i < max_uids; ++i) extra += Packet(13, "extra@example.org");
  EXPECT_EQ(ProblemOf(WithAfterPrimary(Public(), extra), "alice@example.org"), KeyProblem::kNone);
  extra += Packet(13, "");
  EXPECT_EQ(ProblemOf(WithAfterPrimary(Public(), extra), "alice@example.org"),
            KeyProblem::kTooManyUserIds);

  // Subkeys: the member key's subkey and binding copied up to and past the limit.
  std::string subkey;
  for (const std::string& p : SplitPackets(Public())) {
    if (TagOf(p) == 14) subkey = p;
    if (!subkey.empty() && TagOf(p) == 2) subkey += p;  // its binding signature
  }
  ASSERT_FALSE(subkey.empty());
  std::string at_limit = Public();
  for (size_t i = 1; i < crypto::policy::kImport.max_openpgp_subkeys; ++i) at_limit += subkey;
  EXPECT_EQ(ProblemOf(at_limit, "alice@example.org"), KeyProblem::kNone);
  EXPECT_EQ(ProblemOf(at_limit + subkey, "alice@example.org"), KeyProblem::kTooManySubkeys);
}

// Keys GnuPG makes that must be refused, each for its own reason.
class GpgBadKeyTest : public ::testing::Test {
 protected:
  GnuPg gpg_;
};

TEST_F(GpgBadKeyTest, NoEncryptionSubkey) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "ed25519", "cert,sign");
  EXPECT_EQ(ProblemOf(gpg_.Export(fpr), "bob@example.net"), KeyProblem::kNoEncryptionKey);
}

TEST_F(GpgBadKeyTest, RevokedKey) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "ed25519", "cert,sign", "cv25519");
  ASSERT_EQ(ProblemOf(gpg_.Export(fpr), "bob@example.net"), KeyProblem::kNone);
  // GnuPG writes a revocation certificate at key generation, with its armour lines disarmed
  // by a leading ':'; importing it revokes the key.
  std::string rev = ReadFileBytes(gpg_.dir() + "/gnupg/openpgp-revocs.d/" + fpr + ".rev");
  ASSERT_FALSE(rev.empty());
  for (size_t at = rev.find(":-----"); at != std::string::npos; at = rev.find(":-----")) {
    rev.erase(at, 1);
  }
  WriteFileBytes(gpg_.Path("key.rev"), rev);
  ASSERT_EQ(gpg_.Gpg({"--import", "key.rev"}).exit_code, 0);
  EXPECT_EQ(ProblemOf(gpg_.Export(fpr), "bob@example.net"), KeyProblem::kRevoked);
  // The refusal names the revoked key (as gpg does), for the directory to revoke its copy.
  const KeyImport refused =
      ImportPublicKey(AsBytes(gpg_.Export(fpr)), Addr("bob@example.net"), Now());
  EXPECT_EQ(refused.revoked_fingerprint(), fpr);
}

TEST_F(GpgBadKeyTest, RevokedEncryptionSubkey) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "ed25519", "cert,sign", "cv25519");
  // Revoke subkey 1 through --edit-key's command interface (no quick command for it in 2.2).
  const ToolResult revoked = gpg_.Gpg({"--command-fd", "0", "--status-fd", "2", "--edit-key", fpr},
                                      "key 1\nrevkey\ny\n0\n\ny\nsave\n");
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(ProblemOf(gpg_.Export(fpr), "bob@example.net"), KeyProblem::kRevoked);
  // A fresh encryption subkey next to the revoked one is chosen.
  ASSERT_EQ(gpg_.Gpg({"--quick-add-key", fpr, "cv25519", "encr", "never"}).exit_code, 0);
  const KeyImport again =
      ImportPublicKey(AsBytes(gpg_.Export(fpr)), Addr("bob@example.net"), Now());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  const ToolResult listed = gpg_.Gpg({"--with-colons", "--list-keys", fpr});
  const size_t last_sub = listed.out.rfind("\nsub:");
  ASSERT_NE(last_sub, std::string::npos);
  const size_t fpr_line = listed.out.find("\nfpr:", last_sub);
  EXPECT_EQ(listed.out.substr(fpr_line + 13, 40), again.key().encryption_fingerprint);
}

TEST_F(GpgBadKeyTest, RevokedUserId) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "ed25519", "cert,sign", "cv25519");
  ASSERT_EQ(gpg_.Gpg({"--quick-add-uid", fpr, "Robert <robert@example.net>"}).exit_code, 0);
  ASSERT_EQ(gpg_.Gpg({"--quick-revoke-uid", fpr, "bob@example.net"}).exit_code, 0);
  const std::string exported = gpg_.Export(fpr);
  EXPECT_EQ(ProblemOf(exported, "bob@example.net"), KeyProblem::kRevoked);
  EXPECT_EQ(ProblemOf(exported, "robert@example.net"), KeyProblem::kNone);
}

// A key that names several addresses (a send to several of them): the importer reads and checks
// it once and answers each address as ImportPublicKey would, the revoked user ID included.
TEST_F(GpgBadKeyTest, ImporterReadsASharedKeyOnceAndAnswersEachAddress) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "ed25519", "cert,sign", "cv25519");
  ASSERT_EQ(gpg_.Gpg({"--quick-add-uid", fpr, "Robert <robert@example.net>"}).exit_code, 0);
  ASSERT_EQ(gpg_.Gpg({"--quick-add-uid", fpr, "old@example.net"}).exit_code, 0);
  ASSERT_EQ(gpg_.Gpg({"--quick-revoke-uid", fpr, "old@example.net"}).exit_code, 0);
  const std::string exported = gpg_.Export(fpr);
  const std::string other =
      gpg_.Export(gpg_.MakeKey("carol@example.net", "ed25519", "cert,sign", "cv25519"));
  PublicKeyImporter importer(Now());
  const uint64_t reads = PublicKeyImports();
  for (const char* address :
       {"bob@example.net", "robert@example.net", "old@example.net", "nobody@example.net"}) {
    const KeyImport shared = importer.Import(AsBytes(exported), Addr(address));
    const KeyImport alone = ImportPublicKey(AsBytes(exported), Addr(address), Now());
    EXPECT_EQ(shared.problem(), alone.problem()) << address;
    EXPECT_EQ(shared.status().ToString(), alone.status().ToString()) << address;
    if (alone.ok()) {
      EXPECT_EQ(shared.key().user_id, alone.key().user_id);
      EXPECT_EQ(shared.key().fingerprint, fpr);
      EXPECT_EQ(shared.key().encryption_fingerprint, alone.key().encryption_fingerprint);
      EXPECT_EQ(shared.key().public_key, alone.key().public_key);
    }
  }
  EXPECT_EQ(importer.Import(AsBytes(exported), Addr("robert@example.net")).key().user_id,
            "Robert <robert@example.net>");
  EXPECT_EQ(importer.Import(AsBytes(exported), Addr("old@example.net")).problem(),
            KeyProblem::kRevoked);
  EXPECT_EQ(importer.Import(AsBytes(exported), Addr("nobody@example.net")).problem(),
            KeyProblem::kAddressMismatch);
  // Another key is read on its own.
  EXPECT_TRUE(importer.Import(AsBytes(other), Addr("carol@example.net")).ok());
  // The importer read each of the two keys once; ImportPublicKey read it four times.
  EXPECT_EQ(PublicKeyImports() - reads, 2u + 4u);
  // A refusal is kept as well.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(importer.Import(AsBytes(std::string("not a key")), Addr("bob@example.net")).problem(),
              KeyProblem::kNotOpenPgp);
  }
}

TEST_F(GpgBadKeyTest, ExpiredKey) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "ed25519", "cert,sign", "cv25519", "1d");
  const std::string exported = gpg_.Export(fpr);
  EXPECT_EQ(ProblemOf(exported, "bob@example.net"), KeyProblem::kNone);
  EXPECT_EQ(ProblemOf(exported, "bob@example.net", Now() + 3 * kDay), KeyProblem::kExpired);
  // Made in the past with GnuPG's own clock moved back: expired today.
  const std::string old = gpg_.MakeKey("carol@example.net", "ed25519", "cert,sign", "cv25519", "1y",
                                       {"--faked-system-time", "20200101T000000!"});
  EXPECT_EQ(ProblemOf(gpg_.Export(old), "carol@example.net"), KeyProblem::kExpired);
}

TEST_F(GpgBadKeyTest, ExpiredEncryptionSubkeyOnly) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "ed25519", "cert,sign");
  ASSERT_EQ(gpg_.Gpg({"--quick-add-key", fpr, "cv25519", "encr", "1d"}).exit_code, 0);
  const std::string exported = gpg_.Export(fpr);
  const KeyImport now = ImportPublicKey(AsBytes(exported), Addr("bob@example.net"), Now());
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_TRUE(now.key().encryption_expires.has_value());
  EXPECT_FALSE(now.key().expires.has_value());
  EXPECT_EQ(ProblemOf(exported, "bob@example.net", Now() + 3 * kDay), KeyProblem::kExpired);
}

TEST_F(GpgBadKeyTest, OtherAddress) {
  const std::string fpr =
      gpg_.MakeKey("Carol <carol@example.net>", "ed25519", "cert,sign", "cv25519");
  EXPECT_EQ(ProblemOf(gpg_.Export(fpr), "bob@example.net"), KeyProblem::kAddressMismatch);
  EXPECT_EQ(ProblemOf(gpg_.Export(fpr), "CAROL@Example.NET"), KeyProblem::kNone);
}

TEST_F(GpgBadKeyTest, SecretKeyExport) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "ed25519", "cert,sign", "cv25519");
  ToolResult armored = gpg_.Gpg({"--armor", "--export-secret-keys", fpr});
  ASSERT_EQ(armored.exit_code, 0) << armored.err;
  EXPECT_EQ(ProblemOf(armored.out, "bob@example.net"), KeyProblem::kSecretKey);
  ToolResult binary = gpg_.Gpg({"--export-secret-keys", fpr});
  ASSERT_EQ(binary.exit_code, 0) << binary.err;
  EXPECT_EQ(ProblemOf(binary.out, "bob@example.net"), KeyProblem::kSecretKey);
  ToolResult subkeys = gpg_.Gpg({"--export-secret-subkeys", fpr});
  ASSERT_EQ(subkeys.exit_code, 0) << subkeys.err;
  EXPECT_EQ(ProblemOf(subkeys.out, "bob@example.net"), KeyProblem::kSecretKey);
}

TEST_F(GpgBadKeyTest, DsaElGamalIsWeak) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "dsa2048", "cert,sign", "elg2048");
  ASSERT_EQ(fpr.size(), 40u);
  EXPECT_EQ(ProblemOf(gpg_.Export(fpr), "bob@example.net"), KeyProblem::kWeakAlgorithm);
}

TEST_F(GpgBadKeyTest, ShortRsaIsWeak) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "rsa1024", "cert,sign", "rsa1024");
  ASSERT_EQ(fpr.size(), 40u);
  EXPECT_EQ(ProblemOf(gpg_.Export(fpr), "bob@example.net"), KeyProblem::kWeakAlgorithm);
}

TEST_F(GpgBadKeyTest, RsaEncryptionSubkeyTooShortIsWeak) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "ed25519", "cert,sign", "rsa1024");
  EXPECT_EQ(ProblemOf(gpg_.Export(fpr), "bob@example.net"), KeyProblem::kWeakAlgorithm);
}

TEST_F(GpgBadKeyTest, BrainpoolCurveIsWeak) {
  const std::string fpr =
      gpg_.MakeKey("bob@example.net", "brainpoolP256r1", "cert,sign", "brainpoolP256r1");
  ASSERT_EQ(fpr.size(), 40u);
  EXPECT_EQ(ProblemOf(gpg_.Export(fpr), "bob@example.net"), KeyProblem::kWeakAlgorithm);
}

TEST_F(GpgBadKeyTest, RecentSha1SelfSignatureIsWeak) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "ed25519", "cert,sign", "cv25519",
                                       "never", {"--cert-digest-algo", "SHA1"});
  ASSERT_EQ(fpr.size(), 40u);
  EXPECT_EQ(ProblemOf(gpg_.Export(fpr), "bob@example.net"), KeyProblem::kWeakAlgorithm);
}

TEST(KeyProblemTest, NamesAreTheDocumentedSlugs) {
  EXPECT_EQ(KeyProblemName(KeyProblem::kTooLarge), "too-large");
  EXPECT_EQ(KeyProblemName(KeyProblem::kTooManyUserIds), "too-many-user-ids");
  EXPECT_EQ(KeyProblemName(KeyProblem::kSecretKey), "secret-key");
  EXPECT_EQ(KeyProblemName(KeyProblem::kNoEncryptionKey), "no-encryption-key");
  EXPECT_EQ(KeyProblemName(KeyProblem::kRevoked), "revoked");
  EXPECT_EQ(KeyProblemName(KeyProblem::kExpired), "expired");
  EXPECT_EQ(KeyProblemName(KeyProblem::kAddressMismatch), "address-mismatch");
  EXPECT_EQ(KeyProblemName(KeyProblem::kWeakAlgorithm), "weak-algorithm");
  EXPECT_EQ(KeyProblemName(KeyProblem::kBadSignature), "bad-signature");
  EXPECT_EQ(KeyProblemName(KeyProblem::kNotOpenPgp), "not-openpgp");
}

}  // namespace
}  // namespace sealpost::pgp
