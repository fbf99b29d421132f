#include "keys/master_key.h"

#include <cstdlib>

#include "crypto/ad_labels.h"
#include "keys/secret_file.h"

namespace sealpost::keys {
namespace {

constexpr std::string_view kEnvVar = "SEALPOST_MASTER_KEY";

Result<MasterKey> FromBase64(std::string_view text, const char* origin) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  auto raw = Base64Decode(text);
  if (!raw.ok() || raw->size() != 32) {
    return InvalidArgument(std::string("master key in ") + origin + " must be 32 bytes in base64");
  }
  auto secret = crypto::SecretBytes::CopyOf(*raw);
  crypto::Wipe(*raw);
  SP_ASSIGN_OR_RETURN(auto key, crypto::AeadKey::FromSecret(std::move(secret)));
  return MasterKey::FromKeyForTesting(std::move(key));
}

std::string AdFor(std::string_view purpose) {
  return crypto::BindAd(crypto::kAdMasterWrap, {purpose});
}

}  // namespace

Result<MasterKey> MasterKey::LoadOrCreate(platform::Filesystem& fs, const std::string& path) {
  if (const char* env = std::getenv(std::string(kEnvVar).c_str()); env && *env) {
    return FromBase64(env, "SEALPOST_MASTER_KEY");
  }
  if (fs.Exists(path)) return LoadFile(fs, path);
  return CreateFile(fs, path);
}

Result<MasterKey> MasterKey::LoadFile(platform::Filesystem& fs, const std::string& path) {
  if (!fs.Exists(path)) return NotFound("no master key file " + path);
  SP_ASSIGN_OR_RETURN(const crypto::SecretString text, ReadSecretFile(fs, path, 1024));
  return FromBase64(text.view(), path.c_str());
}

Result<MasterKey> MasterKey::CreateFile(platform::Filesystem& fs, const std::string& path) {
  if (fs.Exists(path)) return Conflict(path + " already exists");
  crypto::AeadKey key = crypto::AeadKey::Generate();
  const crypto::SecretString encoded =
      crypto::SecretString::TakeFrom(Base64Encode(key.ExposeSecret().view()) + "\n");
  SP_RETURN_IF_ERROR(platform::WriteFileAtomically(fs, path, encoded.bytes().view()));
  return MasterKey(std::move(key));
}

Bytes MasterKey::Wrap(ByteView secret, std::string_view purpose) const {
  return crypto::AeadSeal(*key_, secret, AsBytes(AdFor(purpose)));
}

Result<crypto::SecretBytes> MasterKey::Unwrap(ByteView wrapped, std::string_view purpose) const {
  return crypto::AeadOpen(*key_, wrapped, AsBytes(AdFor(purpose)));
}

}  // namespace sealpost::keys
