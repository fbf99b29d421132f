#include "delivery/dkim_signer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include <fmt/format.h>

// libopendkim's header spells C99's _Bool, which C++ lacks; its ABI is that of C++'s bool.
#define _Bool bool  // NOLINT
#include <dkim.h>
#undef _Bool
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace sealpost::delivery {
namespace {

constexpr size_t kMaxKeyFileBytes = 64 * 1024;

// libopendkim copies the key and builds its RSA structures in memory from these: every block is
// wiped before it is freed.
void* WipingMalloc(void* /*closure*/, size_t n) {
  auto* block = static_cast<size_t*>(std::malloc(n + sizeof(max_align_t)));
  if (block == nullptr) return nullptr;
  *block = n;
  return reinterpret_cast<char*>(block) + sizeof(max_align_t);
}

void WipingFree(void* /*closure*/, void* p) {
  if (p == nullptr) return;
  char* block = static_cast<char*>(p) - sizeof(max_align_t);
  OPENSSL_cleanse(p, *reinterpret_cast<size_t*>(block));
  std::free(block);
}

struct LibDeleter {
  void operator()(DKIM_LIB* lib) const { dkim_close(lib); }
};
struct DkimDeleter {
  void operator()(DKIM* d) const { dkim_free(d); }
};

bool IsDnsLabels(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.back() == '.') return false;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return s.find("..") == std::string_view::npos;
}

std::string StatusText(DKIM_STAT st) {
  const char* text = dkim_getresultstr(st);
  return text ? text : fmt::format("status {}", st);
}

class OpenDkimSigner final : public DkimSigner {
 public:
  OpenDkimSigner(crypto::SecretBytes key, std::string selector, std::string domain)
      : key_(std::move(key)), selector_(std::move(selector)), domain_(std::move(domain)) {}

  Status Init() {
    lib_.reset(dkim_init(&WipingMalloc, &WipingFree));
    if (!lib_) return Internal("dkim: cannot initialise libopendkim");
    // The header fields signed when present. Content-Transfer-Encoding is not among them on
    // purpose: it is body framing, covered by the body hash anyway.
    static const char* kSigned[] = {"from",       "to",           "subject",      "date",
                                    "message-id", "mime-version", "content-type", "auto-submitted",
                                    nullptr};
    // The option takes the array itself and, as its length, the size of one pointer.
    if (dkim_options(lib_.get(), DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, kSigned, sizeof(char**)) !=
        DKIM_STAT_OK) {
      return Internal("dkim: cannot set the signed header list");
    }
    return Status::Ok();
  }

  Result<std::string> Sign(std::string_view message) const override {
    const size_t end_of_header = message.find("\r\n\r\n");
    if (end_of_header == std::string_view::npos) {
      return InvalidArgument("dkim: message has no header/body separator");
    }
    DKIM_STAT st = DKIM_STAT_OK;
    const std::unique_ptr<DKIM, DkimDeleter> dkim(
        dkim_sign(lib_.get(), reinterpret_cast<const unsigned char*>("sealpost"), nullptr,
                  const_cast<unsigned char*>(key_.data()),
                  reinterpret_cast<const unsigned char*>(selector_.c_str()),
                  reinterpret_cast<const unsigned char*>(domain_.c_str()), DKIM_CANON_RELAXED,
                  DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st));
    if (!dkim || st != DKIM_STAT_OK)
      return Internal("dkim: cannot start signing: " + StatusText(st));

    // Each header field, with its continuation lines, without the final CRLF.
    std::string field;
    const std::string_view header = message.substr(0, end_of_header + 2);
    size_t pos = 0;
    auto flush = [&]() -> Status {
      if (field.empty()) return Status::Ok();
      const DKIM_STAT hs =
          dkim_header(dkim.get(), reinterpret_cast<u_char*>(field.data()), field.size());
      field.clear();
      if (hs != DKIM_STAT_OK) return Internal("dkim: header rejected: " + StatusText(hs));
      return Status::Ok();
    };
    while (pos < header.size()) {
      const size_t eol = header.find("\r\n", pos);
      const std::string_view line = header.substr(pos, eol - pos);
      if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
        field += "\r\n";
        field += line;
      } else {
        SP_RETURN_IF_ERROR(flush());
        field = line;
      }
      pos = eol + 2;
    }
    SP_RETURN_IF_ERROR(flush());
    if ((st = dkim_eoh(dkim.get())) != DKIM_STAT_OK) {
      return Internal("dkim: end of header: " + StatusText(st));
    }
    std::string body(message.substr(end_of_header + 4));
    if (!body.empty() && (st = dkim_body(dkim.get(), reinterpret_cast<u_char*>(body.data()),
                                         body.size())) != DKIM_STAT_OK) {
      return Internal("dkim: body: " + StatusText(st));
    }
    if ((st = dkim_eom(dkim.get(), nullptr)) != DKIM_STAT_OK) {
      return Internal("dkim: cannot sign (is the key an RSA private key?): " + StatusText(st));
    }
    constexpr std::string_view kName = "DKIM-Signature: ";
    u_char* value = nullptr;
    size_t length = 0;
    if ((st = dkim_getsighdr_d(dkim.get(), kName.size(), &value, &length)) != DKIM_STAT_OK) {
      return Internal("dkim: cannot make the signature header: " + StatusText(st));
    }
    std::string out(kName);
    // libopendkim folds with a bare LF: make every line end CRLF.
    for (size_t i = 0; i < length; ++i) {
      const char c = static_cast<char>(value[i]);
      if (c == '\n' && (out.empty() || out.back() != '\r')) out += '\r';
      out += c;
    }
    out += "\r\n";
    return out;
  }

 private:
  crypto::SecretBytes key_;  // PEM, NUL-terminated (libopendkim takes a C string)
  std::string selector_;
  std::string domain_;
  std::unique_ptr<DKIM_LIB, LibDeleter> lib_;
};

// OpenSSL checks the key before libopendkim sees it: a clear error, and libopendkim 2.11 leaks
// its copy of a key it cannot parse.
bool IsRsaPrivateKeyPem(const crypto::SecretBytes& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size() - 1));  // without the NUL
  if (bio == nullptr) return false;
  // No passphrase callback: an encrypted key is refused, never prompted for.
  EVP_PKEY* key = PEM_read_bio_PrivateKey(
      bio, nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
  BIO_free(bio);
  const bool rsa = key != nullptr && EVP_PKEY_base_id(key) == EVP_PKEY_RSA;
  EVP_PKEY_free(key);
  return rsa;
}

Result<crypto::SecretBytes> ReadKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return InvalidArgument(
        fmt::format("dkim: cannot open the key file {}: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0 ||
      static_cast<size_t>(st.st_size) > kMaxKeyFileBytes) {
    ::close(fd);
    return InvalidArgument(fmt::format("dkim: the key file {} is empty or too large", path));
  }
  crypto::SecretBytes key(static_cast<size_t>(st.st_size) + 1);  // + the NUL
  size_t got = 0;
  while (got + 1 < key.size()) {
    const ssize_t n = ::read(fd, key.data() + got, key.size() - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got + 1 != key.size()) {
    return InvalidArgument(fmt::format("dkim: cannot read the key file {}", path));
  }
  return key;
}

}  // namespace

Result<std::shared_ptr<const DkimSigner>> MakeDkimSigner(crypto::SecretBytes pem_key,
                                                         std::string selector, std::string domain) {
  if (!IsDnsLabels(selector)) return InvalidArgument("dkim: dkim_selector is not a DNS label");
  if (!IsDnsLabels(domain)) return InvalidArgument("dkim: dkim_domain is not a domain name");
  if (pem_key.empty() || pem_key.data()[pem_key.size() - 1] != 0) {
    crypto::SecretBytes terminated(pem_key.size() + 1);
    if (!pem_key.empty()) std::memcpy(terminated.data(), pem_key.data(), pem_key.size());
    pem_key = std::move(terminated);
  }
  if (std::memchr(pem_key.data(), 0, pem_key.size() - 1) != nullptr) {
    return InvalidArgument("dkim: the key contains a NUL byte");
  }
  if (!IsRsaPrivateKeyPem(pem_key)) {
    return InvalidArgument("dkim: the key is not an unencrypted PEM RSA private key");
  }
  auto signer =
      std::make_shared<OpenDkimSigner>(std::move(pem_key), std::move(selector), std::move(domain));
  SP_RETURN_IF_ERROR(signer->Init());
  // A test signature: a key libopendkim cannot use fails here, at start-up.
  const Result<std::string> probe =
      signer->Sign("From: probe@example.org\r\nSubject: probe\r\n\r\nprobe\r\n");
  if (!probe.ok()) {
    return InvalidArgument("dkim: the private key cannot sign: " + probe.status().message());
  }
  return std::shared_ptr<const DkimSigner>(std::move(signer));
}

Result<std::shared_ptr<const DkimSigner>> LoadDkimSigner(const DkimOptions& options) {
  SP_ASSIGN_OR_RETURN(crypto::SecretBytes key, ReadKeyFile(options.key_file));
  Result<std::shared_ptr<const DkimSigner>> signer =
      MakeDkimSigner(std::move(key), options.selector, options.domain);
  if (!signer.ok()) {
    return InvalidArgument(
        fmt::format("{} (key file {})", signer.status().message(), options.key_file));
  }
  return signer;
}

}  // namespace sealpost::delivery
