#include "smtp/internal/session.h"

#include <array>
#include <exception>
#include <type_traits>
#include <variant>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "crypto/secret_bytes.h"
#include "smtp/internal/tls_context.h"
#include "smtp/proto/auth.h"
#include "smtp/proto/command.h"
#include "smtp/proto/line_reader.h"
#include "smtp/proto/message_reader.h"
#include "smtp/proto/reply.h"
#include "smtp/proto/session_state.h"

namespace sealpost::smtp::internal {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kReadBytes = 64 * 1024;
// Message bytes handed to the sink at once: fewer worker hand-overs for big messages.
constexpr size_t kSinkPieceBytes = 256 * 1024;
// Replies queued while pipelined commands are read are sent at the latest at this size.
constexpr size_t kMaxQueuedReplyBytes = 16 * 1024;

// Runs `f` on the worker pool and resumes the calling coroutine on its strand with the result.
// `f` must capture only pointers and references: g++ 12 destroys a coroutine temporary with
// non-trivial members twice (a lambda capturing a std::string by value crashed here);
// an escaping exception becomes `on_exception()` (a throwing face must not take a thread down).
template <typename F, typename G>
auto RunOnWorker(asio::thread_pool& workers, F f, G on_exception) {
  using R = std::invoke_result_t<F&>;
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
      [&workers](auto handler, F fn, G fallback) {
        asio::post(workers, [handler = std::move(handler), fn = std::move(fn),
                             fallback = std::move(fallback)]() mutable {
          std::optional<R> result;
          try {
            result.emplace(fn());
          } catch (const std::exception& e) {
            spdlog::error("smtp: a face threw: {}", e.what());
            result.emplace(fallback());
          } catch (...) {
            spdlog::error("smtp: a face threw a non-standard exception");
            result.emplace(fallback());
          }
          auto executor = asio::get_associated_executor(handler);
          asio::dispatch(executor,
                         [handler = std::move(handler), result = std::move(*result)]() mutable {
                           std::move(handler)(std::move(result));
                         });
        });
      },
      asio::use_awaitable, std::move(f), std::move(on_exception));
}

bool IsBdatLine(std::string_view line) {
  if (line.size() < 4 || (line.size() > 4 && line[4] != ' ')) return false;
  for (size_t i = 0; i < 4; ++i) {
    if ((line[i] & ~0x20) != "BDAT"[i]) return false;
  }
  return true;
}

Reply TemporaryFailure() { return {451, "4.3.0", "Local error in processing"}; }

class SessionRunner {
 public:
  SessionRunner(std::shared_ptr<Connection> connection, const SessionContext& context)
      : c_(std::move(connection)),
        ctx_(context),
        options_(context.options),
        listener_(context.listener),
        lines_(proto::kMaxCommandBytes),
        state_(Policy(false)) {}

  asio::awaitable<void> Run();

 private:
  proto::SessionPolicy Policy(bool tls) const;
  bool tls_required_for_mail() const {
    return listener_.tls_mode == TlsMode::kStartTls && !c_->peer.tls;
  }

  // I/O. Each returns false when the connection is gone (closed, cut, timed out).
  asio::awaitable<bool> ReadRaw(std::chrono::milliseconds timeout, std::string_view* got);
  asio::awaitable<bool> ReadMore(std::chrono::milliseconds timeout);
  asio::awaitable<bool> Flush();
  void Queue(const Reply& reply) { out_ += proto::FormatReply(reply); }
  asio::awaitable<bool> Handshake();

  // The face's Session, on the worker pool.
  asio::awaitable<bool> OpenFaceSession();
  asio::awaitable<void> DropFaceSession();
  asio::awaitable<void> ResetFace();
  asio::awaitable<void> DropSink();

  // Commands; each returns false when the session ends.
  asio::awaitable<bool> Dispatch(const proto::Command& command);
  asio::awaitable<bool> Ehlo(const proto::Command& command);
  asio::awaitable<bool> StartTls();
  asio::awaitable<bool> Auth(const proto::Command& command);
  asio::awaitable<bool> Mail(const proto::Command& command);
  asio::awaitable<bool> Rcpt(const proto::Command& command);
  asio::awaitable<bool> Data();
  asio::awaitable<bool> Bdat(const proto::Command& command);
  // Reads and drops `n` message bytes (a refused BDAT chunk).
  asio::awaitable<bool> Skip(uint64_t n);
  // Hands `pending` to the sink when it is big enough (or `all`).
  asio::awaitable<void> FeedSink(std::string& pending, bool all);
  // The reply that ends a message: the first content error, a sink error, or Commit's.
  asio::awaitable<Reply> FinishMessage(proto::ContentError error);
  asio::awaitable<void> EndTransaction();
  // AUTH's continuation lines; nullopt when the connection is gone.
  asio::awaitable<std::optional<proto::LineReader::Next>> ReadAuthLine();
  bool BadCommand(const Reply& reply);

  void Log() const;

  std::shared_ptr<Connection> c_;
  const SessionContext& ctx_;
  const ServerOptions& options_;
  const ListenerOptions& listener_;
  std::array<char, kReadBytes> buffer_{};
  proto::LineReader lines_;
  proto::SessionState state_;
  std::string out_;
  std::unique_ptr<Session> session_;
  std::unique_ptr<MessageSink> sink_;
  Status sink_status_;
  std::optional<proto::ChunkReader> chunks_;

  // For the log line.
  const Clock::time_point started_ = Clock::now();
  std::string end_ = "closed by client";
  std::string user_;
  size_t messages_ = 0;
  size_t refused_messages_ = 0;
  size_t bad_commands_ = 0;
  size_t auth_failures_ = 0;
};

proto::SessionPolicy SessionRunner::Policy(bool tls) const {
  proto::SessionPolicy policy;
  policy.tls = tls;
  policy.starttls_offered = listener_.tls_mode == TlsMode::kStartTls ||
                            (listener_.tls_mode == TlsMode::kPlain && listener_.offer_starttls);
  policy.auth_offered = listener_.offer_auth;
  policy.auth_requires_tls = listener_.auth_requires_tls;
  policy.max_message_bytes = listener_.max_message_bytes;
  policy.max_recipients = listener_.max_recipients;
  policy.max_line_bytes = options_.max_line_bytes;
  return policy;
}

asio::awaitable<bool> SessionRunner::ReadRaw(std::chrono::milliseconds timeout,
                                             std::string_view* got) {
  beast::error_code ec;
  size_t n = 0;
  c_->stream.expires_after(timeout);
  if (c_->tls) {
    n = co_await c_->tls->async_read_some(asio::buffer(buffer_),
                                          asio::redirect_error(asio::use_awaitable, ec));
  } else {
    n = co_await c_->stream.async_read_some(asio::buffer(buffer_),
                                            asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) {
    if (ec == beast::error::timeout) {
      end_ = "timeout";
    } else if (ec != asio::error::eof && ec != ssl::error::stream_truncated) {
      end_ = c_->draining ? "server stopping" : "connection lost: " + ec.message();
    }
    co_return false;
  }
  *got = std::string_view(buffer_.data(), n);
  co_return true;
}

asio::awaitable<bool> SessionRunner::ReadMore(std::chrono::milliseconds timeout) {
  std::string_view got;
  if (!co_await ReadRaw(timeout, &got)) co_return false;
  lines_.Append(got);
  co_return true;
}

asio::awaitable<bool> SessionRunner::Flush() {
  if (out_.empty()) co_return true;
  beast::error_code ec;
  c_->stream.expires_after(options_.command_timeout);
  if (c_->tls) {
    co_await asio::async_write(*c_->tls, asio::buffer(out_),
                               asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(c_->stream, asio::buffer(out_),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  out_.clear();
  if (ec) {
    end_ = "write failed: " + ec.message();
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> SessionRunner::Handshake() {
  c_->tls.emplace(c_->stream, c_->tls_context);
  beast::error_code ec;
  c_->stream.expires_after(options_.tls_handshake_timeout);
  co_await c_->tls->async_handshake(ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    end_ = "TLS handshake failed: " + ec.message();
    co_return false;
  }
  c_->peer.tls = true;
  c_->peer.client_certificate_sha256 = VerifiedClientCertificateSha256(c_->tls->native_handle());
  co_return true;
}

asio::awaitable<bool> SessionRunner::OpenFaceSession() {
  using Opened = std::variant<std::unique_ptr<Session>, Reply>;
  Face& face = *listener_.face;
  const Peer peer = c_->peer;
  Opened opened = co_await RunOnWorker(
      ctx_.workers, [&face, &peer]() -> Opened { return face.Open(peer); },
      []() -> Opened {
        return Reply{421, "4.3.0", "Service not available"};
      });
  if (auto* reply = std::get_if<Reply>(&opened)) {
    Reply refusal = *reply;
    if (refusal.positive()) refusal = {554, "5.7.1", "Access denied"};
    Queue(refusal);
    co_await Flush();
    end_ = fmt::format("refused by the face ({})", refusal.code);
    co_return false;
  }
  session_ = std::move(std::get<std::unique_ptr<Session>>(opened));
  if (!session_) {
    Queue({421, "4.3.0", "Service not available"});
    co_await Flush();
    end_ = "face returned no session";
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> SessionRunner::DropSink() {
  if (!sink_) co_return;
  auto sink = std::move(sink_);
  co_await RunOnWorker(
      ctx_.workers,
      [&sink] {
        sink.reset();
        return 0;
      },
      [] { return 0; });
}

asio::awaitable<void> SessionRunner::DropFaceSession() {
  co_await DropSink();
  if (!session_) co_return;
  auto session = std::move(session_);
  co_await RunOnWorker(
      ctx_.workers,
      [&session] {
        session.reset();
        return 0;
      },
      [] { return 0; });
}

asio::awaitable<void> SessionRunner::ResetFace() {
  Session* session = session_.get();
  co_await RunOnWorker(
      ctx_.workers,
      [session] {
        session->Reset();
        return 0;
      },
      [] { return 0; });
}

asio::awaitable<void> SessionRunner::EndTransaction() {
  co_await DropSink();
  chunks_.reset();
  sink_status_ = Status::Ok();
  state_.TransactionEnded();
  co_await ResetFace();
}

bool SessionRunner::BadCommand(const Reply& reply) {
  // Only protocol errors count (500-504: syntax, sequence); a 452 or 553 is a normal answer.
  if (reply.code < 500 || reply.code > 504) {
    Queue(reply);
    return true;
  }
  ++bad_commands_;
  if (bad_commands_ >= options_.max_bad_commands) {
    Queue({421, "4.7.0", "Too many errors, closing connection"});
    end_ = "too many bad commands";
    return false;
  }
  Queue(reply);
  return true;
}

asio::awaitable<void> SessionRunner::Run() {
  if (listener_.tls_mode == TlsMode::kImplicitTls && !co_await Handshake()) {
    Log();
    co_return;
  }
  if (!co_await OpenFaceSession()) {
    co_await DropFaceSession();
    Log();
    co_return;
  }
  state_ = proto::SessionState(Policy(c_->peer.tls));
  Queue({220, "", options_.hostname + " ESMTP Sealpost"});
  bool open = true;
  while (open) {
    proto::LineReader::Next next = lines_.Take();
    if (next.kind == proto::LineReader::Kind::kNeedMore) {
      if (out_.size() > 0 && !co_await Flush()) break;
      if (c_->draining) {
        Queue({421, "4.3.2", "Service shutting down"});
        co_await Flush();
        end_ = "server stopping";
        break;
      }
      c_->idle = true;
      const bool read = co_await ReadMore(options_.command_timeout);
      c_->idle = false;
      if (!read) break;
      continue;
    }
    if (next.kind == proto::LineReader::Kind::kTooLong) {
      open = BadCommand({500, "5.5.2", "Line too long"});
    } else if (next.kind == proto::LineReader::Kind::kBareLf) {
      open = BadCommand({500, "5.5.2", "Bare LF in command, use CRLF"});
    } else {
      auto parsed = proto::ParseCommand(next.line);
      if (auto* refusal = std::get_if<Reply>(&parsed)) {
        // A BDAT whose size cannot be read leaves the stream out of step: end the session.
        if (IsBdatLine(next.line)) {
          Queue(*refusal);
          end_ = "malformed BDAT";
          open = false;
        } else {
          open = BadCommand(*refusal);
        }
      } else {
        open = co_await Dispatch(std::get<proto::Command>(parsed));
      }
    }
    if (out_.size() > kMaxQueuedReplyBytes && !co_await Flush()) break;
  }
  if (!out_.empty()) co_await Flush();
  co_await DropFaceSession();
  beast::error_code ignored;
  c_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  c_->stream.close();
  Log();
}

// Every awaited result is stored in a named variable before co_return: g++ 12 miscompiles
// `co_return co_await f();` inside a switch (the callee's frame saw a garbage `this`).
asio::awaitable<bool> SessionRunner::Dispatch(const proto::Command& command) {
  using proto::Verb;
  if (auto refusal = state_.Check(command)) {
    if (command.verb == Verb::kBdat) {
      // RFC 3030 2: the chunk follows the command whatever the reply; read past it.
      Queue(*refusal);
      {
        const bool open = co_await Skip(command.chunk_size);
        co_return open;
      }
    }
    co_return BadCommand(*refusal);
  }
  switch (command.verb) {
    case Verb::kEhlo:
    case Verb::kHelo: {
      const bool open = co_await Ehlo(command);
      co_return open;
    }
    case Verb::kStartTls: {
      const bool open = co_await StartTls();
      co_return open;
    }
    case Verb::kAuth: {
      const bool open = co_await Auth(command);
      co_return open;
    }
    case Verb::kMail: {
      const bool open = co_await Mail(command);
      co_return open;
    }
    case Verb::kRcpt: {
      const bool open = co_await Rcpt(command);
      co_return open;
    }
    case Verb::kData: {
      const bool open = co_await Data();
      co_return open;
    }
    case Verb::kBdat: {
      const bool open = co_await Bdat(command);
      co_return open;
    }
    case Verb::kRset:
      co_await EndTransaction();
      Queue(Reply::Ok());
      co_return true;
    case Verb::kNoop:
      Queue(Reply::Ok());
      co_return true;
    case Verb::kHelp:
      Queue({214, "2.0.0", "See RFC 5321"});
      co_return true;
    case Verb::kVrfy:
      Queue({252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"});
      co_return true;
    case Verb::kQuit:
      Queue({221, "2.0.0", "Bye"});
      end_ = "QUIT";
      co_return false;
  }
  co_return true;
}

asio::awaitable<bool> SessionRunner::Ehlo(const proto::Command& command) {
  const bool extended = command.verb == proto::Verb::kEhlo;
  co_await EndTransaction();  // resets the face's envelope too
  state_.Greeted(extended);
  if (!extended) {
    Queue({250, "", options_.hostname});
    co_return true;
  }
  // Named, not a temporary in the range-for: g++ 12 coroutines mishandle the latter's lifetime.
  std::vector<std::string> lines = state_.EhloKeywords();
  lines.insert(lines.begin(), options_.hostname);
  out_ += proto::FormatMultiline(250, "", lines);
  co_return true;
}

asio::awaitable<bool> SessionRunner::StartTls() {
  Queue({220, "2.0.0", "Ready to start TLS"});
  if (!co_await Flush()) co_return false;
  // RFC 3207 4.2 / CVE-2011-0411: nothing the client sent in the clear after STARTTLS counts.
  lines_.DiscardBuffered();
  if (!co_await Handshake()) co_return false;
  // The session starts over: a new face Session, not greeted, nothing learnt before kept.
  co_await DropFaceSession();
  state_ = proto::SessionState(Policy(true));
  const bool opened = co_await OpenFaceSession();
  co_return opened;
}

asio::awaitable<std::optional<proto::LineReader::Next>> SessionRunner::ReadAuthLine() {
  for (;;) {
    proto::LineReader::Next next = lines_.Take();
    if (next.kind != proto::LineReader::Kind::kNeedMore) co_return next;
    if (!co_await Flush()) co_return std::nullopt;
    if (!co_await ReadMore(options_.command_timeout)) co_return std::nullopt;
  }
}

asio::awaitable<bool> SessionRunner::Auth(const proto::Command& command) {
  std::string initial = command.initial_response;
  const Reply bad_base64{501, "5.5.2", "Cannot decode response"};
  const Reply cancelled{501, "5.0.0", "Authentication cancelled"};
  // Reads one continuation line after a 334 challenge into `line` (wiped by the caller); a
  // refusal or nullopt (connection gone) otherwise.
  std::string line;
  std::optional<Reply> refusal;
  auto challenge = [&](std::string_view text) -> asio::awaitable<bool> {
    out_ += fmt::format("334 {}\r\n", text);
    auto next = co_await ReadAuthLine();
    if (!next) co_return false;
    if (next->kind != proto::LineReader::Kind::kLine) {
      refusal = Reply{500, "5.5.2", "Line too long or malformed"};
    } else if (next->line == "*") {
      refusal = cancelled;
    }
    line = std::move(next->line);
    co_return true;
  };

  std::string authorization_id, user;
  crypto::SecretString password;
  if (command.mechanism == "PLAIN") {
    if (!command.has_initial_response) {
      if (!co_await challenge("")) co_return false;
      initial = std::move(line);
    }
    if (!refusal) {
      auto credentials = proto::DecodePlain(initial);
      if (!credentials.ok()) {
        refusal = bad_base64;
      } else {
        authorization_id = std::move(credentials->authorization_id);
        user = std::move(credentials->user);
        password = std::move(credentials->password);
      }
    }
  } else {  // LOGIN (SessionState::Check admits no other)
    if (!command.has_initial_response) {
      if (!co_await challenge(proto::kLoginUserChallenge)) co_return false;
      initial = std::move(line);
    }
    if (!refusal) {
      auto decoded = proto::DecodeLoginLine(initial);
      if (!decoded.ok()) {
        refusal = bad_base64;
      } else {
        user = std::string(decoded->view());
        if (!co_await challenge(proto::kLoginPasswordChallenge)) co_return false;
        if (!refusal) {
          auto secret = proto::DecodeLoginLine(line);
          if (!secret.ok()) {
            refusal = bad_base64;
          } else {
            password = std::move(*secret);
          }
        }
      }
    }
  }
  crypto::WipeString(initial);
  crypto::WipeString(line);
  if (refusal) co_return BadCommand(*refusal);

  Session* session = session_.get();
  const Reply reply = co_await RunOnWorker(
      ctx_.workers,
      [session, &command, &authorization_id, &user, &password] {
        return session->Authenticate(command.mechanism, authorization_id, user, password);
      },
      [] {
        return Reply{454, "4.7.0", "Temporary authentication failure"};
      });
  if (reply.code == 235) {
    state_.Authenticated();
    user_ = user;
    Queue(reply);
    co_return true;
  }
  ++auth_failures_;
  if (auth_failures_ >= options_.max_auth_failures) {
    Queue(reply);
    Queue({421, "4.7.0", "Too many authentication failures"});
    end_ = "too many AUTH failures";
    co_return false;
  }
  Queue(reply.positive() ? Reply{535, "5.7.8", "Authentication credentials invalid"} : reply);
  co_return true;
}

asio::awaitable<bool> SessionRunner::Mail(const proto::Command& command) {
  if (tls_required_for_mail()) {
    co_return BadCommand({530, "5.7.0", "Must issue a STARTTLS command first"});
  }
  Session* session = session_.get();
  const Reply reply = co_await RunOnWorker(
      ctx_.workers, [session, &command] { return session->MailFrom(command.path, command.mail); },
      TemporaryFailure);
  if (reply.positive()) state_.MailAccepted(command.mail);
  Queue(reply);
  co_return true;
}

asio::awaitable<bool> SessionRunner::Rcpt(const proto::Command& command) {
  Session* session = session_.get();
  const Reply reply = co_await RunOnWorker(
      ctx_.workers, [session, &command] { return session->RcptTo(command.path); },
      TemporaryFailure);
  if (reply.positive()) {
    state_.RecipientAccepted();
  } else {
    state_.RecipientRefused();
  }
  Queue(reply);
  co_return true;
}

asio::awaitable<void> SessionRunner::FeedSink(std::string& pending, bool all) {
  if (!sink_status_.ok()) {
    pending.clear();
    co_return;
  }
  if (pending.empty() || (!all && pending.size() < kSinkPieceBytes)) co_return;
  MessageSink* sink = sink_.get();
  sink_status_ = co_await RunOnWorker(
      ctx_.workers, [sink, &pending] { return sink->Append(pending); },
      [] { return Internal("sink threw"); });
  pending.clear();
}

asio::awaitable<Reply> SessionRunner::FinishMessage(proto::ContentError error) {
  Reply reply;
  if (error != proto::ContentError::kNone) {
    reply = proto::ContentErrorReply(error);
  } else if (!sink_status_.ok()) {
    reply = sink_status_.code() == ErrorCode::kTooLarge
                ? proto::ContentErrorReply(proto::ContentError::kTooLarge)
                : TemporaryFailure();
    spdlog::warn("smtp: {}: message sink failed: {}", listener_.name, sink_status_.message());
  } else {
    MessageSink* sink = sink_.get();
    reply = co_await RunOnWorker(
        ctx_.workers, [sink] { return sink->Commit(); }, TemporaryFailure);
  }
  if (reply.positive()) {
    ++messages_;
  } else {
    ++refused_messages_;
  }
  co_return reply;
}

asio::awaitable<bool> SessionRunner::Data() {
  using Begun = std::variant<std::unique_ptr<MessageSink>, Reply>;
  Session* session = session_.get();
  Begun begun = co_await RunOnWorker(
      ctx_.workers, [session]() -> Begun { return session->BeginMessage(); },
      []() -> Begun { return TemporaryFailure(); });
  if (auto* refusal = std::get_if<Reply>(&begun)) {
    const Reply reply = refusal->positive() ? TemporaryFailure() : *refusal;
    co_await EndTransaction();
    Queue(reply);
    co_return true;
  }
  sink_ = std::move(std::get<std::unique_ptr<MessageSink>>(begun));
  sink_status_ = sink_ ? Status::Ok() : Internal("face returned no sink");
  Queue({354, "", "End data with <CR><LF>.<CR><LF>"});
  if (!co_await Flush()) {
    co_await DropSink();
    co_return false;
  }

  proto::DataReader reader(state_.content_limits());
  std::string pending;
  std::string& buffered = lines_.buffered();
  buffered.erase(0, reader.Feed(buffered, &pending));
  while (!reader.done()) {
    co_await FeedSink(pending, false);
    std::string_view got;
    if (!co_await ReadRaw(options_.data_timeout, &got)) {
      end_ += " (inside DATA)";
      co_await DropSink();  // cut mid-message: nothing of it may remain
      co_return false;
    }
    const size_t used = reader.Feed(got, &pending);
    lines_.Append(got.substr(used));  // pipelined commands after the end
  }
  co_await FeedSink(pending, true);
  const Reply reply = co_await FinishMessage(reader.error());
  co_await EndTransaction();
  Queue(reply);
  co_return true;
}

asio::awaitable<bool> SessionRunner::Skip(uint64_t n) {
  if (n > listener_.max_message_bytes) {
    // Reading that much only to drop it would let a client keep the session busy: end it.
    Queue({552, "5.3.4", "Chunk too large, closing connection"});
    end_ = "oversized BDAT chunk";
    co_return false;
  }
  std::string& buffered = lines_.buffered();
  const size_t from_buffer = static_cast<size_t>(std::min<uint64_t>(n, buffered.size()));
  buffered.erase(0, from_buffer);
  n -= from_buffer;
  while (n > 0) {
    std::string_view got;
    if (!co_await ReadRaw(options_.data_timeout, &got)) co_return false;
    const size_t used = static_cast<size_t>(std::min<uint64_t>(n, got.size()));
    n -= used;
    lines_.Append(got.substr(used));
  }
  co_return true;
}

asio::awaitable<bool> SessionRunner::Bdat(const proto::Command& command) {
  using Begun = std::variant<std::unique_ptr<MessageSink>, Reply>;
  if (!state_.in_bdat()) {
    Session* session = session_.get();
    Begun begun = co_await RunOnWorker(
        ctx_.workers, [session]() -> Begun { return session->BeginMessage(); },
        []() -> Begun { return TemporaryFailure(); });
    if (auto* refusal = std::get_if<Reply>(&begun)) {
      const Reply reply = refusal->positive() ? TemporaryFailure() : *refusal;
      co_await EndTransaction();
      Queue(reply);
      co_return co_await Skip(command.chunk_size);
    }
    sink_ = std::move(std::get<std::unique_ptr<MessageSink>>(begun));
    sink_status_ = sink_ ? Status::Ok() : Internal("face returned no sink");
    chunks_.emplace(state_.content_limits());
    state_.ChunkingStarted();
  }
  if (chunks_->size() + command.chunk_size > listener_.max_message_bytes) {
    // The announced size alone is over the limit (RFC 3030 4: 552, and the rest is not read).
    co_await EndTransaction();
    ++refused_messages_;
    Queue({552, "5.3.4", "Message size exceeds fixed maximum message size, closing connection"});
    end_ = "BDAT over the size limit";
    co_return false;
  }
  chunks_->BeginChunk(command.chunk_size, command.last_chunk);
  std::string pending;
  std::string& buffered = lines_.buffered();
  buffered.erase(0, chunks_->Feed(buffered, &pending));
  while (!chunks_->chunk_done()) {
    co_await FeedSink(pending, false);
    std::string_view got;
    if (!co_await ReadRaw(options_.data_timeout, &got)) {
      end_ += " (inside BDAT)";
      co_await DropSink();
      co_return false;
    }
    const size_t used = chunks_->Feed(got, &pending);
    lines_.Append(got.substr(used));
  }
  co_await FeedSink(pending, true);
  const proto::ContentError error = chunks_->error();
  if (!command.last_chunk && error == proto::ContentError::kNone && sink_status_.ok()) {
    Queue({250, "2.0.0", fmt::format("{} octets received", command.chunk_size)});
    co_return true;
  }
  // The last chunk, or a chunk that already failed: the message ends here (RFC 3030 2: after a
  // refused chunk the client abandons the transaction; later BDATs get 503 and are skipped).
  const Reply reply = co_await FinishMessage(error);
  co_await EndTransaction();
  Queue(reply);
  co_return true;
}

void SessionRunner::Log() const {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count();
  spdlog::info(
      "smtp: {} session from {}:{} tls={} client_cert={} user={} messages={} refused={} "
      "bad_commands={} auth_failures={} ended=\"{}\" ms={}",
      listener_.name, c_->peer.address, c_->peer.port, c_->peer.tls ? "yes" : "no",
      c_->peer.client_certificate_sha256.empty() ? "no" : "yes",
      user_.empty() ? "-" : proto::SanitizeReplyText(user_), messages_, refused_messages_,
      bad_commands_, auth_failures_, proto::SanitizeReplyText(end_), ms);
}

}  // namespace

asio::awaitable<void> ServeSession(std::shared_ptr<Connection> connection,
                                   const SessionContext& context) {
  SessionRunner runner(std::move(connection), context);
  co_await runner.Run();
}

void CloseNow(Connection& connection) {
  beast::error_code ignored;
  connection.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  connection.stream.close();
}

}  // namespace sealpost::smtp::internal
