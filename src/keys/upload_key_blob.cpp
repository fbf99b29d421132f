#include "keys/upload_key_blob.h"

#include <algorithm>

namespace sealpost::keys {

static_assert(UploadKeyBlob::kBlobKeyBytes == crypto::kAeadKeyBytes);
static_assert(UploadKeyBlob::kDigestBytes == sizeof(crypto::Digest256));
static_assert(UploadKeyBlob::kBytes == 64);

Result<UploadKeyBlob> UploadKeyBlob::Parse(ByteView serialized) {
  if (serialized.size() != kBytes) return Corruption("upload key blob has the wrong size");
  SP_ASSIGN_OR_RETURN(crypto::BlobKey key, crypto::BlobKey::FromSecret(crypto::SecretBytes::CopyOf(
                                               serialized.subspan(kBlobKeyOffset, kBlobKeyBytes))));
  crypto::Digest256 digest;
  std::copy_n(serialized.begin() + kDigestOffset, kDigestBytes, digest.begin());
  return UploadKeyBlob(std::move(key), digest);
}

crypto::SecretBytes UploadKeyBlob::Serialize() const {
  crypto::SecretBytes out(kBytes);
  std::copy_n(blob_key_.ExposeSecret().data(), kBlobKeyBytes, out.data() + kBlobKeyOffset);
  std::copy_n(digest_.begin(), kDigestBytes, out.data() + kDigestOffset);
  return out;
}

}  // namespace sealpost::keys
