#include "store/postgres/postgres_store.h"

#include <vector>

#include "store/postgres/internal.h"
#include "store/postgres/pool.h"
#include "store/postgres/schema.h"
#include "store/postgres/write_txn.h"

namespace sealpost::store::postgres {
namespace {

class PostgresStore final : public Store {
 public:
  PostgresStore(const std::string& url, PostgresOptions options)
      : pool_(url, options.max_connections), options_(options) {}

  Pool& pool() { return pool_; }

  Status Write(const std::function<Status(WriteTxn&)>& fn) override {
    Status last = Unavailable("postgres: no attempt made");
    for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
      SP_ASSIGN_OR_RETURN(auto lease, pool_.Acquire());
      bool retryable = false;
      try {
        // READ COMMITTED (the default): see postgres_store.h for why this suffices.
        pqxx::work work(lease.conn());
        PgWriteTxn txn(work);
        const Status s = fn(txn);
        if (!txn.failure().ok()) {
          last = txn.failure();
          retryable = txn.retryable();
        } else if (!s.ok()) {
          work.abort();
          return s;
        } else {
          work.commit();
          return Status::Ok();
        }
      } catch (...) {
        last = StatusFromException(std::current_exception(), &retryable);
      }
      if (!lease.conn().is_open()) lease.Discard();
      if (!retryable) return last;
    }
    return last;
  }

  Result<UserRecord> GetUser(const UserId& id) override {
    return ReadOne<UserRecord>("get_user", ReadUser, "user", id.str());
  }

  Result<UserRecord> GetUserByEmail(const std::string& email) override {
    return ReadOne<UserRecord>("get_user_by_email", ReadUser, "user", email);
  }

  Result<bool> HasActiveAdmin() override {
    return Read<bool>(
        [](pqxx::transaction_base& tx) { return !tx.exec_prepared("has_active_admin").empty(); });
  }

  Result<std::vector<UserRecord>> ListUsers(const std::string* after_email, int limit) override {
    if (after_email) return ReadAll<UserRecord>(ReadUser, "list_users_after", *after_email, limit);
    return ReadAll<UserRecord>(ReadUser, "list_users", limit);
  }

  Result<std::vector<SessionRecord>> ListSessionsOfUser(const UserId& user_id, int limit) override {
    return ReadAll<SessionRecord>(ReadSession, "list_sessions_of_user", user_id.str(), limit);
  }

  Result<SessionRecord> GetSession(const std::string& lookup) override {
    return ReadOne<SessionRecord>("get_session", ReadSession, "session", lookup);
  }

  Result<int64_t> GetCounter(const std::string& key, TimePoint now,
                             std::chrono::milliseconds window) override {
    return Read<int64_t>([&](pqxx::transaction_base& tx) {
      const auto r = tx.exec_prepared("get_counter", key, static_cast<int64_t>(window.count()),
                                      ToUnixMillis(now));
      return r.empty() ? int64_t{0} : r[0][0].as<int64_t>();
    });
  }

  Result<UploadRecord> GetUpload(const UploadId& id) override {
    return ReadOne<UploadRecord>("get_upload", ReadUpload, "upload", id.str());
  }

  Result<std::vector<UploadRecord>> ListUploadsCreatedBefore(TimePoint cutoff, int limit) override {
    return ReadAll<UploadRecord>(ReadUpload, "list_uploads_before", ToUnixMillis(cutoff), limit);
  }

  Result<std::vector<MailboxItem>> ListMailbox(const UserId& owner, Folder folder,
                                               const MailboxCursor* before, int limit) override {
    if (before) {
      return ReadAll<MailboxItem>(ReadMailboxItem, "list_mailbox_before", owner.str(),
                                  static_cast<int>(folder), before->created_ms, before->message_id,
                                  limit);
    }
    return ReadAll<MailboxItem>(ReadMailboxItem, "list_mailbox", owner.str(),
                                static_cast<int>(folder), limit);
  }

  Result<MailboxItem> GetMailboxItem(const UserId& owner, const MessageId& id) override {
    return ReadOne<MailboxItem>("get_mailbox_item", ReadMailboxItem, "message", owner.str(),
                                id.str());
  }

  Result<std::vector<AttachmentRecord>> GetAttachments(const MessageId& id) override {
    return ReadAll<AttachmentRecord>(
        [](const pqxx::row& r) {
          AttachmentRecord a;
          a.message_id = MessageId::FromTrusted(r[0].as<std::string>());
          a.index = r[1].as<int>();
          a.blob_id = BlobId::FromTrusted(r[2].as<std::string>());
          a.stored_size = static_cast<uint64_t>(r[3].as<int64_t>());
          return a;
        },
        "get_attachments", id.str());
  }

  Result<std::vector<AuditEntry>> ReadAudit(int64_t from_seq, int limit) override {
    return ReadAll<AuditEntry>(ReadAuditEntry, "read_audit", from_seq, limit);
  }

  Result<std::vector<AuditEntry>> ReadAuditBefore(int64_t before_seq, int limit) override {
    return ReadAll<AuditEntry>(ReadAuditEntry, "read_audit_before", before_seq, limit);
  }

  Result<std::vector<AuditCheckpoint>> ReadAuditCheckpoints() override {
    return ReadAll<AuditCheckpoint>(
        [](const pqxx::row& r) {
          return AuditCheckpoint{r[0].as<int64_t>(), ReadBytes(r[1]), ReadBytes(r[2]),
                                 FromUnixMillis(r[3].as<int64_t>())};
        },
        "read_checkpoints");
  }

  Result<PlatformKeyRecord> GetPlatformKey(const std::string& name) override {
    return ReadOne<PlatformKeyRecord>(
        "get_platform_key",
        [](const pqxx::row& r) {
          return PlatformKeyRecord{r[0].as<std::string>(), ReadBytes(r[1]), ReadBytes(r[2])};
        },
        "platform key", name);
  }

 private:
  // Runs a read outside any explicit transaction (each statement is its own snapshot). A lost
  // connection is retried once on a fresh one. `fn` returns T or Result<T>.
  template <typename T, typename Fn>
  Result<T> Read(Fn&& fn) {
    Status last = Unavailable("postgres: no attempt made");
    for (int attempt = 0; attempt < 2; ++attempt) {
      SP_ASSIGN_OR_RETURN(auto lease, pool_.Acquire());
      bool retryable = false;
      try {
        pqxx::nontransaction tx(lease.conn());
        return Result<T>(fn(tx));
      } catch (...) {
        last = StatusFromException(std::current_exception(), &retryable);
      }
      if (!lease.conn().is_open()) lease.Discard();
      if (!retryable) return last;
    }
    return last;
  }

  template <typename T, typename RowFn, typename... Args>
  Result<T> ReadOne(const char* statement, RowFn row_fn, const char* what, const Args&... args) {
    return Read<T>([&](pqxx::transaction_base& tx) -> Result<T> {
      const auto r = tx.exec_prepared(statement, args...);
      if (r.empty()) return NotFound(std::string(what) + " not found");
      return row_fn(r[0]);
    });
  }

  template <typename T, typename RowFn, typename... Args>
  Result<std::vector<T>> ReadAll(RowFn row_fn, const char* statement, const Args&... args) {
    return Read<std::vector<T>>([&](pqxx::transaction_base& tx) {
      const auto r = tx.exec_prepared(statement, args...);
      std::vector<T> out;
      out.reserve(r.size());
      for (const auto& row : r) out.push_back(row_fn(row));
      return out;
    });
  }

  Pool pool_;
  PostgresOptions options_;
};

}  // namespace

bool IsPostgresUrl(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url,
                                                 const PostgresOptions& options) {
  if (options.max_connections < 1) return InvalidArgument("postgres: pool needs a connection");
  auto store = std::make_unique<PostgresStore>(url, options);
  SP_ASSIGN_OR_RETURN(auto first, Connect(url));
  SP_RETURN_IF_ERROR(Migrate(*first));
  store->pool().Put(std::move(first));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace sealpost::store::postgres
