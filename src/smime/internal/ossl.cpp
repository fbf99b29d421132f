#include "smime/internal/ossl.h"

#include <chrono>
#include <climits>

#include "crypto/openssl_error.h"

namespace sealpost::smime::internal {

BioPtr ReadOnlyBio(ByteView bytes) {
  // BIO_new_mem_buf takes an int length; every caller has bounded its input far below that.
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

Bytes BioContents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);  // NOLINT(runtime/int): OpenSSL's type
  if (n <= 0 || data == nullptr) return {};
  return Bytes(reinterpret_cast<const uint8_t*>(data), reinterpret_cast<const uint8_t*>(data) + n);
}

Result<Bytes> CertificateDer(const X509* cert) {
  const int n = i2d_X509(cert, nullptr);
  if (n <= 0) return crypto::OpensslFailure("i2d_X509");
  Bytes der(static_cast<size_t>(n));
  unsigned char* p = der.data();
  if (i2d_X509(cert, &p) != n) return crypto::OpensslFailure("i2d_X509");
  return der;
}

time_t ToTimeT(TimePoint t) {
  return static_cast<time_t>(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

}  // namespace sealpost::smime::internal
