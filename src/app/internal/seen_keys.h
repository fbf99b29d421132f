// Keys seen in mail to a member (app/inbound_mail.h): the OpenPGP key of an `Autocrypt:` header
// field whose addr= is the From: address, attached application/pgp-keys parts for the From:
// address, and the signer certificate of S/MIME mail once the member opened it. They are offered in
// the member's contacts with source kSeenInMail: listed as "seen in signed mail", never used to
// encrypt until the member verified the fingerprint (app/internal/contact_trust.h).
//
// SECURITY: the message is untrusted. The header is scanned, not parsed by GMime (the parser does
// not expose arbitrary fields), with every bound of the message itself; keys go through
// pgp::ImportPublicKey (its size and packet limits) for the From: address only. Offering is best
// effort: a failure is logged and never fails the message. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/internal/inbound_content.h"
#include "app/services.h"
#include "core/address.h"
#include "smime/certificate.h"
#include "store/keys_store.h"

namespace sealpost::app::internal {

// The importable keys `message` carries for `from_email` (records without id, owner, dates).
std::vector<store::ContactKeyRecord> SeenKeysOf(std::string_view message,
                                                std::string_view from_email,
                                                const std::vector<InboundAttachment>& attachments,
                                                TimePoint now);

// The signer certificate of an S/MIME message to the member (opened by app/inbound_reader.h), for
// `sender`, as a kSeenInMail record; nullopt when the certificate names another address.
std::optional<store::ContactKeyRecord> SeenSignerCertificate(const smime::CertificateChain& signer,
                                                             const EmailAddress& sender);

// Adds each key to `member`'s contacts unless one with its fingerprint is there for its address,
// within the member's limit; audits "contact_key_seen".
void OfferSeenKeys(const Services& s, const UserId& member,
                   std::vector<store::ContactKeyRecord> keys);

}  // namespace sealpost::app::internal
