// Serves the built web UI (web/dist) from a directory.
//
// GET and HEAD only (others get 405). "/" and directories serve their index.html; a path that
// names no file and whose last segment has no extension serves the root index.html, so the
// single-page app can route it (except below /api/, which stays a 404); other missing files get
// 404. index.html is sent with Cache-Control: no-cache, files under /assets/ (content-hashed by
// Vite) as immutable, the rest no-cache. HTML carries a strict Content-Security-Policy (no inline
// script or style, no framing). When the root has no index.html, "/" answers a small built-in
// page saying the API is running and the web UI is not built. Files are streamed, never loaded
// whole.
//
// SECURITY: the path is untrusted. It is re-checked (no "." / ".." segments, backslashes, NUL or
// control characters — encoded forms are refused earlier by PercentDecodePath()), hidden names
// (a segment starting with '.') are never served, and the resolved file must lie under the
// canonical root after following symlinks; the last component is opened with O_NOFOLLOW. The
// root is resolved on every request, so it may appear after the server started.
//
// Thread-safety: the returned handler is safe to call concurrently.
#pragma once

#include <string>
#include <string_view>

#include "http/router.h"

namespace sealpost::http {

Handler MakeStaticFileHandler(std::string root_dir);

// Content-Type for a file name, by extension; application/octet-stream when unknown.
std::string_view ContentTypeForFile(std::string_view file_name);

}  // namespace sealpost::http
