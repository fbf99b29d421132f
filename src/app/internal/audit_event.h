// Records one audit event inside a store transaction (a pending log event: no lock, no index),
// stamped with the services' clock.
#pragma once

#include <string>

#include "app/services.h"

namespace sealpost::app {

// `details` (a JSON object) must hold no secret and no message content.
inline Status RecordEvent(const Services& s, store::WriteTxn& tx, std::string type,
                          std::string actor, std::string subject, std::string details = "{}") {
  return s.audit.Record(tx.log(), {s.clock.Now(), std::move(type), std::move(actor),
                                   std::move(subject), std::move(details)});
}

}  // namespace sealpost::app
