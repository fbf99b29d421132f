#include "app/master_key_rotation.h"

#include <fmt/format.h>

#include "audit/audit_log.h"
#include "crypto/ad_labels.h"

namespace sealpost::app {
namespace {

using store::MasterWrappedKind;
using store::MasterWrappedRow;

constexpr size_t kPageRows = 500;

// The purpose each kind of row was wrapped with (crypto/ad_labels.h): the same strings as the
// code that wraps them (app/accounts.cpp, app/outbound_mail.cpp, app/internal/secure_copies.cpp,
// audit/, trust/, portal_author).
std::string PurposeOf(MasterWrappedKind kind, const std::string& id) {
  switch (kind) {
    case MasterWrappedKind::kTotpSecret:
      return std::string(crypto::kMasterPurposeTotp) + id;
    case MasterWrappedKind::kOutboundMail:
      return std::string(crypto::kMasterPurposeOutboundMail) + id;
    case MasterWrappedKind::kSecureCopy:
      return std::string(crypto::kMasterPurposeSecureCopy) + id;
    case MasterWrappedKind::kPlatformKey:
      break;
  }
  return id;  // a platform key's name is its purpose
}

const char* KindName(MasterWrappedKind kind) {
  switch (kind) {
    case MasterWrappedKind::kTotpSecret:
      return "TOTP seed of user";
    case MasterWrappedKind::kOutboundMail:
      return "queued mail";
    case MasterWrappedKind::kSecureCopy:
      return "queued secure copy";
    case MasterWrappedKind::kPlatformKey:
      break;
  }
  return "platform key";
}

bool IsUnder(const keys::MasterKey& key, ByteView wrapped) {
  auto id = crypto::FramedKeyId(wrapped);
  return id.ok() && *id == key.key_id();
}

// Calls `fn` for every row of `kind`, page by page.
Status ForEachRow(store::Store& store, MasterWrappedKind kind,
                  const std::function<Status(const MasterWrappedRow&)>& fn) {
  std::string after;
  for (;;) {
    SP_ASSIGN_OR_RETURN(const auto rows,
                        store.key_rotation().ListMasterWrapped(kind, after, kPageRows));
    for (const MasterWrappedRow& row : rows) SP_RETURN_IF_ERROR(fn(row));
    if (rows.size() < kPageRows) return Status::Ok();
    after = rows.back().id;
  }
}

struct Replacement {
  MasterWrappedKind kind;
  std::string id;
  Bytes expected;
  Bytes wrapped;
};

}  // namespace

Result<RewrapReport> RewrapMasterWraps(store::Store& store, const keys::MasterKey* old_key,
                                       const keys::MasterKey& new_key,
                                       const RewrapOptions& options) {
  RewrapReport report;
  std::vector<Replacement> batch;
  const auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    SP_RETURN_IF_ERROR(store.Write([&](store::WriteTxn& tx) -> Status {
      for (const Replacement& r : batch) {
        Status s = tx.key_rotation().ReplaceMasterWrapped(r.kind, r.id, r.expected, r.wrapped);
        if (s.code() == ErrorCode::kConflict) {
          return Conflict(fmt::format("{} {} changed during the rotation: is the server running?",
                                      KindName(r.kind), r.id));
        }
        SP_RETURN_IF_ERROR(s);
      }
      return Status::Ok();
    }));
    report.rewrapped += batch.size();
    batch.clear();
    if (options.after_batch) options.after_batch(report.rewrapped);
    return Status::Ok();
  };

  for (const MasterWrappedKind kind : store::kAllMasterWrappedKinds) {
    SP_RETURN_IF_ERROR(ForEachRow(store, kind, [&](const MasterWrappedRow& row) -> Status {
      if (IsUnder(new_key, row.wrapped)) {
        ++report.already_new;
        return Status::Ok();
      }
      if (old_key == nullptr) {
        return Conflict(fmt::format("{} {} is not under the new master key and the old key is gone",
                                    KindName(kind), row.id));
      }
      const std::string purpose = PurposeOf(kind, row.id);
      auto secret = old_key->Unwrap(row.wrapped, purpose);
      if (!secret.ok()) {
        return Corruption(fmt::format("{} {} does not open under the current master key",
                                      KindName(kind), row.id));
      }
      batch.push_back(
          Replacement{kind, row.id, row.wrapped, new_key.Wrap(secret->view(), purpose)});
      if (batch.size() >= options.batch_rows) return flush();
      return Status::Ok();
    }));
  }
  SP_RETURN_IF_ERROR(flush());
  return report;
}

Result<size_t> CheckAllOpenUnder(store::Store& store, const keys::MasterKey& key) {
  size_t opened = 0;
  for (const MasterWrappedKind kind : store::kAllMasterWrappedKinds) {
    SP_RETURN_IF_ERROR(ForEachRow(store, kind, [&](const MasterWrappedRow& row) -> Status {
      if (!key.Unwrap(row.wrapped, PurposeOf(kind, row.id)).ok()) {
        return Corruption(
            fmt::format("{} {} does not open under the master key", KindName(kind), row.id));
      }
      ++opened;
      return Status::Ok();
    }));
  }
  return opened;
}

Status RecordRotation(store::Store& store, TimePoint now, const RewrapReport& report,
                      size_t checked) {
  const store::AuditEvent event{
      now, "platform.master_key_rotated", "system", "master-key",
      fmt::format(R"({{"rewrapped":{},"already_rewrapped":{},"checked":{}}})", report.rewrapped,
                  report.already_new, checked)};
  SP_ASSIGN_OR_RETURN(const Bytes leaf, audit::EventLeaf(event));
  return store.Write(
      [&](store::WriteTxn& tx) { return tx.log().AddPendingEvent(leaf, event.time); });
}

}  // namespace sealpost::app
