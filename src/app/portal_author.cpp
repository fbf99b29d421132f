#include "app/portal_author.h"

#include "app/internal/platform_seal_key.h"
#include "crypto/ad_labels.h"

namespace sealpost::app {
namespace {

// The platform_keys row name is also the master-key purpose (crypto/ad_labels.h).
constexpr const char* kGuestSealKeyName = "guest-seal";
static_assert(kGuestSealKeyName == crypto::kMasterPurposeGuestSeal);
// Not an address (no '@'), so nobody can sign up as, log in as or write to this row.
constexpr const char* kPortalRowEmail = "portal";

}  // namespace

Result<crypto::SigningKey> LoadOrCreatePortalSealKey(const Services& s) {
  return internal::LoadOrCreatePlatformSealKey(
      s, kGuestSealKeyName,
      internal::PlatformSenderRow{kPortalSenderId, kPortalRowEmail, "Secure portal"});
}

}  // namespace sealpost::app
