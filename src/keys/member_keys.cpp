#include "keys/member_keys.h"

#include <algorithm>

#include "core/encoding.h"
#include "crypto/ad_labels.h"
#include "crypto/random.h"

namespace sealpost::keys {
namespace {

constexpr size_t kRecoveryCodeChars = 32;  // 160 bits in base32

std::string SlotName(UmkSlot slot) {
  switch (slot) {
    case UmkSlot::kPassword:
      return "password";
    case UmkSlot::kRecoveryCode:
      return "recovery";
    case UmkSlot::kSession:
      return "session";
    case UmkSlot::kVerificationToken:
      return "verification";
    case UmkSlot::kAppPassword:
      return "app-password";
  }
  return "unknown";
}

std::string BundleAd(const UserId& user) {
  return crypto::BindAd(crypto::kAdMemberKeys, {user.str()});
}
std::string UmkAd(UmkSlot slot, const UserId& user) {
  return crypto::BindAd(crypto::kAdUmk, {SlotName(slot), user.str()});
}

}  // namespace

MemberKeyBundle MemberKeyBundle::Generate() {
  return {crypto::BoxKeyPair::Generate(), crypto::SigningKey::Generate()};
}

Bytes WrapBundle(const crypto::Umk& umk, const MemberKeyBundle& bundle, const UserId& user) {
  crypto::SecretBytes plain(64);
  std::copy_n(bundle.box.ExposeSecret().data(), 32, plain.data());
  std::copy_n(bundle.signing.ExposeSeed().data(), 32, plain.data() + 32);
  return crypto::AeadSeal(umk.aead(), plain.view(), AsBytes(BundleAd(user)));
}

namespace {

// The bundle's plaintext: X25519 secret (32) ‖ Ed25519 seed (32).
Result<crypto::SecretBytes> OpenBundle(const crypto::Umk& umk, ByteView wrapped,
                                       const UserId& user) {
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes plain,
                      crypto::AeadOpen(umk.aead(), wrapped, AsBytes(BundleAd(user))));
  if (plain.size() != 64) return Corruption("member key bundle has the wrong size");
  return plain;
}

std::string OwnCopyAd(const MessageId& message, const UserId& owner) {
  return crypto::BindAd(crypto::kAdOwnCopyKey, {message.str(), owner.str()});
}

}  // namespace

Result<crypto::BoxKeyPair> UnwrapBoxKey(const crypto::Umk& umk, ByteView wrapped,
                                        const UserId& user) {
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes plain, OpenBundle(umk, wrapped, user));
  return crypto::BoxKeyPair::FromSecret(crypto::SecretBytes::CopyOf(plain.view().subspan(0, 32)));
}

Result<crypto::SigningKey> UnwrapSigningKey(const crypto::Umk& umk, ByteView wrapped,
                                            const UserId& user) {
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes plain, OpenBundle(umk, wrapped, user));
  return crypto::SigningKey::FromSeed(crypto::SecretBytes::CopyOf(plain.view().subspan(32, 32)));
}

Result<MemberKeyBundle> UnwrapBundle(const crypto::Umk& umk, ByteView wrapped, const UserId& user) {
  SP_ASSIGN_OR_RETURN(auto box, UnwrapBoxKey(umk, wrapped, user));
  SP_ASSIGN_OR_RETURN(auto signing, UnwrapSigningKey(umk, wrapped, user));
  return MemberKeyBundle{std::move(box), std::move(signing)};
}

namespace {

std::string CertifiedKeyAd(CertifiedKeyKind kind, const UserId& user) {
  return crypto::BindAd(
      kind == CertifiedKeyKind::kSmime ? crypto::kAdMemberSmimeKey : crypto::kAdMemberOpenPgpKey,
      {user.str()});
}

}  // namespace

Bytes WrapCertifiedKey(const crypto::Umk& umk, CertifiedKeyKind kind,
                       const crypto::SecretBytes& private_key, const UserId& user) {
  return crypto::AeadSeal(umk.aead(), private_key.view(), AsBytes(CertifiedKeyAd(kind, user)));
}

Result<crypto::SecretBytes> UnwrapCertifiedKey(const crypto::Umk& umk, CertifiedKeyKind kind,
                                               ByteView wrapped, const UserId& user) {
  return crypto::AeadOpen(umk.aead(), wrapped, AsBytes(CertifiedKeyAd(kind, user)));
}

Bytes WrapOwnCopyKey(const crypto::Umk& umk, const crypto::DataKey& data_key,
                     const MessageId& message, const UserId& owner) {
  return crypto::AeadSeal(umk.aead(), data_key.ExposeSecret().view(),
                          AsBytes(OwnCopyAd(message, owner)));
}

Result<crypto::DataKey> UnwrapOwnCopyKey(const crypto::Umk& umk, ByteView wrapped,
                                         const MessageId& message, const UserId& owner) {
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes raw,
                      crypto::AeadOpen(umk.aead(), wrapped, AsBytes(OwnCopyAd(message, owner))));
  return crypto::DataKey::FromSecret(std::move(raw));
}

Bytes WrapUmk(const crypto::Kek& kek, const crypto::Umk& umk, UmkSlot slot, const UserId& user) {
  return crypto::AeadSeal(kek.aead(), umk.ExposeSecret().view(), AsBytes(UmkAd(slot, user)));
}

Result<crypto::Umk> UnwrapUmk(const crypto::Kek& kek, ByteView wrapped, UmkSlot slot,
                              const UserId& user) {
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes raw,
                      crypto::AeadOpen(kek.aead(), wrapped, AsBytes(UmkAd(slot, user))));
  return crypto::Umk::FromSecret(std::move(raw));
}

RecoveryCode GenerateRecoveryCode() {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  crypto::SecretBytes random = crypto::RandomSecret(kRecoveryCodeChars);
  crypto::SecretBytes text(kRecoveryCodeChars + kRecoveryCodeChars / 4 - 1);
  size_t out = 0;
  for (size_t i = 0; i < kRecoveryCodeChars; ++i) {
    if (i > 0 && i % 4 == 0) text.data()[out++] = '-';
    text.data()[out++] = static_cast<uint8_t>(kAlphabet[random.data()[i] & 31]);
  }
  return RecoveryCode{std::move(text)};
}

Result<crypto::SecretBytes> NormaliseRecoveryCode(std::string_view typed) {
  if (typed.size() > 128) return InvalidArgument("recovery code is too long");
  crypto::SecretBytes out(kRecoveryCodeChars);
  size_t n = 0;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    const bool valid = (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
    if (!valid || n == kRecoveryCodeChars) return InvalidArgument("malformed recovery code");
    out.data()[n++] = static_cast<uint8_t>(c);
  }
  if (n != kRecoveryCodeChars) return InvalidArgument("malformed recovery code");
  return out;
}

}  // namespace sealpost::keys
