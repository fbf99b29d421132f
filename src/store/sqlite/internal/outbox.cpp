#include "store/sqlite/internal/outbox.h"

#include "store/sqlite/internal/rows.h"

namespace sealpost::store::sqlite {

Result<std::vector<OutboundMailRecord>> SqliteOutboxReader::ListQueuedMail(int limit) {
  return pool_.WithReader<std::vector<OutboundMailRecord>>(
      [&](Connection& db) -> Result<std::vector<OutboundMailRecord>> {
        SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kOutboundMailColumns +
                                               " FROM outbound_mail "
                                               "ORDER BY next_attempt_ms, id LIMIT ?"));
        s.Bind(1, int64_t{limit});
        std::vector<OutboundMailRecord> out;
        for (;;) {
          SP_ASSIGN_OR_RETURN(const bool row, s.Step());
          if (!row) break;
          out.push_back(ReadOutboundMail(s));
        }
        return out;
      });
}

Status SqliteOutboxWriter::EnqueueMail(const OutboundMailRecord& m) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("INSERT INTO outbound_mail(") +
                                          kOutboundMailColumns + ") VALUES(?,?,?,?,?,?,?,?)"));
  s.Bind(1, m.id.str()).Bind(2, ByteView(m.sealed_mail)).Bind(3, ToUnixMillis(m.created_at));
  s.Bind(4, ToUnixMillis(m.next_attempt_at)).Bind(5, int64_t{m.attempts});
  if (m.lease_until) {
    s.Bind(6, ToUnixMillis(*m.lease_until));
  } else {
    s.BindNull(6);
  }
  if (m.pickup_lookup) {
    s.Bind(8, *m.pickup_lookup);
  } else {
    s.BindNull(8);
  }
  return s.Bind(7, m.last_error).Run();
}

Result<std::vector<OutboundMailRecord>> SqliteOutboxWriter::ClaimDueMail(TimePoint now,
                                                                         TimePoint lease_until,
                                                                         int limit) {
  // One writer at a time (the writer thread): selecting then leasing cannot race in SQLite.
  std::vector<OutboundMailRecord> due;
  {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare(std::string("SELECT ") + kOutboundMailColumns +
                                            " FROM outbound_mail WHERE next_attempt_ms <= ?1 "
                                            "AND (lease_until_ms IS NULL OR lease_until_ms <= ?1) "
                                            "ORDER BY next_attempt_ms, id LIMIT ?2"));
    s.Bind(1, ToUnixMillis(now)).Bind(2, int64_t{limit});
    for (;;) {
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) break;
      due.push_back(ReadOutboundMail(s));
    }
  }
  for (OutboundMailRecord& m : due) {
    SP_ASSIGN_OR_RETURN(auto s,
                        db_.Prepare("UPDATE outbound_mail SET lease_until_ms = ? WHERE id = ?"));
    SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(lease_until)).Bind(2, m.id.str()).Run());
    m.lease_until = lease_until;
  }
  return due;
}

Status SqliteOutboxWriter::RescheduleMail(const MailJobId& id, TimePoint next_attempt_at,
                                          int attempts, const std::string& last_error) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE outbound_mail SET next_attempt_ms = ?, "
                                          "attempts = ?, last_error = ?, lease_until_ms = NULL "
                                          "WHERE id = ?"));
  s.Bind(1, ToUnixMillis(next_attempt_at)).Bind(2, int64_t{attempts}).Bind(3, last_error);
  SP_RETURN_IF_ERROR(s.Bind(4, id.str()).Run());
  return ExpectOneRow(db_, "queued mail");
}

Status SqliteOutboxWriter::DeleteMailOfPickup(const std::string& pickup_lookup) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM outbound_mail WHERE pickup_lookup = ?"));
  return s.Bind(1, pickup_lookup).Run();
}

Status SqliteOutboxWriter::DeleteMail(const MailJobId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM outbound_mail WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, id.str()).Run());
  return ExpectOneRow(db_, "queued mail");
}

}  // namespace sealpost::store::sqlite
