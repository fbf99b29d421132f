// The structural reading of a receipt's CMS, shared by the parser (receipt.cpp) and the
// verifier: exactly one DER ContentInfo, one SignerInfo, each unsigned attribute once.
#pragma once

#include <openssl/cms.h>

#include <string_view>

#include "core/encoding.h"
#include "core/status.h"
#include "receipts/internal/ossl_ptr.h"

namespace sealpost::receipts::internal {

// The whole input must be one DER CMS ContentInfo of type signedData.
Result<CmsPtr> ReadCms(ByteView der);
// The one SignerInfo; InvalidArgument when there are none or several.
Result<CMS_SignerInfo*> OnlySigner(CMS_ContentInfo* cms);
// The value of the unsigned attribute `oid` (dotted) that occurs exactly once with one value of
// ASN.1 type `type`; InvalidArgument otherwise. Points into `si`.
Result<ByteView> UnsignedAttribute(CMS_SignerInfo* si, std::string_view oid, int type);
// The signature value of `si`.
ByteView SignatureValue(CMS_SignerInfo* si);

}  // namespace sealpost::receipts::internal
