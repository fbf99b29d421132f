// Test support: a Store that passes everything to another store, except the writes a test tells
// it to fail (leveldb's ErrorEnv, for the database). Reads always pass through.
//
// Tests use it to show that a failed write is reported and changes nothing: the inner store sees
// no Write call at all for an injected failure, so nothing of the callback is kept.
// Thread-safe.
#pragma once

#include <atomic>
#include <mutex>

#include "store/store.h"

namespace sealpost::store::testing {

class FaultInjectingStore final : public Store {
 public:
  explicit FaultInjectingStore(Store& inner) : inner_(inner) {}

  // From now on, the `count` writes after the next `skip` ones fail with `status` (a negative
  // count: every one). Replaces any earlier instruction.
  void FailWrites(Status status, int count = -1, int skip = 0) {
    std::lock_guard lock(mu_);
    failure_ = std::move(status);
    remaining_ = count;
    skip_ = skip;
  }
  void StopFailing() { FailWrites(Status::Ok(), 0); }
  // Writes that failed by injection so far.
  int injected() const { return injected_.load(); }

  Status Write(const std::function<Status(WriteTxn&)>& fn) override {
    {
      std::lock_guard lock(mu_);
      if (!failure_.ok() && remaining_ != 0) {
        if (skip_ > 0) {
          --skip_;
        } else {
          if (remaining_ > 0) --remaining_;
          ++injected_;
          return failure_;
        }
      }
    }
    return inner_.Write(fn);
  }

  AccountsReader& accounts() override { return inner_.accounts(); }
  MessagesReader& messages() override { return inner_.messages(); }
  GuestsReader& guests() override { return inner_.guests(); }
  OutboxReader& outbox() override { return inner_.outbox(); }
  AuditReader& audit() override { return inner_.audit(); }
  LogReader& log() override { return inner_.log(); }
  PlatformReader& platform() override { return inner_.platform(); }
  KeysReader& keys() override { return inner_.keys(); }
  EvidenceReader& evidence() override { return inner_.evidence(); }
  KeyRotationReader& key_rotation() override { return inner_.key_rotation(); }
  SecureDeliveryReader& secure_delivery() override { return inner_.secure_delivery(); }
  RegisteredReader& registered() override { return inner_.registered(); }
  TlsPartnersReader& tls_partners() override { return inner_.tls_partners(); }
  AccessReader& access() override { return inner_.access(); }
  StatsReader& stats() override { return inner_.stats(); }
  RetentionReader& retention() override { return inner_.retention(); }
  EscrowReader& escrow() override { return inner_.escrow(); }
  AppPasswordReader& app_passwords() override { return inner_.app_passwords(); }

 private:
  Store& inner_;
  std::mutex mu_;
  Status failure_;
  int remaining_ = 0;
  int skip_ = 0;
  std::atomic<int> injected_{0};
};

}  // namespace sealpost::store::testing
