#include "receipts/receipt.h"

#include <openssl/err.h>
#include <openssl/objects.h>

#include <charconv>

#include "crypto/security_policy.h"
#include "receipts/internal/receipt_cms.h"

namespace sealpost::receipts {
namespace internal {

Result<CmsPtr> ReadCms(ByteView der) {
  if (der.size() > crypto::policy::kReceipts.max_receipt_bytes) {
    return TooLarge("receipt over the size limit");
  }
  const unsigned char* p = der.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
  ERR_clear_error();
  if (!cms || p != der.data() + der.size()) {
    return InvalidArgument("receipt: not exactly one DER CMS structure");
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    return InvalidArgument("receipt: not a CMS SignedData");
  }
  return cms;
}

Result<CMS_SignerInfo*> OnlySigner(CMS_ContentInfo* cms) {
  STACK_OF(CMS_SignerInfo)* signers = CMS_get0_SignerInfos(cms);
  if (signers == nullptr || sk_CMS_SignerInfo_num(signers) != 1) {
    return InvalidArgument("receipt: not exactly one signer");
  }
  return sk_CMS_SignerInfo_value(signers, 0);
}

Result<ByteView> UnsignedAttribute(CMS_SignerInfo* si, std::string_view oid, int type) {
  Asn1ObjectPtr obj(OBJ_txt2obj(std::string(oid).c_str(), 1));
  if (!obj) return Internal("OBJ_txt2obj");
  const int at = CMS_unsigned_get_attr_by_OBJ(si, obj.get(), -1);
  if (at < 0 || CMS_unsigned_get_attr_by_OBJ(si, obj.get(), at) >= 0) {
    return InvalidArgument("receipt: not exactly one attribute " + std::string(oid));
  }
  X509_ATTRIBUTE* attr = CMS_unsigned_get_attr(si, at);
  if (X509_ATTRIBUTE_count(attr) != 1) {
    return InvalidArgument("receipt: attribute " + std::string(oid) + " has several values");
  }
  const ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attr, 0);
  if (value == nullptr || value->type != type) {
    return InvalidArgument("receipt: attribute " + std::string(oid) + " has the wrong type");
  }
  // SEQUENCE and OCTET STRING values are both held as an ASN1_STRING: the whole DER encoding for
  // a SEQUENCE, the contents for an OCTET STRING.
  const ASN1_STRING* s = value->value.asn1_string;
  return ByteView(ASN1_STRING_get0_data(s), static_cast<size_t>(ASN1_STRING_length(s)));
}

ByteView SignatureValue(CMS_SignerInfo* si) {
  const ASN1_OCTET_STRING* sig = CMS_SignerInfo_get0_signature(si);
  return ByteView(ASN1_STRING_get0_data(sig), static_cast<size_t>(ASN1_STRING_length(sig)));
}

}  // namespace internal

namespace {

Status BadProof(std::string_view what) {
  return InvalidArgument("log proof: " + std::string(what));
}

bool ParseDecimal(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// The next line of `text` (without its newline), consumed.
bool NextLine(std::string_view& text, std::string_view& line) {
  const size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return false;
  line = text.substr(0, nl);
  text.remove_prefix(nl + 1);
  return true;
}

}  // namespace

std::string EncodeLogProof(const LogProof& proof) {
  std::string out(kLogProofMagic);
  out += "\nindex " + std::to_string(proof.index) + "\nleaf " + Base64Encode(proof.leaf) +
         "\npath " + std::to_string(proof.path.size()) + "\n";
  for (const tlog::Hash& h : proof.path) out += Base64Encode(h) + "\n";
  out += "checkpoint\n" + proof.checkpoint;
  return out;
}

Result<LogProof> ParseLogProof(std::string_view text) {
  LogProof proof;
  std::string_view line;
  if (!NextLine(text, line) || line != kLogProofMagic) return BadProof("not sealpost-log-proof/v1");
  if (!NextLine(text, line) || line.substr(0, 6) != "index " ||
      !ParseDecimal(line.substr(6), proof.index)) {
    return BadProof("bad index line");
  }
  if (!NextLine(text, line) || line.substr(0, 5) != "leaf ") return BadProof("bad leaf line");
  auto leaf = Base64Decode(line.substr(5));
  if (!leaf.ok() || leaf->empty() || Base64Encode(*leaf) != line.substr(5)) {
    return BadProof("leaf is not canonical base64");
  }
  proof.leaf = std::move(*leaf);
  uint64_t n = 0;
  if (!NextLine(text, line) || line.substr(0, 5) != "path " || !ParseDecimal(line.substr(5), n) ||
      n > kMaxLogProofPath) {
    return BadProof("bad path line");
  }
  for (uint64_t i = 0; i < n; ++i) {
    if (!NextLine(text, line)) return BadProof("path cut short");
    auto hash = Base64Decode(line);
    if (!hash.ok() || hash->size() != 32 || Base64Encode(*hash) != line) {
      return BadProof("a path hash is not 32 bytes of canonical base64");
    }
    tlog::Hash h;
    std::copy(hash->begin(), hash->end(), h.begin());
    proof.path.push_back(h);
  }
  if (!NextLine(text, line) || line != "checkpoint") return BadProof("no checkpoint line");
  if (text.empty()) return BadProof("no checkpoint");
  proof.checkpoint = std::string(text);
  return proof;
}

Result<ReceiptParts> ParseReceipt(ByteView der) {
  SP_ASSIGN_OR_RETURN(internal::CmsPtr cms, internal::ReadCms(der));
  if (OBJ_obj2nid(CMS_get0_eContentType(cms.get())) != NID_pkcs7_data) {
    return InvalidArgument("receipt: the signed content is not id-data");
  }
  ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
  if (content == nullptr || *content == nullptr) {
    return InvalidArgument("receipt: the document is not encapsulated");
  }
  SP_ASSIGN_OR_RETURN(CMS_SignerInfo * si, internal::OnlySigner(cms.get()));
  ReceiptParts parts;
  parts.document.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                        static_cast<size_t>(ASN1_STRING_length(*content)));
  const ByteView sig = internal::SignatureValue(si);
  parts.signature.assign(sig.begin(), sig.end());
  SP_ASSIGN_OR_RETURN(const ByteView token, internal::UnsignedAttribute(
                                                si, kSignatureTimeStampTokenOid, V_ASN1_SEQUENCE));
  parts.time_stamp_token.assign(token.begin(), token.end());
  SP_ASSIGN_OR_RETURN(const ByteView proof,
                      internal::UnsignedAttribute(si, kLogProofAttributeOid, V_ASN1_OCTET_STRING));
  SP_ASSIGN_OR_RETURN(parts.proof, ParseLogProof(AsChars(proof)));
  return parts;
}

}  // namespace sealpost::receipts
