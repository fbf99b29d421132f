// The Origin check for state-changing requests: a second wall behind the CSRF token and the
// SameSite=Strict session cookie.
//
// A request whose method is not GET, HEAD or OPTIONS and that carries an Origin header is let
// through only when that Origin is the server's own: the origin (scheme://host[:port]) of the
// configured public URL, or https://<Host header> (the server speaks only HTTPS). Either is
// enough. Why both: the public URL is what the operator promised, and holds behind a proxy
// that rewrites Host; the Host rule keeps the UI working when the public URL is not what the
// browser shows (https://localhost:8443 against the default https://127.0.0.1:8443, an
// ephemeral test port). A cross-site page cannot produce a match: the browser sets both Origin
// (the attacking page's) and Host (ours), and neither can be forged by script. A request without
// Origin passes: browsers send Origin on every cross-origin unsafe request, and non-browser API
// clients send none. "Origin: null" (sandboxed frames, opaque redirects) never matches.
//
// Comparison is ASCII case-insensitive for scheme and host, and a default port (443 for https,
// 80 for http) equals its absence.
//
// SECURITY: sees untrusted header values. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "http/request.h"

namespace sealpost::http {

// True for GET, HEAD and OPTIONS: methods that must not change state.
bool IsSafeMethod(std::string_view method);

// The canonical origin of an absolute http(s) URL, e.g. "https://mail.example.org:8443" for
// "HTTPS://Mail.Example.org:8443/x": lower case, no default port, no path. Empty when `url` is
// not an http(s) URL with a plain host[:port] (userinfo, an empty host or a bad port).
std::string CanonicalOrigin(std::string_view url);

// False when `request` is unsafe and carries an Origin that is neither `public_origin` (already
// canonical, or empty for none) nor https://<its Host header>.
bool OriginAllowed(const Request& request, std::string_view public_origin);

}  // namespace sealpost::http
