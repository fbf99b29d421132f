// A test-only SMTP server for real mail clients (swaks, Python smtplib): smtp::Server with the
// recording face of smtp/testing/, writing each accepted message to <dir>/<n>.eml.
//
// Usage: smtp_test_server CERT.pem KEY.pem OUTPUT_DIR
// Listens on 127.0.0.1 ephemeral ports and prints one line
//   ports submission=<p> submissions=<p> inbound=<p>
// then serves until its stdin closes (the test's pipe), and stops gracefully.
// Listeners: submission (STARTTLS, AUTH after TLS), submissions (implicit TLS, AUTH), inbound
// (optional STARTTLS, no AUTH, 3 sessions per address, 2 s command timeout). The face accepts
// AUTH for alice@example.org / "correct horse" and refuses RCPT to unknown@….
//
// SECURITY: test support; binds loopback only.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "smtp/server.h"
#include "smtp/testing/recording_face.h"

namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sealpost::smtp;
  if (argc != 4) {
    std::fprintf(stderr, "usage: smtp_test_server CERT.pem KEY.pem OUTPUT_DIR\n");
    return 2;
  }
  // Logs to stderr: stdout carries the ports line.
  spdlog::set_default_logger(spdlog::stderr_color_mt("smtp_test_server"));
  auto recording = std::make_shared<testing::Recording>();
  testing::RecordingRules rules;
  rules.output_dir = argv[3];
  auto face = std::make_shared<testing::RecordingFace>(recording, rules);

  ServerOptions options;
  options.hostname = "sealpost.test";
  options.certificate_pem = ReadFile(argv[1]);
  std::string key = ReadFile(argv[2]);
  options.private_key_pem = sealpost::crypto::SecretString::TakeFrom(key);
  options.command_timeout = std::chrono::seconds(2);
  options.worker_threads = 2;

  ListenerOptions submission;
  submission.name = "submission";
  submission.tls_mode = TlsMode::kStartTls;
  submission.offer_auth = true;
  submission.max_message_bytes = 200u * 1024 * 1024;
  submission.face = face;
  ListenerOptions submissions = submission;
  submissions.name = "submissions";
  submissions.tls_mode = TlsMode::kImplicitTls;
  ListenerOptions inbound;
  inbound.name = "inbound";
  inbound.tls_mode = TlsMode::kPlain;
  inbound.max_message_bytes = 64 * 1024;
  inbound.max_sessions_per_address = 3;
  inbound.face = face;
  options.listeners = {submission, submissions, inbound};

  auto server = Server::Create(std::move(options));
  if (!server.ok()) {
    std::fprintf(stderr, "smtp_test_server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  if (const auto status = (*server)->Start(); !status.ok()) {
    std::fprintf(stderr, "smtp_test_server: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("ports submission=%u submissions=%u inbound=%u\n", (*server)->port(0),
              (*server)->port(1), (*server)->port(2));
  std::fflush(stdout);
  std::string ignored;
  while (std::getline(std::cin, ignored)) {
  }
  (*server)->Stop();
  return 0;
}
