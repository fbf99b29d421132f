#include "app/audit_exports.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "core/address.h"
#include "core/text.h"
#include "tlog/note.h"

namespace sealpost::app {
namespace {

constexpr size_t kMaxFilterValueBytes = 1024;

}  // namespace

Status MayExportAudit(store::Store& store, const Caller& caller) {
  Access access(store);
  if (access.Require(caller, Permission::kExportEvidence).ok()) return Status::Ok();
  return access.Require(caller, Permission::kReadAudit);
}

Result<AuditExportFormat> ParseAuditExportFormat(std::string_view name) {
  if (name == "jsonl") return AuditExportFormat::kJsonLines;
  if (name == "csv") return AuditExportFormat::kCsv;
  if (name == "pdf") return AuditExportFormat::kPdf;
  if (name == "bundle") return AuditExportFormat::kBundle;
  return InvalidArgument("format is one of jsonl, csv, pdf, bundle").ShownToClient();
}

std::string AuditExports::VerifierKey() const {
  return tlog::FormatVerifierKey({s_.audit.origin(), s_.audit.verify_key()});
}

Result<AuditExportFile> AuditExports::Export(const Caller& caller,
                                             receipts::AuditExportFilter filter,
                                             AuditExportFormat format) {
  SP_RETURN_IF_ERROR(MayExportAudit(s_.store, caller));
  return Build(caller.user.id.str(), std::move(filter), format);
}

Result<AuditExportFile> AuditExports::ExportAsOperator(receipts::AuditExportFilter filter,
                                                       AuditExportFormat format) {
  return Build("cli", std::move(filter), format);
}

Result<AuditExportFile> AuditExports::Build(const std::string& actor,
                                            receipts::AuditExportFilter filter,
                                            AuditExportFormat format) {
  if (filter.member.size() > kMaxFilterValueBytes || filter.message.size() > kMaxFilterValueBytes ||
      !IsValidUtf8(filter.member) || !IsValidUtf8(filter.message)) {
    return InvalidArgument("a filter value is too long or not UTF-8").ShownToClient();
  }
  if (filter.from_ms && filter.to_ms && *filter.from_ms >= *filter.to_ms) {
    return InvalidArgument("from must be before to").ShownToClient();
  }
  if (filter.member.find('@') != std::string::npos) {
    auto user = s_.store.accounts().GetUserByEmail(filter.member);
    if (!user.ok()) {
      if (user.status().code() == ErrorCode::kNotFound) {
        return InvalidArgument("no member has that address").ShownToClient();
      }
      return user.status();
    }
    filter.member = user->id.str();
  }
  SP_RETURN_IF_ERROR(s_.audit.SequenceNow(s_.store));
  SP_ASSIGN_OR_RETURN(const receipts::AuditExport exported,
                      receipts::BuildAuditExport(s_.store.log(), filter, s_.clock.Now()));
  AuditExportFile file;
  switch (format) {
    case AuditExportFormat::kJsonLines: {
      const std::string text = receipts::AuditExportJsonLines(exported);
      file = {"audit-export.jsonl", "application/jsonl", Bytes(text.begin(), text.end())};
      break;
    }
    case AuditExportFormat::kCsv: {
      const std::string text = receipts::AuditExportCsv(exported);
      file = {"audit-export.csv", "text/csv; charset=utf-8", Bytes(text.begin(), text.end())};
      break;
    }
    case AuditExportFormat::kPdf: {
      SP_ASSIGN_OR_RETURN(Bytes pdf, receipts::AuditExportPdf(exported));
      file = {"audit-export.pdf", "application/pdf", std::move(pdf)};
      break;
    }
    case AuditExportFormat::kBundle: {
      SP_ASSIGN_OR_RETURN(Bytes zip, receipts::AuditExportBundle(exported, VerifierKey()));
      file = {"audit-export.zip", "application/zip", std::move(zip)};
      break;
    }
  }
  nlohmann::json details = {{"format", file.file_name},  {"member", filter.member},
                            {"message", filter.message}, {"begin", exported.begin},
                            {"end", exported.end},       {"entries", exported.entries.size()}};
  details["from_ms"] = filter.from_ms ? nlohmann::json(*filter.from_ms) : nlohmann::json(nullptr);
  details["to_ms"] = filter.to_ms ? nlohmann::json(*filter.to_ms) : nlohmann::json(nullptr);
  SP_RETURN_IF_ERROR(s_.store.Write([&](store::WriteTxn& tx) {
    return RecordEvent(s_, tx, "audit.export", actor, "audit-log", details.dump());
  }));
  return file;
}

}  // namespace sealpost::app
