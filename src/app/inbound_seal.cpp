#include "app/inbound_seal.h"

#include "app/internal/platform_seal_key.h"
#include "crypto/ad_labels.h"

namespace sealpost::app {
namespace {

// The platform_keys row name is also the master-key purpose (crypto/ad_labels.h).
constexpr std::string_view kInboundSealKeyName = crypto::kMasterPurposeInboundSeal;
// Not an address (no '@'), so nobody can sign up as, log in as or write to this row.
constexpr const char* kInboundRowEmail = "inbound-gateway";

}  // namespace

Result<crypto::SigningKey> LoadOrCreateInboundSealKey(const Services& s) {
  return internal::LoadOrCreatePlatformSealKey(
      s, kInboundSealKeyName,
      internal::PlatformSenderRow{kInboundSenderId, kInboundRowEmail, "Mail gateway"});
}

}  // namespace sealpost::app
