// The transparency log, read-only, as C2SP tlog-tiles (c2sp.org/tlog-tiles; docs/formats/
// tiles.md), open to anyone (no session): monitors follow the log with it.
//   GET /log/v1/checkpoint                   the latest signed checkpoint (text/plain)
//   GET /log/v1/tile/<L>/<N>[.p/<W>]         a hash tile (application/octet-stream)
//   GET /log/v1/tile/entries/<N>[.p/<W>]     an entry bundle (application/octet-stream)
//   GET /log/v1/key                          the note verifier key monitors configure
// Tiles and bundles never change once served (a partial one is named by its width), so they are
// cacheable for a year; the checkpoint changes with every sequencing round and is never cached.
//
// SECURITY: the paths are untrusted. Only the canonical spelling of a tile is accepted (the raw
// target must equal the decoded path, and tlog::ParseTilePath refuses every other spelling), so a
// cache key names one tile; anything else is a 400. Tiles beyond the signed tree are 404. Each
// request costs a few indexed reads; the answers are at most 256 × 32 bytes for tiles and 256
// leaves for bundles.
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "api/request_auth.h"
#include "api/routes.h"
#include "tlog/entry_bundle.h"
#include "tlog/tiles.h"

namespace sealpost::api {
namespace {

constexpr std::string_view kPrefix = "/log/v1/";
constexpr std::string_view kOctets = "application/octet-stream";
// N has at most 7 groups (2^64 − 1 = x018/…/615), plus "tile", L and ".p/<W>".
constexpr int kMaxTileSegments = 10;

http::Response Immutable(Bytes body) {
  http::Response r = http::Response::Text(200, std::string(AsChars(body)), kOctets);
  r.SetHeader("Cache-Control", "public, max-age=31536000, immutable");
  return r;
}

http::Response LogError(const Status& s, std::string_view path) {
  if (s.code() != ErrorCode::kNotFound && s.code() != ErrorCode::kInvalidArgument) {
    spdlog::error("log: serving {}: {}", path, s.ToString());
  }
  return ApiError(s);
}

http::Response ServeTile(app::PublicLog& log, const http::Request& req) {
  // A percent-encoded spelling would alias a canonical path in caches: refuse it.
  const std::string_view raw = std::string_view(req.target).substr(0, req.target.find('?'));
  if (raw != req.path || !req.path.starts_with(kPrefix)) {
    return ApiError(InvalidArgument("not a canonical tile path").ShownToClient());
  }
  const std::string_view path = std::string_view(req.path).substr(kPrefix.size());
  const bool bundle = path.starts_with("tile/entries/");
  auto id = bundle ? tlog::ParseEntryBundlePath(path) : tlog::ParseTilePath(path);
  if (!id.ok()) return ApiError(InvalidArgument(id.status().message()).ShownToClient());
  auto body = bundle ? log.EntryBundle(*id) : log.Tile(*id);
  if (!body.ok()) return LogError(body.status(), path);
  return Immutable(std::move(*body));
}

}  // namespace

void RegisterLogRoutes(http::Router& router, const ApiDeps& deps) {
  if (!deps.log) return;
  const std::shared_ptr<app::PublicLog> log = deps.log;
  router.Add("GET", "/log/v1/checkpoint", [log](const http::Request&, const http::PathParams&) {
    auto note = log->Checkpoint();
    if (!note.ok()) return LogError(note.status(), "checkpoint");
    http::Response r = http::Response::Text(200, std::move(*note), "text/plain; charset=utf-8");
    r.SetHeader("Cache-Control", "no-store");
    return r;
  });
  router.Add("GET", "/log/v1/key", [log](const http::Request&, const http::PathParams&) {
    http::Response r =
        http::Response::Text(200, log->VerifierKey() + "\n", "text/plain; charset=utf-8");
    r.SetHeader("Cache-Control", "public, max-age=86400");
    return r;
  });
  // The router matches whole segments; a tile path has 3 to kMaxTileSegments of them.
  std::string pattern = "/log/v1/tile/{l}";
  for (int segments = 2; segments <= kMaxTileSegments - 1; ++segments) {
    pattern += "/{s" + std::to_string(segments) + "}";
    router.Add("GET", pattern, [log](const http::Request& req, const http::PathParams&) {
      return ServeTile(*log, req);
    });
  }
}

}  // namespace sealpost::api
