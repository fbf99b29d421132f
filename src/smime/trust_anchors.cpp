#include "smime/trust_anchors.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <fstream>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include "crypto/openssl_error.h"
#include "smime/internal/ossl.h"

namespace sealpost::smime {
namespace {

using internal::X509Ptr;

// Adds the certificates of one PEM text to `store`; returns how many.
Result<size_t> AddPemCertificates(X509_STORE* store, std::string_view text, size_t index) {
  if (text.find("PRIVATE KEY-----") != std::string_view::npos) {
    return InvalidArgument(fmt::format("trust anchor text {} holds a private key", index + 1));
  }
  const internal::BioPtr bio = internal::ReadOnlyBio(AsBytes(text));
  if (!bio) return crypto::OpensslFailure("BIO_new_mem_buf");
  size_t added = 0;
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    // A duplicate (the same root twice) is not an error.
    if (X509_STORE_add_cert(store, cert.get()) != 1) {
      const unsigned long e = ERR_peek_last_error();  // NOLINT(runtime/int): OpenSSL's type
      if (ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
        return crypto::OpensslFailure("X509_STORE_add_cert");
      }
    }
    ERR_clear_error();
    ++added;
  }
  // The loop ends at the first block it cannot read: the end of the text, or a broken block.
  const unsigned long e = ERR_peek_last_error();  // NOLINT(runtime/int)
  const bool clean_end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (!clean_end) {
    return InvalidArgument(
        fmt::format("trust anchor text {}: certificate {} is malformed", index + 1, added + 1));
  }
  if (added == 0) {
    return InvalidArgument(fmt::format("trust anchor text {} holds no certificate", index + 1));
  }
  return added;
}

}  // namespace

Result<TrustAnchors> TrustAnchors::FromPem(std::span<const std::string_view> pem_texts) {
  std::shared_ptr<x509_store_st> store(X509_STORE_new(), X509_STORE_free);
  if (!store) return crypto::OpensslFailure("X509_STORE_new");
  size_t count = 0;
  for (size_t i = 0; i < pem_texts.size(); ++i) {
    SP_ASSIGN_OR_RETURN(const size_t added, AddPemCertificates(store.get(), pem_texts[i], i));
    count += added;
  }
  if (count == 0) return InvalidArgument("no trust anchors given");
  return TrustAnchors(std::move(store), count);
}

Result<TrustAnchors> TrustAnchors::LoadBundle(std::string_view bundle_path,
                                              std::span<const std::string_view> extra_pem) {
  std::ifstream in{std::string(bundle_path), std::ios::binary};
  if (!in) return NotFound(fmt::format("cannot open the CA bundle {}", bundle_path));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return Unavailable(fmt::format("cannot read the CA bundle {}", bundle_path));
  if (static_cast<size_t>(size) > kMaxCaBundleBytes) {
    return TooLarge(
        fmt::format("the CA bundle {} has more than {} bytes", bundle_path, kMaxCaBundleBytes));
  }
  in.seekg(0);
  const std::string bundle((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) {
    return Unavailable(fmt::format("cannot read the CA bundle {}", bundle_path));
  }
  std::vector<std::string_view> texts = {bundle};
  texts.insert(texts.end(), extra_pem.begin(), extra_pem.end());
  return FromPem(texts);
}

}  // namespace sealpost::smime
