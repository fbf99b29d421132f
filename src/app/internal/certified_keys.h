// Making and storing a member's certified keys: an S/MIME certificate from the platform's issuing
// CA (member profile: SAN rfc822Name = the address, EKU emailProtection) on a new P-256 key, and
// an OpenPGP key (pgp::GenerateMemberKey), both private halves wrapped under the member's UMK
// (keys::WrapCertifiedKey; docs/formats/key-slots.md). Used at enrolment and, for members who
// have none yet, at log-in: the two moments the UMK is at hand.
//
// Input: the user record comes from the store (the address was validated at sign-up).
// Thread-safe (no state; the services are).
#pragma once

#include <optional>

#include "app/services.h"
#include "crypto/key_roles.h"
#include "store/records.h"

namespace sealpost::app {

// The member's keys, ready to store; nullopt when the platform PKI is not configured
// (Services::pki unset). An error when issuing or generating fails.
Result<std::optional<store::MemberKeysRecord>> MakeCertifiedKeys(const Services& s,
                                                                 const store::UserRecord& user,
                                                                 const crypto::Umk& umk);

// The same for enrolment and log-in, which must not fail because of it: a failure is logged and
// answered with nullopt (the member gets keys at a later log-in).
std::optional<store::MemberKeysRecord> TryMakeCertifiedKeys(const Services& s,
                                                            const store::UserRecord& user,
                                                            const crypto::Umk& umk);

// Stores `keys` in `tx` and audits "key.create" with both fingerprints. Conflict when the member
// has keys already.
Status StoreCertifiedKeys(const Services& s, store::WriteTxn& tx,
                          const store::MemberKeysRecord& keys);

// For a member who may have no keys yet (made before they existed, or while the PKI was not
// configured, or when making them failed): makes and stores them. Never fails the caller: errors
// are logged. A concurrent log-in that stored keys first wins.
void EnsureCertifiedKeys(const Services& s, const store::UserRecord& user, const crypto::Umk& umk);

}  // namespace sealpost::app
