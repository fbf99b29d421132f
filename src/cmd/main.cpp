// The sealpost binary: `serve`, `verify audit`, `verify log`, `verify receipt`, `verify export`,
// `admin migrate`, `admin time-stamp`, `admin export-audit`, `admin backup`, `admin restore`,
// `admin rotate-master-key`, `escrow keygen`, `escrow export`, `escrow open`, `version`.
#include <iostream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cmd/admin_backup.h"
#include "cmd/admin_migrate.h"
#include "cmd/admin_roles.h"
#include "cmd/admin_rotate_master_key.h"
#include "cmd/audit_export_command.h"
#include "cmd/config.h"
#include "cmd/escrow_command.h"
#include "cmd/serve.h"
#include "cmd/time_stamper.h"
#include "cmd/verify.h"
#include "cmd/verify_log.h"
#include "cmd/verify_receipt.h"

int main(int argc, char** argv) {
  // Logs go to stderr; stdout carries only what the operator must read (URL, links).
  spdlog::set_default_logger(spdlog::stderr_color_mt("sealpost"));
  CLI::App cli{"Sealpost: secure messaging server"};
  cli.require_subcommand(1);

  std::optional<std::string> config_path;
  std::optional<std::string> data_dir;
  auto* serve = cli.add_subcommand("serve", "Run the server (HTTPS API and web UI)");
  serve->add_option("-c,--config", config_path, "TOML configuration file");
  serve->add_option("-d,--data-dir", data_dir, "Data directory (default ./sealpost-data)");
  std::optional<std::string> outbox_dir;
  serve->add_option("--outbox-dir", outbox_dir,
                    "Where mail goes as .eml files without a relay (default: sealpost-outbox "
                    "beside the data directory; never inside it)");

  auto* verify = cli.add_subcommand("verify", "Check evidence offline");
  verify->require_subcommand(1);
  auto* verify_audit = verify->add_subcommand("audit", "Re-check the whole audit log");
  std::string verify_dir = "./sealpost-data";
  std::optional<std::string> public_key;
  verify_audit->add_option("-d,--data-dir", verify_dir, "Data directory");
  verify_audit->add_option("--public-key", public_key,
                           "Pinned audit public key (hex); default: <data-dir>/audit-signing.pub");
  std::string verify_store_url;
  verify_audit->add_option("--store-url", verify_store_url,
                           "PostgreSQL URL of the store (default: SQLite in the data directory)");

  auto* verify_log = verify->add_subcommand(
      "log", "Monitor the transparency log: check its latest checkpoint against the saved one");
  sealpost::cmd::VerifyLogOptions log_options;
  verify_log->add_option("--url", log_options.url, "The log's URL, e.g. https://HOST/log/v1")
      ->required();
  verify_log
      ->add_option("--state", log_options.state_file,
                   "File holding the checkpoint saved by the previous run (created if absent)")
      ->required();
  auto* log_key = verify_log->add_option("--key", log_options.key,
                                         "The log's verifier key (<name>+<hash>+<base64 key>)");
  verify_log
      ->add_option("--key-file", log_options.key_file, "A file holding the log's verifier key")
      ->excludes(log_key);
  verify_log->add_option("--ca-file", log_options.ca_file,
                         "PEM CA certificates to trust (default: the system's trust store)");
  verify_log->add_option("--timeout", log_options.timeout_seconds,
                         "Seconds per HTTPS request (default 30)");

  sealpost::cmd::VerifyReceiptArgs receipt_args;
  auto* verify_receipt = verify->add_subcommand(
      "receipt", "Check a receipt: signature, time-stamp, sealed digest and log inclusion proof");
  verify_receipt->add_option("FILE", receipt_args.receipt_path, "The receipt (DER)")->required();
  verify_receipt
      ->add_option("--root", receipt_args.root_path, "The platform root certificate (PEM)")
      ->required();
  verify_receipt->add_option("--tsa-root", receipt_args.tsa_root_path,
                             "An external TSA's root certificate (PEM), for the time-stamp only");
  verify_receipt->add_option("--log-key", receipt_args.log_key,
                             "The log's note verifier key (name+hash+key), or a file holding it");
  verify_receipt->add_option("--digest", receipt_args.digest_hex,
                             "The sealed digest the receipt must name (64 hex digits)");
  verify_receipt->add_option("--statement", receipt_args.statement_path,
                             "The message's seal statement; its SHA-256 must be the sealed digest");

  auto* admin = cli.add_subcommand("admin", "Administration of an installation");
  admin->require_subcommand(1);
  auto* migrate = admin->add_subcommand(
      "migrate", "Copy an SQLite installation into an empty PostgreSQL database");
  std::string migrate_dir = "./sealpost-data";
  std::string migrate_to;
  migrate->add_option("-d,--data-dir", migrate_dir, "Data directory of the SQLite installation");
  migrate->add_option("--to", migrate_to, "PostgreSQL URL (postgresql://…) of an empty database")
      ->required();

  // Tries the external TSA of [receipts] tsa_url (cmd/time_stamper.h).
  auto* time_stamp = admin->add_subcommand(
      "time-stamp", "Time-stamp a file with the configured external TSA and check the token");
  std::string stamp_file;
  std::string stamp_out;
  time_stamp->add_option("-c,--config", config_path, "TOML configuration file")->required();
  time_stamp->add_option("FILE", stamp_file, "The file whose SHA-256 is time-stamped")->required();
  time_stamp->add_option("-o,--out", stamp_out, "Where the token (DER) goes")->required();

  // Backup, restore and master-key rotation (cmd/admin_backup.h; docs/operations.md).
  auto* backup = admin->add_subcommand(
      "backup", "Copy a running installation (database, blobs, keys) into a new directory");
  std::string backup_dir;
  backup->add_option("DIR", backup_dir, "Target directory (absent or empty)")->required();
  backup->add_option("-c,--config", config_path, "TOML configuration file");
  backup->add_option("-d,--data-dir", data_dir, "Data directory (default ./sealpost-data)");
  auto* restore = admin->add_subcommand(
      "restore", "Check a backup against its manifest and restore it into a new data directory");
  std::string restore_from;
  std::string restore_to;
  restore->add_option("DIR", restore_from, "The backup directory")->required();
  restore->add_option("-d,--data-dir", restore_to, "New data directory (absent or empty)")
      ->required();
  auto* rotate = admin->add_subcommand(
      "rotate-master-key",
      "Replace the master key and re-wrap everything under it (server stopped)");
  rotate->add_option("-c,--config", config_path, "TOML configuration file");
  rotate->add_option("-d,--data-dir", data_dir, "Data directory (default ./sealpost-data)");
  // Audit exports (cmd/audit_export_command.h): the offline check and the operator's export.
  sealpost::cmd::VerifyExportArgs export_args;
  auto* verify_export = verify->add_subcommand(
      "export", "Check an audit export (JSON Lines or bundle) against the log's verifier key");
  verify_export->add_option("FILE", export_args.file, "export.jsonl or the bundle (ZIP)")
      ->required();
  auto* export_key = verify_export->add_option(
      "--key", export_args.key, "The log's verifier key (<name>+<hash>+<base64 key>)");
  verify_export->add_option("--key-file", export_args.key_file, "A file holding that key")
      ->excludes(export_key);
  sealpost::cmd::ExportAuditArgs export_audit;
  auto* export_audit_cmd = admin->add_subcommand(
      "export-audit",
      "Export audit events with their log proofs (what the last checkpoint covers)");
  export_audit_cmd->add_option("-d,--data-dir", export_audit.data_dir, "Data directory");
  export_audit_cmd->add_option("--store-url", export_audit.store_url,
                               "PostgreSQL URL of the store");
  export_audit_cmd->add_option("--from", export_audit.from, "From (RFC 3339 UTC or Unix ms)");
  export_audit_cmd->add_option("--to", export_audit.to, "To, exclusive");
  export_audit_cmd->add_option("--member", export_audit.member, "A member's user id");
  export_audit_cmd->add_option("--message", export_audit.message, "A message id");
  export_audit_cmd->add_option("--format", export_audit.format, "jsonl, csv, pdf or bundle");
  export_audit_cmd->add_option("-o,--out", export_audit.out, "The file written")->required();

  // Roles from the console (cmd/admin_roles.h; docs/roles.md).
  sealpost::cmd::RoleArgs role_args;
  auto* grant_role = admin->add_subcommand("grant-role", "Grant a role over a domain (audited)");
  auto* revoke_role = admin->add_subcommand("revoke-role", "Revoke a role (audited)");
  for (auto* c : {grant_role, revoke_role}) {
    c->add_option("-c,--config", config_path, "TOML configuration file");
    c->add_option("-d,--data-dir", data_dir, "Data directory (default ./sealpost-data)");
    c->add_option("EMAIL", role_args.email, "The member's address")->required();
    c->add_option("ROLE", role_args.role, "administrator, auditor or compliance_officer")
        ->required();
    c->add_option("DOMAIN", role_args.domain, "A mail domain, or * for all")->required();
  }
  auto* list_roles = admin->add_subcommand("list-roles", "List every role grant");
  list_roles->add_option("-c,--config", config_path, "TOML configuration file");
  list_roles->add_option("-d,--data-dir", data_dir, "Data directory (default ./sealpost-data)");

  // Escrow (cmd/escrow_command.h; docs/escrow.md): keygen and open offline, export on the server.
  auto* escrow = cli.add_subcommand("escrow", "Escrowed messages of a domain (opt-in per domain)");
  escrow->require_subcommand(1);
  std::string escrow_key_out;
  auto* escrow_keygen = escrow->add_subcommand(
      "keygen", "Make an escrow key pair offline: private key to FILE (0600), public key printed");
  escrow_keygen->add_option("--out", escrow_key_out, "The private key file (must not exist)")
      ->required();
  sealpost::cmd::EscrowExportArgs escrow_export_args;
  auto* escrow_export = escrow->add_subcommand(
      "export", "Write a domain's escrowed messages in sealed form (server side, no secret)");
  escrow_export->add_option("-c,--config", config_path, "TOML configuration file");
  escrow_export->add_option("-d,--data-dir", data_dir, "Data directory (default ./sealpost-data)");
  escrow_export->add_option("--domain", escrow_export_args.domain, "The domain")->required();
  escrow_export->add_option("--from", escrow_export_args.from, "From (RFC 3339 UTC or Unix ms)");
  escrow_export->add_option("--to", escrow_export_args.to, "To, exclusive");
  escrow_export->add_option("--member", escrow_export_args.member,
                            "Only what this member (address) sent or received");
  escrow_export->add_option("--out", escrow_export_args.out, "Target directory (absent or empty)")
      ->required();
  std::string escrow_key_file;
  std::string escrow_in;
  std::string escrow_out;
  auto* escrow_open = escrow->add_subcommand(
      "open", "Open an escrow export offline with the escrow private key: one .eml per message");
  escrow_open->add_option("--key", escrow_key_file, "The private key file")->required();
  escrow_open->add_option("--in", escrow_in, "The export directory")->required();
  escrow_open->add_option("--out", escrow_out, "Where the .eml files go (absent or empty)")
      ->required();

  cli.add_subcommand("version", "Print the version");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }

  if (cli.got_subcommand("version")) {
    std::cout << "sealpost " << SEALPOST_VERSION << "\n";
    return 0;
  }
  if (cli.got_subcommand(serve)) {
    auto config = sealpost::cmd::LoadConfig(config_path, data_dir, outbox_dir);
    if (!config.ok()) {
      std::cerr << "sealpost: configuration: " << config.status().message() << "\n";
      return 2;
    }
    return sealpost::cmd::Serve(*config);
  }
  if (admin->got_subcommand(time_stamp)) {
    auto config = sealpost::cmd::LoadConfig(config_path, std::nullopt);
    if (!config.ok()) {
      std::cerr << "sealpost: configuration: " << config.status().message() << "\n";
      return 2;
    }
    return sealpost::cmd::TimeStampCommand(*config, stamp_file, stamp_out);
  }
  if (admin->got_subcommand(backup)) {
    auto config = sealpost::cmd::LoadConfig(config_path, data_dir);
    if (!config.ok()) {
      std::cerr << "sealpost: configuration: " << config.status().message() << "\n";
      return 2;
    }
    return sealpost::cmd::AdminBackup(*config, backup_dir);
  }
  if (admin->got_subcommand(restore)) return sealpost::cmd::AdminRestore(restore_from, restore_to);
  if (admin->got_subcommand(rotate)) {
    auto config = sealpost::cmd::LoadConfig(config_path, data_dir);
    if (!config.ok()) {
      std::cerr << "sealpost: configuration: " << config.status().message() << "\n";
      return 2;
    }
    return sealpost::cmd::AdminRotateMasterKey(*config);
  }
  for (auto* c : {grant_role, revoke_role, list_roles}) {
    if (!admin->got_subcommand(c)) continue;
    auto config = sealpost::cmd::LoadConfig(config_path, data_dir);
    if (!config.ok()) {
      std::cerr << "sealpost: configuration: " << config.status().message() << "\n";
      return 2;
    }
    if (c == grant_role) return sealpost::cmd::AdminGrantRole(*config, role_args);
    if (c == revoke_role) return sealpost::cmd::AdminRevokeRole(*config, role_args);
    return sealpost::cmd::AdminListRoles(*config);
  }
  if (escrow->got_subcommand(escrow_keygen)) return sealpost::cmd::EscrowKeygen(escrow_key_out);
  if (escrow->got_subcommand(escrow_open)) {
    return sealpost::cmd::EscrowOpen(escrow_key_file, escrow_in, escrow_out);
  }
  if (escrow->got_subcommand(escrow_export)) {
    auto config = sealpost::cmd::LoadConfig(config_path, data_dir);
    if (!config.ok()) {
      std::cerr << "sealpost: configuration: " << config.status().message() << "\n";
      return 2;
    }
    return sealpost::cmd::EscrowExport(*config, escrow_export_args);
  }
  if (admin->got_subcommand(migrate)) {
    return sealpost::cmd::AdminMigrate(migrate_dir, migrate_to);
  }
  if (verify->got_subcommand(verify_audit)) {
    return sealpost::cmd::VerifyAudit(verify_dir, public_key, verify_store_url);
  }
  if (verify->got_subcommand(verify_log)) return sealpost::cmd::VerifyLog(log_options);
  if (verify->got_subcommand(verify_export)) return sealpost::cmd::VerifyExportCommand(export_args);
  if (admin->got_subcommand(export_audit_cmd))
    return sealpost::cmd::ExportAuditCommand(export_audit);
  if (verify->got_subcommand(verify_receipt)) {
    return sealpost::cmd::VerifyReceiptCommand(receipt_args);
  }
  return 2;
}
